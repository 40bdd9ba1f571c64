//! How a health card sits on an ISO 7816-4 smart card (docs/smart-card.md).
//!
//! One application DF, selected by its AID, holds one transparent EF of fixed size:
//!
//! ```text
//! offset  size  field
//! 0       4     magic "LYOC"
//! 4       1     layout version (1)
//! 5       1     state: 0x00 writing, 0x01 complete
//! 6       2     reserved, 00 00
//! 8       4     body length, big-endian
//! 12      32    SHA-256 of the body
//! 44      20    reserved, zero
//! 64      n     body: the signed card (COSE_Sign1) carrying its issuer certificate
//! ```
//!
//! A write marks the header "writing" first, then writes the body, then flips the state byte
//! to "complete" with a one-byte UPDATE. A card pulled out at any point therefore reads as
//! incomplete (state 0, or a body that does not match its hash), never as a valid card and
//! never as a mix of two patients' data.

use card_format::card::MAX_CARD_LEN;
use sha2::{Digest, Sha256};

use super::apdu::{self, exchange, ExchangeError, Response, MAX_READ_CHUNK, MAX_WRITE_CHUNK};
use super::transport::{Transport, TransportError};
use crate::Class;

/// The application identifier: RID `D4 34 00 00 01` (national registration category "D",
/// country code 434; a placeholder until the ministry registers its own), PIX "LYOC" + 01.
pub const AID: [u8; 10] = [0xD4, 0x34, 0x00, 0x00, 0x01, 0x4C, 0x59, 0x4F, 0x43, 0x01];
/// File id of the application DF.
pub const DF_FID: u16 = 0x4C59;
/// File id of the card EF inside the application.
pub const EF_FID: u16 = 0x0101;
/// Bytes before the body.
pub const HEADER_LEN: usize = 64;
/// Size of the card EF: the header and the largest signed card.
pub const EF_SIZE: usize = HEADER_LEN + MAX_CARD_LEN;
/// First bytes of the header.
pub const MAGIC: [u8; 4] = *b"LYOC";
/// The layout version this agent writes and reads.
pub const VERSION: u8 = 1;
const STATE_WRITING: u8 = 0x00;
const STATE_COMPLETE: u8 = 0x01;
const STATE_OFFSET: u16 = 5;

/// What can go wrong reading or writing the card.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    /// The reader or the card connection failed.
    #[error("{0}")]
    Exchange(#[from] ExchangeError),
    /// The card refused a basic ISO 7816-4 command.
    #[error("this card does not speak ISO 7816-4 (it answered {sw:04X} to SELECT); it cannot hold a health card")]
    NotIso {
        /// The status word.
        sw: u16,
    },
    /// No health-card application on the card.
    #[error("this card holds no health card (it is blank, or belongs to another application)")]
    NoApplication,
    /// A write was interrupted (or never finished).
    #[error("the health card on this card is incomplete: {0}; write it again")]
    Incomplete(&'static str),
    /// The health-card file holds something this agent did not write.
    #[error("the health-card file holds foreign data ({0}); it is not a card this system wrote")]
    Foreign(&'static str),
    /// Written by a newer agent.
    #[error("the card uses layout version {0}, which this agent does not know; update the agent")]
    UnknownVersion(u8),
    /// The card refused a command it should accept.
    #[error("the card refused {step} with status {sw:04X}")]
    Refused {
        /// What was being done.
        step: &'static str,
        /// The status word.
        sw: u16,
    },
    /// The card has no room for the health-card file.
    #[error("the card has not enough free memory for a health card ({need} bytes)")]
    NoRoom {
        /// Bytes needed.
        need: usize,
    },
    /// The existing health-card file is smaller than this card needs.
    #[error("the card's health-card file holds {have} bytes, this card needs {need}")]
    TooSmall {
        /// Bytes available for the body.
        have: usize,
        /// Bytes needed.
        need: usize,
    },
    /// The signed card is larger than the layout allows.
    #[error("the signed card is {0} bytes, more than the {MAX_CARD_LEN} a smart card holds")]
    TooLarge(usize),
    /// What was read back is not what was written.
    #[error("the card read back differently from what was written")]
    ReadBack,
}

impl CardError {
    /// The exit-code class of this error, when it happened while reading (`writing` false) or
    /// writing.
    pub fn class(&self, writing: bool) -> Class {
        match self {
            CardError::Exchange(ExchangeError::Transport(TransportError::Reader(_))) => {
                Class::Reader
            }
            CardError::Exchange(_) if writing => Class::WriteFailed,
            CardError::Exchange(_) => Class::NoCard,
            CardError::NotIso { .. }
            | CardError::NoApplication
            | CardError::Foreign(_)
            | CardError::UnknownVersion(_) => Class::CardUnusable,
            CardError::Incomplete(_) => Class::Incomplete,
            CardError::Refused { .. } if !writing => Class::CardUnusable,
            CardError::Refused { .. }
            | CardError::NoRoom { .. }
            | CardError::TooSmall { .. }
            | CardError::ReadBack => Class::WriteFailed,
            CardError::TooLarge(_) => Class::Usage,
        }
    }
}

fn expect_ok(r: Response, step: &'static str) -> Result<Vec<u8>, CardError> {
    if r.is_ok() {
        Ok(r.data)
    } else {
        Err(CardError::Refused { step, sw: r.sw })
    }
}

/// Selects the application; `Ok(false)` when the card has none.
fn select_application(card: &mut dyn Transport) -> Result<bool, CardError> {
    let r = exchange(card, &apdu::select_aid(&AID))?;
    match r.sw {
        0x9000 => Ok(true),
        0x6A82 => Ok(false),
        // Class or instruction not supported, or a card that knows no SELECT at all.
        0x6E00 | 0x6D00 | 0x6A86 | 0x6B00 => Err(CardError::NotIso { sw: r.sw }),
        sw => Err(CardError::Refused {
            step: "SELECT of the application",
            sw,
        }),
    }
}

/// Selects the card EF; its size from the FCP, or `None` when the application has no EF.
fn select_file(card: &mut dyn Transport) -> Result<Option<usize>, CardError> {
    let r = exchange(card, &apdu::select_ef_fcp(EF_FID))?;
    match r.sw {
        0x9000 => Ok(Some(apdu::fcp_size(&r.data).unwrap_or(EF_SIZE))),
        0x6A82 => Ok(None),
        sw => Err(CardError::Refused {
            step: "SELECT of the card file",
            sw,
        }),
    }
}

fn read(card: &mut dyn Transport, offset: usize, len: usize) -> Result<Vec<u8>, CardError> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        let at = offset + out.len();
        let n = (len - out.len()).min(MAX_READ_CHUNK);
        let at16 = u16::try_from(at).map_err(|_| CardError::Foreign("offset out of range"))?;
        let r = exchange(card, &apdu::read_binary(at16, n))?;
        // 6282: end of file reached before Le bytes; the file is shorter than its header says.
        if r.sw == 0x6282 || r.sw == 0x6B00 {
            return Err(CardError::Foreign(
                "the file is shorter than its header says",
            ));
        }
        let data = expect_ok(r, "READ BINARY")?;
        if data.is_empty() || data.len() > n {
            return Err(CardError::Refused {
                step: "READ BINARY (wrong length)",
                sw: 0x9000,
            });
        }
        out.extend_from_slice(&data);
    }
    Ok(out)
}

fn update(card: &mut dyn Transport, offset: usize, data: &[u8]) -> Result<(), CardError> {
    for (i, chunk) in data.chunks(MAX_WRITE_CHUNK).enumerate() {
        let at = offset + i * MAX_WRITE_CHUNK;
        let at16 = u16::try_from(at).map_err(|_| CardError::TooLarge(at))?;
        let r = exchange(card, &apdu::update_binary(at16, chunk))?;
        expect_ok(r, "UPDATE BINARY")?;
    }
    Ok(())
}

/// The header for a body, in the given state.
pub fn header(body: &[u8], complete: bool) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..4].copy_from_slice(&MAGIC);
    h[4] = VERSION;
    h[5] = if complete {
        STATE_COMPLETE
    } else {
        STATE_WRITING
    };
    // The body is at most MAX_CARD_LEN, far below u32::MAX.
    h[8..12].copy_from_slice(&(body.len() as u32).to_be_bytes());
    h[12..44].copy_from_slice(&Sha256::digest(body));
    h
}

/// Reads the signed card from the card in `card`. The bytes are not verified here: the
/// caller verifies them against the trust store.
///
/// # Errors
/// [`CardError`]: no application, foreign data, an incomplete write, a damaged file, or the
/// card leaving the reader.
pub fn read_card(card: &mut dyn Transport) -> Result<Vec<u8>, CardError> {
    if !select_application(card)? {
        return Err(CardError::NoApplication);
    }
    let Some(size) = select_file(card)? else {
        return Err(CardError::Incomplete(
            "the application has no card file yet",
        ));
    };
    if size < HEADER_LEN {
        return Err(CardError::Foreign("the card file is too small"));
    }
    let h = read(card, 0, HEADER_LEN)?;
    if h.iter().all(|b| *b == 0) {
        return Err(CardError::Incomplete(
            "nothing was written to the card file",
        ));
    }
    if h[..4] != MAGIC {
        return Err(CardError::Foreign("unknown header"));
    }
    if h[4] != VERSION {
        return Err(CardError::UnknownVersion(h[4]));
    }
    match h[5] {
        STATE_COMPLETE => {}
        STATE_WRITING => return Err(CardError::Incomplete("a write was interrupted")),
        _ => return Err(CardError::Foreign("unknown state byte")),
    }
    let len = u32::from_be_bytes([h[8], h[9], h[10], h[11]]) as usize;
    if len == 0 || len > MAX_CARD_LEN || HEADER_LEN + len > size {
        return Err(CardError::Foreign("body length out of range"));
    }
    let body = read(card, HEADER_LEN, len)?;
    if Sha256::digest(&body)[..] != h[12..44] {
        return Err(CardError::Incomplete(
            "its contents do not match their checksum (an interrupted or damaged write)",
        ));
    }
    Ok(body)
}

/// Writes `body` (a signed card) to the card, creating the application on a blank card, then
/// reads it back and compares.
///
/// # Errors
/// [`CardError`]: a card that is not ISO 7816-4 or has no room, a refused command, the card
/// leaving the reader, or a read-back that differs.
pub fn write_card(card: &mut dyn Transport, body: &[u8]) -> Result<(), CardError> {
    if body.len() > MAX_CARD_LEN {
        return Err(CardError::TooLarge(body.len()));
    }
    if !select_application(card)? {
        expect_ok(
            exchange(card, &apdu::select_mf())?,
            "SELECT of the master file",
        )?;
        let r = exchange(card, &apdu::create_df(DF_FID, &AID))?;
        match r.sw {
            0x9000 => {}
            0x6A84 => return Err(CardError::NoRoom { need: EF_SIZE }),
            sw => {
                return Err(CardError::Refused {
                    step: "CREATE FILE of the application",
                    sw,
                })
            }
        }
        // A created DF becomes the current DF on ISO cards; select it by name to be sure.
        if !select_application(card)? {
            return Err(CardError::Refused {
                step: "SELECT of the new application",
                sw: 0x6A82,
            });
        }
    }
    let size = match select_file(card)? {
        Some(size) => size,
        None => {
            let r = exchange(card, &apdu::create_ef(EF_FID, EF_SIZE as u16))?;
            match r.sw {
                0x9000 => {}
                0x6A84 => return Err(CardError::NoRoom { need: EF_SIZE }),
                sw => {
                    return Err(CardError::Refused {
                        step: "CREATE FILE of the card file",
                        sw,
                    })
                }
            }
            select_file(card)?.ok_or(CardError::Refused {
                step: "SELECT of the new card file",
                sw: 0x6A82,
            })?
        }
    };
    if HEADER_LEN + body.len() > size {
        return Err(CardError::TooSmall {
            have: size.saturating_sub(HEADER_LEN),
            need: body.len(),
        });
    }
    // 1. Invalidate whatever is there with one byte, then write the new header, still
    //    "writing": from here on a pulled card reads as incomplete.
    update(card, usize::from(STATE_OFFSET), &[STATE_WRITING])?;
    update(card, 0, &header(body, false))?;
    // 2. The body.
    update(card, HEADER_LEN, body)?;
    // 3. Commit with one byte.
    update(card, usize::from(STATE_OFFSET), &[STATE_COMPLETE])?;
    // 4. Read back through the normal path.
    match read_card(card) {
        Ok(back) if back == body => Ok(()),
        Ok(_) => Err(CardError::ReadBack),
        Err(CardError::Exchange(e)) => Err(CardError::Exchange(e)),
        Err(_) => Err(CardError::ReadBack),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::VirtualCardProfile;
    use crate::vcard::{InProcess, VirtualCard};

    fn blank() -> InProcess {
        InProcess::new(VirtualCard::new(VirtualCardProfile::Iso, 32 * 1024))
    }

    /// Stand-ins for two patients' signed cards: only the layout is under test here (the
    /// real-stack tests write real signed cards).
    fn body(seed: u8, len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31) ^ seed)
            .collect()
    }

    #[test]
    fn write_then_read_round_trips_and_a_second_write_replaces_the_first() {
        let mut card = blank();
        let first = body(1, 930);
        write_card(&mut card, &first).unwrap();
        assert_eq!(read_card(&mut card).unwrap(), first);
        let second = body(2, 700);
        write_card(&mut card, &second).unwrap();
        assert_eq!(read_card(&mut card).unwrap(), second);
        // The EF holds the header then the body.
        let ef = card.card().ef_data(&[DF_FID, EF_FID]).unwrap();
        assert_eq!(ef.len(), EF_SIZE);
        assert_eq!(&ef[..4], b"LYOC");
        assert_eq!(ef[5], 1);
        assert_eq!(&ef[HEADER_LEN..HEADER_LEN + second.len()], &second[..]);
    }

    #[test]
    fn the_largest_card_fits_and_a_larger_one_is_refused_before_any_write() {
        let mut card = blank();
        let max = body(3, MAX_CARD_LEN);
        write_card(&mut card, &max).unwrap();
        assert_eq!(read_card(&mut card).unwrap(), max);
        let before = card.commands();
        assert_eq!(
            write_card(&mut card, &body(4, MAX_CARD_LEN + 1)),
            Err(CardError::TooLarge(MAX_CARD_LEN + 1))
        );
        assert_eq!(card.commands(), before, "nothing was sent");
    }

    /// Pull the card out at every command of a write, with the command stored or not: the
    /// card then reads as the old card, or incomplete, or (when only the read-back was cut)
    /// the new card; never anything else. A retry always succeeds.
    #[test]
    fn a_card_pulled_at_any_command_reads_incomplete_or_old_and_the_retry_succeeds() {
        let old = body(5, 930);
        let new = body(6, 1200);
        // Count the commands of one write over an old card.
        let mut probe = blank();
        write_card(&mut probe, &old).unwrap();
        let start = probe.commands();
        write_card(&mut probe, &new).unwrap();
        let total = probe.commands() - start;
        assert!(total > 10, "{total} commands");
        let mut seen = std::collections::BTreeMap::new();
        for applies in [false, true] {
            for at in 1..=total {
                let mut card = blank();
                write_card(&mut card, &old).unwrap();
                card.remove_at(at, applies);
                let result = write_card(&mut card, &new);
                assert!(
                    matches!(result, Err(CardError::Exchange(_))),
                    "at {at}: {result:?}"
                );
                assert_eq!(
                    result.as_ref().err().map(|e| e.class(true)),
                    Some(Class::WriteFailed)
                );
                card.reinsert();
                let outcome = match read_card(&mut card) {
                    Ok(b) if b == old => "old",
                    Ok(b) if b == new => "new",
                    Ok(_) => panic!("at {at}: a card that is neither the old nor the new"),
                    Err(CardError::Incomplete(_)) => "incomplete",
                    Err(e) => panic!("at {at} (applies {applies}): {e}"),
                };
                *seen.entry(outcome).or_insert(0) += 1;
                write_card(&mut card, &new).unwrap();
                assert_eq!(read_card(&mut card).unwrap(), new);
            }
        }
        assert!(seen.contains_key("incomplete"), "{seen:?}");
        assert!(seen.contains_key("old"), "{seen:?}");
    }

    #[test]
    fn a_blank_card_pulled_during_personalisation_reads_as_no_card_or_incomplete() {
        let mut probe = blank();
        write_card(&mut probe, &body(7, 500)).unwrap();
        let total = probe.commands();
        for at in 1..=total {
            let mut card = blank();
            card.remove_at(at, true);
            assert!(write_card(&mut card, &body(7, 500)).is_err());
            card.reinsert();
            match read_card(&mut card) {
                Err(CardError::NoApplication | CardError::Incomplete(_)) => {}
                Ok(b) if b == body(7, 500) => {}
                other => panic!("at {at}: {other:?}"),
            }
        }
    }

    #[test]
    fn blank_foreign_and_non_iso_cards_are_told_apart() {
        let mut card = blank();
        assert_eq!(read_card(&mut card), Err(CardError::NoApplication));
        assert_eq!(CardError::NoApplication.class(false), Class::CardUnusable);

        let mut foreign = InProcess::new(VirtualCard::new(VirtualCardProfile::Foreign, 32 * 1024));
        assert_eq!(read_card(&mut foreign), Err(CardError::NoApplication));

        let mut non_iso = InProcess::new(VirtualCard::new(VirtualCardProfile::NonIso, 32 * 1024));
        let e = read_card(&mut non_iso).unwrap_err();
        assert!(matches!(e, CardError::NotIso { sw: 0x6E00 }), "{e:?}");
        assert!(matches!(
            write_card(&mut non_iso, &body(1, 100)),
            Err(CardError::NotIso { .. })
        ));
    }

    #[test]
    fn foreign_data_in_the_health_card_file_is_refused_as_foreign() {
        let mut card = blank();
        write_card(&mut card, &body(1, 300)).unwrap();
        // Another program overwrites the header with its own data.
        let r = exchange(&mut card, &apdu::update_binary(0, b"XYZW\x01\x01")).unwrap();
        assert!(r.is_ok());
        assert_eq!(
            read_card(&mut card),
            Err(CardError::Foreign("unknown header"))
        );
        // A header claiming more than the file holds.
        let mut h = header(&body(1, 300), true);
        h[8..12].copy_from_slice(&100_000u32.to_be_bytes());
        exchange(&mut card, &apdu::update_binary(0, &h)).unwrap();
        assert_eq!(
            read_card(&mut card),
            Err(CardError::Foreign("body length out of range"))
        );
        // A body changed behind the header's back.
        write_card(&mut card, &body(1, 300)).unwrap();
        exchange(
            &mut card,
            &apdu::update_binary(HEADER_LEN as u16 + 7, &[0xFF]),
        )
        .unwrap();
        assert!(matches!(
            read_card(&mut card),
            Err(CardError::Incomplete(_))
        ));
        // A newer layout.
        write_card(&mut card, &body(1, 300)).unwrap();
        exchange(&mut card, &apdu::update_binary(4, &[9])).unwrap();
        assert_eq!(read_card(&mut card), Err(CardError::UnknownVersion(9)));
    }

    #[test]
    fn a_card_without_room_is_refused_with_no_room() {
        let mut card = InProcess::new(VirtualCard::new(VirtualCardProfile::Iso, 4 * 1024));
        assert_eq!(
            write_card(&mut card, &body(1, 300)),
            Err(CardError::NoRoom { need: EF_SIZE })
        );
        assert_eq!(
            CardError::NoRoom { need: 1 }.class(true),
            Class::WriteFailed
        );
    }
}

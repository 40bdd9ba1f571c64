//! Signed card bytes ⇄ the text inside a QR code.
//!
//! ```text
//! qr-text = "LYOC1:" base45(body)                      ; RFC 9285
//! body    = zlib(cose) if that is shorter, else cose   ; RFC 1950
//! ```
//!
//! Everything in the text is in the QR alphanumeric set (0-9, A-Z, space, `$%*+-./:`), so a
//! QR encoder packs it at 5.5 bits a character. The decoder tells the two bodies apart by their
//! first byte: `0x78` starts a zlib stream (CMF: deflate, 32 KiB window), `0xD2` starts a
//! COSE_Sign1 (CBOR tag 18). No other first byte is valid.
//!
//! This module draws no images: the agent renders the text with a QR library.

use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

use crate::card::MAX_CARD_LEN;
use crate::error::Object;
use crate::{Error, Result};

/// The versioned prefix of the QR text.
pub const QR_PREFIX: &str = "LYOC1:";

/// Longest QR text accepted: a version-40 QR code holds 4,296 alphanumeric characters.
pub const MAX_QR_TEXT_LEN: usize = 4_296;

/// First byte of a zlib stream with deflate and a 32 KiB window.
const ZLIB_FIRST_BYTE: u8 = 0x78;
/// First byte of a CBOR tag 18 (COSE_Sign1).
const COSE_SIGN1_FIRST_BYTE: u8 = 0xd2;

/// Encodes signed card bytes as QR text, compressing only when that makes them smaller.
pub fn encode(cose: &[u8]) -> String {
    let body = match compress(cose) {
        Some(compressed) if compressed.len() < cose.len() => compressed,
        _ => cose.to_vec(),
    };
    let mut text = String::with_capacity(QR_PREFIX.len() + body.len() * 3 / 2 + 2);
    text.push_str(QR_PREFIX);
    text.push_str(&base45::encode(&body));
    text
}

/// zlib (RFC 1950) at level 9, the best miniz_oxide offers.
fn compress(bytes: &[u8]) -> Option<Vec<u8>> {
    Some(miniz_oxide::deflate::compress_to_vec_zlib(bytes, 9))
}

/// Decodes QR text back to the signed card bytes. Does not verify anything else: pass the
/// result to [`crate::TrustStore::verify_card`].
///
/// A single trailing line ending (`\n` or `\r\n`, as a USB scanner types) is ignored.
///
/// # Errors
/// [`Error::TooLarge`] for text over [`MAX_QR_TEXT_LEN`] or a body that inflates beyond
/// [`MAX_CARD_LEN`]; [`Error::NotACard`] without the prefix; [`Error::BadBase45`];
/// [`Error::BadCompression`]; [`Error::Malformed`] for a body that is neither zlib nor COSE.
pub fn decode(text: &str) -> Result<Vec<u8>> {
    let text = text
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(text);
    if text.len() > MAX_QR_TEXT_LEN {
        return Err(Error::TooLarge {
            what: "qr text",
            limit: MAX_QR_TEXT_LEN,
        });
    }
    let Some(encoded) = text.strip_prefix(QR_PREFIX) else {
        return Err(other_version(text).map_or(
            Error::NotACard {
                expected: QR_PREFIX,
            },
            |version| Error::UnsupportedVersion { version },
        ));
    };
    let body = base45_decode(encoded.as_bytes())?;
    match body.first() {
        Some(&ZLIB_FIRST_BYTE) => inflate(&body),
        Some(&COSE_SIGN1_FIRST_BYTE) => Ok(body),
        _ => Err(Error::malformed(
            Object::Card,
            "qr body is neither zlib nor COSE_Sign1",
        )),
    }
}

/// `Some(n)` when the text starts like a card of another version (`LYOC<n>:`).
fn other_version(text: &str) -> Option<u32> {
    let rest = text.strip_prefix("LYOC")?;
    let (digits, _) = rest.split_once(':')?;
    if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The Base45 alphabet (RFC 9285 §4): the QR alphanumeric set.
const BASE45_ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// Marks a byte that is not in [`BASE45_ALPHABET`] in [`BASE45_VALUES`].
const NOT_BASE45: u8 = 0xff;

/// Each byte's Base45 value, or [`NOT_BASE45`].
const BASE45_VALUES: [u8; 256] = {
    let mut table = [NOT_BASE45; 256];
    let mut i = 0;
    while i < BASE45_ALPHABET.len() {
        table[BASE45_ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Strict RFC 9285 decoding: every character in the alphabet, every group of three worth at
/// most 65,535 and a final pair at most 255 (§4.2), a lone final character refused.
///
/// A lookup table, not the `base45` crate's decoder: that one's per-character `match` compiles
/// to an indirect jump that mispredicts on every character (9 % of a whole `verify-batch` on
/// one core, docs/benchmarks.md), and it folds a final pair over 255 into a byte. Its encoder
/// is still the one used, and the tests check both agree on every valid text.
fn base45_decode(text: &[u8]) -> Result<Vec<u8>> {
    let value = |b: u8| match BASE45_VALUES[usize::from(b)] {
        NOT_BASE45 => Err(Error::BadBase45),
        v => Ok(u32::from(v)),
    };
    let (triples, rest) = text.as_chunks::<3>();
    let mut out = Vec::with_capacity(triples.len() * 2 + 1);
    for &[c, d, e] in triples {
        let n = value(c)? + 45 * value(d)? + 45 * 45 * value(e)?;
        let pair = u16::try_from(n).map_err(|_| Error::BadBase45)?;
        out.extend_from_slice(&pair.to_be_bytes());
    }
    match *rest {
        [] => {}
        [c, d] => {
            let n = value(c)? + 45 * value(d)?;
            out.push(u8::try_from(n).map_err(|_| Error::BadBase45)?);
        }
        _ => return Err(Error::BadBase45),
    }
    Ok(out)
}

fn inflate(compressed: &[u8]) -> Result<Vec<u8>> {
    // One call into a buffer one byte larger than the limit: the whole stream must end in it
    // (Done), which also tells "at the limit" from "over it" (HasMoreOutput).
    let mut out = vec![0u8; MAX_CARD_LEN + 1];
    let mut state = Box::<DecompressorOxide>::default();
    let flags = inflate_flags::TINFL_FLAG_PARSE_ZLIB_HEADER
        | inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
    let (status, consumed, produced) = decompress(&mut state, compressed, &mut out, 0, flags);
    match status {
        TINFLStatus::Done if produced <= MAX_CARD_LEN => {}
        TINFLStatus::Done | TINFLStatus::HasMoreOutput => {
            return Err(Error::TooLarge {
                what: "decompressed card",
                limit: MAX_CARD_LEN,
            })
        }
        _ => return Err(Error::BadCompression),
    }
    // Bytes after the end of the zlib stream would give a card a second QR text.
    if consumed != compressed.len() {
        return Err(Error::BadCompression);
    }
    out.truncate(produced);
    if out.first() != Some(&COSE_SIGN1_FIRST_BYTE) {
        return Err(Error::malformed(
            Object::Card,
            "decompressed body is not a COSE_Sign1",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cose_like(len: usize) -> Vec<u8> {
        let mut v = vec![COSE_SIGN1_FIRST_BYTE];
        v.extend((0..len - 1).map(|i| (i % 7) as u8));
        v
    }

    #[test]
    fn qr_round_trip_compressed_and_raw() {
        let compressible = cose_like(600);
        let text = encode(&compressible);
        assert!(text.starts_with(QR_PREFIX));
        assert_eq!(decode(&text).unwrap(), compressible);
        // A short body does not shrink under zlib, so it goes raw.
        let raw = vec![COSE_SIGN1_FIRST_BYTE, 0x84];
        assert_eq!(encode(&raw), format!("{QR_PREFIX}{}", base45::encode(&raw)));
        assert_eq!(decode(&encode(&raw)).unwrap(), raw);
    }

    #[test]
    fn qr_text_is_alphanumeric() {
        let text = encode(&cose_like(900));
        assert!(text
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase() || " $%*+-./:".contains(c)));
    }

    #[test]
    fn qr_decode_ignores_one_line_ending() {
        let body = cose_like(100);
        let text = encode(&body);
        assert_eq!(decode(&format!("{text}\r\n")).unwrap(), body);
        assert_eq!(decode(&format!("{text}\n")).unwrap(), body);
    }

    #[test]
    fn qr_decode_errors_are_specific() {
        assert_eq!(decode("HC1:ABC").unwrap_err().code(), "not_a_card");
        assert_eq!(decode("LYOC1:ab").unwrap_err().code(), "bad_base45");
        assert_eq!(
            decode("LYOC2:ABC").unwrap_err().code(),
            "unsupported_version"
        );
        assert_eq!(decode("LYOCX:ABC").unwrap_err().code(), "not_a_card");
        // "GGW" decodes to 0xFFFF + 1: out of range (RFC 9285 §4.2).
        assert_eq!(decode("LYOC1:GGW").unwrap_err().code(), "bad_base45");
        // A final pair worth more than 255.
        assert_eq!(decode("LYOC1:ZZ").unwrap_err().code(), "bad_base45");
        let long = format!("{QR_PREFIX}{}", "0".repeat(MAX_QR_TEXT_LEN));
        assert_eq!(decode(&long).unwrap_err().code(), "too_large");
        let neither = format!("{QR_PREFIX}{}", base45::encode([0x01, 0x02]));
        assert_eq!(decode(&neither).unwrap_err().code(), "malformed");
        let bad_zlib = format!("{QR_PREFIX}{}", base45::encode([0x78, 0x9c, 0xff, 0xff]));
        assert_eq!(decode(&bad_zlib).unwrap_err().code(), "bad_compression");
    }

    #[test]
    fn qr_decode_refuses_bytes_after_the_zlib_stream() {
        let mut body = compress(&cose_like(600)).unwrap();
        body.push(0);
        let text = format!("{QR_PREFIX}{}", base45::encode(&body));
        assert_eq!(decode(&text).unwrap_err().code(), "bad_compression");
    }

    #[test]
    fn qr_decode_refuses_zlib_bomb() {
        let bomb = compress(&vec![COSE_SIGN1_FIRST_BYTE; 1_000_000]).unwrap();
        let text = format!("{QR_PREFIX}{}", base45::encode(&bomb));
        assert!(
            text.len() <= MAX_QR_TEXT_LEN,
            "bomb text is {} chars",
            text.len()
        );
        assert_eq!(decode(&text).unwrap_err().code(), "too_large");
    }

    #[test]
    fn base45_decodes_the_rfc_9285_examples() {
        for (text, bytes) in [
            ("BB8", &b"AB"[..]),
            ("%69 VD92EX0", b"Hello!!"),
            ("UJCLQE7W581", b"base-45"),
            ("QED8WEX0", b"ietf!"),
            ("", b""),
        ] {
            assert_eq!(base45_decode(text.as_bytes()).unwrap(), bytes, "{text}");
        }
        for bad in ["GGW", "ZZ", "A", "BB8A", "bb8", "BB\u{e9}", "BB\n"] {
            assert_eq!(
                base45_decode(bad.as_bytes()).unwrap_err().code(),
                "bad_base45",
                "{bad:?}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn base45_decode_inverts_the_crate_encoder(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            proptest::prop_assert_eq!(base45_decode(base45::encode(&bytes).as_bytes()).unwrap(), bytes);
        }

        #[test]
        fn base45_decode_agrees_with_the_crate_on_any_text(text in "[0-9A-Z $%*+./:a-z-]{0,12}") {
            let ours = base45_decode(text.as_bytes());
            // The crate folds a final pair over 255 into a byte; RFC 9285 and we refuse it.
            let final_pair_over = text.len() % 3 == 2 && {
                let t = &text.as_bytes()[text.len() - 2..];
                match (BASE45_VALUES[usize::from(t[0])], BASE45_VALUES[usize::from(t[1])]) {
                    (NOT_BASE45, _) | (_, NOT_BASE45) => false,
                    (a, b) => u32::from(a) + 45 * u32::from(b) > 255,
                }
            };
            match base45::decode(&text) {
                Ok(theirs) if !final_pair_over => proptest::prop_assert_eq!(ours.unwrap(), theirs),
                _ => proptest::prop_assert!(ours.is_err()),
            }
        }
    }
}

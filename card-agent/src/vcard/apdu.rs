//! Command APDUs (ISO 7816-4 §5.1) as the virtual card parses them, and the status words it
//! answers with.

/// Status words (SW1 SW2) the virtual card answers with, as in ISO 7816-4 §5.6.
pub mod sw {
    /// Normal processing.
    pub const OK: u16 = 0x9000;
    /// `61xx`: `xx` more response bytes are waiting for GET RESPONSE (`00` = 256 or more).
    pub const MORE_DATA: u8 = 0x61;
    /// End of file reached before reading Ne bytes (the bytes that remain come with it).
    pub const END_OF_FILE: u16 = 0x6282;
    /// Memory failure: the card could not store the change (the image file could not be
    /// written); nothing was changed.
    pub const MEMORY_FAILURE: u16 = 0x6581;
    /// Wrong length: Lc or Le inconsistent with the APDU, an extended APDU on a card that
    /// does not support them, or data that would run past the end of an EF.
    pub const WRONG_LENGTH: u16 = 0x6700;
    /// Logical channel not supported.
    pub const CHANNEL_NOT_SUPPORTED: u16 = 0x6881;
    /// Secure messaging not supported.
    pub const SECURE_MESSAGING_NOT_SUPPORTED: u16 = 0x6882;
    /// Command chaining not supported.
    pub const CHAINING_NOT_SUPPORTED: u16 = 0x6884;
    /// Conditions of use not satisfied (GET RESPONSE with nothing waiting, DELETE of the MF).
    pub const CONDITIONS_NOT_SATISFIED: u16 = 0x6985;
    /// Command not allowed: no current EF.
    pub const NO_CURRENT_EF: u16 = 0x6986;
    /// Incorrect parameters in the data field (a malformed FCP in CREATE FILE).
    pub const WRONG_DATA: u16 = 0x6A80;
    /// Function not supported (CREATE FILE of a record-structured EF).
    pub const FUNCTION_NOT_SUPPORTED: u16 = 0x6A81;
    /// File or application not found.
    pub const FILE_NOT_FOUND: u16 = 0x6A82;
    /// Not enough memory space in the file system.
    pub const NOT_ENOUGH_MEMORY: u16 = 0x6A84;
    /// Incorrect parameters P1-P2.
    pub const WRONG_P1P2: u16 = 0x6A86;
    /// Nc inconsistent with parameters P1-P2 (e.g. SELECT by FID with 3 data bytes).
    pub const NC_INCONSISTENT: u16 = 0x6A87;
    /// File already exists (CREATE FILE with a FID or short EF identifier in use).
    pub const FILE_EXISTS: u16 = 0x6A89;
    /// DF name already exists (CREATE FILE with an AID in use on the card).
    pub const DF_NAME_EXISTS: u16 = 0x6A8A;
    /// Wrong parameters P1-P2: offset outside the EF.
    pub const OFFSET_OUTSIDE_EF: u16 = 0x6B00;
    /// `6Cxx`: wrong Le, `xx` is the exact length available.
    pub const WRONG_LE: u8 = 0x6C;
    /// Instruction code not supported.
    pub const INS_NOT_SUPPORTED: u16 = 0x6D00;
    /// Class not supported.
    pub const CLA_NOT_SUPPORTED: u16 = 0x6E00;
}

/// A command APDU split into its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Command<'a> {
    pub cla: u8,
    pub ins: u8,
    pub p1: u8,
    pub p2: u8,
    /// The command data (Nc = its length; empty for cases 1 and 2).
    pub data: &'a [u8],
    /// Ne, the maximum number of response bytes expected: `None` when there is no Le field
    /// (cases 1 and 3); Le = 00 means 256 (short) or 65536 (extended).
    pub ne: Option<usize>,
}

/// Splits a command APDU into its fields (ISO 7816-4 §5.1, cases 1, 2S, 3S, 4S and, when
/// `extended` is allowed, 2E, 3E, 4E).
///
/// # Errors
/// [`sw::WRONG_LENGTH`]: shorter than 4 bytes, Lc or Le inconsistent with the length, or an
/// extended APDU when `extended` is false.
pub(crate) fn parse(apdu: &[u8], extended: bool) -> Result<Command<'_>, u16> {
    let [cla, ins, p1, p2, body @ ..] = apdu else {
        return Err(sw::WRONG_LENGTH);
    };
    let (data, ne) = match body {
        [] => (&[][..], None),
        [le] => (&[][..], Some(short_ne(*le))),
        [0, rest @ ..] => {
            if !extended {
                return Err(sw::WRONG_LENGTH);
            }
            extended_body(rest)?
        }
        [lc, rest @ ..] => {
            let lc = usize::from(*lc);
            match rest.len().checked_sub(lc) {
                Some(0) => (rest, None),
                Some(1) => (&rest[..lc], rest.last().map(|le| short_ne(*le))),
                _ => return Err(sw::WRONG_LENGTH),
            }
        }
    };
    Ok(Command {
        cla: *cla,
        ins: *ins,
        p1: *p1,
        p2: *p2,
        data,
        ne,
    })
}

fn short_ne(le: u8) -> usize {
    if le == 0 {
        256
    } else {
        usize::from(le)
    }
}

fn extended_ne(hi: u8, lo: u8) -> usize {
    match u16::from_be_bytes([hi, lo]) {
        0 => 65536,
        n => usize::from(n),
    }
}

/// The body of an extended APDU after its leading 00 byte.
fn extended_body(rest: &[u8]) -> Result<(&[u8], Option<usize>), u16> {
    match rest {
        [hi, lo] => Ok((&[][..], Some(extended_ne(*hi, *lo)))),
        [hi, lo, rest @ ..] => {
            let lc = usize::from(u16::from_be_bytes([*hi, *lo]));
            if lc == 0 {
                return Err(sw::WRONG_LENGTH);
            }
            match rest.len().checked_sub(lc) {
                Some(0) => Ok((rest, None)),
                Some(2) => Ok((&rest[..lc], Some(extended_ne(rest[lc], rest[lc + 1])))),
                _ => Err(sw::WRONG_LENGTH),
            }
        }
        _ => Err(sw::WRONG_LENGTH),
    }
}

/// Appends SW1 SW2 to a response.
pub(crate) fn with_sw(mut data: Vec<u8>, sw: u16) -> Vec<u8> {
    data.extend_from_slice(&sw.to_be_bytes());
    data
}

/// A response made of a status word alone.
pub(crate) fn status(sw: u16) -> Vec<u8> {
    sw.to_be_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_cases() {
        let c = parse(&[0, 0xA4, 0, 0x0C], false).unwrap();
        assert_eq!((c.data, c.ne), (&[][..], None));
        let c = parse(&[0, 0xB0, 0, 0, 0], false).unwrap();
        assert_eq!((c.data, c.ne), (&[][..], Some(256)));
        let c = parse(&[0, 0xB0, 0, 0, 8], false).unwrap();
        assert_eq!(c.ne, Some(8));
        let c = parse(&[0, 0xA4, 0, 0x0C, 2, 0x3F, 0], false).unwrap();
        assert_eq!((c.data, c.ne), (&[0x3F, 0][..], None));
        let c = parse(&[0, 0xA4, 0, 0x04, 2, 0x3F, 0, 0], false).unwrap();
        assert_eq!((c.data, c.ne), (&[0x3F, 0][..], Some(256)));
    }

    #[test]
    fn wrong_lengths() {
        assert_eq!(parse(&[0, 0xA4, 0], false), Err(sw::WRONG_LENGTH));
        assert_eq!(
            parse(&[0, 0xA4, 0, 0, 3, 1, 2], false),
            Err(sw::WRONG_LENGTH)
        );
        assert_eq!(
            parse(&[0, 0xA4, 0, 0, 1, 1, 2, 3], false),
            Err(sw::WRONG_LENGTH)
        );
    }

    #[test]
    fn extended_cases_only_when_allowed() {
        let le = [0, 0xB0, 0, 0, 0, 0x08, 0x00];
        assert_eq!(parse(&le, false), Err(sw::WRONG_LENGTH));
        assert_eq!(parse(&le, true).unwrap().ne, Some(2048));
        assert_eq!(
            parse(&[0, 0xB0, 0, 0, 0, 0, 0], true).unwrap().ne,
            Some(65536)
        );
        let mut update = vec![0, 0xD6, 0, 0, 0, 0x01, 0x00];
        update.extend([7; 256]);
        let c = parse(&update, true).unwrap();
        assert_eq!((c.data.len(), c.ne), (256, None));
        update.extend([0, 0]);
        let c = parse(&update, true).unwrap();
        assert_eq!((c.data.len(), c.ne), (256, Some(65536)));
        update.push(0);
        assert_eq!(parse(&update, true), Err(sw::WRONG_LENGTH));
        assert_eq!(
            parse(&[0, 0xD6, 0, 0, 0, 0, 0, 1], true),
            Err(sw::WRONG_LENGTH)
        );
    }
}

//! Card serials: 80 random bits, shown as 16 Base32 characters.
//!
//! A serial says nothing about the patient, the site or the order of issue: it is drawn from
//! the operating system's random generator, so guessing a valid serial is hopeless (2^80) and
//! two sites never need to coordinate. The text form is RFC 4648 Base32 without padding, in
//! four groups of four (`K7Q2-M4ZD-XW3A-P9NB`), easy to read out over a telephone.

use data_encoding::BASE32_NOPAD;
use rand_core::{OsRng, RngCore};

/// Length of a serial in bytes.
pub const SERIAL_LEN: usize = 10;

/// A card serial (the CWT `cti` claim).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CardSerial(pub [u8; SERIAL_LEN]);

impl CardSerial {
    /// A new random serial.
    pub fn random() -> CardSerial {
        let mut bytes = [0u8; SERIAL_LEN];
        OsRng.fill_bytes(&mut bytes);
        CardSerial(bytes)
    }

    /// The serial from its 10 bytes.
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] when `bytes` is not 10 bytes long.
    pub fn from_bytes(bytes: &[u8]) -> crate::Result<CardSerial> {
        <[u8; SERIAL_LEN]>::try_from(bytes)
            .map(CardSerial)
            .map_err(|_| crate::Error::invalid("serial", "must be 10 bytes"))
    }

    /// Parses the text form; hyphens, spaces and letter case are ignored.
    ///
    /// # Errors
    /// [`crate::Error::InvalidField`] when the text is not 16 Base32 characters.
    pub fn parse(text: &str) -> crate::Result<CardSerial> {
        let cleaned: String = text
            .chars()
            .filter(|c| *c != '-' && *c != ' ')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bad = || crate::Error::invalid("serial", "expected 16 base32 characters");
        if cleaned.len() != 16 {
            return Err(bad());
        }
        let bytes = BASE32_NOPAD.decode(cleaned.as_bytes()).map_err(|_| bad())?;
        CardSerial::from_bytes(&bytes)
    }

    /// The compact text form without hyphens (16 characters), as stored by the registry.
    pub fn to_compact(&self) -> String {
        BASE32_NOPAD.encode(&self.0)
    }
}

impl std::fmt::Display for CardSerial {
    /// Four groups of four characters joined by hyphens.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let compact = self.to_compact();
        for (i, chunk) in compact.as_bytes().chunks(4).enumerate() {
            if i > 0 {
                f.write_str("-")?;
            }
            // safe: Base32 output is ASCII, so every 4-byte chunk is valid UTF-8.
            f.write_str(std::str::from_utf8(chunk).map_err(|_| std::fmt::Error)?)?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for CardSerial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CardSerial({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_text_round_trips_with_and_without_hyphens() {
        let serial = CardSerial([0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa]);
        let text = serial.to_string();
        assert_eq!(text, "CERD-GRCV-MZ3Y-RGNK");
        assert_eq!(CardSerial::parse(&text).unwrap(), serial);
        assert_eq!(
            CardSerial::parse(&text.to_lowercase().replace('-', "")).unwrap(),
            serial
        );
    }

    #[test]
    fn serial_parse_rejects_wrong_length_and_alphabet() {
        assert!(CardSerial::parse("CERD-GRCV-MZ3Y-RGN").is_err());
        assert!(CardSerial::parse("CERD-GRCV-MZ3Y-RGN1").is_err());
    }

    #[test]
    fn serial_random_differs() {
        assert_ne!(CardSerial::random(), CardSerial::random());
    }
}

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

use std::io::Read;

use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;

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

fn compress(bytes: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes).ok()?;
    encoder.finish().ok()
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
    let encoded = text.strip_prefix(QR_PREFIX).ok_or(Error::NotACard {
        expected: QR_PREFIX,
    })?;
    let body = base45::decode(encoded).map_err(|_| Error::BadBase45)?;
    // The base45 crate folds an out-of-range final pair into a byte; RFC 9285 §4.2 says
    // such input is invalid, so insist on the one canonical encoding.
    if base45::encode(&body) != encoded {
        return Err(Error::BadBase45);
    }
    match body.first() {
        Some(&ZLIB_FIRST_BYTE) => inflate(&body),
        Some(&COSE_SIGN1_FIRST_BYTE) => Ok(body),
        _ => Err(Error::malformed(
            Object::Card,
            "qr body is neither zlib nor COSE_Sign1",
        )),
    }
}

fn inflate(compressed: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    // Read one byte past the limit to tell "exactly at the limit" from "over it".
    let limit = MAX_CARD_LEN as u64 + 1;
    ZlibDecoder::new(compressed)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|_| Error::BadCompression)?;
    if out.len() > MAX_CARD_LEN {
        return Err(Error::TooLarge {
            what: "decompressed card",
            limit: MAX_CARD_LEN,
        });
    }
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
}

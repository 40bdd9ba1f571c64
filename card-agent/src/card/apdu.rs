//! Command APDUs this agent sends (ISO/IEC 7816-4, short form only) and their responses.

use super::transport::{Transport, TransportError};

/// Most data bytes one short UPDATE BINARY carries.
pub const MAX_WRITE_CHUNK: usize = 255;
/// Most bytes one short READ BINARY returns (Le = 00).
pub const MAX_READ_CHUNK: usize = 256;

/// A response APDU split into data and status word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Response data.
    pub data: Vec<u8>,
    /// SW1 SW2.
    pub sw: u16,
}

impl Response {
    /// 9000: normal processing.
    pub fn is_ok(&self) -> bool {
        self.sw == 0x9000
    }
}

/// Why an exchange failed below the level of status words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExchangeError {
    /// The reader or card connection failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The card answered fewer than two bytes: PC/SC's answer to an APDU cut off by a removal.
    #[error(
        "the card stopped answering in the middle of a command (pulled out?): put it back \
         and try again"
    )]
    Truncated,
}

/// Sends `command` and splits the answer; a status `61xx` is followed by GET RESPONSE.
///
/// # Errors
/// [`ExchangeError`].
pub fn exchange(card: &mut dyn Transport, command: &[u8]) -> Result<Response, ExchangeError> {
    let mut raw = card.transmit(command)?;
    if raw.len() < 2 {
        return Err(ExchangeError::Truncated);
    }
    let mut sw = u16::from_be_bytes([raw[raw.len() - 2], raw[raw.len() - 1]]);
    raw.truncate(raw.len() - 2);
    let mut data = raw;
    // T=1 readers leave 61xx to the application: fetch what the card holds back.
    let mut rounds = 0;
    while sw >> 8 == 0x61 && rounds < 16 {
        rounds += 1;
        let le = (sw & 0xFF) as u8;
        let mut more = card.transmit(&[0x00, 0xC0, 0x00, 0x00, le])?;
        if more.len() < 2 {
            return Err(ExchangeError::Truncated);
        }
        sw = u16::from_be_bytes([more[more.len() - 2], more[more.len() - 1]]);
        more.truncate(more.len() - 2);
        data.extend_from_slice(&more);
    }
    Ok(Response { data, sw })
}

/// SELECT by DF name (application identifier), no response data (P2 = 0C).
pub fn select_aid(aid: &[u8]) -> Vec<u8> {
    let mut c = vec![0x00, 0xA4, 0x04, 0x0C, aid.len() as u8];
    c.extend_from_slice(aid);
    c
}

/// SELECT the master file 3F00.
pub fn select_mf() -> Vec<u8> {
    vec![0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00]
}

/// SELECT an EF under the current DF, asking for its FCP (P2 = 04) so the size is known.
pub fn select_ef_fcp(fid: u16) -> Vec<u8> {
    let [hi, lo] = fid.to_be_bytes();
    vec![0x00, 0xA4, 0x02, 0x04, 0x02, hi, lo, 0x00]
}

/// CREATE FILE for a DF with a file id and a DF name.
pub fn create_df(fid: u16, aid: &[u8]) -> Vec<u8> {
    let [hi, lo] = fid.to_be_bytes();
    let mut fcp = vec![0x82, 0x01, 0x38, 0x83, 0x02, hi, lo, 0x84, aid.len() as u8];
    fcp.extend_from_slice(aid);
    let mut tlv = vec![0x62, fcp.len() as u8];
    tlv.extend_from_slice(&fcp);
    let mut c = vec![0x00, 0xE0, 0x00, 0x00, tlv.len() as u8];
    c.extend_from_slice(&tlv);
    c
}

/// CREATE FILE for a transparent EF of a fixed size.
pub fn create_ef(fid: u16, size: u16) -> Vec<u8> {
    let [hi, lo] = fid.to_be_bytes();
    let [s1, s2] = size.to_be_bytes();
    let fcp = [0x82, 0x01, 0x01, 0x83, 0x02, hi, lo, 0x80, 0x02, s1, s2];
    let mut c = vec![
        0x00,
        0xE0,
        0x00,
        0x00,
        (fcp.len() + 2) as u8,
        0x62,
        fcp.len() as u8,
    ];
    c.extend_from_slice(&fcp);
    c
}

/// UPDATE BINARY at `offset` (15 bits) with at most [`MAX_WRITE_CHUNK`] bytes.
pub fn update_binary(offset: u16, data: &[u8]) -> Vec<u8> {
    let [hi, lo] = offset.to_be_bytes();
    let mut c = vec![0x00, 0xD6, hi & 0x7F, lo, data.len() as u8];
    c.extend_from_slice(data);
    c
}

/// READ BINARY of `len` (1..=256) bytes at `offset` (15 bits).
pub fn read_binary(offset: u16, len: usize) -> Vec<u8> {
    let [hi, lo] = offset.to_be_bytes();
    vec![0x00, 0xB0, hi & 0x7F, lo, (len & 0xFF) as u8]
}

/// The file size in an FCP template (tag 80, or 81 for the allocated size), when present.
pub fn fcp_size(fcp: &[u8]) -> Option<usize> {
    let body = match fcp {
        [0x62 | 0x6F, len, rest @ ..] if usize::from(*len) <= rest.len() => {
            &rest[..usize::from(*len)]
        }
        _ => return None,
    };
    let mut i = 0;
    let mut allocated = None;
    while i + 2 <= body.len() {
        let (tag, len) = (body[i], usize::from(body[i + 1]));
        let value = body.get(i + 2..i + 2 + len)?;
        let number = || value.iter().fold(0usize, |n, b| (n << 8) | usize::from(*b));
        match tag {
            0x80 if len <= 4 => return Some(number()),
            0x81 if len <= 4 => allocated = Some(number()),
            _ => {}
        }
        i += 2 + len;
    }
    allocated
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fcp_size_reads_tag_80_or_81() {
        assert_eq!(
            fcp_size(&[0x62, 0x04, 0x80, 0x02, 0x20, 0x40]),
            Some(0x2040)
        );
        assert_eq!(fcp_size(&[0x62, 0x04, 0x81, 0x02, 0x01, 0x00]), Some(256));
        assert_eq!(fcp_size(&[0x62, 0x03, 0x82, 0x01, 0x01]), None);
        assert_eq!(fcp_size(&[0x62, 0x09, 0x80]), None);
        assert_eq!(fcp_size(&[]), None);
    }

    #[test]
    fn commands_are_short_apdus() {
        assert_eq!(
            update_binary(0x1234, &[1, 2]),
            [0x00, 0xD6, 0x12, 0x34, 2, 1, 2]
        );
        assert_eq!(read_binary(0x0100, 256), [0x00, 0xB0, 0x01, 0x00, 0x00]);
        assert_eq!(
            create_ef(0x0101, 8256)[5..],
            [0x62, 11, 0x82, 1, 1, 0x83, 2, 1, 1, 0x80, 2, 0x20, 0x40]
        );
    }
}

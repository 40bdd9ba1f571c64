//! The virtual card's file system: dedicated files (DFs) and transparent elementary files
//! (EFs) under the master file (MF, `3F00`), and the file control parameters (FCP, ISO 7816-4
//! §7.4) that CREATE FILE takes and SELECT returns.

use super::apdu::sw;

/// The master file's identifier.
pub const MF_FID: u16 = 0x3F00;
/// File descriptor byte of a transparent EF.
pub const FDB_TRANSPARENT_EF: u8 = 0x01;
/// File descriptor byte of a DF.
pub const FDB_DF: u8 = 0x38;
/// Life cycle status "operational state (activated)" reported in every FCP.
const LCS_ACTIVATED: u8 = 0x05;

/// A dedicated file: a folder, possibly named by an application identifier (AID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Df {
    /// The file identifier.
    pub fid: u16,
    /// The DF name (AID), 1 to 16 bytes, unique on the card.
    pub name: Option<Vec<u8>>,
    /// The files in it, in creation order.
    pub children: Vec<Node>,
}

/// A transparent elementary file: a fixed number of bytes, set when it was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ef {
    /// The file identifier.
    pub fid: u16,
    /// The short EF identifier (1 to 30), for READ/UPDATE BINARY without a SELECT.
    pub sfi: Option<u8>,
    /// The contents; its length is the file's size.
    pub data: Vec<u8>,
}

/// A file in a DF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A dedicated file.
    Df(Df),
    /// A transparent elementary file.
    Ef(Ef),
}

impl Node {
    /// The file identifier.
    pub fn fid(&self) -> u16 {
        match self {
            Node::Df(df) => df.fid,
            Node::Ef(ef) => ef.fid,
        }
    }

    /// The data objects of this file's FCP, without the template around them.
    pub fn fcp_body(&self) -> Vec<u8> {
        match self {
            Node::Df(df) => df.fcp_body(),
            Node::Ef(ef) => ef.fcp_body(),
        }
    }
}

impl Df {
    /// An empty MF.
    pub fn mf() -> Df {
        Df {
            fid: MF_FID,
            name: None,
            children: Vec::new(),
        }
    }

    /// The file with this FID directly in this DF.
    pub fn child(&self, fid: u16) -> Option<&Node> {
        self.children.iter().find(|n| n.fid() == fid)
    }

    /// The DF at `path` (FIDs from this DF down, this DF's own FID excluded).
    pub fn df_at(&self, path: &[u16]) -> Option<&Df> {
        match path {
            [] => Some(self),
            [first, rest @ ..] => match self.child(*first)? {
                Node::Df(df) => df.df_at(rest),
                Node::Ef(_) => None,
            },
        }
    }

    /// The DF at `path`, to change it.
    pub(crate) fn df_at_mut(&mut self, path: &[u16]) -> Option<&mut Df> {
        match path {
            [] => Some(self),
            [first, rest @ ..] => match self.children.iter_mut().find(|n| n.fid() == *first)? {
                Node::Df(df) => df.df_at_mut(rest),
                Node::Ef(_) => None,
            },
        }
    }

    /// The EF at `path` (FIDs from this DF down; the last one is the EF's).
    pub fn ef_at(&self, path: &[u16]) -> Option<&Ef> {
        let (last, dirs) = path.split_last()?;
        match self.df_at(dirs)?.child(*last)? {
            Node::Ef(ef) => Some(ef),
            Node::Df(_) => None,
        }
    }

    /// The EF with this short identifier directly in this DF.
    pub fn ef_by_sfi(&self, sfi: u8) -> Option<&Ef> {
        self.children.iter().find_map(|n| match n {
            Node::Ef(ef) if ef.sfi == Some(sfi) => Some(ef),
            _ => None,
        })
    }

    /// The path (FIDs below the MF) of the first DF, depth first, whose name is `name` or,
    /// when none is, starts with `name` (ISO 7816-4 allows selecting by a right-truncated
    /// DF name). `self` must be the MF.
    pub fn find_name(&self, name: &[u8]) -> Option<Vec<u16>> {
        self.find_name_where(&|n: &[u8]| n == name)
            .or_else(|| self.find_name_where(&|n: &[u8]| n.starts_with(name)))
    }

    fn find_name_where(&self, matches: &dyn Fn(&[u8]) -> bool) -> Option<Vec<u16>> {
        for child in &self.children {
            if let Node::Df(df) = child {
                if df.name.as_deref().is_some_and(matches) {
                    return Some(vec![df.fid]);
                }
                if let Some(mut path) = df.find_name_where(matches) {
                    path.insert(0, df.fid);
                    return Some(path);
                }
            }
        }
        None
    }

    /// Whether a DF named `name` exists in this DF or below it.
    pub fn has_name(&self, name: &[u8]) -> bool {
        self.find_name_where(&|n: &[u8]| n == name).is_some()
    }

    /// The bytes of card memory the EFs in this DF and below take (DFs themselves are free).
    pub fn used(&self) -> usize {
        self.children
            .iter()
            .map(|n| match n {
                Node::Df(df) => df.used(),
                Node::Ef(ef) => ef.data.len(),
            })
            .sum()
    }

    /// The FCP template (tag `62`) of this DF.
    pub fn fcp(&self) -> Vec<u8> {
        template(0x62, &self.fcp_body())
    }

    /// The data objects of this DF's FCP, without the template around them.
    pub fn fcp_body(&self) -> Vec<u8> {
        let mut body = Vec::new();
        push_tlv(&mut body, 0x82, &[FDB_DF]);
        push_tlv(&mut body, 0x83, &self.fid.to_be_bytes());
        if let Some(name) = &self.name {
            push_tlv(&mut body, 0x84, name);
        }
        push_tlv(&mut body, 0x8A, &[LCS_ACTIVATED]);
        body
    }
}

impl Ef {
    /// The FCP template (tag `62`) of this EF: tag `80` holds its (fixed) size.
    pub fn fcp(&self) -> Vec<u8> {
        template(0x62, &self.fcp_body())
    }

    /// The data objects of this EF's FCP, without the template around them.
    pub fn fcp_body(&self) -> Vec<u8> {
        let mut body = Vec::new();
        push_tlv(&mut body, 0x80, &size_bytes(self.data.len()));
        push_tlv(&mut body, 0x82, &[FDB_TRANSPARENT_EF]);
        push_tlv(&mut body, 0x83, &self.fid.to_be_bytes());
        if let Some(sfi) = self.sfi {
            push_tlv(&mut body, 0x88, &[sfi << 3]);
        }
        push_tlv(&mut body, 0x8A, &[LCS_ACTIVATED]);
        body
    }
}

/// Whether ISO 7816-4 reserves this FID (`3F00` MF, `3FFF` path selection, `FFFF`).
pub fn reserved_fid(fid: u16) -> bool {
    matches!(fid, MF_FID | 0x3FFF | 0xFFFF)
}

/// A size as tag `80` carries it: big-endian, at least 2 bytes.
fn size_bytes(size: usize) -> Vec<u8> {
    let bytes = size.to_be_bytes();
    let first = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len())
        .min(bytes.len() - 2);
    bytes[first..].to_vec()
}

/// Appends one BER-TLV with a one-byte tag.
fn push_tlv(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    push_length(out, value.len());
    out.extend_from_slice(value);
}

fn push_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else if len <= 0xFF {
        out.extend([0x81, len as u8]);
    } else {
        out.push(0x82);
        out.extend_from_slice(&(len.min(0xFFFF) as u16).to_be_bytes());
    }
}

/// A constructed TLV holding `body`.
pub(crate) fn template(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 4);
    push_tlv(&mut out, tag, body);
    out
}

/// One BER-TLV data object: its tag bytes and its value.
struct Tlv<'a> {
    tag: &'a [u8],
    value: &'a [u8],
}

/// Splits `data` into BER-TLV objects (ISO 7816-4 §6.3); `None` when malformed.
fn parse_tlvs(mut data: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let (tlv, rest) = parse_tlv(data)?;
        out.push(tlv);
        data = rest;
    }
    Some(out)
}

fn parse_tlv(data: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let first = *data.first()?;
    let mut tag_len = 1;
    if first & 0x1F == 0x1F {
        // Subsequent tag bytes while bit 8 is set (at most 3 tag bytes in ISO 7816-4).
        loop {
            let b = *data.get(tag_len)?;
            tag_len += 1;
            if b & 0x80 == 0 {
                break;
            }
            if tag_len >= 3 {
                return None;
            }
        }
    }
    let (tag, rest) = data.split_at(tag_len);
    let (len, rest) = match rest.split_first()? {
        (n, rest) if *n < 0x80 => (usize::from(*n), rest),
        (0x81, [n, rest @ ..]) if *n >= 0x80 => (usize::from(*n), rest),
        (0x82, [hi, lo, rest @ ..]) => (usize::from(u16::from_be_bytes([*hi, *lo])), rest),
        _ => return None,
    };
    if rest.len() < len {
        return None;
    }
    let (value, rest) = rest.split_at(len);
    Some((Tlv { tag, value }, rest))
}

/// What CREATE FILE asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NewFile {
    /// A DF, with its FID and optional name.
    Df { fid: u16, name: Option<Vec<u8>> },
    /// A transparent EF, with its FID, optional short identifier and size.
    Ef {
        fid: u16,
        sfi: Option<u8>,
        size: usize,
    },
}

/// Reads the FCP template of a CREATE FILE command: `62 L` then tags `82` (file descriptor,
/// required: `01` transparent EF or `38` DF; bit 7 "shareable" ignored), `83` (FID,
/// required), `84` (DF name, DFs only), `80` or `81` (size, required for an EF), `88` (short
/// EF identifier). Other tags (life cycle, security attributes, proprietary) are accepted and
/// ignored.
///
/// # Errors
/// [`sw::WRONG_DATA`] for a malformed or incomplete FCP, [`sw::FUNCTION_NOT_SUPPORTED`] for
/// record-structured EFs.
pub(crate) fn parse_create(data: &[u8]) -> Result<NewFile, u16> {
    let (outer, rest) = parse_tlv(data).ok_or(sw::WRONG_DATA)?;
    if outer.tag != [0x62] || !rest.is_empty() {
        return Err(sw::WRONG_DATA);
    }
    let tlvs = parse_tlvs(outer.value).ok_or(sw::WRONG_DATA)?;
    let mut seen: Vec<&[u8]> = Vec::new();
    for tlv in &tlvs {
        if seen.contains(&tlv.tag) {
            return Err(sw::WRONG_DATA);
        }
        seen.push(tlv.tag);
    }
    let find = |tag: u8| tlvs.iter().find(|t| t.tag == [tag]).map(|t| t.value);

    let fdb = match find(0x82) {
        Some([fdb, ..]) => fdb & !0x40,
        _ => return Err(sw::WRONG_DATA),
    };
    let fid = match find(0x83) {
        Some([hi, lo]) => u16::from_be_bytes([*hi, *lo]),
        _ => return Err(sw::WRONG_DATA),
    };
    if reserved_fid(fid) {
        return Err(sw::WRONG_DATA);
    }
    match fdb {
        FDB_DF => {
            let name = match find(0x84) {
                None => None,
                Some(name) if (1..=16).contains(&name.len()) => Some(name.to_vec()),
                Some(_) => return Err(sw::WRONG_DATA),
            };
            if find(0x88).is_some() {
                return Err(sw::WRONG_DATA);
            }
            Ok(NewFile::Df { fid, name })
        }
        FDB_TRANSPARENT_EF => {
            if find(0x84).is_some() {
                return Err(sw::WRONG_DATA);
            }
            let size = match find(0x80).or_else(|| find(0x81)) {
                Some(bytes) if (1..=4).contains(&bytes.len()) => bytes
                    .iter()
                    .fold(0usize, |acc, b| (acc << 8) | usize::from(*b)),
                _ => return Err(sw::WRONG_DATA),
            };
            let sfi = match find(0x88) {
                None | Some([]) => None,
                Some([b]) if b & 0x07 == 0 && (1..=30).contains(&(b >> 3)) => Some(b >> 3),
                Some(_) => return Err(sw::WRONG_DATA),
            };
            Ok(NewFile::Ef { fid, sfi, size })
        }
        0x02..=0x07 => Err(sw::FUNCTION_NOT_SUPPORTED),
        _ => Err(sw::WRONG_DATA),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_ef_and_df() {
        assert_eq!(
            parse_create(&[0x62, 0x0B, 0x82, 1, 1, 0x83, 2, 0x50, 0x01, 0x80, 2, 0x20, 0x00]),
            Ok(NewFile::Ef {
                fid: 0x5001,
                sfi: None,
                size: 0x2000
            })
        );
        assert_eq!(
            parse_create(&[
                0x62, 0x10, 0x82, 1, 0x41, 0x83, 2, 0x50, 0x01, 0x81, 1, 9, 0x88, 1, 0x08, 0x8A, 1,
                5
            ]),
            Ok(NewFile::Ef {
                fid: 0x5001,
                sfi: Some(1),
                size: 9
            })
        );
        assert_eq!(
            parse_create(&[0x62, 0x0B, 0x82, 1, 0x38, 0x83, 2, 0x50, 0x00, 0x84, 2, 0xA0, 1]),
            Ok(NewFile::Df {
                fid: 0x5000,
                name: Some(vec![0xA0, 1])
            })
        );
    }

    #[test]
    fn bad_fcps() {
        let bad: &[&[u8]] = &[
            &[],
            &[0x63, 0x00],
            &[0x62, 0x05, 0x83, 2, 0x50, 0x01], // truncated
            &[0x62, 0x04, 0x83, 2, 0x50, 0x01], // no FDB
            &[0x62, 0x03, 0x82, 1, 0x01],       // no FID
            &[0x62, 0x07, 0x82, 1, 0x01, 0x83, 2, 0x50, 0x01], // EF without size
            &[0x62, 0x07, 0x82, 1, 0x38, 0x83, 2, 0x3F, 0x00], // MF FID
            &[0x62, 0x07, 0x82, 1, 0x38, 0x83, 2, 0x3F, 0xFF], // reserved
            &[
                0x62, 0x0A, 0x82, 1, 0x38, 0x83, 2, 0x50, 0x00, 0x82, 1, 0x38,
            ], // duplicate tag
            &[0x62, 0x09, 0x82, 1, 0x38, 0x83, 2, 0x50, 0x00, 0x84, 0], // empty name
            &[0x62, 0x07, 0x82, 1, 0x99, 0x83, 2, 0x50, 0x00], // unknown FDB
            &[
                0x62, 0x0A, 0x82, 1, 0x01, 0x83, 2, 0x50, 0x01, 0x80, 1, 1, 0x88, 1, 0x09,
            ], // SFI low bits
        ];
        for fcp in bad {
            assert_eq!(parse_create(fcp), Err(sw::WRONG_DATA), "{fcp:02X?}");
        }
        assert_eq!(
            parse_create(&[0x62, 0x07, 0x82, 1, 0x02, 0x83, 2, 0x50, 0x00]),
            Err(sw::FUNCTION_NOT_SUPPORTED)
        );
    }

    #[test]
    fn fcp_of_files() {
        let ef = Ef {
            fid: 0x5001,
            sfi: Some(2),
            data: vec![0; 300],
        };
        assert_eq!(
            ef.fcp(),
            [
                0x62, 0x11, 0x80, 2, 0x01, 0x2C, 0x82, 1, 1, 0x83, 2, 0x50, 0x01, 0x88, 1, 0x10,
                0x8A, 1, 5
            ]
        );
        assert_eq!(
            Df::mf().fcp(),
            [0x62, 0x0A, 0x82, 1, 0x38, 0x83, 2, 0x3F, 0x00, 0x8A, 1, 5]
        );
        assert_eq!(size_bytes(0), [0, 0]);
        assert_eq!(size_bytes(0x12345), [1, 0x23, 0x45]);
    }

    #[test]
    fn names_and_paths() {
        let mut mf = Df::mf();
        mf.children.push(Node::Df(Df {
            fid: 0x1000,
            name: None,
            children: vec![Node::Df(Df {
                fid: 0x1001,
                name: Some(vec![0xA0, 0, 0, 1]),
                children: vec![Node::Ef(Ef {
                    fid: 0x0101,
                    sfi: Some(1),
                    data: vec![1, 2, 3],
                })],
            })],
        }));
        assert_eq!(mf.find_name(&[0xA0, 0, 0, 1]), Some(vec![0x1000, 0x1001]));
        assert_eq!(mf.find_name(&[0xA0, 0]), Some(vec![0x1000, 0x1001]));
        assert_eq!(mf.find_name(&[0xA0, 0, 0, 1, 2]), None);
        assert!(mf.has_name(&[0xA0, 0, 0, 1]));
        assert!(!mf.has_name(&[0xA0, 0]));
        assert_eq!(
            mf.ef_at(&[0x1000, 0x1001, 0x0101]).map(|e| e.data.len()),
            Some(3)
        );
        assert!(mf.ef_at(&[0x1000, 0x1001]).is_none());
        assert_eq!(mf.used(), 3);
        assert_eq!(
            mf.df_at(&[0x1000, 0x1001])
                .and_then(|d| d.ef_by_sfi(1))
                .map(|e| e.fid),
            Some(0x0101)
        );
    }
}

//! [`VirtualCard`]: the card's logic, APDU in, response out.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::apdu::{self, status, sw, with_sw, Command};
use super::fs::{self, Df, Ef, NewFile, Node, MF_FID};
use super::image::{self, Stored};
use crate::cli::{VirtualCardArgs, VirtualCardProfile};

/// ATR of the ISO profiles: T=1, historical bytes `80 73 FF 01 00` = card capabilities (all
/// selection methods, no extended length, no chaining), the ATR of vsmartcard's ISO card.
pub const ATR_ISO: [u8; 11] = [
    0x3B, 0x95, 0x13, 0x81, 0x01, 0x80, 0x73, 0xFF, 0x01, 0x00, 0x0B,
];
/// ATR of the ISO profiles with extended length advertised (third software function byte
/// `40`), see [`VirtualCard::with_extended_length`].
pub const ATR_ISO_EXTENDED: [u8; 11] = [
    0x3B, 0x95, 0x13, 0x81, 0x01, 0x80, 0x73, 0xFF, 0x01, 0x40, 0x4B,
];
/// ATR of the non-ISO profile: what a PC/SC reader reports for a MIFARE Classic 1K memory
/// card (PC/SC part 3 storage-card ATR, RID `A0 00 00 03 06`, standard 03, card name
/// `00 01`). Such a card takes no ISO 7816-4 command.
pub const ATR_NON_ISO: [u8; 20] = [
    0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06, 0x03, 0x00, 0x01, 0x00,
    0x00, 0x00, 0x00, 0x6A,
];

/// The application the foreign profile holds: a payment application's AID.
pub const FOREIGN_AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x00, 0x03, 0x10, 0x10];
/// FID of the foreign application's DF (named [`FOREIGN_AID`]), in the MF.
pub const FOREIGN_DF_FID: u16 = 0x1010;
/// FID of the foreign application's data EF in its DF (short identifier 1).
pub const FOREIGN_EF_FID: u16 = 0x0101;
/// The foreign application's data (the EF is zero-padded to 64 bytes).
pub const FOREIGN_DATA: &[u8] = b"ACME PAYMENT APP; ACCOUNT 0042; NOT A HEALTH CARD";
/// FID of EF.DIR (ISO 7816-4 §8.2.1.1) in the MF of the foreign profile, listing its
/// application (short identifier 30).
pub const EF_DIR_FID: u16 = 0x2F00;

/// Where the current file is: the current DF, as FIDs from the MF down (MF excluded), and
/// the current EF in it, if any.
type Location = (Vec<u16>, Option<u16>);

/// What a card forgets when it loses power: the current files and a response waiting for
/// GET RESPONSE.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Session {
    df: Vec<u16>,
    ef: Option<u16>,
    pending: Vec<u8>,
}

/// An ISO 7816-4 card emulator: pure logic, one command APDU in, one response APDU out.
///
/// The file system holds DFs (optionally named by an AID) and transparent EFs under the MF
/// `3F00`. Unlike vsmartcard's `vicc`, it behaves like a real card where the health-card
/// agent must cope with one:
/// - an EF has the size given at creation (tag `80`/`81`), zero-filled; an UPDATE BINARY
///   that would run past its end is refused (offset outside: `6B00`, data too long:
///   `6700`), a READ BINARY past the end answers `6282` with the bytes that remain, or
///   `6B00` at or beyond the end;
/// - the EFs' contents must fit in `capacity` bytes (DFs cost nothing): CREATE FILE beyond
///   that is `6A84`;
/// - extended-length APDUs only when the ATR says so ([`Self::with_extended_length`]),
///   else `6700`;
/// - only CLA `00` (`6E00` for proprietary classes, `6881`/`6882`/`6884` for logical
///   channels, secure messaging and chaining).
///
/// Instructions: SELECT `A4` (P1 `00` FID, `01` child DF, `02` child EF, `03` parent, `04`
/// DF name, `08` path from the MF, `09` path from the current DF; P2 `0C` no response, `04`
/// FCP, `00` FCI; without Le the FCP/FCI waits for GET RESPONSE behind `61xx`), READ BINARY
/// `B0`, UPDATE BINARY `D6` (both with short EF identifiers in P1), CREATE FILE `E0`, DELETE
/// FILE `E4`, GET RESPONSE `C0`. There are no access conditions. Anything else: `6D00`.
///
/// With an image file ([`Self::open`]), the file system is saved after every command that
/// changed it, before the response is returned: a card pulled out after answering keeps what
/// it acknowledged. A save that fails undoes the change and answers `6581`.
#[derive(Debug, Clone)]
pub struct VirtualCard {
    profile: VirtualCardProfile,
    capacity: usize,
    extended: bool,
    mf: Df,
    image: Option<PathBuf>,
    session: Session,
}

impl VirtualCard {
    /// A new card of this profile with `capacity` bytes for EF contents: a blank MF (`Iso`),
    /// the foreign application's files (`Foreign`, 84 bytes of EF contents: with a smaller
    /// capacity the card is simply full), or a card that refuses every command (`NonIso`).
    pub fn new(profile: VirtualCardProfile, capacity: usize) -> VirtualCard {
        let mut mf = Df::mf();
        if profile == VirtualCardProfile::Foreign {
            mf.children = foreign_files();
        }
        VirtualCard {
            profile,
            capacity,
            extended: false,
            mf,
            image: None,
            session: Session::default(),
        }
    }

    /// The card kept in the image file `image`: loaded from it when it exists, else a new
    /// card ([`Self::new`]) written to it. Every change is saved to it from then on.
    ///
    /// # Errors
    /// The image cannot be read or written, is damaged, or was made for another profile or
    /// capacity (a card cannot change those).
    pub fn open(
        profile: VirtualCardProfile,
        capacity: usize,
        image: &Path,
    ) -> anyhow::Result<VirtualCard> {
        let mut card = match image::load(image)? {
            Some(stored) => {
                if stored.profile != profile || stored.capacity != capacity {
                    return Err(crate::Class::Usage.err(format!(
                        "the card image {} is a {:?} card of {} bytes, not a {profile:?} card \
                         of {capacity} bytes: give the same --profile and --capacity, or \
                         another image",
                        image.display(),
                        stored.profile,
                        stored.capacity,
                    )));
                }
                let mut card = VirtualCard::new(profile, capacity);
                card.mf = stored.mf;
                card
            }
            None => {
                let card = VirtualCard::new(profile, capacity);
                image::save(image, &card.stored())
                    .with_context(|| format!("cannot write the card image {}", image.display()))?;
                card
            }
        };
        card.image = Some(image.to_path_buf());
        Ok(card)
    }

    /// The card `virtual-card` runs with these arguments (profile, capacity, image).
    ///
    /// # Errors
    /// As [`Self::open`].
    pub fn from_args(args: &VirtualCardArgs) -> anyhow::Result<VirtualCard> {
        match &args.image {
            Some(image) => VirtualCard::open(args.profile, args.capacity, image),
            None => Ok(VirtualCard::new(args.profile, args.capacity)),
        }
    }

    /// The same card accepting extended-length APDUs and advertising them in its ATR
    /// ([`ATR_ISO_EXTENDED`]); no change for the non-ISO profile.
    #[must_use]
    pub fn with_extended_length(mut self) -> VirtualCard {
        self.extended = self.profile != VirtualCardProfile::NonIso;
        self
    }

    /// The answer to reset.
    pub fn atr(&self) -> &[u8] {
        match (self.profile, self.extended) {
            (VirtualCardProfile::NonIso, _) => &ATR_NON_ISO,
            (_, true) => &ATR_ISO_EXTENDED,
            (_, false) => &ATR_ISO,
        }
    }

    /// The profile the card was made with.
    pub fn profile(&self) -> VirtualCardProfile {
        self.profile
    }

    /// The bytes available for EF contents.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The bytes the EFs take now.
    pub fn used(&self) -> usize {
        self.mf.used()
    }

    /// The file system, to inspect (change it with APDUs).
    pub fn mf(&self) -> &Df {
        &self.mf
    }

    /// The contents of the EF at `path` (FIDs below the MF, e.g. `[0x5000, 0x5001]`).
    pub fn ef_data(&self, path: &[u16]) -> Option<&[u8]> {
        self.mf.ef_at(path).map(|ef| ef.data.as_slice())
    }

    /// The image file the card is saved to, if any.
    pub fn image(&self) -> Option<&Path> {
        self.image.as_deref()
    }

    /// Powers the card up again (reset, or removal and insertion): the MF becomes the
    /// current file and a response waiting for GET RESPONSE is dropped. Files are kept.
    pub fn power_on(&mut self) {
        self.session = Session::default();
    }

    /// Processes one command APDU and returns the response APDU: data, then SW1 SW2.
    pub fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
        let pending = std::mem::take(&mut self.session.pending);
        if self.profile == VirtualCardProfile::NonIso {
            return status(sw::CLA_NOT_SUPPORTED);
        }
        let [cla, ins, ..] = *apdu else {
            return status(sw::WRONG_LENGTH);
        };
        if let Err(sw) = check_cla(cla) {
            return status(sw);
        }
        if !matches!(ins, 0xA4 | 0xB0 | 0xD6 | 0xE0 | 0xE4 | 0xC0) {
            return status(sw::INS_NOT_SUPPORTED);
        }
        let cmd = match apdu::parse(apdu, self.extended) {
            Ok(cmd) => cmd,
            Err(sw) => return status(sw),
        };
        match cmd.ins {
            0xC0 => self.get_response(&cmd, pending),
            0xA4 => self.select(&cmd),
            0xB0 => self.read_binary(&cmd),
            _ => self.change(&cmd),
        }
    }

    fn stored(&self) -> Stored {
        Stored {
            profile: self.profile,
            capacity: self.capacity,
            mf: self.mf.clone(),
        }
    }

    /// A command that may change the file system: UPDATE BINARY, CREATE FILE, DELETE FILE.
    /// With an image, the change is saved before the answer, or undone.
    fn change(&mut self, cmd: &Command<'_>) -> Vec<u8> {
        let before = self
            .image
            .is_some()
            .then(|| (self.mf.clone(), self.session.clone()));
        let result = match cmd.ins {
            0xD6 => self.update_binary(cmd),
            0xE0 => self.create_file(cmd),
            _ => self.delete_file(cmd),
        };
        if let Err(sw) = result {
            return status(sw);
        }
        if let (Some(path), Some((mf, session))) = (&self.image, before) {
            if let Err(e) = image::save(path, &self.stored()) {
                eprintln!(
                    "virtual card: cannot save the card image {}: {e}; the command is refused \
                     with 6581",
                    path.display()
                );
                self.mf = mf;
                self.session = session;
                return status(sw::MEMORY_FAILURE);
            }
        }
        status(sw::OK)
    }

    fn current_df(&self) -> &Df {
        self.mf.df_at(&self.session.df).unwrap_or(&self.mf)
    }

    /// The answer to a SELECT or GET RESPONSE that returns `data`: all of it when Le allows,
    /// `6Cxx` when Le is too short, `61xx` when there is no Le (the data then waits for GET
    /// RESPONSE).
    fn respond(&mut self, data: Vec<u8>, ne: Option<usize>) -> Vec<u8> {
        match ne {
            None => {
                let len = data.len();
                self.session.pending = data;
                vec![sw::MORE_DATA, short_len(len)]
            }
            Some(ne) if ne >= data.len() => with_sw(data, sw::OK),
            Some(_) => vec![sw::WRONG_LE, short_len(data.len())],
        }
    }

    fn get_response(&mut self, cmd: &Command<'_>, pending: Vec<u8>) -> Vec<u8> {
        if (cmd.p1, cmd.p2) != (0, 0) {
            return status(sw::WRONG_P1P2);
        }
        let (true, Some(ne)) = (cmd.data.is_empty(), cmd.ne) else {
            return status(sw::WRONG_LENGTH);
        };
        if pending.is_empty() {
            return status(sw::CONDITIONS_NOT_SATISFIED);
        }
        let (now, rest) = pending.split_at(ne.min(pending.len()));
        if rest.is_empty() {
            return with_sw(now.to_vec(), sw::OK);
        }
        let mut out = now.to_vec();
        out.extend([sw::MORE_DATA, short_len(rest.len())]);
        self.session.pending = rest.to_vec();
        out
    }

    fn select(&mut self, cmd: &Command<'_>) -> Vec<u8> {
        let template = match cmd.p2 {
            0x00 => Some(0x6F),
            0x04 => Some(0x62),
            0x0C => None,
            _ => return status(sw::WRONG_P1P2),
        };
        let target = match cmd.p1 {
            0x00 => self.select_fid(cmd.data),
            0x01 | 0x02 => match cmd.data {
                [hi, lo] => {
                    let fid = u16::from_be_bytes([*hi, *lo]);
                    let cur = &self.session.df;
                    match (cmd.p1, self.current_df().child(fid)) {
                        (0x01, Some(Node::Df(_))) => Ok((extend(cur, fid), None)),
                        (0x02, Some(Node::Ef(_))) => Ok((cur.clone(), Some(fid))),
                        _ => Err(sw::FILE_NOT_FOUND),
                    }
                }
                _ => Err(sw::NC_INCONSISTENT),
            },
            0x03 => match (cmd.data, self.session.df.split_last()) {
                ([_, ..], _) => Err(sw::NC_INCONSISTENT),
                ([], None) => Err(sw::FILE_NOT_FOUND),
                ([], Some((_, parent))) => Ok((parent.to_vec(), None)),
            },
            0x04 if (1..=16).contains(&cmd.data.len()) => self
                .mf
                .find_name(cmd.data)
                .map(|path| (path, None))
                .ok_or(sw::FILE_NOT_FOUND),
            0x04 => Err(sw::NC_INCONSISTENT),
            0x08 | 0x09 => match fids(cmd.data) {
                Some(mut path) => {
                    let base = if cmd.p1 == 0x08 {
                        if path.first() == Some(&MF_FID) {
                            path.remove(0);
                        }
                        Vec::new()
                    } else {
                        self.session.df.clone()
                    };
                    self.resolve(base, &path)
                }
                None => Err(sw::NC_INCONSISTENT),
            },
            _ => Err(sw::WRONG_P1P2),
        };
        let (df, ef) = match target {
            Ok(target) => target,
            Err(sw) => return status(sw),
        };
        let body = match ef {
            Some(fid) => self
                .mf
                .df_at(&df)
                .and_then(|d| d.child(fid))
                .map(Node::fcp_body),
            None => self.mf.df_at(&df).map(Df::fcp_body),
        };
        let Some(body) = body else {
            return status(sw::FILE_NOT_FOUND);
        };
        self.session.df = df;
        self.session.ef = ef;
        match template {
            None => status(sw::OK),
            Some(tag) => self.respond(fs::template(tag, &body), cmd.ne),
        }
    }

    /// SELECT with P1 = 00: the MF (no data or `3F00`), the current DF, a file in it, its
    /// parent, or a file in its parent.
    fn select_fid(&self, data: &[u8]) -> Result<Location, u16> {
        let fid = match data {
            [] => return Ok((Vec::new(), None)),
            [hi, lo] => u16::from_be_bytes([*hi, *lo]),
            _ => return Err(sw::NC_INCONSISTENT),
        };
        if fid == MF_FID {
            return Ok((Vec::new(), None));
        }
        let cur = &self.session.df;
        if cur.last() == Some(&fid) {
            return Ok((cur.clone(), None));
        }
        let in_df = |path: &[u16]| -> Option<Location> {
            match self.mf.df_at(path)?.child(fid)? {
                Node::Df(_) => Some((extend(path, fid), None)),
                Node::Ef(_) => Some((path.to_vec(), Some(fid))),
            }
        };
        if let Some(found) = in_df(cur) {
            return Ok(found);
        }
        if let Some((_, parent)) = cur.split_last() {
            if parent.last() == Some(&fid) {
                return Ok((parent.to_vec(), None));
            }
            if let Some(found) = in_df(parent) {
                return Ok(found);
            }
        }
        Err(sw::FILE_NOT_FOUND)
    }

    /// Follows `path` from the DF at `base`: every FID but the last must be a DF.
    fn resolve(&self, mut base: Vec<u16>, path: &[u16]) -> Result<Location, u16> {
        let Some((last, dirs)) = path.split_last() else {
            return Ok((base, None));
        };
        for fid in dirs {
            match self.mf.df_at(&base).and_then(|d| d.child(*fid)) {
                Some(Node::Df(_)) => base.push(*fid),
                _ => return Err(sw::FILE_NOT_FOUND),
            }
        }
        match self.mf.df_at(&base).and_then(|d| d.child(*last)) {
            Some(Node::Df(_)) => Ok((extend(&base, *last), None)),
            Some(Node::Ef(_)) => Ok((base, Some(*last))),
            None => Err(sw::FILE_NOT_FOUND),
        }
    }

    /// The EF a READ/UPDATE BINARY addresses and the offset in it: by short identifier (P1
    /// `100xxxxx`, offset P2; the EF becomes current) or the current EF (15-bit offset).
    fn binary_target(&mut self, cmd: &Command<'_>) -> Result<(u16, usize), u16> {
        if cmd.p1 & 0x80 != 0 {
            let sfi = cmd.p1 & 0x1F;
            if cmd.p1 & 0x60 != 0 || sfi == 0 || sfi == 31 {
                return Err(sw::WRONG_P1P2);
            }
            let fid = self
                .current_df()
                .ef_by_sfi(sfi)
                .map(|ef| ef.fid)
                .ok_or(sw::FILE_NOT_FOUND)?;
            self.session.ef = Some(fid);
            Ok((fid, usize::from(cmd.p2)))
        } else {
            let fid = self.session.ef.ok_or(sw::NO_CURRENT_EF)?;
            Ok((fid, usize::from(u16::from_be_bytes([cmd.p1, cmd.p2]))))
        }
    }

    fn current_ef_mut(&mut self, fid: u16) -> Option<&mut Ef> {
        let df = self.mf.df_at_mut(&self.session.df)?;
        df.children.iter_mut().find_map(|n| match n {
            Node::Ef(ef) if ef.fid == fid => Some(ef),
            _ => None,
        })
    }

    fn read_binary(&mut self, cmd: &Command<'_>) -> Vec<u8> {
        let (true, Some(ne)) = (cmd.data.is_empty(), cmd.ne) else {
            return status(sw::WRONG_LENGTH);
        };
        let (fid, offset) = match self.binary_target(cmd) {
            Ok(target) => target,
            Err(sw) => return status(sw),
        };
        let Some(Node::Ef(ef)) = self.current_df().child(fid) else {
            return status(sw::NO_CURRENT_EF);
        };
        let size = ef.data.len();
        if offset > size || (offset == size && size > 0) {
            return status(sw::OFFSET_OUTSIDE_EF);
        }
        let end = size.min(offset + ne);
        let data = ef.data[offset..end].to_vec();
        let sw = if end - offset < ne {
            sw::END_OF_FILE
        } else {
            sw::OK
        };
        with_sw(data, sw)
    }

    fn update_binary(&mut self, cmd: &Command<'_>) -> Result<(), u16> {
        if cmd.data.is_empty() {
            return Err(sw::WRONG_LENGTH);
        }
        let (fid, offset) = self.binary_target(cmd)?;
        let ef = self.current_ef_mut(fid).ok_or(sw::NO_CURRENT_EF)?;
        if offset >= ef.data.len() {
            return Err(sw::OFFSET_OUTSIDE_EF);
        }
        let end = offset + cmd.data.len();
        let Some(target) = ef.data.get_mut(offset..end) else {
            return Err(sw::WRONG_LENGTH);
        };
        target.copy_from_slice(cmd.data);
        Ok(())
    }

    fn create_file(&mut self, cmd: &Command<'_>) -> Result<(), u16> {
        if (cmd.p1, cmd.p2) != (0, 0) {
            return Err(sw::WRONG_P1P2);
        }
        if cmd.data.is_empty() {
            return Err(sw::WRONG_LENGTH);
        }
        let new = fs::parse_create(cmd.data)?;
        let (fid, sfi, name) = match &new {
            NewFile::Df { fid, name } => (*fid, None, name.as_deref()),
            NewFile::Ef { fid, sfi, .. } => (*fid, *sfi, None),
        };
        let parent = self.current_df();
        let clash = parent.fid == fid
            || parent.child(fid).is_some()
            || sfi.is_some_and(|s| parent.ef_by_sfi(s).is_some());
        if clash {
            return Err(sw::FILE_EXISTS);
        }
        if name.is_some_and(|n| self.mf.has_name(n)) {
            return Err(sw::DF_NAME_EXISTS);
        }
        if let NewFile::Ef { size, .. } = new {
            if self.used().saturating_add(size) > self.capacity {
                return Err(sw::NOT_ENOUGH_MEMORY);
            }
        }
        let path = self.session.df.clone();
        let parent = self.mf.df_at_mut(&path).ok_or(sw::FILE_NOT_FOUND)?;
        match new {
            NewFile::Df { fid, name } => {
                parent.children.push(Node::Df(Df {
                    fid,
                    name,
                    children: Vec::new(),
                }));
                self.session.df.push(fid);
                self.session.ef = None;
            }
            NewFile::Ef { fid, sfi, size } => {
                parent.children.push(Node::Ef(Ef {
                    fid,
                    sfi,
                    data: vec![0; size],
                }));
                self.session.ef = Some(fid);
            }
        }
        Ok(())
    }

    /// DELETE FILE: P1 `00` without data deletes the current file (EF, else DF); P1 `00`,
    /// `01` (DF) or `02` (EF) with a FID deletes that file of the current DF. A DF goes with
    /// everything in it. The DF that held the file becomes current.
    fn delete_file(&mut self, cmd: &Command<'_>) -> Result<(), u16> {
        if cmd.p2 != 0 || !matches!(cmd.p1, 0x00..=0x02) {
            return Err(sw::WRONG_P1P2);
        }
        let cur = self.session.df.clone();
        let (parent, fid) = match cmd.data {
            [] if cmd.p1 == 0 => match (self.session.ef, cur.split_last()) {
                (Some(ef), _) => (cur.clone(), ef),
                (None, Some((df, parent))) => (parent.to_vec(), *df),
                (None, None) => return Err(sw::CONDITIONS_NOT_SATISFIED),
            },
            [hi, lo] => {
                let fid = u16::from_be_bytes([*hi, *lo]);
                match (cmd.p1, self.current_df().child(fid)) {
                    (0x00, Some(_)) | (0x01, Some(Node::Df(_))) | (0x02, Some(Node::Ef(_))) => {
                        (cur, fid)
                    }
                    _ => return Err(sw::FILE_NOT_FOUND),
                }
            }
            _ => return Err(sw::NC_INCONSISTENT),
        };
        let df = self.mf.df_at_mut(&parent).ok_or(sw::FILE_NOT_FOUND)?;
        df.children.retain(|n| n.fid() != fid);
        self.session.df = parent;
        self.session.ef = None;
        Ok(())
    }
}

/// SW2 for a length in `61xx`/`6Cxx`: `00` stands for 256 or more.
fn short_len(len: usize) -> u8 {
    u8::try_from(len).unwrap_or(0)
}

fn extend(path: &[u16], fid: u16) -> Vec<u16> {
    let mut out = path.to_vec();
    out.push(fid);
    out
}

/// A path's FIDs: `None` unless an even, non-zero number of bytes.
fn fids(data: &[u8]) -> Option<Vec<u16>> {
    if data.is_empty() || !data.len().is_multiple_of(2) {
        return None;
    }
    Some(
        data.chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect(),
    )
}

/// Accepts CLA `00` only: logical channels, secure messaging and chaining get their own
/// "not supported" status words; proprietary and reserved classes `6E00`.
fn check_cla(cla: u8) -> Result<(), u16> {
    match cla {
        0x00 => Ok(()),
        0x80..=0xFF | 0x20..=0x3F => Err(sw::CLA_NOT_SUPPORTED),
        c if c & 0x10 != 0 => Err(sw::CHAINING_NOT_SUPPORTED),
        0x00..=0x0F if cla & 0x0C != 0 => Err(sw::SECURE_MESSAGING_NOT_SUPPORTED),
        0x40..=0x7F if cla & 0x20 != 0 => Err(sw::SECURE_MESSAGING_NOT_SUPPORTED),
        _ => Err(sw::CHANNEL_NOT_SUPPORTED),
    }
}

/// The files of the foreign profile: EF.DIR listing a payment application, and that
/// application's DF with one data EF.
fn foreign_files() -> Vec<Node> {
    let label = b"PAYMENT";
    let mut entry = fs::template(0x4F, &FOREIGN_AID);
    entry.extend(fs::template(0x50, label));
    let dir = fs::template(0x61, &entry);
    let mut data = FOREIGN_DATA.to_vec();
    data.resize(64, 0);
    vec![
        Node::Ef(Ef {
            fid: EF_DIR_FID,
            sfi: Some(30),
            data: dir,
        }),
        Node::Df(Df {
            fid: FOREIGN_DF_FID,
            name: Some(FOREIGN_AID.to_vec()),
            children: vec![Node::Ef(Ef {
                fid: FOREIGN_EF_FID,
                sfi: Some(1),
                data,
            })],
        }),
    ]
}

//! PDF rendering of cards: ID-1 pages (front and back of each card) for card printers, or A4
//! sheets of ten cards for office printers, fronts and backs arranged for duplex printing.
//!
//! The caller reads, verifies and describes each card as a [`PrintCard`]; [`render`] lays
//! them out and returns the PDF bytes.
//!
//! ```no_run
//! use card_print::{render, Layout, PrintCard};
//!
//! # fn main() -> Result<(), card_print::PrintError> {
//! let card = PrintCard {
//!     serial: "Y6XC-IUHN-ZAGP-5BXF".into(),
//!     issuer: "LY-BEN-PED".into(),
//!     issuer_region: "east".into(),
//!     expires: "2031-01-15".into(),
//!     identifier: "national 219730412345".into(),
//!     name_ar: "فاطمة محمد عبدالله المنصوري".into(),
//!     name_latin: "Fatima Mohamed Abdullah Almansouri".into(),
//!     birth_date: "1973-04-12".into(),
//!     sex: "female".into(),
//!     blood_group: Some("A+".into()),
//!     qr_text: "LYOC1:...".into(),
//! };
//! let pdf = render(&[card], Layout::Card, &mut |_done| {})?;
//! std::fs::write("cards.pdf", pdf).ok();
//! # Ok(())
//! # }
//! ```
//!
//! # How text is set
//! Arabic must be joined and read right to left. Each line goes through the Unicode bidi
//! algorithm (`unicode-bidi`), is split into runs by script, and each run is shaped by
//! `rustybuzz` (a port of HarfBuzz) with the bundled fonts: Noto Naskh Arabic for Arabic, Noto
//! Sans for the rest (assets/fonts/, SIL Open Font License 1.1). The PDF receives glyph ids
//! and positions, not characters, so no PDF viewer has to shape anything; a `/ToUnicode` map
//! keeps the text searchable. A text too wide for its place is set smaller, then compressed
//! horizontally, and refused past that ([`PrintError::TooLong`]); names may take two lines.
//!
//! # Size
//! Each font is subset to the glyphs the document uses and embedded once, whatever the number
//! of pages. QR codes are vector rectangles, one per horizontal run of dark modules.

mod fonts;
mod layout;
mod pdf;
mod qr;
pub mod scan;
mod shape;

use card_format::model::{CardPayload, Date, IdType, Sex};
use fonts::Fonts;
use shape::Shaper;

pub use layout::{CARDS_PER_SHEET, SHEET_COLUMNS, SHEET_ROWS};

/// Everything printed on one card. The caller has verified the card; nothing here is checked
/// again, only drawn.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrintCard {
    /// The card serial, `XXXX-XXXX-XXXX-XXXX`.
    pub serial: String,
    /// Issuer code of the issuing site, e.g. `LY-BEN-01`.
    pub issuer: String,
    /// The issuer's region, from its certificate, e.g. `Benghazi`.
    pub issuer_region: String,
    /// Expiry date, `YYYY-MM-DD`.
    pub expires: String,
    /// The patient identifier: scheme and value, e.g. `national 119850012345`.
    pub identifier: String,
    /// The Arabic name, its parts joined by spaces.
    pub name_ar: String,
    /// The Latin name, its parts joined by spaces.
    pub name_latin: String,
    /// Date of birth, `YYYY-MM-DD`.
    pub birth_date: String,
    /// Sex: `female`, `male`, `not_known` or `not_applicable` are also printed in Arabic;
    /// anything else is printed as it is.
    pub sex: String,
    /// Blood group, e.g. `AB-`; a dash is printed when unknown.
    pub blood_group: Option<String>,
    /// The exact text of the QR code: `LYOC1:` and Base45.
    pub qr_text: String,
}

impl PrintCard {
    /// The printed fields of a verified card: `payload` as [`card_format::TrustStore::verify_card`]
    /// returned it, `issuer_region` from the signer's certificate
    /// ([`card_format::Verified::signer`]), and the QR text to print.
    pub fn from_payload(payload: &CardPayload, issuer_region: &str, qr_text: String) -> PrintCard {
        let patient = &payload.summary.patient;
        let scheme = match patient.id.kind {
            IdType::National => "national",
            IdType::Passport => "passport",
            IdType::FamilyBook => "family_book",
            IdType::Registry => "registry",
        };
        let sex = match patient.sex {
            Sex::NotKnown => "not_known",
            Sex::Male => "male",
            Sex::Female => "female",
            Sex::NotApplicable => "not_applicable",
        };
        PrintCard {
            serial: payload.serial.to_string(),
            issuer: payload.issuer.clone(),
            issuer_region: issuer_region.to_owned(),
            expires: Date::from_unix_seconds(payload.expires_at).to_string(),
            identifier: format!("{scheme} {}", patient.id.value),
            name_ar: patient.name_ar.join(" "),
            name_latin: patient.name_latin.join(" "),
            birth_date: patient.birth_date.to_string(),
            sex: sex.to_owned(),
            blood_group: patient.blood_group.map(|b| b.label().to_owned()),
            qr_text,
        }
    }
}

/// Page layout: one page per card side, or A4 sheets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One ID-1 page (85.60 x 53.98 mm) per side: front, then back, for each card.
    Card,
    /// A4 portrait sheets of [`CARDS_PER_SHEET`] cards ([`SHEET_COLUMNS`] x [`SHEET_ROWS`]),
    /// each page of fronts followed by its page of backs, columns mirrored so that duplex
    /// printing with a long-edge flip puts every back behind its front. Thin outlines mark
    /// where to cut.
    Sheet,
}

/// Why cards could not be rendered. Errors about one card name it by its serial.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    /// No cards were given.
    #[error("no cards to print")]
    NoCards,
    /// A character that the bundled fonts cannot draw (or a control character).
    #[error(
        "card {serial}: the {field} has a character that cannot be printed: U+{:04X}",
        u32::from(*character)
    )]
    Unprintable {
        /// The card's serial.
        serial: String,
        /// Which field, e.g. `name_ar`.
        field: &'static str,
        /// The character.
        character: char,
    },
    /// A text too long for its place on the card, even at the smallest size.
    #[error("card {serial}: the {field} is too long to fit on the card")]
    TooLong {
        /// The card's serial.
        serial: String,
        /// Which field.
        field: &'static str,
    },
    /// QR text longer than a version-40 QR code holds at error-correction level M
    /// (3,391 alphanumeric characters).
    #[error(
        "card {serial}: the QR text ({len} characters) is too long for a QR code at \
         error-correction level M"
    )]
    QrTooLong {
        /// The card's serial.
        serial: String,
        /// Length of the QR text, in bytes.
        len: usize,
    },
    /// The QR encoder refused the text for another reason.
    #[error("card {serial}: the QR text cannot be encoded: {reason}")]
    Qr {
        /// The card's serial.
        serial: String,
        /// The encoder's reason.
        reason: String,
    },
    /// A bundled font does not parse (a broken build).
    #[error("the bundled font {0} cannot be read")]
    Font(&'static str),
    /// A bundled font could not be subset.
    #[error("the bundled font {font} cannot be subset: {reason}")]
    Subset {
        /// The font file.
        font: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// printpdf reported an error while writing the document.
    #[error("writing the PDF failed: {0}")]
    Pdf(String),
}

/// Renders `cards` as a PDF in `layout`.
///
/// `progress` is called with the number of cards laid out so far, after each card; writing
/// the document follows the last call (about a tenth of the time).
///
/// # Errors
/// [`PrintError::NoCards`] for an empty slice; for a card that cannot be printed
/// [`PrintError::Unprintable`], [`PrintError::TooLong`], [`PrintError::QrTooLong`] or
/// [`PrintError::Qr`], naming it (nothing is rendered then); [`PrintError::Font`],
/// [`PrintError::Subset`] or [`PrintError::Pdf`] for failures of the renderer itself.
pub fn render(
    cards: &[PrintCard],
    layout: Layout,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<u8>, PrintError> {
    if cards.is_empty() {
        return Err(PrintError::NoCards);
    }
    let fonts = Fonts::load()?;
    let mut shaper = Shaper::new(&fonts);
    let statics = layout::Statics::new(&mut shaper)?;
    let prepared = prepare_all(cards, &mut shaper, &statics, progress)?;
    let pages = layout::pages(&prepared, &statics, layout);
    pdf::write(&pages, shaper.fonts())
}

/// Prepares every card, in order. QR codes (most of the work) are encoded by worker threads,
/// one per core, card `i` by worker `i % workers`; this thread shapes the texts, takes each
/// card's code from its worker as it comes, and reports progress. A failing card stops
/// everything: the receivers are dropped, so the workers' next send fails and they return.
fn prepare_all(
    cards: &[PrintCard],
    shaper: &mut Shaper<'_>,
    statics: &layout::Statics,
    progress: &mut dyn FnMut(usize),
) -> Result<Vec<layout::PreparedCard>, PrintError> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
        .min(cards.len().max(1));
    std::thread::scope(|scope| {
        let (receivers, handles): (Vec<_>, Vec<_>) = (0..workers)
            .map(|k| {
                let (sender, receiver) = std::sync::mpsc::sync_channel(16);
                let handle = scope.spawn(move || {
                    for card in cards.iter().skip(k).step_by(workers) {
                        if sender.send(qr::symbol(&card.qr_text)).is_err() {
                            break;
                        }
                    }
                });
                (receiver, handle)
            })
            .unzip();
        let mut prepare = || {
            let mut prepared = Vec::with_capacity(cards.len());
            for (i, card) in cards.iter().enumerate() {
                let symbol = receivers
                    .get(i % workers)
                    .and_then(|r| r.recv().ok())
                    // Only a worker that panicked sends nothing: encode here instead.
                    .unwrap_or_else(|| qr::symbol(&card.qr_text));
                prepared.push(layout::prepare(card, symbol, shaper, statics)?);
                progress(i + 1);
            }
            Ok(prepared)
        };
        let result = prepare();
        drop(receivers);
        for handle in handles {
            // Joined here, so that a worker's panic is not re-raised by the scope.
            let _ = handle.join();
        }
        result
    })
}

#[cfg(test)]
mod tests;

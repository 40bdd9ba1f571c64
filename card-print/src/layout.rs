//! Page geometry and the card design, as a list of drawing items per page (points, origin at
//! the bottom left, as in PDF). Nothing here knows about PDF objects: [`super::pdf`] turns the
//! pages into a document.

use std::rc::Rc;

use super::fonts::Weight;
use super::qr::QrSymbol;
use super::shape::{Dir, ShapedText, Shaper, Unprintable};
use super::{Layout, PrintCard, PrintError};

/// Points per millimetre.
pub(crate) const MM: f32 = 72.0 / 25.4;
/// ID-1 card width (ISO/IEC 7810): 85.60 mm.
pub(crate) const CARD_WIDTH: f32 = 85.60 * MM;
/// ID-1 card height: 53.98 mm.
pub(crate) const CARD_HEIGHT: f32 = 53.98 * MM;
/// A4 width: 210 mm.
pub(crate) const A4_WIDTH: f32 = 210.0 * MM;
/// A4 height: 297 mm.
pub(crate) const A4_HEIGHT: f32 = 297.0 * MM;
/// Cards per row on an A4 sheet.
pub const SHEET_COLUMNS: usize = 2;
/// Rows of cards on an A4 sheet.
pub const SHEET_ROWS: usize = 5;
/// Cards per A4 sheet.
pub const CARDS_PER_SHEET: usize = SHEET_COLUMNS * SHEET_ROWS;
/// Space between the two columns of a sheet: 5 mm.
const SHEET_GAP_X: f32 = 5.0 * MM;
/// Space between the rows of a sheet: 3 mm.
const SHEET_GAP_Y: f32 = 3.0 * MM;

/// Narrowest horizontal compression of a line that does not fit at its smallest size.
const MIN_HSCALE: f32 = 0.6;

/// A colour, RGB from 0 to 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rgb(pub(crate) f32, pub(crate) f32, pub(crate) f32);

/// The ministry's colour (headers, rules).
const TEAL: Rgb = Rgb(0.031, 0.341, 0.408);
/// Text.
const INK: Rgb = Rgb(0.08, 0.08, 0.08);
/// Labels.
const GREY: Rgb = Rgb(0.36, 0.40, 0.43);
/// Card outlines on sheets.
const OUTLINE: Rgb = Rgb(0.62, 0.62, 0.62);
/// Text on the header band.
const WHITE: Rgb = Rgb(1.0, 1.0, 1.0);

/// One thing drawn on a page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Item {
    /// A filled rectangle.
    Fill {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: Rgb,
    },
    /// A rectangle's outline.
    Outline {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        color: Rgb,
        width: f32,
    },
    /// A straight line.
    Line {
        from: (f32, f32),
        to: (f32, f32),
        color: Rgb,
        width: f32,
    },
    /// A shaped line of text: `x` is its left edge, `y` its baseline; `hscale` < 1
    /// compresses it horizontally.
    Text {
        x: f32,
        y: f32,
        size: f32,
        hscale: f32,
        color: Rgb,
        line: Rc<ShapedText>,
    },
    /// A QR code, black on white: `(x, y)` is the bottom-left corner of its quiet zone,
    /// `side` the width of symbol and quiet zone together.
    Qr {
        x: f32,
        y: f32,
        side: f32,
        qr: Rc<QrSymbol>,
    },
}

/// One page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Page {
    /// Width in points.
    pub(crate) width: f32,
    /// Height in points.
    pub(crate) height: f32,
    /// What is drawn, in painting order.
    pub(crate) items: Vec<Item>,
}

/// A line of text fitted to a width: its size and horizontal compression.
#[derive(Debug, Clone)]
struct Fitted {
    lines: Vec<Rc<ShapedText>>,
    size: f32,
    hscale: f32,
}

/// How a text is set.
#[derive(Debug, Clone, Copy)]
struct Style {
    weight: Weight,
    dir: Dir,
    /// Preferred size, points.
    size: f32,
    /// Smallest size before compressing horizontally.
    min_size: f32,
}

/// Size and compression that fit lines whose widest is `widest` ems into `max_width`.
fn fit_size(widest: f32, max_width: f32, style: Style) -> Option<(f32, f32)> {
    if widest * style.size <= max_width {
        return Some((style.size, 1.0));
    }
    let size = max_width / widest;
    if size >= style.min_size {
        return Some((size, 1.0));
    }
    let hscale = max_width / (widest * style.min_size);
    (hscale >= MIN_HSCALE).then_some((style.min_size, hscale))
}

/// Which field a text belongs to, for error messages.
type Field = &'static str;

/// Shapes and fits texts of one card, turning failures into [`PrintError`]s that name the
/// card and the field.
struct Setter<'a, 'f> {
    shaper: &'a mut Shaper<'f>,
    serial: &'a str,
}

impl Setter<'_, '_> {
    fn shape(&mut self, field: Field, text: &str, style: Style) -> Result<ShapedText, PrintError> {
        self.shaper
            .shape(text, style.weight, style.dir)
            .map_err(|Unprintable(character)| PrintError::Unprintable {
                serial: self.serial.to_owned(),
                field,
                character,
            })
    }

    /// One line, shrunk (then compressed) to fit `max_width`.
    fn line(
        &mut self,
        field: Field,
        text: &str,
        style: Style,
        max_width: f32,
    ) -> Result<Fitted, PrintError> {
        let line = self.shape(field, text, style)?;
        let (size, hscale) =
            fit_size(line.width, max_width, style).ok_or_else(|| PrintError::TooLong {
                serial: self.serial.to_owned(),
                field,
            })?;
        Ok(Fitted {
            lines: vec![Rc::new(line)],
            size,
            hscale,
        })
    }

    /// One line at `single` sizes if it fits, else two lines broken at the space that
    /// balances them best, at `double` sizes.
    fn lines(
        &mut self,
        field: Field,
        text: &str,
        single: Style,
        double: Style,
        max_width: f32,
    ) -> Result<Fitted, PrintError> {
        let line = self.shape(field, text, single)?;
        if line.width * single.min_size <= max_width {
            return self.line(field, text, single, max_width);
        }
        // Two lines at the smallest size, compressed, cannot hold more than twice the width
        // (a little more, for the space that goes): no need to try every break.
        if line.width * double.min_size * MIN_HSCALE > 2.2 * max_width {
            return Err(PrintError::TooLong {
                serial: self.serial.to_owned(),
                field,
            });
        }
        let mut best: Option<(f32, ShapedText, ShapedText)> = None;
        for (at, _) in text.match_indices(' ') {
            let (first, second) = (text[..at].trim(), text[at + 1..].trim());
            if first.is_empty() || second.is_empty() {
                continue;
            }
            let first = self.shape(field, first, double)?;
            let second = self.shape(field, second, double)?;
            let widest = first.width.max(second.width);
            if best.as_ref().is_none_or(|(w, _, _)| widest < *w) {
                best = Some((widest, first, second));
            }
        }
        let too_long = || PrintError::TooLong {
            serial: self.serial.to_owned(),
            field,
        };
        match best {
            Some((widest, first, second)) => {
                let (size, hscale) = fit_size(widest, max_width, double).ok_or_else(too_long)?;
                Ok(Fitted {
                    lines: vec![Rc::new(first), Rc::new(second)],
                    size,
                    hscale,
                })
            }
            None => {
                let (size, hscale) =
                    fit_size(line.width, max_width, double).ok_or_else(too_long)?;
                Ok(Fitted {
                    lines: vec![Rc::new(line)],
                    size,
                    hscale,
                })
            }
        }
    }
}

/// Texts that are the same on every card, shaped once per document.
#[derive(Debug)]
pub(crate) struct Statics {
    title_en: Fitted,
    title_ar: Fitted,
    ministry_en: Fitted,
    ministry_ar: Fitted,
    labels: [(Fitted, Fitted); 4],
    /// Known sex codes: the code, its English word, its Arabic word.
    sexes: [(&'static str, &'static str, Fitted); 4],
    card_no: Fitted,
    back_title_ar: Fitted,
    back_title_en: Fitted,
    back_labels: [Fitted; 3],
    scan_ar: Fitted,
    verify: Fitted,
}

// Front geometry.
const MARGIN: f32 = 8.0;
const HEADER_HEIGHT: f32 = 34.0;
/// Left edge of the values in the field rows.
const VALUE_X: f32 = 62.0;
/// Width kept for the Arabic labels at the right of the field rows.
const AR_LABEL_WIDTH: f32 = 48.0;
const ROW_BASELINES: [f32; 4] = [60.0, 48.5, 37.0, 25.5];

// Back geometry.
const QR_MARGIN: f32 = 6.0;
const QR_SIDE: f32 = CARD_HEIGHT - 2.0 * QR_MARGIN;
const BACK_COLUMN_X: f32 = QR_MARGIN + QR_SIDE + 4.0;
const BACK_COLUMN_WIDTH: f32 = CARD_WIDTH - MARGIN - BACK_COLUMN_X;

const fn style(weight: Weight, dir: Dir, size: f32, min_size: f32) -> Style {
    Style {
        weight,
        dir,
        size,
        min_size,
    }
}

const LABEL_EN: Style = style(Weight::Regular, Dir::Ltr, 5.5, 4.0);
const LABEL_AR: Style = style(Weight::Regular, Dir::Rtl, 6.5, 4.5);
const VALUE: Style = style(Weight::Bold, Dir::Ltr, 7.5, 5.0);
const VALUE_AR: Style = style(Weight::Bold, Dir::Rtl, 7.5, 5.0);
const BACK_LABEL: Style = style(Weight::Regular, Dir::Ltr, 5.0, 3.5);
const BACK_VALUE: Style = style(Weight::Bold, Dir::Ltr, 7.0, 4.5);
const BACK_VALUE_REGULAR: Style = style(Weight::Regular, Dir::Ltr, 6.5, 4.5);

impl Statics {
    /// Shapes the fixed texts.
    pub(crate) fn new(shaper: &mut Shaper<'_>) -> Result<Statics, PrintError> {
        let mut s = Setter {
            shaper,
            serial: "(none)",
        };
        let half = CARD_WIDTH / 2.0 - MARGIN - 3.0;
        let ar_label =
            |s: &mut Setter<'_, '_>, text| s.line("label", text, LABEL_AR, AR_LABEL_WIDTH);
        let en_label =
            |s: &mut Setter<'_, '_>, text| s.line("label", text, LABEL_EN, VALUE_X - MARGIN - 2.0);
        let sex = |s: &mut Setter<'_, '_>, text| s.line("sex", text, VALUE_AR, 40.0);
        Ok(Statics {
            title_en: s.line(
                "title",
                "Oncology patient card",
                style(Weight::Bold, Dir::Ltr, 8.5, 6.0),
                half,
            )?,
            title_ar: s.line(
                "title",
                "بطاقة مريض الأورام",
                style(Weight::Bold, Dir::Rtl, 10.5, 7.0),
                half,
            )?,
            ministry_en: s.line(
                "ministry",
                "Ministry of Health · National Cancer Registry",
                style(Weight::Regular, Dir::Ltr, 5.5, 4.0),
                half + 3.0,
            )?,
            ministry_ar: s.line(
                "ministry",
                "وزارة الصحة · السجل الوطني للأورام",
                style(Weight::Regular, Dir::Rtl, 6.5, 4.5),
                half + 3.0,
            )?,
            labels: [
                (
                    en_label(&mut s, "Identifier")?,
                    ar_label(&mut s, "رقم الهوية")?,
                ),
                (
                    en_label(&mut s, "Date of birth")?,
                    ar_label(&mut s, "تاريخ الميلاد")?,
                ),
                (en_label(&mut s, "Sex")?, ar_label(&mut s, "الجنس")?),
                (
                    en_label(&mut s, "Blood group")?,
                    ar_label(&mut s, "فصيلة الدم")?,
                ),
            ],
            sexes: [
                ("female", "Female", sex(&mut s, "أنثى")?),
                ("male", "Male", sex(&mut s, "ذكر")?),
                ("not_known", "Not known", sex(&mut s, "غير معروف")?),
                ("not_applicable", "Not applicable", sex(&mut s, "لا ينطبق")?),
            ],
            card_no: s.line(
                "label",
                "Card",
                style(Weight::Regular, Dir::Ltr, 5.0, 4.0),
                30.0,
            )?,
            back_title_ar: s.line(
                "title",
                "بطاقة مريض الأورام",
                style(Weight::Bold, Dir::Rtl, 8.5, 6.0),
                BACK_COLUMN_WIDTH,
            )?,
            back_title_en: s.line(
                "title",
                "Oncology patient card",
                style(Weight::Bold, Dir::Ltr, 6.0, 4.5),
                BACK_COLUMN_WIDTH,
            )?,
            back_labels: [
                s.line(
                    "label",
                    "Card serial · الرقم التسلسلي",
                    BACK_LABEL,
                    BACK_COLUMN_WIDTH,
                )?,
                s.line(
                    "label",
                    "Issuer · جهة الإصدار",
                    BACK_LABEL,
                    BACK_COLUMN_WIDTH,
                )?,
                s.line(
                    "label",
                    "Expires · تاريخ الانتهاء",
                    BACK_LABEL,
                    BACK_COLUMN_WIDTH,
                )?,
            ],
            scan_ar: s.line(
                "label",
                "امسح الرمز للتحقق من البطاقة",
                style(Weight::Regular, Dir::Rtl, 6.0, 4.0),
                BACK_COLUMN_WIDTH,
            )?,
            verify: s.line(
                "label",
                "Verify: card-agent verify",
                style(Weight::Regular, Dir::Ltr, 5.5, 4.0),
                BACK_COLUMN_WIDTH,
            )?,
        })
    }
}

/// A card's own texts, shaped and fitted, and its QR code.
#[derive(Debug)]
pub(crate) struct PreparedCard {
    name_ar: Fitted,
    name_latin: Fitted,
    values: [Fitted; 4],
    /// Index into [`Statics::sexes`] when the sex is one of the known codes.
    sex_ar: Option<usize>,
    serial: Fitted,
    /// The serial again, small, at the foot of the front.
    serial_front: Fitted,
    issuer: Fitted,
    region: Fitted,
    expires: Fitted,
    qr: Rc<QrSymbol>,
}

/// Shapes a card's texts; `qr` is its QR code from [`super::qr::symbol`].
///
/// # Errors
/// [`PrintError::Unprintable`], [`PrintError::TooLong`], [`PrintError::QrTooLong`],
/// [`PrintError::Qr`].
pub(crate) fn prepare(
    card: &PrintCard,
    qr: qrcode::QrResult<QrSymbol>,
    shaper: &mut Shaper<'_>,
    statics: &Statics,
) -> Result<PreparedCard, PrintError> {
    let qr = qr.map_err(|e| match e {
        qrcode::types::QrError::DataTooLong => PrintError::QrTooLong {
            serial: card.serial.clone(),
            len: card.qr_text.len(),
        },
        other => PrintError::Qr {
            serial: card.serial.clone(),
            reason: other.to_string(),
        },
    })?;
    let mut s = Setter {
        shaper,
        serial: &card.serial,
    };
    let full = CARD_WIDTH - 2.0 * MARGIN;
    let name_ar = s.lines(
        "name_ar",
        &card.name_ar,
        style(Weight::Bold, Dir::Rtl, 12.5, 8.0),
        style(Weight::Bold, Dir::Rtl, 8.0, 5.5),
        full,
    )?;
    let name_latin = s.lines(
        "name_latin",
        &card.name_latin,
        style(Weight::Bold, Dir::Ltr, 9.5, 7.0),
        style(Weight::Bold, Dir::Ltr, 7.0, 5.0),
        full,
    )?;
    let sex_key = card
        .sex
        .trim()
        .to_ascii_lowercase()
        .replace([' ', '-'], "_");
    let sex_ar = statics.sexes.iter().position(|(key, _, _)| *key == sex_key);
    let (sex_en, sex_ar_width) = match sex_ar.and_then(|i| statics.sexes.get(i)) {
        Some((_, english, arabic)) => (*english, width(arabic) + 4.0),
        None => (card.sex.as_str(), 0.0),
    };
    let value_width = CARD_WIDTH - MARGIN - AR_LABEL_WIDTH - 3.0 - VALUE_X;
    let blood = card.blood_group.as_deref().unwrap_or("—");
    let values = [
        s.line("identifier", &card.identifier, VALUE, value_width)?,
        s.line("birth_date", &card.birth_date, VALUE, value_width)?,
        s.line("sex", sex_en, VALUE, value_width - sex_ar_width)?,
        s.line("blood_group", blood, VALUE, value_width)?,
    ];
    let serial = s.line("serial", &card.serial, BACK_VALUE, BACK_COLUMN_WIDTH)?;
    let serial_front = s.line(
        "serial",
        &card.serial,
        style(Weight::Regular, Dir::Ltr, 5.0, 3.5),
        full / 2.0,
    )?;
    let issuer = s.line("issuer", &card.issuer, BACK_VALUE, BACK_COLUMN_WIDTH)?;
    let region = s.line(
        "issuer_region",
        &card.issuer_region,
        BACK_VALUE_REGULAR,
        BACK_COLUMN_WIDTH,
    )?;
    let expires = s.line("expires", &card.expires, BACK_VALUE, BACK_COLUMN_WIDTH)?;
    Ok(PreparedCard {
        name_ar,
        name_latin,
        values,
        sex_ar,
        serial,
        serial_front,
        issuer,
        region,
        expires,
        qr: Rc::new(qr),
    })
}

/// Width of a fitted text's widest line, in points.
fn width(f: &Fitted) -> f32 {
    f.lines.iter().map(|l| l.width).fold(0.0, f32::max) * f.size * f.hscale
}

/// Draws card items at an offset.
struct Pen<'a> {
    items: &'a mut Vec<Item>,
    dx: f32,
    dy: f32,
}

impl Pen<'_> {
    fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, color: Rgb) {
        self.items.push(Item::Fill {
            x: x + self.dx,
            y: y + self.dy,
            w,
            h,
            color,
        });
    }

    fn rule(&mut self, x1: f32, x2: f32, y: f32, color: Rgb, width: f32) {
        self.items.push(Item::Line {
            from: (x1 + self.dx, y + self.dy),
            to: (x2 + self.dx, y + self.dy),
            color,
            width,
        });
    }

    /// One line of `f` with its left edge at `x`.
    fn left(&mut self, f: &Fitted, line: usize, x: f32, baseline: f32, color: Rgb) {
        if let Some(l) = f.lines.get(line) {
            self.items.push(Item::Text {
                x: x + self.dx,
                y: baseline + self.dy,
                size: f.size,
                hscale: f.hscale,
                color,
                line: Rc::clone(l),
            });
        }
    }

    /// One line of `f` with its right edge at `x`.
    fn right(&mut self, f: &Fitted, line: usize, x: f32, baseline: f32, color: Rgb) {
        if let Some(l) = f.lines.get(line) {
            let w = l.width * f.size * f.hscale;
            self.left(f, line, x - w, baseline, color);
        }
    }
}

/// Baselines of a name block: `single` for one line; for two, `first` and a line below it
/// `leading` times the size.
fn name_baselines(f: &Fitted, single: f32, first: f32, leading: f32) -> [f32; 2] {
    if f.lines.len() < 2 {
        [single, single]
    } else {
        [first, first - f.size * leading]
    }
}

/// Draws the front of a card with its bottom-left corner at `(dx, dy)`.
pub(crate) fn front(card: &PreparedCard, st: &Statics, items: &mut Vec<Item>, dx: f32, dy: f32) {
    let mut p = Pen { items, dx, dy };
    let (w, h) = (CARD_WIDTH, CARD_HEIGHT);
    p.fill(0.0, h - HEADER_HEIGHT, w, HEADER_HEIGHT, TEAL);
    p.left(&st.title_en, 0, MARGIN, h - 15.0, WHITE);
    p.right(&st.title_ar, 0, w - MARGIN, h - 15.0, WHITE);
    p.left(&st.ministry_en, 0, MARGIN, h - 27.5, WHITE);
    p.right(&st.ministry_ar, 0, w - MARGIN, h - 27.5, WHITE);

    let ar = name_baselines(&card.name_ar, 98.0, 105.5, 1.3);
    for (i, y) in ar.iter().enumerate().take(card.name_ar.lines.len()) {
        p.right(&card.name_ar, i, w - MARGIN, *y, INK);
    }
    let latin = name_baselines(&card.name_latin, 81.0, 84.0, 1.25);
    for (i, y) in latin.iter().enumerate().take(card.name_latin.lines.len()) {
        p.left(&card.name_latin, i, MARGIN, *y, INK);
    }
    p.rule(MARGIN, w - MARGIN, 71.5, TEAL, 0.6);

    for (row, y) in ROW_BASELINES.iter().enumerate() {
        let (en, ar) = &st.labels[row];
        p.left(en, 0, MARGIN, *y, GREY);
        p.right(ar, 0, w - MARGIN, *y, GREY);
        p.left(&card.values[row], 0, VALUE_X, *y, INK);
    }
    if let Some((_, _, sex)) = card.sex_ar.and_then(|i| st.sexes.get(i)) {
        let ar_label = &st.labels[2].1;
        p.right(
            sex,
            0,
            w - MARGIN - width(ar_label) - 4.0,
            ROW_BASELINES[2],
            INK,
        );
    }
    p.left(&st.card_no, 0, MARGIN, 9.0, GREY);
    let card_no = MARGIN + width(&st.card_no) + 2.0;
    p.left(&card.serial_front, 0, card_no, 9.0, GREY);
}

/// Draws the back of a card with its bottom-left corner at `(dx, dy)`.
pub(crate) fn back(card: &PreparedCard, st: &Statics, items: &mut Vec<Item>, dx: f32, dy: f32) {
    items.push(Item::Qr {
        x: QR_MARGIN + dx,
        y: QR_MARGIN + dy,
        side: QR_SIDE,
        qr: Rc::clone(&card.qr),
    });
    let mut p = Pen { items, dx, dy };
    let (w, h) = (CARD_WIDTH, CARD_HEIGHT);
    let x = BACK_COLUMN_X;
    let right = w - MARGIN;
    p.right(&st.back_title_ar, 0, right, h - 17.0, TEAL);
    p.left(&st.back_title_en, 0, x, h - 27.0, TEAL);
    p.rule(x, right, h - 32.0, TEAL, 0.5);

    p.left(&st.back_labels[0], 0, x, 108.0, GREY);
    p.left(&card.serial, 0, x, 99.0, INK);
    p.left(&st.back_labels[1], 0, x, 86.0, GREY);
    p.left(&card.issuer, 0, x, 77.0, INK);
    p.left(&card.region, 0, x, 68.5, INK);
    p.left(&st.back_labels[2], 0, x, 55.0, GREY);
    p.left(&card.expires, 0, x, 46.0, INK);

    p.right(&st.scan_ar, 0, right, 21.0, GREY);
    p.left(&st.verify, 0, x, 10.0, GREY);
}

/// Bottom-left corner of slot `index` (0-based, row by row from the top left) on an A4
/// sheet; `mirrored` for the back page, whose columns are swapped so that a long-edge duplex
/// flip puts each back behind its front.
pub(crate) fn sheet_slot(index: usize, mirrored: bool) -> (f32, f32) {
    let col = index % SHEET_COLUMNS;
    let row = index / SHEET_COLUMNS;
    let col = if mirrored {
        SHEET_COLUMNS - 1 - col
    } else {
        col
    };
    let grid_w = SHEET_COLUMNS as f32 * CARD_WIDTH + (SHEET_COLUMNS - 1) as f32 * SHEET_GAP_X;
    let grid_h = SHEET_ROWS as f32 * CARD_HEIGHT + (SHEET_ROWS - 1) as f32 * SHEET_GAP_Y;
    let left = (A4_WIDTH - grid_w) / 2.0;
    let top = A4_HEIGHT - (A4_HEIGHT - grid_h) / 2.0;
    (
        left + col as f32 * (CARD_WIDTH + SHEET_GAP_X),
        top - (row + 1) as f32 * CARD_HEIGHT - row as f32 * SHEET_GAP_Y,
    )
}

/// Builds the pages: for each card its front and back page, or A4 sheets of fronts each
/// followed by its sheet of backs.
pub(crate) fn pages(cards: &[PreparedCard], statics: &Statics, layout: Layout) -> Vec<Page> {
    match layout {
        Layout::Card => {
            let mut pages = Vec::with_capacity(cards.len() * 2);
            for card in cards {
                for draw in [front, back] {
                    let mut items = Vec::new();
                    draw(card, statics, &mut items, 0.0, 0.0);
                    pages.push(Page {
                        width: CARD_WIDTH,
                        height: CARD_HEIGHT,
                        items,
                    });
                }
            }
            pages
        }
        Layout::Sheet => {
            let mut pages = Vec::new();
            for sheet in cards.chunks(CARDS_PER_SHEET) {
                for (mirrored, draw) in [(false, front as DrawFn), (true, back as DrawFn)] {
                    let mut items = Vec::new();
                    for (i, card) in sheet.iter().enumerate() {
                        let (x, y) = sheet_slot(i, mirrored);
                        draw(card, statics, &mut items, x, y);
                        items.push(Item::Outline {
                            x,
                            y,
                            w: CARD_WIDTH,
                            h: CARD_HEIGHT,
                            color: OUTLINE,
                            width: 0.3,
                        });
                    }
                    pages.push(Page {
                        width: A4_WIDTH,
                        height: A4_HEIGHT,
                        items,
                    });
                }
            }
            pages
        }
    }
}

/// [`front`] or [`back`].
type DrawFn = fn(&PreparedCard, &Statics, &mut Vec<Item>, f32, f32);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id1_and_a4_sizes_in_points() {
        assert!((CARD_WIDTH - 242.65).abs() < 0.01, "{CARD_WIDTH}");
        assert!((CARD_HEIGHT - 153.01).abs() < 0.01, "{CARD_HEIGHT}");
        assert!((A4_WIDTH - 595.28).abs() < 0.01);
        assert!((A4_HEIGHT - 841.89).abs() < 0.01);
    }

    #[test]
    fn sheet_slots_fit_the_page_without_overlap() {
        let slots: Vec<(f32, f32)> = (0..CARDS_PER_SHEET).map(|i| sheet_slot(i, false)).collect();
        for (i, &(x, y)) in slots.iter().enumerate() {
            // At least 5 mm from every edge: within what office printers can print.
            assert!(x >= 5.0 * MM && x + CARD_WIDTH <= A4_WIDTH - 5.0 * MM);
            assert!(y >= 5.0 * MM && y + CARD_HEIGHT <= A4_HEIGHT - 5.0 * MM);
            for &(x2, y2) in &slots[i + 1..] {
                let apart = x + CARD_WIDTH <= x2 || x2 + CARD_WIDTH <= x;
                let apart = apart || y + CARD_HEIGHT <= y2 || y2 + CARD_HEIGHT <= y;
                assert!(apart, "slots overlap");
            }
        }
        // First slot at the top left.
        assert!(slots[0].0 < slots[1].0 && slots[0].1 > slots[2].1);
    }

    #[test]
    fn back_slots_mirror_the_columns_for_long_edge_duplex() {
        for i in 0..CARDS_PER_SHEET {
            let (fx, fy) = sheet_slot(i, false);
            let (bx, by) = sheet_slot(i, true);
            // Flipping the sheet about its vertical axis maps x to A4_WIDTH - x - width.
            assert!((bx - (A4_WIDTH - fx - CARD_WIDTH)).abs() < 0.01);
            assert_eq!(fy, by);
        }
    }

    #[test]
    fn fit_shrinks_then_compresses_then_gives_up() {
        let s = style(Weight::Regular, Dir::Ltr, 10.0, 5.0);
        assert_eq!(fit_size(5.0, 100.0, s), Some((10.0, 1.0)));
        assert_eq!(fit_size(16.0, 120.0, s), Some((7.5, 1.0)));
        let (size, hscale) = fit_size(30.0, 120.0, s).unwrap();
        assert_eq!(size, 5.0);
        assert!((hscale - 0.8).abs() < 1e-6);
        assert_eq!(fit_size(50.0, 120.0, s), None);
    }
}

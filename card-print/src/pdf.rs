//! Pages of drawing items → a PDF document, with printpdf.
//!
//! Text goes in as glyph ids: the shaper has already chosen every glyph and its position, so
//! printpdf only writes them (`TJ` with Identity-H codes). Each font is subset here, once
//! per document, to the glyphs the document uses, and embedded once; every page refers to the
//! same font objects. Without its `text_layout` feature printpdf would embed whole fonts; the
//! subset is the font it is given, so the glyph ids written are the subset's.
//!
//! Each QR code is a form XObject whose content stream is written here: a few thousand `re`
//! operators in module units and one `f`, compressed at zlib level 4. Sent through printpdf's
//! operations instead, a batch of 1,000 cards made 2.5 million rectangle operations and a
//! 50 MB content stream that printpdf compresses at level 9, which took most of the time.

use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use printpdf::{
    Codepoint, Color, CurTransMat, DictItem, ExternalStream, ExternalXObject, FontId, Line,
    LinePoint, Op, PaintMode, ParsedFont, PdfDocument, PdfFontHandle, PdfPage,
    PdfParseErrorSeverity, PdfSaveOptions, Point, Pt, Rect, TextItem, TextMatrix, XObjectId,
    XObjectTransform,
};

use super::fonts::{subset_font, FontKey, Fonts, Subset};
use super::layout::{Item, Page, Rgb};
use super::qr::{QrRuns, QrSymbol, QUIET_ZONE};
use super::shape::{ShapedGlyph, ShapedText};
use super::PrintError;

/// Rounds a coordinate to 1/100 pt, which keeps content streams short.
fn r2(v: f32) -> f32 {
    (v * 100.0).round() / 100.0
}

fn color(c: Rgb) -> Color {
    Color::Rgb(printpdf::Rgb {
        r: c.0,
        g: c.1,
        b: c.2,
        icc_profile: None,
    })
}

fn rect(x: f32, y: f32, w: f32, h: f32, mode: PaintMode) -> Rect {
    Rect {
        x: Pt(x),
        y: Pt(y),
        width: Pt(w),
        height: Pt(h),
        mode: Some(mode),
        winding_order: None,
    }
}

/// A font as embedded: its subset and printpdf's id for it.
struct Embedded {
    subset: Subset,
    id: FontId,
}

/// Writes the pages as a PDF.
///
/// # Errors
/// [`PrintError::Subset`] when a font cannot be subset; [`PrintError::Pdf`] when printpdf
/// reports an error while writing.
pub(crate) fn write(pages: &[Page], fonts: &Fonts) -> Result<Vec<u8>, PrintError> {
    let used = used_glyphs(pages);
    let mut doc = PdfDocument::new("Oncology patient cards");
    let now = printpdf::OffsetDateTime::now_utc();
    let info = &mut doc.metadata.info;
    info.creation_date = now;
    info.modification_date = now;
    info.metadata_date = now;
    info.creator = "card-agent print".into();
    info.producer = "printpdf".into();
    let mut embedded: Vec<Option<Embedded>> = Vec::with_capacity(FontKey::ALL.len());
    for key in FontKey::ALL {
        let glyphs = &used[key.index()];
        if glyphs.is_empty() {
            embedded.push(None);
            continue;
        }
        let subset = subset_font(key, glyphs)?;
        let mut warnings = Vec::new();
        let parsed = ParsedFont::from_bytes(&subset.bytes, 0, &mut warnings).ok_or_else(|| {
            PrintError::Subset {
                font: key.file_name(),
                reason: "printpdf cannot read the subset font".into(),
            }
        })?;
        let id = doc.add_font(&parsed);
        embedded.push(Some(Embedded { subset, id }));
    }

    let mut qr_codes: HashMap<*const QrSymbol, XObjectId> = HashMap::new();
    for item in pages.iter().flat_map(|p| &p.items) {
        if let Item::Qr { qr, .. } = item {
            qr_codes
                .entry(Rc::as_ptr(qr))
                .or_insert_with(|| doc.add_xobject(&qr_xobject(qr)));
        }
    }
    let context = Context {
        fonts,
        embedded: &embedded,
        used: &used,
        qr_codes: &qr_codes,
    };

    let pdf_pages = pages
        .iter()
        .map(|page| {
            let mut ops = Vec::new();
            for item in &page.items {
                item_ops(item, &context, &mut ops);
            }
            PdfPage {
                media_box: Rect::from_wh(Pt(page.width), Pt(page.height)),
                trim_box: Rect::from_wh(Pt(page.width), Pt(page.height)),
                crop_box: Rect::from_wh(Pt(page.width), Pt(page.height)),
                ops,
            }
        })
        .collect();
    doc.with_pages(pdf_pages);

    let options = PdfSaveOptions {
        optimize: true,
        subset_fonts: false,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let bytes = doc.save(&options, &mut warnings);
    if let Some(error) = warnings
        .iter()
        .find(|w| w.severity == PdfParseErrorSeverity::Error)
    {
        return Err(PrintError::Pdf(error.msg.clone()));
    }
    Ok(bytes)
}

/// For each font (by [`FontKey::index`]), the glyphs the pages use and the text each stands
/// for (the first non-empty cluster text seen), for the font's `/ToUnicode` map.
fn used_glyphs(pages: &[Page]) -> Vec<BTreeMap<u16, String>> {
    let mut used = vec![BTreeMap::new(); FontKey::ALL.len()];
    let mut add = |line: &ShapedText| {
        for g in &line.glyphs {
            let text: &mut String = used[g.font.index()].entry(g.gid).or_default();
            if text.is_empty() {
                text.push_str(line.cluster_text(g));
            }
        }
    };
    let mut seen = std::collections::HashSet::new();
    for item in pages.iter().flat_map(|p| &p.items) {
        if let Item::Text { line, .. } = item {
            // Lines shared between cards (labels) are counted once.
            if seen.insert(std::rc::Rc::as_ptr(line)) {
                add(line);
            }
        }
    }
    used
}

/// What drawing an item needs besides the item.
struct Context<'a> {
    fonts: &'a Fonts,
    embedded: &'a [Option<Embedded>],
    used: &'a [BTreeMap<u16, String>],
    qr_codes: &'a HashMap<*const QrSymbol, XObjectId>,
}

/// The content stream of a QR code's form XObject, compressed: written here directly (one `re`
/// per run and a single `f`, in module units), so that a batch of 1,000 cards does not send
/// millions of rectangle operations through printpdf and lopdf.
pub(crate) fn qr_form_content(qr: &QrRuns) -> Vec<u8> {
    use std::fmt::Write;
    let side = qr.width_with_quiet_zone();
    let mut content = String::with_capacity(qr.runs.len() * 14 + 64);
    // White square (symbol and quiet zone), then the dark runs, rows counted from the top.
    let _ = writeln!(content, "1 g 0 0 {side} {side} re f 0 g");
    for &(row, col, len) in &qr.runs {
        let x = usize::from(col) + QUIET_ZONE;
        let y = side - QUIET_ZONE - usize::from(row) - 1;
        let _ = writeln!(content, "{x} {y} {len} 1 re");
    }
    content.push_str("f\n");
    // Level 4: as small as 6 or 9 for this text (about 36 kB to 7.6 kB for a version-22
    // symbol) in under half the time of 6.
    miniz_oxide::deflate::compress_to_vec_zlib(content.as_bytes(), 4)
}

/// A QR code as a form XObject in module units, its content already compressed.
fn qr_xobject(qr: &QrSymbol) -> ExternalXObject {
    let side = qr.runs.width_with_quiet_zone() as i64;
    let dict = [
        ("Type", DictItem::Name(b"XObject".to_vec())),
        ("Subtype", DictItem::Name(b"Form".to_vec())),
        (
            "BBox",
            DictItem::Array(vec![
                DictItem::Int(0),
                DictItem::Int(0),
                DictItem::Int(side),
                DictItem::Int(side),
            ]),
        ),
        ("Filter", DictItem::Name(b"FlateDecode".to_vec())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    ExternalXObject {
        stream: ExternalStream {
            dict,
            content: qr.form.clone(),
            compress: false,
        },
        width: None,
        height: None,
        dpi: None,
    }
}

fn item_ops(item: &Item, cx: &Context<'_>, ops: &mut Vec<Op>) {
    match item {
        Item::Fill {
            x,
            y,
            w,
            h,
            color: c,
        } => {
            ops.push(Op::SetFillColor { col: color(*c) });
            ops.push(Op::DrawRectangle {
                rectangle: rect(r2(*x), r2(*y), r2(*w), r2(*h), PaintMode::Fill),
            });
        }
        Item::Outline {
            x,
            y,
            w,
            h,
            color: c,
            width,
        } => {
            ops.push(Op::SetOutlineColor { col: color(*c) });
            ops.push(Op::SetOutlineThickness { pt: Pt(*width) });
            ops.push(Op::DrawRectangle {
                rectangle: rect(r2(*x), r2(*y), r2(*w), r2(*h), PaintMode::Stroke),
            });
        }
        Item::Line {
            from,
            to,
            color: c,
            width,
        } => {
            let point = |(x, y): (f32, f32)| LinePoint {
                p: Point {
                    x: Pt(r2(x)),
                    y: Pt(r2(y)),
                },
                bezier: false,
            };
            ops.push(Op::SetOutlineColor { col: color(*c) });
            ops.push(Op::SetOutlineThickness { pt: Pt(*width) });
            ops.push(Op::DrawLine {
                line: Line {
                    points: vec![point(*from), point(*to)],
                    is_closed: false,
                },
            });
        }
        Item::Text {
            x,
            y,
            size,
            hscale,
            color: c,
            line,
        } => text_ops((*x, *y, *size, *hscale), *c, line, cx, ops),
        Item::Qr { x, y, side, qr } => {
            let Some(id) = cx.qr_codes.get(&Rc::as_ptr(qr)) else {
                return;
            };
            let module = side / qr.runs.width_with_quiet_zone() as f32;
            ops.push(Op::SaveGraphicsState);
            ops.push(Op::SetTransformationMatrix {
                matrix: CurTransMat::Raw([module, 0.0, 0.0, module, r2(*x), r2(*y)]),
            });
            ops.push(Op::UseXobject {
                id: id.clone(),
                transform: XObjectTransform::default(),
            });
            ops.push(Op::RestoreGraphicsState);
        }
    }
}

/// One shaped line: a text object in its own coordinate system (origin at the line's left
/// end of the baseline, compressed by `hscale`), one `Tm` + `TJ` per stretch of glyphs in one
/// font on one baseline.
fn text_ops(
    (x, y, size, hscale): (f32, f32, f32, f32),
    c: Rgb,
    line: &ShapedText,
    cx: &Context<'_>,
    ops: &mut Vec<Op>,
) {
    if line.glyphs.is_empty() || size <= 0.0 {
        return;
    }
    ops.push(Op::SaveGraphicsState);
    ops.push(Op::SetTransformationMatrix {
        matrix: CurTransMat::Raw([hscale, 0.0, 0.0, 1.0, r2(x), r2(y)]),
    });
    ops.push(Op::StartTextSection);
    ops.push(Op::SetFillColor { col: color(c) });
    let mut current: Option<FontKey> = None;
    for run in line.glyphs.chunk_by(|a, b| a.font == b.font && a.y == b.y) {
        let Some(first) = run.first() else { continue };
        let Some(Some(font)) = cx.embedded.get(first.font.index()) else {
            continue;
        };
        if current != Some(first.font) {
            ops.push(Op::SetFont {
                font: PdfFontHandle::External(font.id.clone()),
                size: Pt(size),
            });
            current = Some(first.font);
        }
        let tm_x = r2(first.x * size);
        ops.push(Op::SetTextMatrix {
            matrix: TextMatrix::Raw([1.0, 0.0, 0.0, 1.0, tm_x, r2(first.y * size)]),
        });
        let glyphs = codepoints(run, tm_x / size * 1000.0, cx, font);
        ops.push(Op::ShowText {
            items: vec![TextItem::GlyphIds(glyphs)],
        });
    }
    ops.push(Op::EndTextSection);
    ops.push(Op::RestoreGraphicsState);
}

/// The `TJ` entries of a run: each glyph's subset id, followed by the adjustment (thousandths
/// of an em, integral) that moves the viewer's pen, which advances by the glyph's `/W` width,
/// to where the shaper put the next glyph. Rounding errors do not accumulate: the pen is
/// tracked as the viewer computes it.
fn codepoints(
    run: &[ShapedGlyph],
    start: f32,
    cx: &Context<'_>,
    font: &Embedded,
) -> Vec<Codepoint> {
    let mut pen = start;
    let mut out = Vec::with_capacity(run.len());
    for (i, g) in run.iter().enumerate() {
        pen += cx.fonts.pdf_advance(g.font, g.gid) as f32;
        let mut offset = 0.0;
        if let Some(next) = run.get(i + 1) {
            let n = (pen - next.x * 1000.0).round();
            if n != 0.0 {
                offset = n;
                pen -= n;
            }
        }
        let text = cx
            .used
            .get(g.font.index())
            .and_then(|m| m.get(&g.gid))
            .cloned()
            .unwrap_or_default();
        out.push(Codepoint {
            gid: font.subset.gid(g.gid),
            offset,
            cid: Some(text),
        });
    }
    out
}

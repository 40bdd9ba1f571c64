//! The QR code of a card as a list of dark horizontal runs, for drawing as vector rectangles.
//!
//! The `qrcode` crate encodes the text (segments, error correction, function patterns). Its
//! mask choice (`QrCode::new` and friends) costs about 8 ms for the version-20 to 23 symbols of
//! a card, mostly allocations in its penalty scoring: 8 s for a batch of 1,000 cards. So the
//! eight masks are scored here instead, with the penalty rules of ISO/IEC 18004:2015 §7.8.3
//! (N1 to N4) over a plain grid, and the one with the lowest score is kept.

use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::{Color, EcLevel, QrResult};

/// The quiet zone around the symbol, in modules (ISO/IEC 18004 asks for 4).
pub(crate) const QUIET_ZONE: usize = 4;

/// A QR symbol: its size and its dark modules merged into horizontal runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QrRuns {
    /// Modules per side, without the quiet zone.
    pub(crate) width: usize,
    /// Dark runs as (row, first column, length), rows from the top, in symbol modules.
    pub(crate) runs: Vec<(u16, u16, u16)>,
}

impl QrRuns {
    /// Modules per side with the quiet zone on both sides.
    pub(crate) fn width_with_quiet_zone(&self) -> usize {
        self.width + 2 * QUIET_ZONE
    }
}

/// A card's QR code as it goes on the page: its runs and, compressed, the content stream of
/// the form XObject that draws it ([`super::pdf::qr_form_content`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QrSymbol {
    /// The dark runs.
    pub(crate) runs: QrRuns,
    /// The form's content stream, zlib-compressed.
    pub(crate) form: Vec<u8>,
}

/// Encodes `text` ([`encode`]) and writes its form content: all the work a QR code needs,
/// done by the worker threads of [`super::render`].
///
/// # Errors
/// As [`encode`].
pub(crate) fn symbol(text: &str) -> QrResult<QrSymbol> {
    let runs = encode(text)?;
    let form = super::pdf::qr_form_content(&runs);
    Ok(QrSymbol { runs, form })
}

const MASKS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

/// Encodes `text` at error-correction level M (15 % of the symbol can be lost), in the
/// smallest version that holds it, into runs.
///
/// # Errors
/// The `qrcode` error, `DataTooLong` when the text exceeds a version-40 symbol.
pub(crate) fn encode(text: &str) -> QrResult<QrRuns> {
    let modules = modules(text)?;
    let width = modules.width;
    let mut runs = Vec::new();
    for (row, line) in modules.dark.chunks(width.max(1)).enumerate() {
        let mut col = 0;
        while col < line.len() {
            if line[col] {
                let start = col;
                while col < line.len() && line[col] {
                    col += 1;
                }
                // A version-40 symbol is 177 modules wide: these always fit.
                runs.push((row as u16, start as u16, (col - start) as u16));
            } else {
                col += 1;
            }
        }
    }
    Ok(QrRuns { width, runs })
}

/// A symbol as a grid of modules, row by row from the top left; `true` is dark.
struct Modules {
    width: usize,
    dark: Vec<bool>,
}

fn modules(text: &str) -> QrResult<Modules> {
    let bits = qrcode::bits::encode_auto(text.as_bytes(), EcLevel::M)?;
    let version = bits.version();
    let (data, ec) = qrcode::ec::construct_codewords(&bits.into_bytes(), version, EcLevel::M)?;
    let mut canvas = Canvas::new(version, EcLevel::M);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data, &ec);
    let width = usize::try_from(version.width()).unwrap_or(0);
    let mut best: Option<(u32, Vec<bool>)> = None;
    for mask in MASKS {
        let mut masked = canvas.clone();
        masked.apply_mask(mask);
        let dark: Vec<bool> = masked
            .into_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect();
        let score = penalty(&dark, width);
        if best.as_ref().is_none_or(|(s, _)| score < *s) {
            best = Some((score, dark));
        }
    }
    let dark = best.map(|(_, dark)| dark).unwrap_or_default();
    Ok(Modules { width, dark })
}

/// The ISO/IEC 18004 penalty of a masked symbol: runs of five or more (N1), 2 x 2 blocks (N2),
/// finder-like patterns (N3) and the dark/light balance (N4).
fn penalty(dark: &[bool], n: usize) -> u32 {
    if n < 2 || dark.len() != n * n {
        return u32::MAX;
    }
    let mut columns = vec![false; n * n];
    for (y, row) in dark.chunks_exact(n).enumerate() {
        for (x, &c) in row.iter().enumerate() {
            columns[x * n + y] = c;
        }
    }
    let mut score: u32 = dark
        .chunks_exact(n)
        .chain(columns.chunks_exact(n))
        .map(line_penalty)
        .sum();
    for pair in dark.chunks_exact(n).collect::<Vec<_>>().windows(2) {
        let (top, bottom) = (pair[0], pair[1]);
        for x in 0..n - 1 {
            let sum = u8::from(top[x]) + u8::from(top[x + 1]) + u8::from(bottom[x]);
            let sum = sum + u8::from(bottom[x + 1]);
            if sum == 0 || sum == 4 {
                score += 3;
            }
        }
    }
    let total = n * n;
    let count = dark.iter().filter(|d| **d).count();
    // 10 points for each full 5 % that the dark share is away from 50 %.
    let k = (20 * count).abs_diff(10 * total) / total;
    score + 10 * k as u32
}

/// N1 and N3 of one row or column. The line is read with four light modules on each side
/// (the quiet zone), through an 11-module window kept as bits.
fn line_penalty(line: &[bool]) -> u32 {
    /// `#.###.#....` and `....#.###.#`, oldest module in the highest bit.
    const FINDER_THEN_LIGHT: u32 = 0b101_1101_0000;
    const LIGHT_THEN_FINDER: u32 = 0b000_0101_1101;
    let finder = |window: u32| {
        if window == FINDER_THEN_LIGHT || window == LIGHT_THEN_FINDER {
            40
        } else {
            0
        }
    };
    let mut score = 0;
    let mut run = 0u32;
    let mut previous = false;
    // The four light modules before the line are already in the window.
    let mut window = 0u32;
    for (i, &c) in line.iter().enumerate() {
        if i > 0 && c == previous {
            run += 1;
        } else {
            if run >= 5 {
                score += run - 2;
            }
            run = 1;
            previous = c;
        }
        window = ((window << 1) | u32::from(c)) & 0x7FF;
        if i >= 6 {
            score += finder(window);
        }
    }
    if run >= 5 {
        score += run - 2;
    }
    for _ in 0..4 {
        window = (window << 1) & 0x7FF;
        score += finder(window);
    }
    score
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes runs with rqrr, drawn 3 pixels per module with the quiet zone.
    fn decode(qr: &QrRuns) -> String {
        let scale = 3;
        let side = qr.width_with_quiet_zone() * scale;
        let mut dark = vec![false; side * side];
        for &(row, col, len) in &qr.runs {
            for c in col..col + len {
                let (x0, y0) = (
                    (usize::from(c) + QUIET_ZONE) * scale,
                    (usize::from(row) + QUIET_ZONE) * scale,
                );
                for y in y0..y0 + scale {
                    for x in x0..x0 + scale {
                        dark[y * side + x] = true;
                    }
                }
            }
        }
        let mut image =
            rqrr::PreparedImage::prepare_from_bitmap(side, side, |x, y| dark[y * side + x]);
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1);
        grids[0].decode().unwrap().1
    }

    #[test]
    fn runs_decode_to_the_text() {
        for text in [
            "LYOC1:6BFOXN*TS0BI$ZDFRH%:Q".to_owned(),
            format!("LYOC1:{}", "NCFD 9UZBQP29S24FVAKJ .IAUOZMOCT9Z".repeat(30)),
            "lower case, bytes: ü".to_owned(),
        ] {
            let qr = encode(&text).unwrap();
            assert_eq!(decode(&qr), text);
        }
    }

    #[test]
    fn runs_are_merged_and_do_not_overlap() {
        let text = format!("LYOC1:{}", "6BFOXN*TS0BI$ZDFRH%:Q".repeat(45));
        let qr = encode(&text).unwrap();
        // 945 alphanumeric characters at level M: version 20, 97 modules.
        assert_eq!(qr.width, 97);
        assert_eq!(qr.width_with_quiet_zone(), 105);
        let mut drawn = vec![false; qr.width * qr.width];
        for &(row, col, len) in &qr.runs {
            assert!(len > 0 && usize::from(col + len) <= qr.width);
            for c in col..col + len {
                let cell = &mut drawn[usize::from(row) * qr.width + usize::from(c)];
                assert!(!*cell, "runs overlap");
                *cell = true;
            }
        }
        // Merging: far fewer rectangles than dark modules.
        let dark = drawn.iter().filter(|d| **d).count();
        assert!(
            qr.runs.len() * 3 < dark * 2,
            "{} runs, {dark} dark",
            qr.runs.len()
        );
    }

    #[test]
    fn penalty_follows_the_standard_rules() {
        // A row of 7 dark modules: N1 = 3 + 2 = 5.
        assert_eq!(line_penalty(&[true; 7]), 5);
        // A finder-like pattern followed by 4 light modules: N3 = 40.
        let finder = [true, false, true, true, true, false, true];
        let mut line = vec![true, false];
        line.extend(finder);
        line.extend([false; 4]);
        assert_eq!(line_penalty(&line), 40);
        // Light on both sides (here the quiet zone before it) counts for each side.
        let mut line = finder.to_vec();
        line.extend([false; 4]);
        assert_eq!(line_penalty(&line), 80);
        // All dark 2 x 2: N1 none, N2 one block, N4 50 % off = 10 x 10.
        assert_eq!(penalty(&[true; 4], 2), 3 + 100);
    }

    #[test]
    fn too_long_text_is_an_error() {
        let text = format!("LYOC1:{}", "A".repeat(5000));
        assert!(encode(&text).is_err());
    }
}

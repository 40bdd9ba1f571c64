//! The QR code of a card as a list of dark horizontal runs, for drawing as vector rectangles.

use qrcode::{Color, EcLevel, QrCode, QrResult};

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

/// Encodes `text` at error-correction level M (15 % of the symbol can be lost) into runs.
///
/// # Errors
/// The `qrcode` error, `DataTooLong` when the text exceeds a version-40 symbol.
pub(crate) fn encode(text: &str) -> QrResult<QrRuns> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)?;
    let width = code.width();
    let colors = code.to_colors();
    let mut runs = Vec::new();
    for (row, line) in colors.chunks(width.max(1)).enumerate() {
        let mut col = 0;
        while col < line.len() {
            if line[col] == Color::Dark {
                let start = col;
                while col < line.len() && line[col] == Color::Dark {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_cover_exactly_the_dark_modules() {
        let text = "LYOC1:6BFOXN*TS0BI$ZDFRH%:Q";
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).unwrap();
        let qr = encode(text).unwrap();
        assert_eq!(qr.width, code.width());
        assert_eq!(qr.width_with_quiet_zone(), code.width() + 8);
        let mut drawn = vec![Color::Light; qr.width * qr.width];
        for &(row, col, len) in &qr.runs {
            assert!(len > 0);
            for c in col..col + len {
                let cell = &mut drawn[usize::from(row) * qr.width + usize::from(c)];
                assert_eq!(*cell, Color::Light, "runs overlap");
                *cell = Color::Dark;
            }
        }
        assert_eq!(drawn, code.to_colors());
        // Merging: far fewer rectangles than dark modules.
        let dark = drawn.iter().filter(|c| **c == Color::Dark).count();
        assert!(
            qr.runs.len() * 3 < dark * 2,
            "{} runs, {dark} dark",
            qr.runs.len()
        );
    }

    #[test]
    fn too_long_text_is_an_error() {
        let text = format!("LYOC1:{}", "A".repeat(5000));
        assert!(encode(&text).is_err());
    }
}

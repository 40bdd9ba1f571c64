//! Reading the QR codes of a photographed or scanned card: what `card-agent verify --image`
//! and the desk's photo upload both use.
//!
//! A pharmacist's photo is blurred, tilted, dim, noisy or JPEG-compressed. Two decoders
//! are tried, each on the whole picture, then for a large one at half size (which averages
//! noise and blur away), then for a washed-out one with its grey levels stretched:
//! 1. rxing, a port of ZXing, with `TRY_HARDER` (a denser search for the finder patterns):
//!    first its multiple-code reader, then its single-code reader over its image filters;
//! 2. rqrr, a port of quirc, whose detector finds codes ZXing misses and the reverse.
//!
//! The first step that finds a code answers. docs/benchmarks.md ("Reading photographed
//! cards") gives each decoder's read rate on the generated set of degraded photos, beside
//! zbarimg's.

use std::collections::HashSet;

use image::GrayImage;
use rxing::{BarcodeFormat, DecodeHints};

/// Why no QR text came out of a picture.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    /// No decoder found a QR code.
    #[error("no QR code found in the image")]
    NotFound,
    /// A QR code was located but none decoded.
    #[error("a QR code was found but cannot be decoded ({0}); take a sharper, flatter picture")]
    Undecodable(String),
}

/// Pictures larger than this on their longer side are also tried at half size.
const HALVE_ABOVE: u32 = 1200;

/// The QR texts in `picture`, each once, in the order found.
///
/// # Errors
/// [`ScanError`] when no decoder reads a code.
pub fn qr_texts(picture: &GrayImage) -> Result<Vec<String>, ScanError> {
    // The derived pictures are made on first use: a clean picture reads at the first try.
    let half = std::cell::OnceCell::new();
    let stretched = std::cell::OnceCell::new();
    let variant = |i: usize| -> Option<&GrayImage> {
        match i {
            0 => Some(picture),
            1 => half.get_or_init(|| halve(picture)).as_ref(),
            _ => stretched.get_or_init(|| stretch(picture)).as_ref(),
        }
    };
    for i in 0..3 {
        let found = variant(i).map(with_rxing).unwrap_or_default();
        if !found.is_empty() {
            return Ok(unique(found));
        }
    }
    let mut undecodable = None;
    for i in 0..3 {
        match variant(i).map(with_rqrr) {
            Some(Ok(found)) if !found.is_empty() => return Ok(unique(found)),
            Some(Err(e)) => undecodable = Some(e),
            Some(Ok(_)) | None => {}
        }
    }
    Err(undecodable.map_or(ScanError::NotFound, ScanError::Undecodable))
}

/// The picture at half size, when it is large enough to gain from it.
fn halve(picture: &GrayImage) -> Option<GrayImage> {
    (picture.width().max(picture.height()) > HALVE_ABOVE).then(|| {
        image::imageops::resize(
            picture,
            picture.width() / 2,
            picture.height() / 2,
            image::imageops::FilterType::Triangle,
        )
    })
}

/// A washed-out picture with its grey levels stretched to the full range (the darkest and
/// the lightest 1% of the pixels clipped); none when it already spans most of the range.
fn stretch(picture: &GrayImage) -> Option<GrayImage> {
    let mut histogram = [0u64; 256];
    for p in picture.pixels() {
        histogram[usize::from(p.0[0])] += 1;
    }
    let total: u64 = histogram.iter().sum();
    let clip = total / 100;
    let level = |from_dark: bool| {
        let mut seen = 0;
        let mut levels: Box<dyn Iterator<Item = usize>> = if from_dark {
            Box::new(0..256)
        } else {
            Box::new((0..256).rev())
        };
        levels
            .find(|&v| {
                seen += histogram[v];
                seen > clip
            })
            .unwrap_or(if from_dark { 0 } else { 255 })
    };
    let (low, high) = (level(true), level(false));
    if high <= low || high - low > 160 {
        return None;
    }
    let span = (high - low) as f32;
    let mut out = picture.clone();
    for p in out.pixels_mut() {
        let v = (f32::from(p.0[0]) - low as f32) * 255.0 / span;
        p.0[0] = v.round().clamp(0.0, 255.0) as u8;
    }
    Some(out)
}

fn hints() -> DecodeHints {
    DecodeHints {
        TryHarder: Some(true),
        PossibleFormats: Some(HashSet::from([BarcodeFormat::QR_CODE])),
        ..DecodeHints::default()
    }
}

/// rxing: every code its multiple reader finds, else the one its filtered reader finds. A
/// panic inside the decoder (a picture from outside reaches it) counts as nothing found.
fn with_rxing(picture: &GrayImage) -> Vec<String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rxing_unguarded(picture)))
        .unwrap_or_default()
}

fn rxing_unguarded(picture: &GrayImage) -> Vec<String> {
    let (width, height) = picture.dimensions();
    let luma = picture.as_raw().clone();
    if let Ok(found) = rxing::helpers::detect_multiple_in_luma_with_hints(
        luma.clone(),
        width,
        height,
        &mut hints(),
    ) {
        let texts: Vec<String> = found.iter().map(|r| r.getText().to_owned()).collect();
        if !texts.is_empty() {
            return texts;
        }
    }
    rxing::helpers::detect_in_luma_filtered_with_hints(
        luma,
        width,
        height,
        Some(BarcodeFormat::QR_CODE),
        &mut hints(),
    )
    .map(|r| vec![r.getText().to_owned()])
    .unwrap_or_default()
}

/// rqrr: every grid it detects and decodes; the last decoding error when it detected some
/// and decoded none.
fn with_rqrr(picture: &GrayImage) -> Result<Vec<String>, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rqrr_unguarded(picture)))
        .unwrap_or_else(|_| Ok(Vec::new()))
}

fn rqrr_unguarded(picture: &GrayImage) -> Result<Vec<String>, String> {
    let mut prepared = rqrr::PreparedImage::prepare(picture.clone());
    let mut texts = Vec::new();
    let mut last_error = None;
    for grid in prepared.detect_grids() {
        match grid.decode() {
            Ok((_, text)) => texts.push(text),
            Err(e) => last_error = Some(e.to_string()),
        }
    }
    match (texts.is_empty(), last_error) {
        (true, Some(e)) => Err(e),
        _ => Ok(texts),
    }
}

fn unique(texts: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    texts
        .into_iter()
        .filter(|t| seen.insert(t.clone()))
        .collect()
}

/// Each decoder on its own, for the read-rate comparison (docs/benchmarks.md).
pub mod engines {
    use image::GrayImage;

    /// rxing alone, on the whole picture.
    pub fn rxing(picture: &GrayImage) -> Vec<String> {
        super::with_rxing(picture)
    }

    /// rqrr alone, on the whole picture (what the agent and the desk used before).
    pub fn rqrr(picture: &GrayImage) -> Vec<String> {
        super::with_rqrr(picture).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_picture_without_a_code_is_not_found() {
        let blank = GrayImage::from_pixel(300, 200, image::Luma([255]));
        assert_eq!(qr_texts(&blank), Err(ScanError::NotFound));
        let tiny = GrayImage::from_pixel(1, 1, image::Luma([0]));
        assert_eq!(qr_texts(&tiny), Err(ScanError::NotFound));
    }

    #[test]
    fn a_washed_out_picture_is_stretched_and_a_full_one_is_not() {
        let mut grey = GrayImage::from_pixel(100, 100, image::Luma([120]));
        for x in 0..50 {
            for y in 0..100 {
                grey.put_pixel(x, y, image::Luma([150]));
            }
        }
        let out = stretch(&grey).expect("a span of 30 levels is stretched");
        assert_eq!(out.get_pixel(0, 0).0[0], 255);
        assert_eq!(out.get_pixel(99, 0).0[0], 0);
        let mut full = grey.clone();
        full.put_pixel(0, 0, image::Luma([0]));
        for x in 0..50 {
            full.put_pixel(x, 1, image::Luma([255]));
            full.put_pixel(x + 50, 1, image::Luma([0]));
        }
        assert!(stretch(&full).is_some(), "1% clipped: still 30 levels");
        let black_white =
            GrayImage::from_fn(100, 100, |x, _| image::Luma([if x < 50 { 0 } else { 255 }]));
        assert!(stretch(&black_white).is_none());
    }
}

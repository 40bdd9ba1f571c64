//! The bundled fonts (assets/fonts/, SIL Open Font License 1.1) and their subsetting.
//!
//! Arabic is set in Noto Naskh Arabic, everything else in Noto Sans; each in a regular and a
//! bold weight. The files are compiled into the binary. A document embeds each font it uses
//! once, subset to the glyphs its pages show, whatever the number of cards.

use std::collections::BTreeMap;

use allsorts::binary::read::ReadScope;
use allsorts::font_data::FontData;
use allsorts::subset::{subset, CmapTarget, SubsetProfile};
use rustybuzz::ttf_parser::GlyphId;
use rustybuzz::Face;

use super::PrintError;

/// One of the four bundled fonts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum FontKey {
    /// Noto Naskh Arabic Regular.
    ArabicRegular,
    /// Noto Naskh Arabic Bold.
    ArabicBold,
    /// Noto Sans Regular (Latin, digits, punctuation).
    LatinRegular,
    /// Noto Sans Bold.
    LatinBold,
}

/// Regular or bold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weight {
    /// Regular.
    Regular,
    /// Bold.
    Bold,
}

impl FontKey {
    /// Every font, in index order.
    pub(crate) const ALL: [FontKey; 4] = [
        FontKey::ArabicRegular,
        FontKey::ArabicBold,
        FontKey::LatinRegular,
        FontKey::LatinBold,
    ];

    /// The font for a script and weight.
    pub(crate) fn of(arabic: bool, weight: Weight) -> FontKey {
        match (arabic, weight) {
            (true, Weight::Regular) => FontKey::ArabicRegular,
            (true, Weight::Bold) => FontKey::ArabicBold,
            (false, Weight::Regular) => FontKey::LatinRegular,
            (false, Weight::Bold) => FontKey::LatinBold,
        }
    }

    /// Position in [`FontKey::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Whether this is an Arabic font.
    pub(crate) fn is_arabic(self) -> bool {
        matches!(self, FontKey::ArabicRegular | FontKey::ArabicBold)
    }

    /// The same weight in the other script's font.
    pub(crate) fn other_script(self) -> FontKey {
        match self {
            FontKey::ArabicRegular => FontKey::LatinRegular,
            FontKey::ArabicBold => FontKey::LatinBold,
            FontKey::LatinRegular => FontKey::ArabicRegular,
            FontKey::LatinBold => FontKey::ArabicBold,
        }
    }

    /// The file name under assets/fonts/.
    pub(crate) fn file_name(self) -> &'static str {
        match self {
            FontKey::ArabicRegular => "NotoNaskhArabic-Regular.ttf",
            FontKey::ArabicBold => "NotoNaskhArabic-Bold.ttf",
            FontKey::LatinRegular => "NotoSans-Regular.ttf",
            FontKey::LatinBold => "NotoSans-Bold.ttf",
        }
    }

    /// The font file.
    pub(crate) fn bytes(self) -> &'static [u8] {
        match self {
            FontKey::ArabicRegular => {
                include_bytes!("../assets/fonts/NotoNaskhArabic-Regular.ttf")
            }
            FontKey::ArabicBold => include_bytes!("../assets/fonts/NotoNaskhArabic-Bold.ttf"),
            FontKey::LatinRegular => include_bytes!("../assets/fonts/NotoSans-Regular.ttf"),
            FontKey::LatinBold => include_bytes!("../assets/fonts/NotoSans-Bold.ttf"),
        }
    }
}

/// The parsed fonts, for shaping and metrics.
pub(crate) struct Fonts {
    faces: Vec<Face<'static>>,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts").finish_non_exhaustive()
    }
}

impl Fonts {
    /// Parses the bundled fonts.
    ///
    /// # Errors
    /// [`PrintError::Font`] if a bundled file does not parse (a broken build).
    pub(crate) fn load() -> Result<Fonts, PrintError> {
        let faces = FontKey::ALL
            .iter()
            .map(|key| Face::from_slice(key.bytes(), 0).ok_or(PrintError::Font(key.file_name())))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Fonts { faces })
    }

    /// The face of a font. `faces` holds one per key, in [`FontKey::ALL`] order.
    pub(crate) fn face(&self, key: FontKey) -> &Face<'static> {
        &self.faces[key.index()]
    }

    /// Whether the font maps `c` to a glyph.
    pub(crate) fn has_glyph(&self, key: FontKey, c: char) -> bool {
        self.face(key).glyph_index(c).is_some()
    }

    /// Font units per em.
    pub(crate) fn units_per_em(&self, key: FontKey) -> f32 {
        self.face(key).units_per_em().max(1) as f32
    }

    /// The advance the PDF viewer applies after a glyph, in thousandths of an em: the glyph's
    /// `hmtx` advance scaled and truncated exactly as printpdf writes it into `/W`.
    pub(crate) fn pdf_advance(&self, key: FontKey, gid: u16) -> i64 {
        let face = self.face(key);
        let advance = face.glyph_hor_advance(GlyphId(gid)).unwrap_or(0);
        let upem = face.units_per_em().max(1) as f32;
        (f32::from(advance) * 1000.0 / upem) as i64
    }
}

/// A font cut down to the glyphs a document uses.
#[derive(Debug)]
pub(crate) struct Subset {
    /// The subset font program (TrueType).
    pub(crate) bytes: Vec<u8>,
    /// Original glyph id → glyph id in the subset; 0 for glyphs not kept.
    remap: Vec<u16>,
}

impl Subset {
    /// The subset's glyph id for an original glyph id.
    pub(crate) fn gid(&self, original: u16) -> u16 {
        self.remap.get(usize::from(original)).copied().unwrap_or(0)
    }
}

/// Subsets `key` to the glyphs in `used` (original glyph ids) and .notdef.
///
/// allsorts numbers the kept glyphs by their position in the list it is given (components of
/// composite glyphs come after them), so glyph `used[i]` becomes `i + 1`.
///
/// # Errors
/// [`PrintError::Subset`] when allsorts cannot read or write the font.
pub(crate) fn subset_font(
    key: FontKey,
    used: &BTreeMap<u16, String>,
) -> Result<Subset, PrintError> {
    let fail = |reason: String| PrintError::Subset {
        font: key.file_name(),
        reason,
    };
    let ids: Vec<u16> = std::iter::once(0)
        .chain(used.keys().copied().filter(|&gid| gid != 0))
        .collect();
    let data = ReadScope::new(key.bytes())
        .read::<FontData<'_>>()
        .map_err(|e| fail(e.to_string()))?;
    let provider = data.table_provider(0).map_err(|e| fail(e.to_string()))?;
    let bytes = subset(&provider, &ids, &SubsetProfile::Pdf, CmapTarget::Unicode)
        .map_err(|e| fail(e.to_string()))?;
    let len = ids.iter().copied().max().map_or(0, usize::from) + 1;
    let mut remap = vec![0u16; len];
    for (new, &old) in ids.iter().enumerate() {
        let new = u16::try_from(new).map_err(|_| fail("more than 65,535 glyphs".into()))?;
        remap[usize::from(old)] = new;
    }
    Ok(Subset { bytes, remap })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_font_parses_and_covers_its_script() {
        let fonts = Fonts::load().unwrap();
        for c in ['ب', 'ل', 'ا', 'ة', 'ي'] {
            assert!(fonts.has_glyph(FontKey::ArabicRegular, c));
            assert!(fonts.has_glyph(FontKey::ArabicBold, c));
        }
        for c in ['A', 'z', '0', '+', '-', '—', 'é', 'Ş'] {
            assert!(fonts.has_glyph(FontKey::LatinRegular, c));
            assert!(fonts.has_glyph(FontKey::LatinBold, c));
        }
    }

    #[test]
    fn subset_keeps_glyph_outlines_and_is_much_smaller() {
        let fonts = Fonts::load().unwrap();
        let face = fonts.face(FontKey::LatinRegular);
        let used: BTreeMap<u16, String> = "Fatima"
            .chars()
            .map(|c| (face.glyph_index(c).unwrap().0, c.to_string()))
            .collect();
        let subset = subset_font(FontKey::LatinRegular, &used).unwrap();
        assert!(subset.bytes.len() * 20 < FontKey::LatinRegular.bytes().len());
        let sub = Face::from_slice(&subset.bytes, 0).unwrap();
        for &gid in used.keys() {
            let new = subset.gid(gid);
            assert_ne!(new, 0);
            assert_eq!(
                sub.glyph_hor_advance(GlyphId(new)),
                face.glyph_hor_advance(GlyphId(gid))
            );
            assert!(sub.glyph_bounding_box(GlyphId(new)).is_some());
        }
    }
}

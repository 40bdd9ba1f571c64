//! Text shaping: the bidi algorithm orders a line into runs, each run is split by font
//! (Arabic script in Noto Naskh Arabic, the rest in Noto Sans), and rustybuzz (HarfBuzz's
//! OpenType shaper) turns each piece into positioned glyphs: Arabic letters in their joined
//! contextual forms, lam-alef ligatures, marks placed, Latin kerned.
//!
//! The result is a line of glyphs in visual order, left to right, with positions in ems of
//! the font size, ready to be placed on a page at any size.

use std::collections::HashMap;
use std::ops::Range;

use rustybuzz::{script, Direction, ShapePlan, UnicodeBuffer};
use unicode_bidi::{Level, ParagraphBidiInfo};

use super::fonts::{FontKey, Fonts, Weight};

/// The paragraph direction of a line: the direction its neutral characters follow and the
/// side it is aligned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dir {
    /// Left to right (Latin fields).
    Ltr,
    /// Right to left (Arabic fields).
    Rtl,
}

/// One positioned glyph.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ShapedGlyph {
    /// Its font.
    pub(crate) font: FontKey,
    /// Glyph id in the (full) font.
    pub(crate) gid: u16,
    /// Where its origin goes, in ems from the line's left edge (offsets included).
    pub(crate) x: f32,
    /// Its vertical offset from the baseline, in ems (marks, cursive attachment).
    pub(crate) y: f32,
    /// The bytes of the line's text this glyph stands for (its cluster), for text
    /// extraction; empty for the second and later glyphs of a cluster.
    pub(crate) text: Range<usize>,
}

/// A shaped line.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ShapedText {
    /// The text, in logical order.
    pub(crate) text: String,
    /// Glyphs in visual order, left to right.
    pub(crate) glyphs: Vec<ShapedGlyph>,
    /// The advance width of the line, in ems.
    pub(crate) width: f32,
}

impl ShapedText {
    /// The text a glyph stands for.
    pub(crate) fn cluster_text(&self, glyph: &ShapedGlyph) -> &str {
        self.text.get(glyph.text.clone()).unwrap_or("")
    }
}

/// A character that no bundled font can draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unprintable(pub(crate) char);

/// Shapes lines, caching one shaping plan per font and direction.
pub(crate) struct Shaper<'f> {
    fonts: &'f Fonts,
    plans: HashMap<(FontKey, bool), ShapePlan>,
}

impl std::fmt::Debug for Shaper<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shaper").finish_non_exhaustive()
    }
}

/// Arabic-script characters: Arabic, Arabic Supplement, Extended-A and the presentation forms.
fn is_arabic(c: char) -> bool {
    matches!(c,
        '\u{0600}'..='\u{06FF}'
        | '\u{0750}'..='\u{077F}'
        | '\u{08A0}'..='\u{08FF}'
        | '\u{FB50}'..='\u{FDFF}'
        | '\u{FE70}'..='\u{FEFE}')
}

/// Which script's font a character asks for: `Some(true)` Arabic, `Some(false)` Latin (any
/// other letter), `None` for neutrals (spaces, digits, punctuation, joiners, marks) that
/// follow their neighbours.
fn script_of(c: char) -> Option<bool> {
    if is_arabic(c) {
        Some(true)
    } else if c.is_alphabetic() {
        Some(false)
    } else {
        None
    }
}

/// Characters that shaping hides when a font has no glyph for them (Unicode
/// Default_Ignorable_Code_Point, the ones that can appear in names and labels).
fn is_default_ignorable(c: char) -> bool {
    matches!(c,
        '\u{00AD}'
        | '\u{034F}'
        | '\u{061C}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}')
}

impl<'f> Shaper<'f> {
    /// A shaper over the bundled fonts.
    pub(crate) fn new(fonts: &'f Fonts) -> Shaper<'f> {
        Shaper {
            fonts,
            plans: HashMap::new(),
        }
    }

    /// The fonts.
    pub(crate) fn fonts(&self) -> &'f Fonts {
        self.fonts
    }

    /// Shapes one line of text in `weight`, with paragraph direction `dir`.
    ///
    /// # Errors
    /// [`Unprintable`] for a control character (line breaks included) or a character that
    /// neither font has.
    pub(crate) fn shape(
        &mut self,
        text: &str,
        weight: Weight,
        dir: Dir,
    ) -> Result<ShapedText, Unprintable> {
        if let Some(c) = text.chars().find(|c| c.is_control()) {
            return Err(Unprintable(c));
        }
        let mut line = ShapedText {
            text: text.to_owned(),
            glyphs: Vec::new(),
            width: 0.0,
        };
        if text.is_empty() {
            return Ok(line);
        }
        let level = match dir {
            Dir::Ltr => Level::ltr(),
            Dir::Rtl => Level::rtl(),
        };
        let bidi = ParagraphBidiInfo::new(text, Some(level));
        let (levels, runs) = bidi.visual_runs(0..text.len());
        let mut pen = 0.0f32;
        for run in runs {
            let rtl = levels.get(run.start).is_some_and(|l| l.is_rtl());
            let segments = self.segments(text, run.clone(), rtl, weight)?;
            let ordered: Box<dyn Iterator<Item = &(Range<usize>, FontKey)>> = if rtl {
                Box::new(segments.iter().rev())
            } else {
                Box::new(segments.iter())
            };
            for (range, font) in ordered {
                let context = (
                    text.get(run.start..range.start).unwrap_or(""),
                    text.get(range.end..run.end).unwrap_or(""),
                );
                pen = self.shape_segment(&mut line, range.clone(), context, *font, rtl, pen)?;
            }
        }
        line.width = pen;
        Ok(line)
    }

    /// Splits a bidi run (byte range of `text`) into pieces of one font each, in logical order.
    fn segments(
        &self,
        text: &str,
        run: Range<usize>,
        rtl: bool,
        weight: Weight,
    ) -> Result<Vec<(Range<usize>, FontKey)>, Unprintable> {
        let run_text = text.get(run.clone()).unwrap_or("");
        let chars: Vec<(usize, char)> = run_text.char_indices().collect();
        // Neutrals take the script of the previous letter in the run, else of the next one,
        // else the run's direction's.
        let strong: Vec<Option<bool>> = chars.iter().map(|&(_, c)| script_of(c)).collect();
        let mut resolved = vec![rtl; chars.len()];
        let mut last: Option<bool> = None;
        for (i, s) in strong.iter().enumerate() {
            if s.is_some() {
                last = *s;
            }
            resolved[i] = match last {
                Some(arabic) => arabic,
                None => strong[i..].iter().flatten().next().copied().unwrap_or(rtl),
            };
        }
        let mut segments: Vec<(Range<usize>, FontKey)> = Vec::new();
        for (i, &(offset, c)) in chars.iter().enumerate() {
            let mut font = FontKey::of(resolved[i], weight);
            if !self.fonts.has_glyph(font, c) {
                if self.fonts.has_glyph(font.other_script(), c) {
                    font = font.other_script();
                } else if !is_default_ignorable(c) {
                    return Err(Unprintable(c));
                }
            }
            let start = run.start + offset;
            let end = start + c.len_utf8();
            match segments.last_mut() {
                Some((range, f)) if *f == font => range.end = end,
                _ => segments.push((start..end, font)),
            }
        }
        Ok(segments)
    }

    /// Shapes `range` of the line's text in one font and direction, appending its glyphs at
    /// `pen` (ems); returns the pen after them.
    fn shape_segment(
        &mut self,
        line: &mut ShapedText,
        range: Range<usize>,
        (before, after): (&str, &str),
        font: FontKey,
        rtl: bool,
        mut pen: f32,
    ) -> Result<f32, Unprintable> {
        let segment = line.text.get(range.clone()).unwrap_or("");
        let face = self.fonts.face(font);
        let direction = if rtl {
            Direction::RightToLeft
        } else {
            Direction::LeftToRight
        };
        let script = if font.is_arabic() {
            script::ARABIC
        } else {
            script::LATIN
        };
        let mut buffer = UnicodeBuffer::new();
        buffer.set_pre_context(before);
        buffer.push_str(segment);
        buffer.set_post_context(after);
        buffer.set_direction(direction);
        buffer.set_script(script);
        let plan = self
            .plans
            .entry((font, rtl))
            .or_insert_with(|| ShapePlan::new(face, direction, Some(script), None, &[]));
        let output = rustybuzz::shape_with_plan(face, plan, buffer);
        let upem = self.fonts.units_per_em(font);

        // Cluster starts (byte offsets in `segment`), to find each cluster's text.
        let mut starts: Vec<usize> = output
            .glyph_infos()
            .iter()
            .map(|g| g.cluster as usize)
            .collect();
        starts.sort_unstable();
        starts.dedup();
        let mut seen = vec![false; starts.len()];

        for (info, pos) in output.glyph_infos().iter().zip(output.glyph_positions()) {
            let cluster = info.cluster as usize;
            let gid = u16::try_from(info.glyph_id).unwrap_or(0);
            if gid == 0 {
                let c = segment
                    .get(cluster..)
                    .and_then(|s| s.chars().next())
                    .unwrap_or('\u{FFFD}');
                return Err(Unprintable(c));
            }
            let index = starts.binary_search(&cluster).unwrap_or(0);
            let text = if seen.get(index).copied().unwrap_or(true) {
                0..0
            } else {
                seen[index] = true;
                let end = starts.get(index + 1).copied().unwrap_or(segment.len());
                range.start + cluster..range.start + end
            };
            line.glyphs.push(ShapedGlyph {
                font,
                gid,
                x: pen + pos.x_offset as f32 / upem,
                y: pos.y_offset as f32 / upem,
                text,
            });
            pen += pos.x_advance as f32 / upem;
        }
        Ok(pen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fonts() -> Fonts {
        Fonts::load().unwrap()
    }

    /// The glyph a font's cmap gives a character on its own (its isolated form).
    fn nominal(fonts: &Fonts, font: FontKey, c: char) -> u16 {
        fonts.face(font).glyph_index(c).unwrap().0
    }

    #[test]
    fn arabic_word_is_joined_in_contextual_forms_right_to_left() {
        let fonts = fonts();
        let mut shaper = Shaper::new(&fonts);
        let word = "محمد";
        let line = shaper.shape(word, Weight::Regular, Dir::Rtl).unwrap();
        assert!(line.glyphs.iter().all(|g| g.font == FontKey::ArabicRegular));
        // Visual order is left to right, so the logically first letter (meem) is last and
        // the glyphs' clusters go down from right to left.
        let clusters: Vec<usize> = line
            .glyphs
            .iter()
            .filter(|g| !g.text.is_empty())
            .map(|g| g.text.start)
            .collect();
        let mut descending = clusters.clone();
        descending.sort_unstable_by(|a, b| b.cmp(a));
        assert_eq!(clusters, descending, "glyphs not in right-to-left order");
        assert_eq!(clusters.last(), Some(&0));
        // Every letter of a joined four-letter word takes a contextual (initial, medial,
        // final) form, none of them the isolated form the cmap gives.
        let isolated: Vec<u16> = word
            .chars()
            .map(|c| nominal(&fonts, FontKey::ArabicRegular, c))
            .collect();
        let first = line.glyphs.last().unwrap();
        assert_ne!(first.gid, isolated[0], "meem not in its initial form");
        let last = line.glyphs.first().unwrap();
        assert_ne!(last.gid, isolated[3], "dal not in its final form");
        for g in &line.glyphs {
            let text = line.cluster_text(g);
            if let Some(c) = text.chars().next() {
                let nominal = nominal(&fonts, FontKey::ArabicRegular, c);
                assert_ne!(g.gid, nominal, "{text} in its isolated form");
            }
        }
        // Left to right on the page.
        assert!(line.glyphs.windows(2).all(|w| w[0].x <= w[1].x));
        assert!(line.width > 0.5);
    }

    fn glyph_name(fonts: &Fonts, font: FontKey, gid: u16) -> String {
        let name = fonts
            .face(font)
            .glyph_name(rustybuzz::ttf_parser::GlyphId(gid));
        name.unwrap_or_default().to_owned()
    }

    #[test]
    fn lam_alef_takes_the_required_ligature_forms() {
        let fonts = fonts();
        let mut shaper = Shaper::new(&fonts);
        for (weight, font) in [
            (Weight::Regular, FontKey::ArabicRegular),
            (Weight::Bold, FontKey::ArabicBold),
        ] {
            let line = shaper.shape("لا", weight, Dir::Rtl).unwrap();
            // Noto Naskh Arabic builds the lam-alef ligature (feature `rlig`) from two glyphs
            // drawn at one place: a lam and an alef designed to join as one shape, the alef
            // without advance. Neither is the letter's own glyph.
            let names: Vec<String> = line
                .glyphs
                .iter()
                .map(|g| glyph_name(&fonts, font, g.gid))
                .collect();
            assert_eq!(names, ["uniFE8E.rlig", "uniFEDF.rlig"], "{line:?}");
            assert_eq!(line.glyphs[0].x, line.glyphs[1].x);
            let lam = nominal(&fonts, font, 'ل');
            let alef = nominal(&fonts, font, 'ا');
            assert!(line.glyphs.iter().all(|g| g.gid != lam && g.gid != alef));
            let alone = shaper.shape("ل ا", weight, Dir::Rtl).unwrap();
            assert!(
                line.width < alone.width - 0.2,
                "no narrower than two letters apart"
            );
        }
    }

    #[test]
    fn allah_becomes_one_ligature_glyph() {
        let fonts = fonts();
        let mut shaper = Shaper::new(&fonts);
        let line = shaper.shape("عبدالله", Weight::Bold, Dir::Rtl).unwrap();
        let names: Vec<String> = line
            .glyphs
            .iter()
            .map(|g| glyph_name(&fonts, FontKey::ArabicBold, g.gid))
            .collect();
        // Lam, lam and heh in one glyph, which stands for all three letters.
        let lig = names
            .iter()
            .position(|n| n == "uniFEDF_uniFEE0_uniFEEA")
            .unwrap_or_else(|| panic!("{names:?}"));
        assert_eq!(line.cluster_text(&line.glyphs[lig]), "لله");
    }

    #[test]
    fn arabic_words_are_laid_out_right_to_left() {
        let fonts = fonts();
        let mut shaper = Shaper::new(&fonts);
        let line = shaper
            .shape("فاطمة محمد", Weight::Regular, Dir::Rtl)
            .unwrap();
        // The first word (bytes 0..10) is on the right of the second.
        let x_of = |pred: &dyn Fn(usize) -> bool| {
            line.glyphs
                .iter()
                .filter(|g| !g.text.is_empty() && pred(g.text.start))
                .map(|g| g.x)
                .fold(f32::NAN, f32::max)
        };
        let first_word = x_of(&|start| start < "فاطمة".len());
        let second_word = x_of(&|start| start > "فاطمة".len());
        assert!(first_word > second_word);
    }

    #[test]
    fn mixed_line_uses_both_fonts_in_bidi_order() {
        let fonts = fonts();
        let mut shaper = Shaper::new(&fonts);
        let text = "Expires · تاريخ الانتهاء";
        let line = shaper.shape(text, Weight::Regular, Dir::Ltr).unwrap();
        let first = line.glyphs.first().unwrap();
        assert_eq!(first.font, FontKey::LatinRegular);
        assert_eq!(line.cluster_text(first), "E");
        let last = line.glyphs.last().unwrap();
        assert_eq!(last.font, FontKey::ArabicRegular);
        // The Arabic run reads right to left: its rightmost glyph is its first letter.
        assert_eq!(line.cluster_text(last), "ت");
    }

    #[test]
    fn digits_inside_arabic_stay_left_to_right() {
        let fonts = fonts();
        let mut shaper = Shaper::new(&fonts);
        let line = shaper.shape("عام 2026", Weight::Regular, Dir::Rtl).unwrap();
        let digits: Vec<&str> = line
            .glyphs
            .iter()
            .map(|g| line.cluster_text(g))
            .filter(|t| t.chars().all(|c| c.is_ascii_digit()) && !t.is_empty())
            .collect();
        assert_eq!(digits.concat(), "2026");
        // The number is at the left end of a right-to-left line.
        assert_eq!(line.cluster_text(&line.glyphs[0]), "2");
    }

    #[test]
    fn unprintable_characters_are_reported() {
        let fonts = fonts();
        let mut shaper = Shaper::new(&fonts);
        assert_eq!(
            shaper.shape("a\nb", Weight::Regular, Dir::Ltr),
            Err(Unprintable('\n'))
        );
        assert_eq!(
            shaper.shape("Ali 😀", Weight::Regular, Dir::Ltr),
            Err(Unprintable('😀'))
        );
        assert_eq!(
            shaper.shape("李", Weight::Bold, Dir::Rtl),
            Err(Unprintable('李'))
        );
        assert!(shaper
            .shape("", Weight::Bold, Dir::Rtl)
            .unwrap()
            .glyphs
            .is_empty());
        // A zero-width non-joiner (allowed in names) is fine.
        assert!(shaper
            .shape("عبد\u{200C}الله", Weight::Bold, Dir::Rtl)
            .is_ok());
    }
}

//! Transliteration of Arabic name parts into Latin letters: the strict ICAO Doc 9303
//! Part 3 Table C form ([`icao_mrz`]), a readable proposal from the same table
//! ([`transliterate_icao`]), and the registrar's proposal ([`propose_latin`]: the usual
//! spelling of a common name, else the readable ICAO form).

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use super::{common, fold_arabic, is_arabic_letter, is_invisible};

/// One letter of an Arabic word with the marks written after it.
#[derive(Debug, Clone, Copy, Default)]
struct Letter {
    base: char,
    /// Short vowel from fatha / damma / kasra (or superscript alef, read as a).
    vowel: Option<char>,
    shadda: bool,
    sukun: bool,
}

/// Splits an Arabic word into letters, attaching the harakat to the letter before them.
/// Only Arabic letters are kept (tatweel, invisible and other characters are dropped);
/// tanwin is ignored, as usual in names.
fn letters(word: &str) -> Vec<Letter> {
    let mut out: Vec<Letter> = Vec::new();
    for c in word.nfkc() {
        let mark = |l: &mut Letter| match c {
            '\u{064E}' | '\u{0670}' => l.vowel = Some('a'),
            '\u{064F}' => l.vowel = Some('u'),
            '\u{0650}' => l.vowel = Some('i'),
            '\u{0651}' => l.shadda = true,
            '\u{0652}' => l.sukun = true,
            _ => {}
        };
        if is_combining_mark(c) {
            if let Some(last) = out.last_mut() {
                mark(last);
            }
        } else if is_arabic_letter(c) {
            let base = c;
            out.push(Letter {
                base,
                ..Default::default()
            });
        }
    }
    out
}

/// ICAO Doc 9303 Part 3, Section 6, Table C ("Transliteration of Arabic script"), MRZ
/// column (7th edition, 2015). ة is handled by the caller: XTA, or XAH at the end of a
/// name component. Harakat and tatweel are "not encoded".
#[rustfmt::skip]
fn icao_code(c: char) -> Option<&'static str> {
    Some(match c {
        'ء' => "XE", 'آ' => "XAA", 'أ' => "XAE", 'ؤ' => "U", 'إ' => "I", 'ئ' => "XI", 'ا' => "A",
        'ب' => "B", 'ت' => "T", 'ث' => "XTH", 'ج' => "J", 'ح' => "XH", 'خ' => "XKH", 'د' => "D",
        'ذ' => "XDH", 'ر' => "R", 'ز' => "Z", 'س' => "S", 'ش' => "XSH", 'ص' => "XSS",
        'ض' => "XDZ", 'ط' => "XTT", 'ظ' => "XZZ", 'ع' => "E", 'غ' => "G", 'ف' => "F", 'ق' => "Q",
        'ك' => "K", 'ل' => "L", 'م' => "M", 'ن' => "N", 'ه' => "H", 'و' => "W", 'ى' => "XAY",
        'ي' => "Y", 'ٱ' => "XXA", 'پ' => "P", 'چ' => "XC", 'ژ' => "XJ", 'ک' => "XKK",
        'گ' => "XGG", 'ی' => "XYA",
        _ => return None,
    })
}

/// The strict ICAO Doc 9303 Part 3 transliteration of an Arabic name part, as it would
/// appear in a machine-readable zone: A–Z only, words separated by `<`.
///
/// The table is Doc 9303 Part 3, Section 6, Table C, with the notes of the informative
/// Appendix B, as read from the 7th edition (2015).
/// - Letters with no simple Latin equivalent are escaped with a leading X, e.g. ح XH,
///   خ XKH, ش XSH, ص XSS, ى XAY.
/// - ة is XTA, or XAH when it ends the name component.
/// - Harakat are not encoded, and shadda doubles the letter (عبّاس → `EBBAS`).
/// - The article is not assimilated and is written joined (الرازي → `ALRAZY`).
///
/// Characters outside the table are dropped.
pub fn icao_mrz(arabic_part: &str) -> String {
    let cleaned: String = arabic_part.chars().filter(|c| !is_invisible(*c)).collect();
    let words = cleaned.split_whitespace().map(|word| {
        let ls = letters(word);
        let mut out = String::new();
        for (i, l) in ls.iter().enumerate() {
            let code = match l.base {
                'ة' if i + 1 == ls.len() => "XAH",
                'ة' => "XTA",
                c => icao_code(c).unwrap_or_default(),
            };
            out.push_str(code);
            if l.shadda {
                out.push_str(code);
            }
        }
        out
    });
    words
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("<")
}

/// The Latin transliteration of an Arabic name part, for display, per ICAO Doc 9303
/// Part 3 (Section 6, Table C; Appendix B), in title case.
///
/// This is the readable form of [`icao_mrz`]. Appendix B tells readers of the MRZ to
/// ignore the X escape characters and to expect missing vowels, so:
/// - X-escaped letters become their usual digraph or letter: ح h, خ kh, ث th, ذ dh,
///   ش sh, غ gh; the emphatics ص s, ض d, ط t, ظ z; ى a.
/// - The hamza forms follow their vowel: أ a, إ i, آ a, ؤ u, ئ i, and ء is not shown.
/// - ة at the end of the part is "ah", following the ICAO example Fatimah (just "h"
///   after an a).
/// - The long vowels ا و ي give a, u, i. و and ي are read as w and y at the start of a
///   word, next to an alef, after a fatha, or when they carry a haraka or shadda.
/// - ع, which the table writes E, is written "a", or nothing before an alef or a haraka.
/// - Shadda doubles a one-letter consonant (digraphs are not doubled).
/// - The article ال at the start of the part is "Al-" + the rest, with no sun-letter
///   assimilation, as in ICAO's example al-Rāzi. الله is "Allah", and a part ending in
///   الله (عبدالله) ends in "allah".
///
/// Limitation: Table C does not encode short vowels, and Arabic names are usually
/// written without harakat. Then the result carries only the written letters (محمد →
/// "Mhmd", فاطمة → "Fatmah"). When the harakat are present they are used (مُحَمَّد →
/// "Muhammad", فاطِمَة → "Fatimah"), which goes beyond the MRZ table. Either way the
/// result is a proposal that the registrar corrects. A part starting with ال that is
/// not an article (e.g. الياس written without its hamza) is also wrong here.
pub fn transliterate_icao(arabic_part: &str) -> String {
    let cleaned: String = arabic_part.chars().filter(|c| !is_invisible(*c)).collect();
    let words: Vec<String> = cleaned
        .split_whitespace()
        .map(|word| {
            let ls = letters(word);
            let bases: Vec<char> = ls.iter().map(|l| l.base).collect();
            let n = bases.len();
            if n >= 4 && bases[n - 4..] == ['ا', 'ل', 'ل', 'ه'] {
                format!("{}allah", render(&ls[..n - 4]))
            } else if n >= 4 && bases[0] == 'ا' && bases[1] == 'ل' {
                format!("al-{}", render(&ls[2..]))
            } else {
                render(&ls)
            }
        })
        .filter(|w| !w.is_empty())
        .collect();
    title_case(&words.join(" "))
}

/// The Latin proposal for one Arabic name part: the conventional spelling when the part is
/// a common name ([`common`]; "Mohamed" for محمد, "Al-Warfalli" for الورفلي), else
/// [`transliterate_icao`]. The registrar corrects it either way.
pub fn propose_latin(arabic_part: &str) -> String {
    common_spelling(arabic_part).map_or_else(|| transliterate_icao(arabic_part), str::to_string)
}

/// The conventional spelling of a common name part, compared after [`fold_arabic`] with
/// spaces removed (عبد الله = عبدالله).
fn common_spelling(arabic_part: &str) -> Option<&'static str> {
    let squash = |s: &str| fold_arabic(s).replace(' ', "");
    let wanted = squash(arabic_part);
    if wanted.is_empty() {
        return None;
    }
    common::MALE
        .iter()
        .chain(common::FEMALE)
        .chain(common::FAMILY)
        .find(|(arabic, _)| squash(arabic) == wanted)
        .map(|(_, latin)| *latin)
}

/// Readable rendering of Arabic letters (lower case); see [`transliterate_icao`].
fn render(ls: &[Letter]) -> String {
    let mut out = String::new();
    for (i, l) in ls.iter().enumerate() {
        let prev = i.checked_sub(1).and_then(|j| ls.get(j));
        let next = ls.get(i + 1);
        let is_alef = |x: Option<&Letter>| x.is_some_and(|x| matches!(x.base, 'ا' | 'آ' | 'ى'));
        // A hamza form or ع: its haraka if written, else nothing under sukun, else `default`.
        let seat = |out: &mut String, default: &str| match l.vowel {
            Some(v) => out.push(v),
            None if l.sukun => {}
            None => out.push_str(default),
        };
        match l.base {
            'ا' | 'آ' | 'ٱ' | 'ى' => match l.vowel {
                Some(v) => out.push(v),
                None if out.ends_with('a') => {}
                None => out.push('a'),
            },
            'أ' => seat(&mut out, "a"),
            'إ' | 'ئ' => seat(&mut out, "i"),
            'ؤ' => seat(&mut out, "u"),
            'ء' => seat(&mut out, ""),
            'ع' => seat(&mut out, if is_alef(next) { "" } else { "a" }),
            'ة' if i + 1 == ls.len() => out.push_str(if out.ends_with('a') { "h" } else { "ah" }),
            'و' | 'ي' => {
                let (glide, long) = if l.base == 'و' {
                    ('w', 'u')
                } else {
                    ('y', 'i')
                };
                let consonant = i == 0
                    || l.vowel.is_some()
                    || (l.shadda && i + 1 < ls.len())
                    || prev.is_some_and(|p| p.vowel == Some('a'))
                    || is_alef(prev)
                    || is_alef(next);
                if consonant {
                    out.push(glide);
                    if l.shadda {
                        out.push(glide);
                    }
                    if let Some(v) = l.vowel {
                        out.push(v);
                    }
                } else if !out.ends_with(long) {
                    out.push(long);
                }
            }
            c => {
                let latin = readable_consonant(c);
                out.push_str(latin);
                if l.shadda && latin.len() == 1 {
                    out.push_str(latin);
                }
                if let Some(v) = l.vowel {
                    out.push(v);
                }
            }
        }
    }
    out
}

#[rustfmt::skip]
fn readable_consonant(c: char) -> &'static str {
    match c {
        'ب' => "b", 'ت' | 'ط' | 'ة' => "t", 'ث' => "th", 'ج' => "j", 'ح' | 'ه' => "h",
        'خ' => "kh", 'د' | 'ض' => "d", 'ذ' => "dh", 'ر' => "r", 'ز' | 'ظ' => "z",
        'س' | 'ص' => "s", 'ش' => "sh", 'غ' => "gh", 'ف' => "f", 'ق' => "q", 'ك' | 'ک' => "k",
        'ل' => "l", 'م' => "m", 'ن' => "n", 'پ' => "p", 'چ' => "ch", 'ژ' => "zh", 'گ' => "g",
        'ی' => "y",
        _ => "",
    }
}

/// Upper-cases the first letter of each space- or hyphen-separated segment.
fn title_case(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = c == ' ' || c == '-';
    }
    out
}

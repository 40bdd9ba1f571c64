//! Patient names: Arabic folding for search, ICAO Doc 9303 transliteration, search keys.
//!
//! This module owns the text rules for patient names (DOMAIN.md, "Patient identity").
//! It is pure: no I/O, no database, no state.
//!
//! - [`fold_arabic`] is the Arabic search normalisation.
//! - [`icao_mrz`] is the strict ICAO Doc 9303 Part 3 Table C transliteration, e.g.
//!   محمد → `MXHMD`. [`transliterate_icao`] is a readable display proposal derived from
//!   that table, e.g. محمد → `Mhmd`, or مُحَمَّد → `Muhammad` when the harakat are written.
//!   Arabic names are normally written without short vowels, so the proposal is often
//!   vowel-poor. The registrar corrects it, and the UI shows it as a proposal only.
//! - [`search_keys`] and [`query_keys`] turn names and free-text queries into comparable
//!   keys. Arabic keys start with `a:`, Latin keys with `l:`. A patient matches a query
//!   when every query key is among the patient's keys. The keys merge spelling variants,
//!   so a search can return a few extra candidates. That is accepted: missing the
//!   patient is not.

pub mod common;
mod transliterate;

pub use transliterate::{icao_mrz, propose_latin, transliterate_icao};

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Folds Arabic text for search (DOMAIN.md, "Patient identity").
///
/// Steps:
/// - NFKC, rather than NFC. NFKC also turns Arabic presentation forms (U+FB50..U+FEFF,
///   common in text copied from PDFs) and the ligature ﷲ into plain letters.
/// - Alef forms أ إ آ ٱ (and ٲ ٳ) become ا; ة becomes ه; ى becomes ي.
/// - Hamza seats ؤ → و and ئ → ي. These two are not in DOMAIN.md, but they are common
///   search practice, since writers drop the hamza freely.
/// - The Persian letters ی and ک become ي and ك, as typed on Persian keyboard layouts.
/// - Removed: tashkeel (U+064B..U+065F), superscript alef (U+0670), Quranic marks
///   (U+06D6..U+06ED), tatweel (U+0640), ZWNJ/ZWJ, and the other invisible format
///   characters (bidi marks, ZWSP, BOM).
/// - Whitespace is collapsed to single spaces and trimmed.
///
/// Characters of other scripts pass through unchanged.
pub fn fold_arabic(text: &str) -> String {
    let folded: String = text.nfkc().filter_map(fold_char).collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn fold_char(c: char) -> Option<char> {
    match c {
        'أ' | 'إ' | 'آ' | 'ٱ' | 'ٲ' | 'ٳ' => Some('ا'),
        'ة' => Some('ه'),
        'ى' | 'ئ' | 'ی' => Some('ي'),
        'ؤ' => Some('و'),
        'ک' => Some('ك'),
        '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{06D6}'..='\u{06ED}' | '\u{0640}' => None,
        c if is_invisible(c) => None,
        c => Some(c),
    }
}

/// Zero-width and bidi format characters that copy-paste leaves inside names.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

/// An Arabic-script letter: hamza to yeh (without tatweel), and the extended letters
/// ٱ to ۓ (Persian, Urdu and others).
fn is_arabic_letter(c: char) -> bool {
    matches!(c, '\u{0621}'..='\u{063A}' | '\u{0641}'..='\u{064A}' | '\u{0671}'..='\u{06D3}')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Script {
    Arabic,
    Latin,
}

/// Splits text into words: letters and digits with their combining marks. Apostrophes
/// and ʿ/ʾ are dropped inside a word (Mu'ammar = Muammar); any other character
/// (space, hyphen, comma, ...) ends a word. Each word is tagged with its script.
fn tokens(text: &str) -> Vec<(Script, String)> {
    let apostrophe = |c: char| matches!(c, '\'' | '’' | '‘' | 'ʼ' | 'ʿ' | 'ʾ' | '`' | '´');
    let text: String = text
        .nfkc()
        .filter(|c| !is_invisible(*c) && !apostrophe(*c))
        .collect();
    let words = text.split(|c: char| !c.is_alphanumeric() && !is_combining_mark(c));
    let script = |w: &str| match w.chars().any(is_arabic_letter) {
        true => Script::Arabic,
        false => Script::Latin,
    };
    words
        .filter(|w| !w.is_empty())
        .map(|w| (script(w), w.to_string()))
        .collect()
}

/// Articles written apart join the next word; see [`group`].
const LATIN_ARTICLES: &[&str] = &["al", "el", "il"];
/// Sun-letter articles written apart (Ar-Rashid, Es-Sayed): dropped before their letter.
const LATIN_SUN_ARTICLES: &[&str] = &[
    "ad", "adh", "an", "ar", "as", "ash", "at", "ath", "az", "ed", "en", "er", "es", "esh", "et",
    "ez",
];
/// Compound-name prefixes: they join the next word.
const LATIN_PREFIXES: &[&str] = &[
    "abd", "abdel", "abdul", "abdal", "abdoul", "abu", "abou", "abo", "bou", "bu", "ben", "bin",
    "ibn",
];
/// Words that join the previous word (Nasr Allah, Salah Eddine).
const LATIN_SUFFIXES: &[&str] = &[
    "allah", "alla", "ullah", "ulla", "illah", "eddin", "eddine", "edine", "uddin", "addin",
    "aldin", "eldin", "eddeen", "aldeen", "eldeen",
];
const ARABIC_PREFIXES: &[&str] = &["عبد", "ابو", "بو", "بن", "ابن"];
const ARABIC_SUFFIXES: &[&str] = &["الله", "الدين"];

/// The comparable form of one word, before the script-specific key is computed:
/// folded Arabic letters only, or lower-case ASCII letters only.
fn base_form(script: Script, word: &str) -> String {
    match script {
        Script::Arabic => fold_arabic(word)
            .chars()
            .filter(|c| is_arabic_letter(*c))
            .collect(),
        Script::Latin => latin_letters(word),
    }
}

/// Lower-case ASCII letters of a Latin word: diacritics stripped (é → e), digits and
/// other characters dropped.
fn latin_letters(word: &str) -> String {
    let plain = word.nfkd().filter(|c| !is_combining_mark(*c));
    plain
        .flat_map(char::to_lowercase)
        .filter(char::is_ascii_lowercase)
        .collect()
}

fn is_article(script: Script, w: &str) -> bool {
    match script {
        Script::Arabic => w == "ال",
        Script::Latin => LATIN_ARTICLES.contains(&w) || LATIN_SUN_ARTICLES.contains(&w),
    }
}

/// Joins words that belong together, within one script: an article or a compound
/// prefix (Abd, Abu, Ben, عبد, ابو, بن, ...) joins the next word; a suffix (Allah,
/// Eddine, الله, الدين) joins the previous one. A sun-letter article written apart
/// (Ar Rashid) is dropped before its letter. A trailing lone article is dropped.
fn group(words: &[(Script, String)]) -> Vec<(Script, String)> {
    let mut out: Vec<(Script, String)> = Vec::new();
    let mut pending: Option<(Script, String)> = None;
    for (script, word) in words {
        let form = base_form(*script, word);
        if form.is_empty() {
            continue;
        }
        let (prefixes, suffixes) = match script {
            Script::Arabic => (ARABIC_PREFIXES, ARABIC_SUFFIXES),
            Script::Latin => (LATIN_PREFIXES, LATIN_SUFFIXES),
        };
        let joined = match pending.take() {
            Some((s, p)) if s == *script => {
                let sun = *script == Script::Latin && LATIN_SUN_ARTICLES.contains(&p.as_str());
                if sun && form.starts_with(&p[1..]) {
                    form
                } else {
                    p + &form
                }
            }
            Some(other) => {
                out.push(other);
                form
            }
            None => form,
        };
        if suffixes.contains(&joined.as_str()) {
            if let Some((s, last)) = out.last_mut() {
                if *s == *script {
                    // One spelling for the Latin suffixes: Nasr Allah = Nasrullah.
                    let canonical = match script {
                        Script::Latin if joined.contains('d') => "eddin",
                        Script::Latin => "allah",
                        Script::Arabic => joined.as_str(),
                    };
                    last.push_str(canonical);
                    continue;
                }
            }
        }
        if is_article(*script, &joined) || prefixes.contains(&joined.as_str()) {
            pending = Some((*script, joined));
        } else {
            out.push((*script, joined));
        }
    }
    if let Some((script, p)) = pending {
        if !is_article(script, &p) {
            out.push((script, p));
        }
    }
    out
}

/// The search key of one word in its base form, or `None` when nothing is left.
fn key(script: Script, form: &str) -> Option<String> {
    let key = match script {
        Script::Arabic => format!("a:{}", strip_arabic_article(form)),
        Script::Latin => format!("l:{}", latin_skeleton(form)),
    };
    (key.len() > 2).then_some(key)
}

/// Drops a leading ال when at least two letters remain (not in الله). Applied to every
/// Arabic key, on both sides, so الورفلي and ورفلي meet.
fn strip_arabic_article(w: &str) -> &str {
    match w.strip_prefix("ال") {
        Some(rest) if rest.chars().count() >= 2 && w != "الله" => rest,
        _ => w,
    }
}

fn is_vowel(c: char) -> bool {
    matches!(c, 'a' | 'e' | 'i' | 'o' | 'u')
}

/// Vowels, and the y and w that Latin spellings use for long vowels and diphthongs.
fn is_vowelish(c: char) -> bool {
    is_vowel(c) || c == 'y' || c == 'w'
}

/// Drops a leading al/el/il when the rest has at least 3 letters, 2 of them consonants
/// (not a, e, i, o, u, y, w). The same rule applies whether the article is joined
/// (Alwarfalli), hyphenated or spaced (Al-Warfalli, El Warfalli), so all meet, while
/// Ali, Alia, Alaa and Elias keep their letters.
fn strip_latin_article(w: &str) -> &str {
    for article in LATIN_ARTICLES {
        if let Some(rest) = w.strip_prefix(article) {
            if rest.len() >= 3 && rest.chars().filter(|c| !is_vowelish(*c)).count() >= 2 {
                return rest;
            }
        }
    }
    w
}

/// Rewrites common spelling variants to one letter each: ph→f, kh→x, sh/ch→c,
/// gh/q/g→k, th→t, dh→d, dj→j, ou→u (w before a vowel: Oualid), oo→u, ee→i,
/// c→s before e/i/y else k, x→ks.
fn respell(w: &str) -> String {
    let b: Vec<char> = w.chars().collect();
    let mut out = String::with_capacity(w.len());
    let mut i = 0;
    while i < b.len() {
        let vowel_after = b.get(i + 2).is_some_and(|c| is_vowel(*c));
        let (c, used) = match (b[i], b.get(i + 1).copied()) {
            ('p', Some('h')) => ('f', 2),
            ('k', Some('h')) => ('x', 2),
            ('s' | 'c', Some('h')) => ('c', 2),
            ('g', Some('h')) => ('k', 2),
            ('t', Some('h')) => ('t', 2),
            ('d', Some('h')) => ('d', 2),
            ('d', Some('j')) => ('j', 2),
            ('o', Some('u')) if vowel_after => ('w', 2),
            ('o', Some('u')) => ('u', 2),
            ('o', Some('o')) => ('u', 2),
            ('e', Some('e')) => ('i', 2),
            ('q' | 'g', _) => ('k', 1),
            ('c', Some('e' | 'i' | 'y')) => ('s', 1),
            ('c', _) => ('k', 1),
            ('x', _) => {
                out.push('k');
                ('s', 1)
            }
            (c, _) => (c, 1),
        };
        out.push(c);
        i += used;
    }
    out
}

/// The Latin skeleton: the article dropped (see [`strip_latin_article`]), a final "ah"
/// read as "a" (Fatimah = Fatima), "abd" + vowel + "l" before a consonant read as
/// "abd" (Abdel Rahman = Abdurrahman), [`respell`], doubled letters collapsed, then
/// the first letter kept (any vowel as a), the vowels and y, w after it dropped, and a
/// final a or i kept as a marker (Ali ≠ Alia; Fatma = Fatima).
fn latin_skeleton(word: &str) -> String {
    let mut w = strip_latin_article(word).to_string();
    if w.len() > 3 && w.ends_with("ah") {
        w.pop();
    }
    if let ['a', 'b', 'd', v, 'l', c, ..] = w.chars().collect::<Vec<_>>()[..] {
        if is_vowel(v) && !is_vowel(c) {
            w.replace_range(3..5, "");
        }
    }
    let mut letters: Vec<char> = respell(&w).chars().collect();
    letters.dedup();
    let Some((&first, rest)) = letters.split_first() else {
        return String::new();
    };
    let mut out = String::new();
    out.push(if is_vowel(first) { 'a' } else { first });
    if let Some((&last, middle)) = rest.split_last() {
        out.extend(middle.iter().filter(|c| !is_vowelish(**c)));
        match last {
            'a' => out.push('a'),
            'i' | 'y' => out.push('i'),
            'e' | 'o' | 'u' | 'w' => {}
            c => out.push(c),
        }
    }
    out
}

fn push_unique(keys: &mut Vec<String>, key: Option<String>) {
    if let Some(key) = key {
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
}

/// Search keys for the parts of a name, Arabic or Latin.
///
/// Each part gives its key first: `a:` + the folded Arabic ([`fold_arabic`], letters
/// only, a leading ال dropped), or `l:` + the Latin skeleton. A part of several words
/// also gives the keys of its word groups (an article or a prefix such as عبد, Abd,
/// Abu or Ben joined to the next word; الله, الدين, Allah or Eddine joined to the
/// previous word) and of each word. So "عبد الله" gives the key of "عبدالله" as well
/// as those of "عبد" and "الله". The same grouping runs across parts, for a compound
/// split over two parts (["عبد", "الله"]). Duplicates are removed; the order is stable.
///
/// Latin skeleton decisions:
/// - Article: al/el/il is dropped, joined or apart, when the rest has 3 or more
///   letters with 2 consonants, so Alwarfalli, Al-Warfalli, El Warfalli and Warfalli
///   meet.
/// - Merged letters: vowels after the first letter (and y, w); the first vowel (Omar =
///   Umar); q, g, gh and k; th and t; dh and d; ch and sh; doubled letters.
/// - Kept apart: final a or i (Ali ≠ Alia).
/// - Known merges that return extra candidates: Hassan = Hussein (`hsn`), Laila =
///   Lula, Omar = Amr, Said = Sayed.
pub fn search_keys(parts: &[String]) -> Vec<String> {
    let mut keys = Vec::new();
    for part in parts {
        let words = tokens(part);
        let Some(&(script, _)) = words.first() else {
            continue;
        };
        if words.iter().all(|(s, _)| *s == script) {
            let joined: String = words.iter().map(|(_, w)| base_form(script, w)).collect();
            push_unique(&mut keys, key(script, &joined));
        }
        for (script, form) in group(&words) {
            push_unique(&mut keys, key(script, &form));
        }
        if words.len() > 1 {
            for (script, word) in &words {
                let form = base_form(*script, word);
                if !is_article(*script, &form) {
                    push_unique(&mut keys, key(*script, &form));
                }
            }
        }
    }
    // Compounds split across parts by the registrar: ["عبد", "الله"], ["Abu", "Bakr"].
    let all: Vec<(Script, String)> = parts.iter().flat_map(|p| tokens(p)).collect();
    for (script, form) in group(&all) {
        push_unique(&mut keys, key(script, &form));
    }
    keys
}

/// Keys for a free-text query typed by a registrar: Arabic or Latin, any number of
/// words, any separators. Digits (ASCII, Arabic-Indic, Eastern Arabic-Indic) are not
/// names and are ignored. The words are grouped as in [`search_keys`] (so "Abd Allah"
/// and "عبد الله" each give one key), and each group gives one key.
///
/// A patient matches when every query key is among the patient's [`search_keys`]. An
/// empty result means the query holds nothing to search by, and the caller decides
/// what that means.
pub fn query_keys(query: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for (script, form) in group(&tokens(query)) {
        push_unique(&mut keys, key(script, &form));
    }
    keys
}

#[cfg(test)]
mod tests {

    #[test]
    fn common_names_get_their_usual_spelling() {
        for (arabic, latin) in [
            ("محمد", "Mohamed"),
            ("مُحَمَّد", "Mohamed"),
            ("فاطمة", "Fatima"),
            ("فاطمه", "Fatima"),
            ("مريم", "Mariam"),
            ("عبد الله", "Abdullah"),
            ("ابراهيم", "Ibrahim"),
            ("الورفلي", "Al-Warfalli"),
            ("بن حليم", "Ben Halim"),
        ] {
            assert_eq!(propose_latin(arabic), latin, "{arabic}");
        }
    }

    #[test]
    fn other_names_fall_back_to_icao() {
        for part in ["وردة", "الصغير", "عبدالمطلب", ""] {
            assert_eq!(
                propose_latin(part),
                super::transliterate_icao(part),
                "{part}"
            );
        }
    }

    #[test]
    fn every_common_name_is_distinct_after_folding() {
        let all: Vec<&(&str, &str)> = super::common::MALE
            .iter()
            .chain(super::common::FEMALE)
            .chain(super::common::FAMILY)
            .collect();
        for (i, (a, _)) in all.iter().enumerate() {
            for (b, _) in &all[i + 1..] {
                assert_ne!(
                    super::fold_arabic(a).replace(' ', ""),
                    super::fold_arabic(b).replace(' ', ""),
                    "{a} and {b} fold alike"
                );
            }
        }
    }

    use super::*;

    fn keys(parts: &[&str]) -> Vec<String> {
        search_keys(&parts.iter().map(|p| p.to_string()).collect::<Vec<_>>())
    }

    /// The one key of a single-word name part.
    fn key_of(part: &str) -> String {
        let k = keys(&[part]);
        assert_eq!(k.len(), 1, "{part}: {k:?}");
        k[0].clone()
    }

    fn assert_same_key(names: &[&str]) {
        let first = key_of(names[0]);
        for name in &names[1..] {
            assert_eq!(key_of(name), first, "{} vs {name}", names[0]);
        }
    }

    /// True when a patient with these name parts matches the query.
    fn matches(parts: &[&str], query: &str) -> bool {
        let patient = keys(parts);
        let q = query_keys(query);
        !q.is_empty() && q.iter().all(|k| patient.contains(k))
    }

    // fold_arabic

    #[test]
    fn fold_arabic_alef_forms_become_bare_alef() {
        assert_eq!(fold_arabic("أحمد"), fold_arabic("احمد"));
        assert_eq!(fold_arabic("إبراهيم"), "ابراهيم");
        assert_eq!(fold_arabic("آمنة"), "امنه");
        assert_eq!(fold_arabic("ٱلله"), "الله");
    }

    #[test]
    fn fold_arabic_strips_harakat_and_folds_teh_marbuta() {
        assert_eq!(fold_arabic("فاطِمَة"), "فاطمه");
        assert_eq!(fold_arabic("مُحَمَّدٌ"), "محمد");
    }

    #[test]
    fn fold_arabic_strips_superscript_alef_and_quranic_marks() {
        assert_eq!(fold_arabic("رحمٰن"), "رحمن");
        assert_eq!(fold_arabic("الله\u{06DA}"), "الله");
    }

    #[test]
    fn fold_arabic_removes_tatweel() {
        assert_eq!(fold_arabic("محـــمد"), "محمد");
    }

    #[test]
    fn fold_arabic_alef_maqsura_becomes_yeh() {
        assert_eq!(fold_arabic("مصطفى"), "مصطفي");
    }

    #[test]
    fn fold_arabic_hamza_seats_become_their_letters() {
        assert_eq!(fold_arabic("فؤاد"), "فواد");
        assert_eq!(fold_arabic("عائشة"), "عايشه");
    }

    #[test]
    fn fold_arabic_removes_zwnj_zwj_and_bidi_marks() {
        assert_eq!(fold_arabic("مح\u{200C}مد\u{200D}"), "محمد");
        assert_eq!(fold_arabic("\u{200F}علي\u{200E}"), "علي");
    }

    #[test]
    fn fold_arabic_collapses_whitespace() {
        assert_eq!(fold_arabic("  عبد \t  الله \n"), "عبد الله");
    }

    #[test]
    fn fold_arabic_decomposed_hamza_folds_like_precomposed() {
        // alef + combining hamza above (U+0654) is NFC-composed to أ, then folded.
        assert_eq!(fold_arabic("\u{0627}\u{0654}حمد"), "احمد");
    }

    #[test]
    fn fold_arabic_presentation_forms_become_letters() {
        // ﻣﺤﻤﺪ in presentation forms, as copied from a PDF; ﷲ ligature.
        assert_eq!(fold_arabic("\u{FEE3}\u{FEA4}\u{FEE4}\u{FEAA}"), "محمد");
        assert_eq!(fold_arabic("عبد\u{FDF2}"), "عبدالله");
    }

    #[test]
    fn fold_arabic_persian_letters_become_arabic() {
        assert_eq!(fold_arabic("علی"), "علي");
        assert_eq!(fold_arabic("کمال"), "كمال");
    }

    #[test]
    fn fold_arabic_leaves_latin_and_digits() {
        assert_eq!(fold_arabic("Ali ١٢3"), "Ali ١٢3");
    }

    // icao_mrz

    #[test]
    fn icao_mrz_matches_doc_9303_worked_example() {
        // Appendix B: ابو بكر محمد بن زكريا الرازي → ABW<BKR<MXHMD<BN<ZKRYA<ALRAZY
        assert_eq!(
            icao_mrz("ابو بكر محمد بن زكريا الرازي"),
            "ABW<BKR<MXHMD<BN<ZKRYA<ALRAZY"
        );
    }

    #[test]
    fn icao_mrz_shadda_doubles_and_harakat_are_not_encoded() {
        assert_eq!(icao_mrz("عبّاس"), "EBBAS");
        assert_eq!(icao_mrz("مُحَمَّد"), "MXHMMD");
    }

    #[test]
    fn icao_mrz_teh_marbuta_is_xah_at_end_else_xta() {
        assert_eq!(icao_mrz("فاطمة"), "FAXTTMXAH");
        assert_eq!(icao_mrz("ةب"), "XTAB");
    }

    #[test]
    fn icao_mrz_escapes_hamza_forms_and_alef_maqsura() {
        assert_eq!(icao_mrz("أ إ آ ؤ ئ ء"), "XAE<I<XAA<U<XI<XE");
        assert_eq!(icao_mrz("مصطفى"), "MXSSXTTFXAY");
    }

    #[test]
    fn icao_mrz_drops_tatweel_and_invisible_characters() {
        assert_eq!(icao_mrz("محـــمد\u{200F}"), "MXHMD");
        assert_eq!(icao_mrz(""), "");
    }

    // transliterate_icao

    #[test]
    fn transliterate_icao_without_harakat_gives_consonant_skeleton() {
        assert_eq!(transliterate_icao("محمد"), "Mhmd");
        assert_eq!(transliterate_icao("أحمد"), "Ahmd");
        assert_eq!(transliterate_icao("فاطمة"), "Fatmah");
    }

    #[test]
    fn transliterate_icao_with_harakat_gives_vowels() {
        assert_eq!(transliterate_icao("مُحَمَّد"), "Muhammad");
        assert_eq!(transliterate_icao("فاطِمَة"), "Fatimah");
        assert_eq!(transliterate_icao("مُصْطَفَى"), "Mustafa");
        assert_eq!(transliterate_icao("حُسَيْن"), "Husayn");
    }

    #[test]
    fn transliterate_icao_long_vowels_come_from_alef_waw_yeh() {
        assert_eq!(transliterate_icao("إبراهيم"), "Ibrahim");
        assert_eq!(transliterate_icao("يوسف"), "Yusf");
        assert_eq!(transliterate_icao("علي"), "Ali");
        assert_eq!(transliterate_icao("سعيد"), "Said");
        assert_eq!(transliterate_icao("نوال"), "Nwal");
        assert_eq!(transliterate_icao("نَوال"), "Nawal");
    }

    #[test]
    fn transliterate_icao_article_is_al_hyphen_without_assimilation() {
        assert_eq!(transliterate_icao("الرازي"), "Al-Razi");
        assert_eq!(transliterate_icao("الشريف"), "Al-Shrif");
    }

    #[test]
    fn transliterate_icao_allah_compounds() {
        assert_eq!(transliterate_icao("عبدالله"), "Abdallah");
        assert_eq!(transliterate_icao("عبد الله"), "Abd Allah");
        assert_eq!(transliterate_icao("الله"), "Allah");
    }

    #[test]
    fn transliterate_icao_shadda_doubles_single_letters_only() {
        assert_eq!(transliterate_icao("عبّاس"), "Abbas");
        assert_eq!(transliterate_icao("رشّاد"), "Rshad");
        assert_eq!(transliterate_icao("رَشَّاد"), "Rashad");
    }

    #[test]
    fn transliterate_icao_hamza_forms_follow_their_vowel() {
        assert_eq!(transliterate_icao("عائشة"), "Aishah");
        assert_eq!(transliterate_icao("فؤاد"), "Fuad");
        assert_eq!(transliterate_icao("هانئ"), "Hani");
    }

    #[test]
    fn transliterate_icao_ignores_tatweel_and_empty_input() {
        assert_eq!(transliterate_icao("محـــمد"), "Mhmd");
        assert_eq!(transliterate_icao("  "), "");
    }

    // search_keys: Arabic

    #[test]
    fn search_keys_arabic_part_gives_folded_key() {
        assert_eq!(keys(&["أحمد"]), vec!["a:احمد"]);
        assert_eq!(keys(&["فاطِمَة"]), vec!["a:فاطمه"]);
    }

    #[test]
    fn search_keys_arabic_compound_gives_joined_and_word_keys() {
        let k = keys(&["عبد الله"]);
        assert_eq!(k[0], "a:عبدالله");
        assert!(k.contains(&"a:عبد".to_string()));
        assert!(k.contains(&"a:الله".to_string()));
        assert_eq!(key_of("عبدالله"), "a:عبدالله");
    }

    #[test]
    fn search_keys_arabic_article_is_dropped() {
        assert_eq!(key_of("الورفلي"), "a:ورفلي");
        assert_eq!(key_of("الله"), "a:الله");
    }

    #[test]
    fn search_keys_four_part_name_gives_one_key_per_part() {
        let k = keys(&["محمد", "علي", "سالم", "الورفلي"]);
        assert_eq!(k, vec!["a:محمد", "a:علي", "a:سالم", "a:ورفلي"]);
    }

    #[test]
    fn search_keys_skips_empty_parts_and_dedups() {
        assert_eq!(keys(&["", " - ", "محمد", "مُحَمَّد"]), vec!["a:محمد"]);
    }

    // search_keys: Latin requirements

    #[test]
    fn search_keys_mohammed_variants_meet() {
        assert_same_key(&[
            "Mohammed", "Muhammad", "Mohamed", "Mohamad", "Muhamed", "MOHAMED",
        ]);
    }

    #[test]
    fn search_keys_ahmed_ahmad_meet() {
        assert_same_key(&["Ahmed", "Ahmad"]);
    }

    #[test]
    fn search_keys_abdullah_variants_meet() {
        let k = key_of("Abdullah");
        for v in ["Abdallah", "Abdulla", "Abdalla"] {
            assert_eq!(key_of(v), k, "{v}");
        }
        assert_eq!(keys(&["Abd Allah"])[0], k);
        assert_eq!(query_keys("Abd Allah"), vec![k.clone()]);
        assert_eq!(query_keys("abd-allah"), vec![k]);
    }

    #[test]
    fn search_keys_yousef_variants_meet() {
        assert_same_key(&["Yousef", "Yusuf", "Youssef", "Youcef"]);
    }

    #[test]
    fn search_keys_fatima_variants_meet() {
        assert_same_key(&["Fatima", "Fatma", "Fatimah", "Fatema"]);
    }

    #[test]
    fn search_keys_khaled_khalid_meet() {
        assert_same_key(&["Khaled", "Khalid"]);
    }

    #[test]
    fn search_keys_article_spellings_meet() {
        let k = key_of("Alwarfalli");
        assert_eq!(keys(&["Al-Warfalli"])[0], k);
        assert_eq!(keys(&["El Warfalli"])[0], k);
        assert_eq!(keys(&["al warfali"])[0], k);
        assert_eq!(key_of("Warfalli"), k);
        assert_eq!(query_keys("El-Warfalli"), vec![k]);
    }

    #[test]
    fn search_keys_omar_umar_meet() {
        assert_same_key(&["Omar", "Umar"]);
    }

    #[test]
    fn search_keys_ali_and_alia_differ() {
        assert_ne!(key_of("Ali"), key_of("Alia"));
        assert_same_key(&["Ali", "Aly"]);
        assert_same_key(&["Alia", "Aliya", "Aliyah"]);
    }

    #[test]
    fn search_keys_salem_salim_meet() {
        assert_same_key(&["Salem", "Salim"]);
    }

    #[test]
    fn search_keys_hassan_hasan_meet() {
        assert_same_key(&["Hassan", "Hasan"]);
    }

    #[test]
    fn search_keys_hussein_husayn_meet() {
        assert_same_key(&["Hussein", "Husayn", "Hussain", "Hosein"]);
    }

    #[test]
    fn search_keys_diacritics_are_stripped() {
        assert_same_key(&["Chérif", "Cherif", "Sharif"]);
        assert_same_key(&["Mu'ammar", "Muammar", "Muʿammar"]);
    }

    #[test]
    fn search_keys_libyan_gaddafi_spellings_meet() {
        assert_same_key(&["Gaddafi", "Qadhafi", "Kadhafi", "Gheddafi"]);
    }

    #[test]
    fn search_keys_french_spellings_meet() {
        assert_same_key(&["Oualid", "Walid"]);
        assert_same_key(&["Merouane", "Marwan"]);
        assert_same_key(&["Mustapha", "Mustafa", "Moustafa"]);
    }

    #[test]
    fn search_keys_article_is_kept_in_short_names() {
        assert_same_key(&["Elias", "Ilyas"]);
        assert_ne!(key_of("Alaa"), key_of("Ali"));
    }

    #[test]
    fn search_keys_abd_al_compounds_meet() {
        let k = key_of("Abdelrahman");
        assert_eq!(key_of("Abdurrahman"), k);
        assert_eq!(key_of("Abderrahmane"), k);
        assert_eq!(query_keys("Abd el Rahman"), vec![k.clone()]);
        assert_eq!(query_keys("Abdul Rahman"), vec![k]);
    }

    #[test]
    fn search_keys_latin_suffix_compounds_meet() {
        assert_eq!(query_keys("Nasr Allah"), query_keys("Nasrullah"));
        assert_eq!(query_keys("Salah Eddine"), query_keys("Salaheddine"));
        assert_eq!(query_keys("Salah al-Din"), query_keys("Salahuddin"));
    }

    #[test]
    fn search_keys_sun_letter_article_written_apart_is_dropped() {
        assert_eq!(query_keys("Ar-Rashid"), query_keys("Al Rashid"));
        assert_eq!(query_keys("Ar-Rashid"), query_keys("Rashid"));
    }

    #[test]
    fn search_keys_compound_split_across_parts_is_joined() {
        assert!(matches(&["عبد", "الله", "سالم"], "عبد الله سالم"));
        assert!(matches(&["عبد", "الله"], "عبدالله"));
        assert!(matches(&["Abu", "Bakr"], "Abubakr"));
        assert!(matches(&["Mohamed", "Abu", "Bakr"], "Mohamed"));
    }

    #[test]
    fn search_keys_mixed_scripts_give_both_prefixes() {
        let k = keys(&["محمد", "Mohamed"]);
        assert_eq!(k, vec!["a:محمد", "l:mhmd"]);
    }

    // query_keys

    #[test]
    fn query_keys_ignores_digits_of_every_kind() {
        assert_eq!(query_keys("Ahmed 1985"), query_keys("Ahmed"));
        assert_eq!(query_keys("أحمد ١٩٨٥ ۱۲"), vec!["a:احمد"]);
        assert!(query_keys("١٢٣٤٥٦٧٨٩٠١٢").is_empty());
    }

    #[test]
    fn query_keys_empty_query_gives_no_keys() {
        assert!(query_keys("").is_empty());
        assert!(query_keys(" ,- ").is_empty());
        assert!(query_keys("al").is_empty());
    }

    #[test]
    fn query_keys_arabic_compounds_are_joined() {
        assert_eq!(query_keys("عبد الله"), vec!["a:عبدالله"]);
        assert_eq!(query_keys("أبو بكر"), vec!["a:ابوبكر"]);
        assert_eq!(query_keys("نصر الله"), vec!["a:نصرالله"]);
    }

    #[test]
    fn query_keys_match_patient_in_either_script() {
        let patient = [
            "محمد",
            "عبد الله",
            "سالم",
            "الورفلي",
            "Mohamed",
            "Abdallah",
            "Salem",
            "Al-Warfalli",
        ];
        assert!(matches(&patient, "محمد الورفلي"));
        assert!(matches(&patient, "مُحَمَّد ورفلي"));
        assert!(matches(&patient, "عبدالله"));
        assert!(matches(&patient, "عبد الله"));
        assert!(matches(&patient, "Muhammad Elwarfalli"));
        assert!(matches(&patient, "mohammed abd allah salim"));
        assert!(!matches(&patient, "Ahmed Warfalli"));
        assert!(!matches(&patient, "احمد"));
    }

    #[test]
    fn query_keys_match_spelling_variants_of_the_registered_name() {
        let patient = ["Fatimah", "Youssef", "Khalid", "El Warfalli"];
        assert!(matches(&patient, "fatma yousef khaled warfalli"));
        assert!(matches(&patient, "Fatima Al-Warfalli"));
        assert!(!matches(&patient, "Alia"));
    }
}

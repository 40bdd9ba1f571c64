//! One patient, one record: how alike two registered patients are, as a score that explains
//! itself. Pure: the search that finds candidates (and the review queue, merge and unmerge)
//! builds on it.
//!
//! The evidence, each with its points (a project choice, measured on the planted-duplicate
//! set of [`synthetic`]; the weights follow the usual record-linkage practice of strong agreement
//! on identifiers and birth date, name agreement by normalised keys, and a veto on sex):
//!
//! | evidence | points |
//! |---|---|
//! | same identifier (type and value) | 60 |
//! | identifier of the same type one typo away (one digit changed, or two adjacent swapped) | 35 |
//! | Arabic name keys ([`crate::names::search_keys`]): share of the smaller set found in the other | up to 30 |
//! | Latin name keys, likewise (Mohammed / Muhammad share a key) | up to 20 |
//! | birth date equal | 25 |
//! | birth date a day off, or month and day swapped | 15 |
//! | birth date a month or a year off, the rest the same | 10 |
//! | same birth year only | 5 |
//! | sex differs (both known) | -40 |
//!
//! Name parts are compared as sets of keys, so swapped parts still agree.
//!
//! ## Finding the candidates (blocking)
//!
//! Scoring every registered patient against a new one is out of the question at a million
//! patients, so the search first takes a small block from indexes (record-linkage
//! "blocking"), then scores only that block:
//! - [`birth_dates_near`]: patients born on the same day, a day before or after, with month
//!   and day swapped, a month off (same day) or a year off (same month and day), from the
//!   index on `birth_date`: about 9 days of births, a few hundred patients at a million;
//! - [`identifier_variants`]: patients whose identifier of the same scheme is the same or one
//!   typo away (one character changed, or two neighbours swapped), from the unique index on
//!   the identifier.
//!
//! A duplicate whose birth date is further off than that *and* whose identifier differs by
//! more than one typo is not found. A pair is a candidate when its score reaches
//! [`THRESHOLD`]; the best [`MAX_CANDIDATES`] are shown.

use card_format::model::{Date, IdType, PatientId, Sex};
use serde::Serialize;

use crate::names;

pub mod synthetic;
#[cfg(test)]
mod tests;

/// What the score looks at of a patient.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    /// The identifier.
    pub id: PatientId,
    /// Arabic name parts.
    pub name_ar: Vec<String>,
    /// Latin name parts.
    pub name_latin: Vec<String>,
    /// Sex.
    pub sex: Sex,
    /// Date of birth.
    pub birth: Date,
}

/// One piece of evidence and its points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The same identifier.
    SameIdentifier,
    /// The identifier one typo away.
    IdentifierTypo,
    /// Arabic names agree, in percent of the smaller key set.
    ArabicNames(u8),
    /// Latin names agree, in percent.
    LatinNames(u8),
    /// The same birth date.
    SameBirthDate,
    /// The birth date a day off.
    BirthDateDayOff,
    /// The birth date with month and day swapped.
    BirthDateSwapped,
    /// The birth date a month or a year off, the rest the same.
    BirthDateClose,
    /// The same birth year only.
    SameBirthYear,
    /// Sexes differ.
    SexDiffers,
}

impl Reason {
    /// The points it adds (or takes).
    pub fn points(self) -> i32 {
        match self {
            Reason::SameIdentifier => 60,
            Reason::IdentifierTypo => 35,
            Reason::ArabicNames(p) => i32::from(p) * 30 / 100,
            Reason::LatinNames(p) => i32::from(p) * 20 / 100,
            Reason::SameBirthDate => 25,
            Reason::BirthDateDayOff | Reason::BirthDateSwapped => 15,
            Reason::BirthDateClose => 10,
            Reason::SameBirthYear => 5,
            Reason::SexDiffers => -40,
        }
    }

    /// The reason in English.
    pub fn en(self) -> String {
        match self {
            Reason::SameIdentifier => "the same identifier".into(),
            Reason::IdentifierTypo => "the identifier one typo away".into(),
            Reason::ArabicNames(p) => format!("Arabic names agree ({p}%)"),
            Reason::LatinNames(p) => format!("Latin names agree ({p}%)"),
            Reason::SameBirthDate => "the same birth date".into(),
            Reason::BirthDateDayOff => "birth dates a day apart".into(),
            Reason::BirthDateSwapped => "birth dates with month and day swapped".into(),
            Reason::BirthDateClose => "birth dates a month or a year apart".into(),
            Reason::SameBirthYear => "the same birth year".into(),
            Reason::SexDiffers => "different sexes".into(),
        }
    }

    /// The reason in Arabic.
    pub fn ar(self) -> String {
        match self {
            Reason::SameIdentifier => "الرقم نفسه".into(),
            Reason::IdentifierTypo => "الرقم يختلف بخطأ كتابي واحد".into(),
            Reason::ArabicNames(p) => format!("الأسماء العربية متطابقة ({p}٪)"),
            Reason::LatinNames(p) => format!("الأسماء اللاتينية متطابقة ({p}٪)"),
            Reason::SameBirthDate => "تاريخ الميلاد نفسه".into(),
            Reason::BirthDateDayOff => "تاريخا الميلاد بينهما يوم واحد".into(),
            Reason::BirthDateSwapped => "تاريخ الميلاد مع تبديل الشهر واليوم".into(),
            Reason::BirthDateClose => "تاريخا الميلاد بينهما شهر أو سنة".into(),
            Reason::SameBirthYear => "سنة الميلاد نفسها".into(),
            Reason::SexDiffers => "الجنس مختلف".into(),
        }
    }
}

/// How alike two patients are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Score {
    /// The sum of the reasons' points (at most 135).
    pub total: i32,
    /// Every piece of evidence found, strongest first.
    pub reasons: Vec<Reason>,
}

/// A person's name keys ([`crate::names::search_keys`]) of the Arabic and of the Latin
/// name; computed once per person, not once per pair.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keys {
    ar: Vec<String>,
    latin: Vec<String>,
}

impl Keys {
    /// The keys of the person's Arabic and Latin names.
    pub fn of(p: &Person) -> Keys {
        Keys {
            ar: names::search_keys(&p.name_ar),
            latin: names::search_keys(&p.name_latin),
        }
    }
}

/// Scores how likely `a` and `b` are the same person.
pub fn score(a: &Person, b: &Person) -> Score {
    score_keyed(a, &Keys::of(a), b, &Keys::of(b))
}

/// [`score`] with the name keys already computed.
pub fn score_keyed(a: &Person, ka: &Keys, b: &Person, kb: &Keys) -> Score {
    let mut reasons = Vec::new();
    if a.id.kind == b.id.kind {
        if a.id.value == b.id.value {
            reasons.push(Reason::SameIdentifier);
        } else if one_typo(&a.id.value, &b.id.value) && a.id.kind != IdType::Registry {
            reasons.push(Reason::IdentifierTypo);
        }
    }
    if let Some(p) = agreement(&ka.ar, &kb.ar) {
        reasons.push(Reason::ArabicNames(p));
    }
    if let Some(p) = agreement(&ka.latin, &kb.latin) {
        reasons.push(Reason::LatinNames(p));
    }
    if let Some(r) = birth(a.birth, b.birth) {
        reasons.push(r);
    }
    let known = |s: Sex| matches!(s, Sex::Male | Sex::Female);
    if known(a.sex) && known(b.sex) && a.sex != b.sex {
        reasons.push(Reason::SexDiffers);
    }
    reasons.sort_by_key(|r| std::cmp::Reverse(r.points()));
    Score {
        total: reasons.iter().map(|r| r.points()).sum(),
        reasons,
    }
}

/// Whether two identifiers of one length differ by one character, or by two adjacent
/// characters swapped.
fn one_typo(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len() != b.len() {
        return false;
    }
    let diff: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    match diff.as_slice() {
        [_] => true,
        [i, j] => *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i],
        _ => false,
    }
}

/// The share (percent) of the smaller key set found in the other; None when either has no
/// key or none is shared.
fn agreement(ka: &[String], kb: &[String]) -> Option<u8> {
    let smaller = ka.len().min(kb.len());
    if smaller == 0 {
        return None;
    }
    let shared = ka.iter().filter(|k| kb.contains(k)).count().min(smaller);
    if shared == 0 {
        return None;
    }
    u8::try_from(shared * 100 / smaller).ok()
}

/// The birth-date evidence, if any.
fn birth(a: Date, b: Date) -> Option<Reason> {
    if a == b {
        return Some(Reason::SameBirthDate);
    }
    if (i64::from(a.0) - i64::from(b.0)).abs() == 1 {
        return Some(Reason::BirthDateDayOff);
    }
    let (ya, ma, da) = a.to_ymd()?;
    let (yb, mb, db) = b.to_ymd()?;
    if ya == yb && ma == db && da == mb {
        return Some(Reason::BirthDateSwapped);
    }
    let month_off = ya == yb && da == db && ma.abs_diff(mb) == 1;
    let year_off = ma == mb && da == db && ya.abs_diff(yb) == 1;
    if month_off || year_off {
        return Some(Reason::BirthDateClose);
    }
    (ya == yb).then_some(Reason::SameBirthYear)
}

/// The score from which a pair is a candidate duplicate, tuned on the synthetic set of
/// [`synthetic`] (docs/benchmarks.md, "Duplicate patients"): at 50 almost every false pair
/// scored exactly 50 (two strangers born the same day sharing two of four names), while the
/// weakest planted duplicate scored 65; 55 leaves those strangers out and every planted
/// duplicate in.
pub const THRESHOLD: i32 = 55;

/// How many candidates a search returns at most, best first.
pub const MAX_CANDIDATES: usize = 10;

/// The birth dates whose patients are scored against a patient born on `birth`: the day
/// itself, a day either side, month and day swapped, a month either side and a year either
/// side (same day). Each once; impossible dates (30 February) are left out.
pub fn birth_dates_near(birth: Date) -> Vec<Date> {
    let mut dates = vec![birth, Date(birth.0 - 1), Date(birth.0 + 1)];
    if let Some((y, m, d)) = birth.to_ymd() {
        let (m, d) = (i32::from(m), i32::from(d));
        for (y, m, d) in [
            (y, d, m),
            (y, m - 1, d),
            (y, m + 1, d),
            (y - 1, m, d),
            (y + 1, m, d),
        ] {
            if let Some(date) = ymd(y, m, d) {
                if !dates.contains(&date) {
                    dates.push(date);
                }
            }
        }
    }
    dates
}

fn ymd(y: i32, m: i32, d: i32) -> Option<Date> {
    Date::from_ymd(
        "birth_date",
        y,
        u8::try_from(m).ok()?,
        u8::try_from(d).ok()?,
    )
    .ok()
}

/// Identifier values one typo away from `value`: each character replaced by another of its
/// kind (digit for digit, letter for letter), and each pair of neighbours swapped. `value`
/// itself is not among them. Empty for an identifier longer than 20 characters (no
/// identifier scheme is; the bound keeps the list small).
pub fn identifier_variants(value: &str) -> Vec<String> {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() > 20 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for i in 0..chars.len() {
        let alphabet: &[u8] = if chars[i].is_ascii_digit() {
            b"0123456789"
        } else if chars[i].is_ascii_uppercase() {
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        } else {
            continue;
        };
        for &c in alphabet {
            if char::from(c) != chars[i] {
                let mut v = chars.clone();
                v[i] = char::from(c);
                out.push(v.into_iter().collect());
            }
        }
    }
    for i in 1..chars.len() {
        if chars[i] != chars[i - 1] {
            let mut v = chars.clone();
            v.swap(i - 1, i);
            out.push(v.into_iter().collect::<String>());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A registered patient found alike, with the score that explains why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// The registry id of the patient found.
    pub patient_id: String,
    /// The score.
    pub score: Score,
}

/// The most the names can add: both scripts agreeing fully.
const MAX_NAME_POINTS: i32 = 30 + 20;

/// A patient of the other sex with no identifier evidence cannot become a candidate, however
/// close the birth date and the names: the database search leaves them out of the birth-date
/// block (the identifier block still brings those whose identifier agrees).
pub const OTHER_SEX_OUT_OF_REACH: bool = 25 - 40 + MAX_NAME_POINTS < THRESHOLD;
const _: () = assert!(OTHER_SEX_OUT_OF_REACH);

/// Scores `block` against `person` and keeps the candidates: score at least [`THRESHOLD`],
/// best first (ties by id), at most [`MAX_CANDIDATES`]. `exclude` (the patient's own id)
/// is never a candidate of itself.
///
/// The name keys, the costly part, are computed once for `person` and only for the patients
/// of the block whose other evidence leaves the threshold within reach of the names
/// (50 points at most): a patient of the other sex born on a close day cannot reach it.
/// The result is the same as scoring everyone.
pub fn rank<'a>(
    person: &Person,
    exclude: Option<&str>,
    block: impl IntoIterator<Item = (&'a str, &'a Person)>,
) -> Vec<Candidate> {
    rank_keyed(
        person,
        exclude,
        block.into_iter().map(|(id, p)| (id, p, None)),
    )
}

/// [`rank`] with the block's name keys where the caller holds them (a bulk search that
/// meets the same patients again and again); those without are computed.
pub fn rank_keyed<'a>(
    person: &Person,
    exclude: Option<&str>,
    block: impl IntoIterator<Item = (&'a str, &'a Person, Option<&'a Keys>)>,
) -> Vec<Candidate> {
    let keys = Keys::of(person);
    let none = Keys::default();
    let mut found: Vec<Candidate> = Vec::new();
    for (id, other, other_keys) in block {
        if Some(id) == exclude {
            continue;
        }
        let without_names = score_keyed(person, &none, other, &none).total;
        if without_names + MAX_NAME_POINTS < THRESHOLD {
            continue;
        }
        let score = match other_keys {
            Some(k) => score_keyed(person, &keys, other, k),
            None => score_keyed(person, &keys, other, &Keys::of(other)),
        };
        if score.total >= THRESHOLD {
            found.push(Candidate {
                patient_id: id.to_string(),
                score,
            });
        }
    }
    found.sort_by(|a, b| {
        b.score
            .total
            .cmp(&a.score.total)
            .then_with(|| a.patient_id.cmp(&b.patient_id))
    });
    found.dedup_by(|a, b| a.patient_id == b.patient_id);
    found.truncate(MAX_CANDIDATES);
    found
}

impl From<&crate::patient::PatientData> for Person {
    fn from(d: &crate::patient::PatientData) -> Person {
        Person {
            id: d.id.clone(),
            name_ar: d.name_ar.clone(),
            name_latin: d.name_latin.clone(),
            sex: d.sex,
            birth: d.birth_date,
        }
    }
}

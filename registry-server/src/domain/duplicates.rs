//! One patient, one record: how alike two registered patients are, as a score that explains
//! itself. Pure: the search that finds candidates (and the review queue, merge and unmerge)
//! builds on it.
//!
//! The evidence, each with its points (a project choice, tuned on the planted-duplicate set
//! still to come; the weights follow the usual record-linkage practice of strong agreement
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
//! | same birth year only | 5 |
//! | sex differs (both known) | -40 |
//!
//! Name parts are compared as sets of keys, so swapped parts still agree.

use card_format::model::{Date, IdType, PatientId, Sex};
use serde::Serialize;

use crate::names;

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

/// Scores how likely `a` and `b` are the same person.
pub fn score(a: &Person, b: &Person) -> Score {
    let mut reasons = Vec::new();
    if a.id.kind == b.id.kind {
        if a.id.value == b.id.value {
            reasons.push(Reason::SameIdentifier);
        } else if one_typo(&a.id.value, &b.id.value) && a.id.kind != IdType::Registry {
            reasons.push(Reason::IdentifierTypo);
        }
    }
    if let Some(p) = agreement(&a.name_ar, &b.name_ar) {
        reasons.push(Reason::ArabicNames(p));
    }
    if let Some(p) = agreement(&a.name_latin, &b.name_latin) {
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
fn agreement(a: &[String], b: &[String]) -> Option<u8> {
    let (ka, kb) = (names::search_keys(a), names::search_keys(b));
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
    (ya == yb).then_some(Reason::SameBirthYear)
}

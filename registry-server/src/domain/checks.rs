//! The IARC/IACR record checks: is a tumour record internally consistent?
//!
//! A pure engine: [`check`] takes a [`Subject`] (a tumour with its patient's sex and dates)
//! and returns a [`Report`] with one [`Finding`] per check (the date-order check gives one
//! per pair of dates out of order), the passing ones included, so a screen can show each
//! check's result. Nothing here reads the database or knows of HTTP.
//!
//! The checks are those of the IARC/IACR CHECK program: Ferlay J, Burkhard C, Whelan S,
//! Parkin DM. *Check and conversion programs for cancer registries (IARC/IACR Tools for Cancer
//! Registries)*. IARC Technical Report No. 42, Lyon 2005; with the facts (code lists, ages,
//! sites, families) of its implementation in IARC CanReg5 (`IARC-CSU/CanReg5`,
//! `src/canreg/common/qualitycontrol/` and `src/canreg/common/resources/`). The facts are data
//! files in `registry-server/data/iarc/`, each citing its source in a comment block, embedded
//! and parsed once ([`verify_tables`] reports a table that does not parse).
//!
//! # Outcomes
//! [`Outcome::Ok`]; [`Outcome::Query`] and [`Outcome::Rare`] (an unlikely or rare
//! combination: the record is kept once a person confirms it); [`Outcome::Missing`] (a value
//! the check needs is not recorded, not known, or not a valid code, so it could not be done);
//! [`Outcome::Invalid`] (an impossible value or combination: the record is refused).
//!
//! # Checks
//! | code | what | outcomes |
//! |---|---|---|
//! | `topography_code` | an existing ICD-O-3 topography, C00.0-C80.9 | ok, invalid |
//! | `morphology_code` | an ICD-O-3 histology | ok, invalid |
//! | `behaviour_code` | behaviour 0, 1, 2, 3, 6 or 9 | ok, invalid |
//! | `grade_code` | grade 1 to 9, or none | ok, invalid |
//! | `basis_code` | basis 0, 1, 2, 4, 5, 6, 7 or 9 | ok, invalid |
//! | `basis_morphology` | a specific morphology has a microscopic basis | ok, query, missing |
//! | `grade_morphology` | a grade only if malignant, one the morphology takes | ok, missing, invalid |
//! | `age_at_incidence` | birth before incidence; over [`MAX_AGE`] | ok, query, missing, invalid |
//! | `age_topography` | IARC age/site rules | ok, rare, missing |
//! | `age_morphology` | IARC age/histology rules | ok, rare, missing |
//! | `age_topography_morphology` | IARC age/site/histology rules | ok, rare, missing |
//! | `sex_topography` | male with C51-C58, female with C60-C63 | ok, missing, invalid |
//! | `sex_morphology` | IARC sex/histology rules | ok, rare, missing |
//! | `topography_morphology` | the site profiles of morphology families | ok, rare, missing |
//! | `topography_behaviour` | in situ where it does not occur | ok, rare, missing |
//! | `morphology_behaviour` | a histology/behaviour pair ICD-O-3 lists | ok, query, missing |
//! | `date_order` | birth, incidence, last contact, death in order | ok, invalid |
//!
//! # Choices where the sources are silent or contradict each other
//! - Sex not known or not applicable: the two sex checks give `missing` (they cannot be
//!   done), whatever the site; CanReg5 would pass them.
//! - No birth date, or an incidence before it: the three age-rule checks give `missing`;
//!   the age check gives `missing` for no birth date, `invalid` for an incidence before it.
//! - Ages over [`MAX_AGE`] (110) are queried: a project choice, not from TR42 or CanReg5.
//! - Behaviours 6 and 9 (ICD-O-3, not in CanReg5) count as malignant: they take a grade and
//!   are judged as /3 by the morphology/behaviour check.
//! - Outcomes are CanReg5's: rare for the age, sex/morphology, site/morphology and
//!   behaviour/site rules, query for basis/morphology, invalid for sex/site and grade; a
//!   grade missing on a malignant tumour is `missing` (CanReg5 makes grade mandatory).
//! - Where CanReg5's grade tests contradict each other (9712, 9714), the more specific one
//!   wins (`grade_rules.tsv`); its sex rule for 9084/3, which never fires there (the
//!   behaviour is never read), is applied as written (`sex_rules.tsv`).
//! - CanReg5's site/morphology check falls through from the specific-profile case into the
//!   inverse one; here a family has one profile only.
//! - Morphology/behaviour is TR42's behaviour/histology edit (absent from CanReg5), judged
//!   against CanReg5's list of ICD-O-3 terms (`morphology_terms.tsv`).
//! - No check against today's date (CanReg5 refuses a last contact in the future): the
//!   engine is pure and has no clock; the caller can add it.

mod message;
mod rules;
mod select;
mod tables;
#[cfg(test)]
mod tests;

use card_format::model::{Date, Sex};
use serde::Serialize;

pub use message::Message;
pub use tables::TableError;

/// Ages at incidence over this are queried (a project choice: neither TR42 nor CanReg5
/// names a limit).
pub const MAX_AGE: u32 = 110;

/// What the checks look at: one tumour, with its patient's sex and dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject<'a> {
    /// The patient's sex.
    pub sex: Sex,
    /// The patient's date of birth, when known.
    pub birth: Option<Date>,
    /// The tumour's incidence date.
    pub incidence: Date,
    /// The date the patient was last known alive, when recorded.
    pub last_contact: Option<Date>,
    /// The date of death, when the patient has died.
    pub death: Option<Date>,
    /// ICD-O-3 topography as stored on a tumour, `C50.9`.
    pub topography: &'a str,
    /// ICD-O-3 histology, the four digits before the slash (8000 to 9993).
    pub morphology: u16,
    /// ICD-O-3 behaviour, the digit after the slash.
    pub behaviour: u8,
    /// Grade or differentiation (ICD-O-3 sixth digit), when recorded.
    pub grade: Option<u8>,
    /// Most valid basis of diagnosis (IARC code).
    pub basis: u8,
}

/// The result of a check, ordered by severity: `Ok < Query < Rare < Missing < Invalid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Nothing found.
    Ok,
    /// An unlikely combination: kept once confirmed.
    Query,
    /// A rare combination: kept once confirmed.
    Rare,
    /// The check could not be done: a value it needs is absent, unknown or invalid.
    Missing,
    /// An impossible value or combination: the record is refused.
    Invalid,
}

impl Outcome {
    /// The stable code, as serialised: `ok`, `query`, `rare`, `missing`, `invalid`.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Query => "query",
            Outcome::Rare => "rare",
            Outcome::Missing => "missing",
            Outcome::Invalid => "invalid",
        }
    }
}

/// The checks, each with a stable code ([`Check::code`], also its serialised form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// The topography is an existing ICD-O-3 code.
    TopographyCode,
    /// The histology is an ICD-O-3 code.
    MorphologyCode,
    /// The behaviour is an ICD-O-3 code.
    BehaviourCode,
    /// The grade, when recorded, is an ICD-O-3 code.
    GradeCode,
    /// The basis of diagnosis is an IARC code.
    BasisCode,
    /// A specific morphology is microscopically verified.
    BasisMorphology,
    /// The grade fits the behaviour and the morphology.
    GradeMorphology,
    /// The age at incidence, from the birth and incidence dates.
    AgeAtIncidence,
    /// IARC age/site rules.
    AgeTopography,
    /// IARC age/histology rules.
    AgeMorphology,
    /// IARC age/site/histology rules.
    AgeTopographyMorphology,
    /// Sex-specific sites.
    SexTopography,
    /// Sex-specific morphologies.
    SexMorphology,
    /// The site profiles of morphology families.
    TopographyMorphology,
    /// Behaviours not expected at a site.
    TopographyBehaviour,
    /// Histology/behaviour pairs of ICD-O-3.
    MorphologyBehaviour,
    /// The dates in order.
    DateOrder,
}

impl Check {
    /// Every check, in the order of a report.
    pub const ALL: [Check; 17] = [
        Check::TopographyCode,
        Check::MorphologyCode,
        Check::BehaviourCode,
        Check::GradeCode,
        Check::BasisCode,
        Check::BasisMorphology,
        Check::GradeMorphology,
        Check::AgeAtIncidence,
        Check::AgeTopography,
        Check::AgeMorphology,
        Check::AgeTopographyMorphology,
        Check::SexTopography,
        Check::SexMorphology,
        Check::TopographyMorphology,
        Check::TopographyBehaviour,
        Check::MorphologyBehaviour,
        Check::DateOrder,
    ];

    /// The stable snake_case code, e.g. `sex_topography`.
    pub fn code(&self) -> &'static str {
        match self {
            Check::TopographyCode => "topography_code",
            Check::MorphologyCode => "morphology_code",
            Check::BehaviourCode => "behaviour_code",
            Check::GradeCode => "grade_code",
            Check::BasisCode => "basis_code",
            Check::BasisMorphology => "basis_morphology",
            Check::GradeMorphology => "grade_morphology",
            Check::AgeAtIncidence => "age_at_incidence",
            Check::AgeTopography => "age_topography",
            Check::AgeMorphology => "age_morphology",
            Check::AgeTopographyMorphology => "age_topography_morphology",
            Check::SexTopography => "sex_topography",
            Check::SexMorphology => "sex_morphology",
            Check::TopographyMorphology => "topography_morphology",
            Check::TopographyBehaviour => "topography_behaviour",
            Check::MorphologyBehaviour => "morphology_behaviour",
            Check::DateOrder => "date_order",
        }
    }

    /// The check with this code.
    pub fn from_code(code: &str) -> Option<Check> {
        Check::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The [`Subject`] fields the check reads (a date-order finding names only its pair).
    pub fn fields(&self) -> &'static [&'static str] {
        match self {
            Check::TopographyCode => &["topography"],
            Check::MorphologyCode => &["morphology"],
            Check::BehaviourCode => &["behaviour"],
            Check::GradeCode => &["grade"],
            Check::BasisCode => &["basis"],
            Check::BasisMorphology => &["basis", "morphology", "topography"],
            Check::GradeMorphology => &["grade", "behaviour", "morphology"],
            Check::AgeAtIncidence => &["birth", "incidence"],
            Check::AgeTopography => &["birth", "incidence", "topography"],
            Check::AgeMorphology => &["birth", "incidence", "morphology"],
            Check::AgeTopographyMorphology => &["birth", "incidence", "topography", "morphology"],
            Check::SexTopography => &["sex", "topography"],
            Check::SexMorphology => &["sex", "morphology", "behaviour"],
            Check::TopographyMorphology => &["topography", "morphology"],
            Check::TopographyBehaviour => &["topography", "behaviour"],
            Check::MorphologyBehaviour => &["morphology", "behaviour"],
            Check::DateOrder => &["birth", "incidence", "last_contact", "death"],
        }
    }
}

/// One check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Which check.
    pub check: Check,
    /// Its result.
    pub outcome: Outcome,
    /// The [`Subject`] fields it is about.
    pub fields: &'static [&'static str],
    /// Why, in English and Arabic.
    pub message: Message,
}

/// Every finding of one subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The findings, in the order of [`Check::ALL`].
    pub findings: Vec<Finding>,
}

impl Report {
    /// The most severe outcome.
    pub fn worst(&self) -> Outcome {
        self.findings
            .iter()
            .map(|f| f.outcome)
            .max()
            .unwrap_or(Outcome::Ok)
    }

    /// Whether the record is refused: some finding is invalid.
    pub fn refused(&self) -> bool {
        self.findings.iter().any(|f| f.outcome == Outcome::Invalid)
    }

    /// Whether a person must confirm the record: some finding is a query or rare, and none
    /// is invalid.
    pub fn needs_confirmation(&self) -> bool {
        !self.refused()
            && self
                .findings
                .iter()
                .any(|f| matches!(f.outcome, Outcome::Query | Outcome::Rare))
    }

    /// The findings of one check.
    pub fn of(&self, check: Check) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.check == check)
    }
}

/// Runs every check on the subject.
///
/// # Panics
/// Only if the embedded tables do not parse, a build defect the unit tests rule out
/// ([`verify_tables`] reports it without panicking).
pub fn check(subject: &Subject<'_>) -> Report {
    Report {
        findings: rules::run(subject, tables::tables()),
    }
}

/// Parses the embedded tables (once), reporting the first fault; for a start-up check.
///
/// # Errors
/// The file, line and reason of the first fault.
pub fn verify_tables() -> Result<(), TableError> {
    tables::parsed().map(|_| ()).map_err(Clone::clone)
}

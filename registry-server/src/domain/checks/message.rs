//! What a finding says, in English and Arabic: the fields and values it is about, and why.
//!
//! A [`Message`] keeps the facts (codes, dates, the rule's bounds) and renders them on demand;
//! names of codes (topography titles, ICD-O-3 terms, behaviour and grade names) come from the
//! tables. Arabic text names a topography by its group (the tables have no Arabic title for
//! each of the 330 codes) and a morphology by its code.

mod ar;

use card_format::model::{Date, Sex};
use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::select::{Family, Site, SiteToken};
use super::tables::{tables, Flag, Item};
use super::{Check, Outcome};

/// The explanation of a [`Finding`](super::Finding): English with [`Message::en`], Arabic
/// with [`Message::ar`]. Serialised as `{"en": "...", "ar": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message(pub(super) Kind);

impl Message {
    /// The message in English, e.g. `sex male with topography C53.9 (Cervix uteri) is
    /// impossible`.
    pub fn en(&self) -> String {
        self.0.en()
    }

    /// The message in Arabic, e.g. `الجنس ذكر مع الموقع C53.9 (عنق الرحم) غير ممكن`.
    pub fn ar(&self) -> String {
        self.0.ar()
    }
}

impl Serialize for Message {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Message", 2)?;
        s.serialize_field("en", &self.en())?;
        s.serialize_field("ar", &self.ar())?;
        s.end()
    }
}

/// The date fields of a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DateField {
    Birth,
    Incidence,
    LastContact,
    Death,
}

/// What is absent when a check cannot be done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Absent {
    Birth,
    Age,
    Grade,
}

/// A field with its value, as a message names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Value {
    Sex(Sex),
    Age(u32),
    Topography(String),
    /// Histology alone (for an invalid histology code).
    Histology(u16),
    /// Histology and behaviour, `8140/3`.
    Morphology(u16, u8),
    Behaviour(u8),
    Grade(u8),
    Basis(u8),
    Date(DateField, Date),
    Absent(Absent),
}

/// The kinds of message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Kind {
    /// The check found nothing.
    Passed { check: Check, values: Vec<Value> },
    /// A value the check needs is not recorded or not known.
    NotRecorded { check: Check, value: Value },
    /// A value the check needs is not valid (its own check says why).
    NotValid { check: Check, value: Value },
    /// A code that is not in its list.
    InvalidCode { value: Value },
    /// A combination a rule flags; `ages`: the rule's ages, for the age rules.
    Combination {
        values: Vec<Value>,
        outcome: Outcome,
        ages: Option<(u32, Option<u32>)>,
    },
    /// A specific morphology without microscopic verification.
    BasisNotMicroscopic { morphology: Value, basis: Value },
    /// A grade on a tumour that is not malignant.
    GradeNotMalignant { grade: Value, behaviour: Value },
    /// No grade on a malignant tumour.
    GradeMissing { behaviour: Value },
    /// A grade the morphology does not take.
    GradeMorphology {
        grade: Value,
        morphology: Value,
        allowed: Vec<u8>,
    },
    /// The incidence date before the birth date.
    IncidenceBeforeBirth { birth: Date, incidence: Date },
    /// An age over the plausible limit.
    AgeOver { age: u32, limit: u32 },
    /// A morphology of a specific site-profile outside its sites.
    SiteOutsideProfile {
        morphology: Value,
        topography: Value,
        family: Family,
        sites: Vec<SiteToken>,
    },
    /// A morphology of an inverse site-profile at one of its excluded sites.
    SiteExcluded {
        morphology: Value,
        topography: Value,
        family: Family,
    },
    /// A histology/behaviour pair ICD-O-3 does not list.
    BehaviourNotListed {
        histology: u16,
        behaviour: u8,
        listed: Vec<u8>,
    },
    /// `later` should not be before `earlier`, and is.
    DateOrder { earlier: Value, later: Value },
}

/// The check's name in messages.
fn label(check: Check) -> &'static str {
    match check {
        Check::TopographyCode => "topography code",
        Check::MorphologyCode => "morphology code",
        Check::BehaviourCode => "behaviour code",
        Check::GradeCode => "grade code",
        Check::BasisCode => "basis code",
        Check::BasisMorphology => "basis/morphology",
        Check::GradeMorphology => "grade/behaviour/morphology",
        Check::AgeAtIncidence => "age at incidence",
        Check::AgeTopography => "age/topography",
        Check::AgeMorphology => "age/morphology",
        Check::AgeTopographyMorphology => "age/topography/morphology",
        Check::SexTopography => "sex/topography",
        Check::SexMorphology => "sex/morphology",
        Check::TopographyMorphology => "topography/morphology",
        Check::TopographyBehaviour => "topography/behaviour",
        Check::MorphologyBehaviour => "morphology/behaviour",
        Check::DateOrder => "date order",
    }
}

/// Codes joined with `sep`.
pub(super) fn join_codes(codes: &[u8], sep: &str) -> String {
    codes
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(sep)
}

/// The ICD-O-3 term of a histology with a behaviour; metastatic (6) and uncertain (9)
/// malignant behaviours fall back to the malignant (3) term.
pub(super) fn term(histology: u16, behaviour: u8) -> Option<&'static str> {
    let terms = &tables().terms;
    terms.get(&(histology, behaviour)).copied().or_else(|| {
        matches!(behaviour, 6 | 9)
            .then(|| terms.get(&(histology, 3)).copied())
            .flatten()
    })
}

fn with_name(text: String, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("{text} ({name})"),
        None => text,
    }
}

impl Value {
    fn en(&self) -> String {
        let t = tables();
        match self {
            Value::Sex(sex) => match sex {
                Sex::Male => "sex male".into(),
                Sex::Female => "sex female".into(),
                Sex::NotKnown => "sex not known".into(),
                Sex::NotApplicable => "sex not applicable".into(),
            },
            Value::Age(age) => format!("age {age}"),
            Value::Topography(code) => match Site::parse(code) {
                Some(site) => with_name(
                    format!("topography {code}"),
                    t.topography.get(&site).copied(),
                ),
                None => format!("topography {code:?}"),
            },
            Value::Histology(h) => format!("morphology {h}"),
            Value::Morphology(h, b) => with_name(format!("morphology {h}/{b}"), term(*h, *b)),
            Value::Behaviour(b) => with_name(
                format!("behaviour {b}"),
                t.code(Item::Behaviour, *b).map(|c| c.name),
            ),
            Value::Grade(g) => with_name(
                format!("grade {g}"),
                t.code(Item::Grade, *g).map(|c| c.name),
            ),
            Value::Basis(b) => with_name(
                format!("basis {b}"),
                t.code(Item::Basis, *b).map(|c| c.name),
            ),
            Value::Date(field, date) => {
                let field = match field {
                    DateField::Birth => "birth date",
                    DateField::Incidence => "incidence date",
                    DateField::LastContact => "last contact date",
                    DateField::Death => "death date",
                };
                format!("{field} {date}")
            }
            Value::Absent(Absent::Birth) => "birth date not recorded".into(),
            Value::Absent(Absent::Age) => "age at incidence not known".into(),
            Value::Absent(Absent::Grade) => "grade not recorded".into(),
        }
    }
}

/// `A`, `A with B`, `A with B and C`.
fn combine(values: &[Value], render: impl Fn(&Value) -> String, with: &str, and: &str) -> String {
    let mut out = String::new();
    for (i, v) in values.iter().enumerate() {
        if i == 1 {
            out.push_str(with);
        } else if i > 1 {
            out.push_str(and);
        }
        out.push_str(&render(v));
    }
    out
}

fn outcome_word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Query => "unlikely",
        Outcome::Rare => "rare",
        Outcome::Invalid => "impossible",
        Outcome::Ok | Outcome::Missing => "flagged",
    }
}

/// The sites of a profile; when there are few, each with its name.
fn site_list(sites: &[SiteToken]) -> String {
    let t = tables();
    let named = sites.len() <= 3;
    sites
        .iter()
        .map(|s| {
            let name = match s {
                SiteToken::Group(g) => t.groups.get(g).map(|g| g.name),
                SiteToken::Code(site) => t.topography.get(site).copied(),
            };
            with_name(s.to_string(), name.filter(|_| named))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Kind {
    fn en(&self) -> String {
        let t = tables();
        match self {
            Kind::Passed { check, values } => {
                let values: Vec<String> = values.iter().map(Value::en).collect();
                format!("{}: passes the {} check", values.join(", "), label(*check))
            }
            Kind::NotRecorded { check, value } => {
                format!(
                    "{}: the {} check could not be done",
                    value.en(),
                    label(*check)
                )
            }
            Kind::NotValid { check, value } => format!(
                "{} is not valid: the {} check could not be done",
                value.en(),
                label(*check)
            ),
            Kind::InvalidCode { value } => {
                let list = |item| join_codes(&t.codes_of(item, None), ", ");
                let what = match value {
                    Value::Topography(_) => "an ICD-O-3 topography code".to_string(),
                    Value::Behaviour(_) => {
                        format!("an ICD-O-3 behaviour code ({})", list(Item::Behaviour))
                    }
                    Value::Grade(_) => format!("an ICD-O-3 grade code ({})", list(Item::Grade)),
                    Value::Basis(_) => {
                        format!("an IARC basis of diagnosis code ({})", list(Item::Basis))
                    }
                    _ => "an ICD-O-3 histology code".to_string(),
                };
                format!("{} is not {what}", value.en())
            }
            Kind::Combination {
                values,
                outcome,
                ages,
            } => {
                let mut out = format!(
                    "{} is {}",
                    combine(values, Value::en, " with ", " and "),
                    outcome_word(*outcome)
                );
                match ages {
                    Some((from, Some(to))) => {
                        out.push_str(&format!(" (IARC flags ages {from} to {to})"));
                    }
                    Some((from, None)) => {
                        out.push_str(&format!(" (IARC flags ages {from} and over)"));
                    }
                    None => {}
                }
                out
            }
            Kind::BasisNotMicroscopic { morphology, basis } => format!(
                "{} with {}: a specific morphology is expected to be verified by cytology or \
                 histology (basis {})",
                morphology.en(),
                basis.en(),
                join_codes(&t.codes_of(Item::Basis, Some(Flag::Microscopic)), ", ")
            ),
            Kind::GradeNotMalignant { grade, behaviour } => format!(
                "{} on a tumour of {}: only a malignant tumour takes a grade other than 9",
                grade.en(),
                behaviour.en()
            ),
            Kind::GradeMissing { behaviour } => format!(
                "grade not recorded for a tumour of {}: record it, or 9 if not determined",
                behaviour.en()
            ),
            Kind::GradeMorphology {
                grade,
                morphology,
                allowed,
            } => format!(
                "{} with {} is impossible: this morphology takes grade {} or 9",
                grade.en(),
                morphology.en(),
                join_codes(allowed, ", ")
            ),
            Kind::IncidenceBeforeBirth { birth, incidence } => format!(
                "incidence date {incidence} is before birth date {birth}: no age at incidence"
            ),
            Kind::AgeOver { age, limit } => format!(
                "age {age} at incidence is over {limit}: check the birth and incidence dates"
            ),
            Kind::SiteOutsideProfile {
                morphology,
                topography,
                family,
                sites,
            } => format!(
                "{} with {} is rare: the family \"{}\" is expected only at {}",
                morphology.en(),
                topography.en(),
                t.family_names.get(family).copied().unwrap_or_default(),
                site_list(sites)
            ),
            Kind::SiteExcluded {
                morphology,
                topography,
                family,
            } => format!(
                "{} with {} is rare: the family \"{}\" is not expected at this site",
                morphology.en(),
                topography.en(),
                t.family_names.get(family).copied().unwrap_or_default(),
            ),
            Kind::BehaviourNotListed {
                histology,
                behaviour,
                listed,
            } => format!(
                "{} is unlikely: ICD-O-3 lists histology {histology} with behaviour {} only",
                Value::Morphology(*histology, *behaviour).en(),
                join_codes(listed, ", ")
            ),
            Kind::DateOrder { earlier, later } => {
                format!("{} is before {}", later.en(), earlier.en())
            }
        }
    }
}

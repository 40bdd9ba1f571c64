//! Multiple primary cancers: is a tumour added to a patient the same tumour entered again
//! ([`Decision::Duplicate`]), a new primary ([`Decision::NewPrimary`]), or a case the codes
//! alone cannot settle ([`Decision::Review`])?
//!
//! The rules are the IARC/IACR/ENCR "International rules for multiple primary cancers (ICD-O
//! third edition)", IARC Internal Report No. 2004/02, Lyon, 2004 (also Eur J Cancer Prev
//! 2005;14:307-308):
//!
//! 1. Recognition of two or more primary cancers does not depend on time (so [`judge`] takes
//!    no dates).
//! 2. A primary cancer originates in a primary site or tissue and is neither an extension, a
//!    recurrence nor a metastasis.
//! 3. Only one tumour is recognised in an organ, a pair of organs or a tissue; the organs are
//!    the three-character ICD-O-3 topography categories, with the groups of the rules' Table 1
//!    counted as one (C01-C02; C00, C03-C06; C09-C10, C12-C14; C19-C20; C23-C24; C33-C34;
//!    C40-C41; C65-C68). Multifocal and bilateral tumours of one organ count once.
//! 4. Rule 3 does not apply (4.1) to systemic cancers, Kaposi sarcoma (group 15 of Table 2)
//!    and the haematopoietic neoplasms (groups 8-14), counted once per person whatever the
//!    site; nor (4.2) to neoplasms of different histology groups of Table 2, which are separate
//!    cancers even in one organ, except that an unspecified group is not counted as different
//!    from a specific one: 5 (carcinoma NOS) with 1-4, 14 (unspecified haematopoietic) with
//!    8-13, 17 (unspecified cancer) with any.
//!
//! The tables are data in `registry-server/data/iarc-mp/` (their headers cite where each value
//! was read), embedded and parsed once; [`verify_tables`] reports a defect at start-up.
//!
//! # How a pair is judged
//! [`judge`] compares the new tumour with each existing one, in this order (the first step
//! that applies decides):
//!
//! 1. a histology in no group of Table 2, or a topography that is not an ICD-O-3 site:
//!    review ([`Rule::HistologyNotGrouped`], [`Rule::TopographyNotGrouped`]);
//! 2. behaviour 6 or 9 on either (rule 2, a metastasis is not a primary): review
//!    ([`Rule::NotPrimaryBehaviour`]); behaviour 0 or 1 on either (the rules are for malignant
//!    neoplasms): review ([`Rule::NotMalignant`]);
//! 3. both systemic (groups 8-15, rule 4.1), sites ignored: the same group, duplicate
//!    ([`Rule::SystemicOncePerPerson`]); 14 with one of 8-13, duplicate
//!    ([`Rule::UnspecifiedHaematopoietic`]); two different groups (a myeloid leukaemia and a
//!    B-cell lymphoma, Kaposi sarcoma and a lymphoma), new primary
//!    ([`Rule::DifferentHistologyGroup`], rule 4.2);
//! 4. the same organ, neither site unknown or ill-defined, one in situ (2) and one invasive
//!    (3): review ([`Rule::InSituAndInvasive`]);
//! 5. histology groups that differ and neither is the other's unspecified group: new primary
//!    ([`Rule::DifferentHistologyGroup`], rule 4.2), whatever the sites;
//! 6. either site C80 (unknown primary): review ([`Rule::UnknownSite`]); either C76
//!    (ill-defined): review ([`Rule::IllDefinedSite`]);
//! 7. the same organ: duplicate ([`Rule::SameOrganSameHistology`], or
//!    [`Rule::UnspecifiedHistologySameOrgan`] when one histology is unspecified);
//! 8. otherwise: new primary ([`Rule::DifferentOrgan`]).
//!
//! Where this differs from CanReg5's multiple-primary test: mesothelioma (group 7) is not
//! systemic (rule 4.1 names groups 8-15 only; CanReg5 counts 7-15 once); two tumours of
//! unknown site are a review, not a duplicate; steps 2, 4 and the C76 review are this
//! registry's, the 2004 rules being silent.

mod message;
mod tables;

#[cfg(test)]
mod tests;

use serde::Serialize;

pub use message::Message;
pub use tables::{HistologyGroup, OrganGroup, TableError};

use message::Side;

/// A tumour as the rules see it: its ICD-O-3 site, histology and behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tumour<'a> {
    /// ICD-O-3 topography as stored (`"C50.9"`; `"C509"` is read too).
    pub topography: &'a str,
    /// ICD-O-3 histology, the four digits before the slash (`8500`).
    pub morphology: u16,
    /// ICD-O-3 behaviour digit (`3`).
    pub behaviour: u8,
}

/// What the registry should do with a new tumour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The same tumour as an existing one: not a new primary.
    Duplicate,
    /// A new primary cancer.
    NewPrimary,
    /// The codes alone cannot decide: a registrar must look.
    Review,
}

/// The rule that decided a verdict; [`Rule::code`] is stable (the serialised form).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The patient has no other tumour.
    FirstTumour,
    /// Same organ (rule 3, Table 1), same histology group (Table 2).
    SameOrganSameHistology,
    /// Same organ, one histology unspecified (group 5 with 1-5, or 17 with any; rule 4.2).
    UnspecifiedHistologySameOrgan,
    /// Different organs (rule 3, Table 1).
    DifferentOrgan,
    /// Different histology groups (rule 4.2, Table 2).
    DifferentHistologyGroup,
    /// Both systemic and of one group: counted once per person (rule 4.1).
    SystemicOncePerPerson,
    /// Haematopoietic, one of unspecified type (group 14 with 8-13; rules 4.1 and 4.2).
    UnspecifiedHaematopoietic,
    /// A site is C80, unknown primary: the organ rule cannot be applied.
    UnknownSite,
    /// A site is C76, ill-defined: the organ rule cannot be applied.
    IllDefinedSite,
    /// Same organ, one in situ and one invasive.
    InSituAndInvasive,
    /// Behaviour 6 (metastatic) or 9 (uncertain whether primary or metastatic; rule 2).
    NotPrimaryBehaviour,
    /// Behaviour 0 (benign) or 1 (uncertain): outside the rules.
    NotMalignant,
    /// A histology code in no group of Table 2.
    HistologyNotGrouped,
    /// A topography that is not an ICD-O-3 site.
    TopographyNotGrouped,
    /// The embedded tables failed to parse (ruled out by the tests; see [`verify_tables`]).
    TablesUnavailable,
}

impl Rule {
    /// The stable code, `"same_organ_same_histology"`.
    pub fn code(self) -> &'static str {
        match self {
            Rule::FirstTumour => "first_tumour",
            Rule::SameOrganSameHistology => "same_organ_same_histology",
            Rule::UnspecifiedHistologySameOrgan => "unspecified_histology_same_organ",
            Rule::DifferentOrgan => "different_organ",
            Rule::DifferentHistologyGroup => "different_histology_group",
            Rule::SystemicOncePerPerson => "systemic_once_per_person",
            Rule::UnspecifiedHaematopoietic => "unspecified_haematopoietic",
            Rule::UnknownSite => "unknown_site",
            Rule::IllDefinedSite => "ill_defined_site",
            Rule::InSituAndInvasive => "in_situ_and_invasive",
            Rule::NotPrimaryBehaviour => "not_primary_behaviour",
            Rule::NotMalignant => "not_malignant",
            Rule::HistologyNotGrouped => "histology_not_grouped",
            Rule::TopographyNotGrouped => "topography_not_grouped",
            Rule::TablesUnavailable => "tables_unavailable",
        }
    }

    /// Where the rule comes from, as the messages cite it.
    pub fn reference(self) -> &'static str {
        match self {
            Rule::FirstTumour => "IARC/IACR 2004 rule 1",
            Rule::SameOrganSameHistology | Rule::DifferentOrgan => "IARC/IACR 2004 rule 3, Table 1",
            Rule::UnspecifiedHistologySameOrgan | Rule::DifferentHistologyGroup => {
                "IARC/IACR 2004 rule 4.2, Table 2"
            }
            Rule::SystemicOncePerPerson => "IARC/IACR 2004 rule 4.1, Table 2",
            Rule::UnspecifiedHaematopoietic => "IARC/IACR 2004 rules 4.1 and 4.2, Table 2",
            Rule::NotPrimaryBehaviour => "IARC/IACR 2004 rule 2",
            Rule::UnknownSite
            | Rule::IllDefinedSite
            | Rule::InSituAndInvasive
            | Rule::NotMalignant
            | Rule::HistologyNotGrouped
            | Rule::TopographyNotGrouped
            | Rule::TablesUnavailable => "registry rule: the 2004 rules cannot decide",
        }
    }
}

/// The judgement of a new tumour against a patient's existing tumours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// What to do.
    pub decision: Decision,
    /// The rule that decided it.
    pub rule: Rule,
    /// Index in `existing` of the tumour that decided it (0, meaningless, for
    /// [`Rule::FirstTumour`]; for a new primary, the first existing tumour).
    pub against: usize,
    /// Why, in English and Arabic, naming the organ and histology groups.
    pub message: Message,
}

/// Judges `new` against every tumour in `existing` (the patient's active tumours).
///
/// Each pair is judged as the [module documentation](self) says; then a duplicate of any
/// existing tumour wins (the first one found), else a review asked by any (the first), else
/// the tumour is a new primary (`against` 0). With no existing tumour: new primary,
/// [`Rule::FirstTumour`].
pub fn judge(new: &Tumour<'_>, existing: &[Tumour<'_>]) -> Verdict {
    let pairs: Vec<(Decision, Rule)> = existing.iter().map(|old| pair(new, old)).collect();
    let chosen = pairs
        .iter()
        .position(|(d, _)| *d == Decision::Duplicate)
        .or_else(|| pairs.iter().position(|(d, _)| *d == Decision::Review))
        .or(if existing.is_empty() { None } else { Some(0) });
    let found = chosen.and_then(|i| Some((i, *pairs.get(i)?, existing.get(i)?)));
    let new_side = side(new);
    match found {
        Some((against, (decision, rule), old)) => Verdict {
            decision,
            rule,
            against,
            message: message::message(rule, &new_side, Some(&side(old))),
        },
        None => Verdict {
            decision: Decision::NewPrimary,
            rule: Rule::FirstTumour,
            against: 0,
            message: message::message(Rule::FirstTumour, &new_side, None),
        },
    }
}

/// The organ group (rule 3, Table 1) of an ICD-O-3 topography (`"C19.9"` → `C19-C20`), or
/// `None` if it is not a well-formed ICD-O-3 site code of the table (or the tables failed to
/// load). Only the three-character category is looked at.
pub fn organ_group(topography: &str) -> Option<OrganGroup> {
    let t = tables::tables().ok()?;
    t.organ(category(topography)?)
}

/// The Table 2 histology group (1 to 17) of an ICD-O-3 histology code (`8140` → 3), or `None`
/// if the table lists it in no group (or the tables failed to load).
pub fn histology_group(morphology: u16) -> Option<u8> {
    tables::tables().ok()?.group_of(morphology)
}

/// The name of Table 2's group `number` (1 to 17).
pub fn histology_group_name(number: u8) -> Option<HistologyGroup> {
    tables::tables().ok()?.group(number)
}

/// Whether the embedded tables parsed; the error names the file and line. Call at start-up.
///
/// # Errors
/// The shipped data files are defective (a programming error, ruled out by the unit tests).
pub fn verify_tables() -> Result<(), TableError> {
    tables::tables().map(|_| ()).map_err(Clone::clone)
}

/// The three-character category of a topography: `"C50.9"` or `"C509"` → `"C50"`.
fn category(topography: &str) -> Option<&str> {
    let b = topography.as_bytes();
    let well_formed = match b {
        [b'C', d1, d2, b'.', d3] | [b'C', d1, d2, d3] => {
            d1.is_ascii_digit() && d2.is_ascii_digit() && d3.is_ascii_digit()
        }
        _ => false,
    };
    if well_formed {
        topography.get(..3)
    } else {
        None
    }
}

fn side<'a>(tumour: &'a Tumour<'a>) -> Side<'a> {
    Side {
        tumour,
        organ: organ_group(tumour.topography),
        histology: histology_group(tumour.morphology).and_then(histology_group_name),
    }
}

/// Groups counted once per person whatever the site (rule 4.1).
fn systemic(group: u8) -> bool {
    (8..=15).contains(&group)
}

/// Whether two histology groups are not counted as different (rule 4.2): equal, or one is
/// the other's unspecified group.
fn compatible(a: u8, b: u8) -> bool {
    let unspecified = |u: u8, other: u8| {
        u == 17 || (u == 5 && other <= 5) || (u == 14 && (8..=13).contains(&other))
    };
    a == b || unspecified(a, b) || unspecified(b, a)
}

/// The decision for one pair (see the module documentation for the order).
fn pair(new: &Tumour<'_>, old: &Tumour<'_>) -> (Decision, Rule) {
    use Decision::{Duplicate, NewPrimary, Review};
    let Ok(t) = tables::tables() else {
        return (Review, Rule::TablesUnavailable);
    };
    let (Some(gn), Some(go)) = (t.group_of(new.morphology), t.group_of(old.morphology)) else {
        return (Review, Rule::HistologyNotGrouped);
    };
    let organs = (
        category(new.topography).and_then(|c| t.organ(c)),
        category(old.topography).and_then(|c| t.organ(c)),
    );
    let (Some(on), Some(oo)) = organs else {
        return (Review, Rule::TopographyNotGrouped);
    };
    let behaviours = [new.behaviour, old.behaviour];
    if behaviours.iter().any(|b| matches!(b, 6 | 9)) {
        return (Review, Rule::NotPrimaryBehaviour);
    }
    if behaviours.iter().any(|b| !matches!(b, 2 | 3)) {
        return (Review, Rule::NotMalignant);
    }
    if systemic(gn) && systemic(go) {
        return if gn == go {
            (Duplicate, Rule::SystemicOncePerPerson)
        } else if compatible(gn, go) {
            (Duplicate, Rule::UnspecifiedHaematopoietic)
        } else {
            (NewPrimary, Rule::DifferentHistologyGroup)
        };
    }
    let vague = |o: OrganGroup| matches!(o.code, "C76" | "C80");
    let same_organ = on == oo && !vague(on);
    if same_organ && new.behaviour != old.behaviour {
        return (Review, Rule::InSituAndInvasive);
    }
    if !compatible(gn, go) {
        return (NewPrimary, Rule::DifferentHistologyGroup);
    }
    if on.code == "C80" || oo.code == "C80" {
        return (Review, Rule::UnknownSite);
    }
    if on.code == "C76" || oo.code == "C76" {
        return (Review, Rule::IllDefinedSite);
    }
    if same_organ {
        let rule = if gn == go {
            Rule::SameOrganSameHistology
        } else {
            Rule::UnspecifiedHistologySameOrgan
        };
        (Duplicate, rule)
    } else {
        (NewPrimary, Rule::DifferentOrgan)
    }
}

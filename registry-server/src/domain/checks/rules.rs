//! The checks themselves: each reads the subject and the tables and gives its finding.
//!
//! A cross-check needs its values to be valid codes; when one is not, the cross-check gives
//! [`Outcome::Missing`] ("could not be done") and the code's own check gives the
//! [`Outcome::Invalid`].

use card_format::model::Sex;

use super::message::{Absent, Kind, Message, Value};
use super::select::{Family, Site};
use super::tables::{Flag, Item, Tables};
use super::{Check, Finding, Outcome, Subject};

mod dates;

use dates::{age, age_at_incidence, age_rules, date_order, Age};

/// The subject with its codes looked up.
struct Ctx<'a> {
    s: &'a Subject<'a>,
    t: &'static Tables,
    /// The topography, when a valid code.
    site: Option<Site>,
    /// The histology and its family, when a valid code.
    morph: Option<(u16, Family)>,
    behaviour: Option<u8>,
    /// `None`: an invalid grade; `Some(None)`: no grade recorded.
    grade: Option<Option<u8>>,
    basis: Option<u8>,
    age: Age,
}

fn finding(check: Check, outcome: Outcome, kind: Kind) -> Finding {
    Finding {
        check,
        outcome,
        fields: check.fields(),
        message: Message(kind),
    }
}

fn passed(check: Check, values: Vec<Value>) -> Finding {
    finding(check, Outcome::Ok, Kind::Passed { check, values })
}

fn not_valid(check: Check, value: Value) -> Finding {
    finding(check, Outcome::Missing, Kind::NotValid { check, value })
}

fn not_recorded(check: Check, value: Value) -> Finding {
    finding(check, Outcome::Missing, Kind::NotRecorded { check, value })
}

/// Either way, the finding.
fn settle(result: Result<Finding, Finding>) -> Finding {
    match result {
        Ok(f) | Err(f) => f,
    }
}

impl Ctx<'_> {
    fn topography(&self) -> Value {
        Value::Topography(self.s.topography.to_string())
    }

    fn morphology(&self) -> Value {
        Value::Morphology(self.s.morphology, self.s.behaviour)
    }

    fn site(&self, check: Check) -> Result<Site, Finding> {
        self.site.ok_or_else(|| not_valid(check, self.topography()))
    }

    fn morph(&self, check: Check) -> Result<(u16, Family), Finding> {
        self.morph
            .ok_or_else(|| not_valid(check, Value::Histology(self.s.morphology)))
    }

    fn behaviour(&self, check: Check) -> Result<u8, Finding> {
        self.behaviour
            .ok_or_else(|| not_valid(check, Value::Behaviour(self.s.behaviour)))
    }

    fn basis(&self, check: Check) -> Result<u8, Finding> {
        self.basis
            .ok_or_else(|| not_valid(check, Value::Basis(self.s.basis)))
    }

    fn age(&self, check: Check) -> Result<u32, Finding> {
        match self.age {
            Age::Years(years) => Ok(years),
            Age::NoBirth => Err(not_recorded(check, Value::Absent(Absent::Birth))),
            Age::BeforeBirth => Err(not_recorded(check, Value::Absent(Absent::Age))),
            Age::Unreadable(field, date) => Err(not_valid(check, Value::Date(field, date))),
        }
    }

    /// Male or female, or the finding that the sex is neither.
    fn sex(&self, check: Check) -> Result<Sex, Finding> {
        match self.s.sex {
            sex @ (Sex::Male | Sex::Female) => Ok(sex),
            sex @ (Sex::NotKnown | Sex::NotApplicable) => Err(not_recorded(check, Value::Sex(sex))),
        }
    }
}

/// Every check, in the order of the report.
pub(super) fn run(s: &Subject<'_>, t: &'static Tables) -> Vec<Finding> {
    let site = Site::parse(s.topography).filter(|site| t.topography.contains_key(site));
    let c = Ctx {
        s,
        t,
        site,
        morph: t.morphology.get(&s.morphology).map(|f| (s.morphology, *f)),
        behaviour: t.code(Item::Behaviour, s.behaviour).map(|_| s.behaviour),
        grade: match s.grade {
            None => Some(None),
            Some(g) => t.code(Item::Grade, g).map(|_| Some(g)),
        },
        basis: t.code(Item::Basis, s.basis).map(|_| s.basis),
        age: age(s.birth, s.incidence),
    };
    let mut out = vec![
        code(Check::TopographyCode, c.site.is_some(), c.topography()),
        code(
            Check::MorphologyCode,
            c.morph.is_some(),
            if c.morph.is_some() {
                c.morphology()
            } else {
                Value::Histology(s.morphology)
            },
        ),
        code(
            Check::BehaviourCode,
            c.behaviour.is_some(),
            Value::Behaviour(s.behaviour),
        ),
        match s.grade {
            None => passed(Check::GradeCode, vec![Value::Absent(Absent::Grade)]),
            Some(g) => code(Check::GradeCode, c.grade.is_some(), Value::Grade(g)),
        },
        code(Check::BasisCode, c.basis.is_some(), Value::Basis(s.basis)),
        settle(basis_morphology(&c)),
        settle(grade_morphology(&c)),
        age_at_incidence(&c),
        settle(age_rules(&c, Check::AgeTopography)),
        settle(age_rules(&c, Check::AgeMorphology)),
        settle(age_rules(&c, Check::AgeTopographyMorphology)),
        settle(sex_topography(&c)),
        settle(sex_morphology(&c)),
        settle(topography_morphology(&c)),
        settle(topography_behaviour(&c)),
        settle(morphology_behaviour(&c)),
    ];
    out.extend(date_order(s));
    out
}

/// A code check: valid, or invalid.
fn code(check: Check, valid: bool, value: Value) -> Finding {
    if valid {
        passed(check, vec![value])
    } else {
        finding(check, Outcome::Invalid, Kind::InvalidCode { value })
    }
}

/// TR42 basis/histology: a specific morphology needs a microscopic basis.
fn basis_morphology(c: &Ctx) -> Result<Finding, Finding> {
    let check = Check::BasisMorphology;
    let basis = c.basis(check)?;
    let (m, family) = c.morph(check)?;
    let site = c.site(check)?;
    let accepted = c.t.flagged(Item::Basis, basis, Flag::Microscopic)
        || c.t
            .basis_rules
            .iter()
            .any(|r| r.morphology.matches(m, family) && r.topography.matches(site));
    Ok(if accepted {
        passed(
            check,
            vec![Value::Basis(basis), c.morphology(), c.topography()],
        )
    } else {
        finding(
            check,
            Outcome::Query,
            Kind::BasisNotMicroscopic {
                morphology: c.morphology(),
                basis: Value::Basis(basis),
            },
        )
    })
}

/// TR42 grade/histology: only malignant tumours take a grade, and some morphologies take
/// only some grades.
fn grade_morphology(c: &Ctx) -> Result<Finding, Finding> {
    let check = Check::GradeMorphology;
    let behaviour = c.behaviour(check)?;
    let (m, family) = c.morph(check)?;
    let Some(grade) = c.grade else {
        return Err(not_valid(
            check,
            Value::Grade(c.s.grade.unwrap_or_default()),
        ));
    };
    let malignant = c.t.flagged(Item::Behaviour, behaviour, Flag::Malignant);
    let values = |g: Value| vec![g, Value::Behaviour(behaviour), c.morphology()];
    let Some(g) = grade else {
        return Ok(if malignant {
            finding(
                check,
                Outcome::Missing,
                Kind::GradeMissing {
                    behaviour: Value::Behaviour(behaviour),
                },
            )
        } else {
            passed(check, values(Value::Absent(Absent::Grade)))
        });
    };
    if c.t.flagged(Item::Grade, g, Flag::NotDetermined) {
        return Ok(passed(check, values(Value::Grade(g))));
    }
    if !malignant {
        return Ok(finding(
            check,
            Outcome::Invalid,
            Kind::GradeNotMalignant {
                grade: Value::Grade(g),
                behaviour: Value::Behaviour(behaviour),
            },
        ));
    }
    let rule =
        c.t.grade_rules
            .iter()
            .find(|r| r.morphology.matches(m, family));
    Ok(match rule {
        Some(rule) if !rule.grades.contains(&g) => finding(
            check,
            Outcome::Invalid,
            Kind::GradeMorphology {
                grade: Value::Grade(g),
                morphology: c.morphology(),
                allowed: rule.grades.clone(),
            },
        ),
        _ => passed(check, values(Value::Grade(g))),
    })
}

/// A combination flagged by the worst matching rule, or passed.
fn combination(check: Check, values: Vec<Value>, flagged: Option<Outcome>) -> Finding {
    match flagged {
        None => passed(check, values),
        Some(outcome) => finding(
            check,
            outcome,
            Kind::Combination {
                values,
                outcome,
                ages: None,
            },
        ),
    }
}

/// TR42 sex/site.
fn sex_topography(c: &Ctx) -> Result<Finding, Finding> {
    let check = Check::SexTopography;
    let site = c.site(check)?;
    let sex = c.sex(check)?;
    let flagged =
        c.t.sex_rules
            .iter()
            .filter(|r| r.check == check && r.sex == sex && r.topography.matches(site))
            .map(|r| r.outcome)
            .max();
    Ok(combination(
        check,
        vec![Value::Sex(sex), c.topography()],
        flagged,
    ))
}

/// TR42 sex/histology.
fn sex_morphology(c: &Ctx) -> Result<Finding, Finding> {
    let check = Check::SexMorphology;
    let (m, family) = c.morph(check)?;
    let behaviour = c.behaviour(check)?;
    let sex = c.sex(check)?;
    let flagged =
        c.t.sex_rules
            .iter()
            .filter(|r| {
                r.check == check
                    && r.sex == sex
                    && r.morphology.matches(m, family)
                    && r.behaviours.as_ref().is_none_or(|b| b.contains(&behaviour))
            })
            .map(|r| r.outcome)
            .max();
    Ok(combination(
        check,
        vec![Value::Sex(sex), c.morphology()],
        flagged,
    ))
}

/// TR42 site/histology: the site profiles of the morphology families.
fn topography_morphology(c: &Ctx) -> Result<Finding, Finding> {
    let check = Check::TopographyMorphology;
    let site = c.site(check)?;
    let (_, family) = c.morph(check)?;
    let sites =
        c.t.profiles
            .get(&family)
            .map(Vec::as_slice)
            .unwrap_or_default();
    let listed = sites.iter().any(|s| s.matches(site));
    let (morphology, topography) = (c.morphology(), c.topography());
    Ok(match family {
        Family::Must(_) if !listed => finding(
            check,
            Outcome::Rare,
            Kind::SiteOutsideProfile {
                morphology,
                topography,
                family,
                sites: sites.to_vec(),
            },
        ),
        Family::MustNot(_) if listed => finding(
            check,
            Outcome::Rare,
            Kind::SiteExcluded {
                morphology,
                topography,
                family,
            },
        ),
        _ => passed(check, vec![morphology, topography]),
    })
}

/// TR42 behaviour/site.
fn topography_behaviour(c: &Ctx) -> Result<Finding, Finding> {
    let check = Check::TopographyBehaviour;
    let site = c.site(check)?;
    let behaviour = c.behaviour(check)?;
    let flagged =
        c.t.behaviour_sites
            .iter()
            .filter(|r| r.behaviour == behaviour && r.topography.matches(site))
            .map(|r| r.outcome)
            .max();
    Ok(combination(
        check,
        vec![Value::Behaviour(behaviour), c.topography()],
        flagged,
    ))
}

/// TR42 behaviour/histology: the pair is listed in ICD-O-3 (a malignant metastatic or
/// uncertain behaviour, 6 or 9, counts as the malignant 3).
fn morphology_behaviour(c: &Ctx) -> Result<Finding, Finding> {
    let check = Check::MorphologyBehaviour;
    let (m, _) = c.morph(check)?;
    let behaviour = c.behaviour(check)?;
    let listed = c.t.terms.contains_key(&(m, behaviour))
        || (matches!(behaviour, 6 | 9) && c.t.terms.contains_key(&(m, 3)));
    Ok(if listed {
        passed(check, vec![c.morphology()])
    } else {
        finding(
            check,
            Outcome::Query,
            Kind::BehaviourNotListed {
                histology: m,
                behaviour,
                listed: c.t.behaviours_listed(m),
            },
        )
    })
}

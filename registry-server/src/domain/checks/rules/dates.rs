//! The checks on dates: the age at incidence, the IARC age rules, and the order of the dates.

use card_format::model::Date;

use super::super::message::{DateField, Kind, Value};
use super::super::tables::AgeRule;
use super::super::{Check, Finding, Outcome, Subject, MAX_AGE};
use super::{finding, passed, settle, Ctx};

/// The age at incidence, or why there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Age {
    NoBirth,
    BeforeBirth,
    Unreadable(DateField, Date),
    Years(u32),
}

/// Whole years from `birth` to `incidence` (the age at the last birthday before or on the
/// incidence date; someone born on 29 February has their birthday on 1 March in other years).
pub(super) fn age(birth: Option<Date>, incidence: Date) -> Age {
    let Some(birth) = birth else {
        return Age::NoBirth;
    };
    if incidence < birth {
        return Age::BeforeBirth;
    }
    let Some((by, bm, bd)) = birth.to_ymd() else {
        return Age::Unreadable(DateField::Birth, birth);
    };
    let Some((iy, im, id)) = incidence.to_ymd() else {
        return Age::Unreadable(DateField::Incidence, incidence);
    };
    let years = iy - by - i32::from((im, id) < (bm, bd));
    Age::Years(u32::try_from(years).unwrap_or(0))
}

/// The age at incidence from the two dates.
pub(super) fn age_at_incidence(c: &Ctx) -> Finding {
    let check = Check::AgeAtIncidence;
    match c.age {
        Age::Years(years) if years > MAX_AGE => finding(
            check,
            Outcome::Query,
            Kind::AgeOver {
                age: years,
                limit: MAX_AGE,
            },
        ),
        Age::BeforeBirth => finding(
            check,
            Outcome::Invalid,
            Kind::IncidenceBeforeBirth {
                birth: c.s.birth.unwrap_or(c.s.incidence),
                incidence: c.s.incidence,
            },
        ),
        Age::Years(years) => {
            let mut values = Vec::new();
            if let Some(birth) = c.s.birth {
                values.push(Value::Date(DateField::Birth, birth));
            }
            values.push(Value::Date(DateField::Incidence, c.s.incidence));
            values.push(Value::Age(years));
            passed(check, values)
        }
        Age::NoBirth | Age::Unreadable(..) => {
            settle(c.age(check).map(|_| passed(check, Vec::new())))
        }
    }
}

/// TR42 age/site, age/histology and age/site/histology.
pub(super) fn age_rules(c: &Ctx, check: Check) -> Result<Finding, Finding> {
    let years = c.age(check)?;
    let needs_site = matches!(check, Check::AgeTopography | Check::AgeTopographyMorphology);
    let needs_morph = matches!(check, Check::AgeMorphology | Check::AgeTopographyMorphology);
    let site = if needs_site {
        Some(c.site(check)?)
    } else {
        None
    };
    let morph = if needs_morph {
        Some(c.morph(check)?)
    } else {
        None
    };
    let mut values = vec![Value::Age(years)];
    if needs_site {
        values.push(c.topography());
    }
    if needs_morph {
        values.push(c.morphology());
    }
    let hit =
        c.t.age_rules
            .iter()
            .filter(|r| {
                r.check == check
                    && years >= r.from
                    && r.to.is_none_or(|to| years <= to)
                    && site.is_none_or(|s| r.topography.matches(s))
                    && morph.is_none_or(|(m, f)| r.morphology.matches(m, f))
            })
            // The first of the most severe rules (the most specific, as the tables are ordered).
            .fold(None, |best: Option<&AgeRule>, r| match best {
                Some(b) if b.outcome >= r.outcome => Some(b),
                _ => Some(r),
            });
    Ok(match hit {
        None => passed(check, values),
        Some(rule) => finding(
            check,
            rule.outcome,
            Kind::Combination {
                values,
                outcome: rule.outcome,
                ages: Some((rule.from, rule.to)),
            },
        ),
    })
}

/// Dates in order: birth, incidence, last contact, death. One finding per pair out of order,
/// or one that passes.
pub(super) fn date_order(s: &Subject<'_>) -> Vec<Finding> {
    let check = Check::DateOrder;
    let date = |field, d: Option<Date>| d.map(|d| Value::Date(field, d));
    let incidence = Some(s.incidence);
    let pairs: [(&'static [&'static str], _, _); 4] = [
        (
            &["birth", "incidence"],
            (DateField::Birth, s.birth),
            (DateField::Incidence, incidence),
        ),
        (
            &["incidence", "last_contact"],
            (DateField::Incidence, incidence),
            (DateField::LastContact, s.last_contact),
        ),
        (
            &["incidence", "death"],
            (DateField::Incidence, incidence),
            (DateField::Death, s.death),
        ),
        (
            &["last_contact", "death"],
            (DateField::LastContact, s.last_contact),
            (DateField::Death, s.death),
        ),
    ];
    let mut out = Vec::new();
    for (fields, (ef, earlier), (lf, later)) in pairs {
        if let (Some(e), Some(l)) = (earlier, later) {
            if l < e {
                let mut f = finding(
                    check,
                    Outcome::Invalid,
                    Kind::DateOrder {
                        earlier: Value::Date(ef, e),
                        later: Value::Date(lf, l),
                    },
                );
                f.fields = fields;
                out.push(f);
            }
        }
    }
    if out.is_empty() {
        let values = [
            date(DateField::Birth, s.birth),
            date(DateField::Incidence, incidence),
            date(DateField::LastContact, s.last_contact),
            date(DateField::Death, s.death),
        ];
        out.push(passed(check, values.into_iter().flatten().collect()));
    }
    out
}

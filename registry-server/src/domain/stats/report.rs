//! What every report of the registry shares: the tumours it may count ([`Case`]), the
//! population it divides by ([`Population`]), the rows of rates it prints ([`RateRow`]) and
//! the statement of what it counted and left out ([`Counted`]).
//!
//! A report counts primaries only: a tumour the multiple-primary rules judged the same as
//! another (IARC/IACR/ENCR 2004, `domain::primaries`) is left out and said so, and the
//! tumours still awaiting a person's review are counted and their number given.

use card_format::model::Sex;
use serde::Serialize;

use super::rates::{self, AgeGroup, AgeRange, AgeTable, Scale, AGE_GROUPS};
use super::suppression::{self, Cell};
use super::{Standard, StatsError};

/// One stored tumour as the statistics see it: no name, no identifier.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// The patient's sex.
    pub sex: Sex,
    /// Completed years at incidence.
    pub age: u32,
    /// The year of incidence.
    pub year: i32,
    /// The region of residence, when recorded.
    pub region: Option<String>,
    /// The facility of the user who last wrote the tumour (empty when unknown).
    pub facility: String,
    /// ICD-10 code (`C18.7`).
    pub icd10: String,
    /// ICD-O-3 topography (`C18.7`).
    pub topography: String,
    /// ICD-O-3 morphology (`8140`).
    pub morphology: u16,
    /// ICD-O-3 behaviour (3 malignant).
    pub behaviour: u8,
    /// Basis of diagnosis (0 death certificate only ... 7 histology of the primary).
    pub basis: u8,
    /// Stage group as recorded (`IIA`), if any.
    pub stage_group: Option<String>,
    /// The multiple-primary decision of its current version.
    pub decision: Option<Decision>,
    /// The date of incidence, days since 1970-01-01.
    pub incidence: i32,
    /// The date of death, when a follow-up recorded one.
    pub death: Option<i32>,
    /// The latest date of last contact.
    pub last_contact: Option<i32>,
    /// A query or rare finding of the record checks that nobody has confirmed.
    pub open_checks: bool,
}

#[cfg(test)]
impl Case {
    /// For the reports' tests: a man's malignant new primary (8140/3, basis 7) of 2024 (day
    /// 19,800) in the east, at facility LY-BEN-PED, with `icd10` as its ICD-10 code and its
    /// topography, and no follow-up.
    pub(crate) fn sample(icd10: &str, age: u32) -> Case {
        Case {
            sex: Sex::Male,
            age,
            year: 2024,
            region: Some("east".into()),
            facility: "LY-BEN-PED".into(),
            icd10: icd10.into(),
            topography: icd10.into(),
            morphology: 8140,
            behaviour: 3,
            basis: 7,
            stage_group: None,
            decision: Some(Decision::NewPrimary),
            incidence: 19_800,
            death: None,
            last_contact: None,
            open_checks: false,
        }
    }
}

/// A multiple-primary decision, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The same tumour as another: not counted.
    Duplicate,
    /// A new primary: counted.
    NewPrimary,
    /// Awaiting a person's review: counted, and the number stated.
    Review,
}

impl Decision {
    /// The decision for a stored name (`duplicate`, `new_primary`, `review`).
    pub fn from_name(name: &str) -> Option<Decision> {
        match name {
            "duplicate" => Some(Decision::Duplicate),
            "new_primary" => Some(Decision::NewPrimary),
            "review" => Some(Decision::Review),
            _ => None,
        }
    }
}

/// Which sex a report counts.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum SexFilter {
    /// Both sexes (and tumours of patients whose sex is not known).
    #[default]
    Both,
    /// Males.
    Male,
    /// Females.
    Female,
}

impl SexFilter {
    /// Whether a patient of `sex` is counted.
    pub fn admits(self, sex: Sex) -> bool {
        match self {
            SexFilter::Both => true,
            SexFilter::Male => sex == Sex::Male,
            SexFilter::Female => sex == Sex::Female,
        }
    }

    /// The name (`both`, `male`, `female`).
    pub fn as_str(self) -> &'static str {
        match self {
            SexFilter::Both => "both",
            SexFilter::Male => "male",
            SexFilter::Female => "female",
        }
    }
}

/// What a report counts: the years of incidence, the area and the sex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Filter {
    /// The first year of incidence.
    pub from_year: i32,
    /// The last year of incidence (inclusive).
    pub to_year: i32,
    /// The region of residence, or `None` for the whole country.
    pub region: Option<String>,
    /// The sex.
    pub sex: SexFilter,
}

impl Filter {
    /// Whether the case falls in the period and the sex. The region is judged by
    /// [`Tally::consider`], which counts the cases whose region was not recorded.
    fn admits(&self, case: &Case) -> bool {
        (self.from_year..=self.to_year).contains(&case.year) && self.sex.admits(case.sex)
    }
}

/// Person-years of the period by sex and age group (the sum of each year's mid-year
/// population, Boyle and Parkin 1991).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Population {
    /// Males, youngest group first.
    pub male: [f64; AGE_GROUPS],
    /// Females, youngest group first.
    pub female: [f64; AGE_GROUPS],
}

impl Population {
    /// No one.
    pub const EMPTY: Population = Population {
        male: [0.0; AGE_GROUPS],
        female: [0.0; AGE_GROUPS],
    };

    /// The person-years of the sex asked for.
    pub fn of(&self, sex: SexFilter) -> [f64; AGE_GROUPS] {
        match sex {
            SexFilter::Male => self.male,
            SexFilter::Female => self.female,
            SexFilter::Both => std::array::from_fn(|i| self.male[i] + self.female[i]),
        }
    }
}

/// Why records were left out, and how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Exclusion {
    /// The reason's stable code (`duplicate_tumour`, `not_malignant`...).
    pub reason: &'static str,
    /// Its English text.
    pub text: &'static str,
    /// How many records.
    pub count: u64,
}

/// What a report counted: the period, the area, the sex, the rules, the records counted and
/// those left out with the reason (issue #13: "every report says what it counted").
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Counted {
    /// Period, area and sex.
    pub filter: Filter,
    /// Tumours of the period, area and sex the report looked at.
    pub records: u64,
    /// Those it counted.
    pub included: u64,
    /// Those it left out, by reason (reasons with no record are not listed).
    pub excluded: Vec<Exclusion>,
    /// Of those counted, the tumours whose multiple-primary decision awaits a review.
    pub awaiting_review: u64,
    /// The rules applied, in English.
    pub rules: Vec<&'static str>,
    /// The standard populations of the age-standardised rates.
    pub standards: Vec<&'static str>,
    /// The note on suppressed cells, when cells were suppressed.
    pub suppression: Option<String>,
}

/// Counts the records a report looks at and the reasons it leaves some out.
#[derive(Debug)]
pub(crate) struct Tally {
    filter: Filter,
    records: u64,
    included: u64,
    awaiting_review: u64,
    excluded: Vec<Exclusion>,
}

/// A reason to leave a record out: code and English text.
pub(crate) type Reason = (&'static str, &'static str);

/// The multiple-primary rules judged it the same tumour as another.
pub(crate) const DUPLICATE: Reason = (
    "duplicate_tumour",
    "the multiple-primary rules judged it the same tumour as another record",
);
/// The region of residence is not recorded (regional reports only).
pub(crate) const NO_REGION: Reason = (
    "region_not_recorded",
    "the patient's region of residence is not recorded",
);

impl Tally {
    /// A tally for `filter`.
    pub(crate) fn new(filter: &Filter) -> Tally {
        Tally {
            filter: filter.clone(),
            records: 0,
            included: 0,
            awaiting_review: 0,
            excluded: Vec::new(),
        }
    }

    /// Whether the case is one the report looks at (period, sex, region), counting it; the
    /// duplicates are left out here, with their reason.
    pub(crate) fn consider(&mut self, case: &Case) -> bool {
        if !self.filter.admits(case) {
            return false;
        }
        if let Some(region) = &self.filter.region {
            match &case.region {
                Some(r) if r == region => {}
                Some(_) => return false,
                None => {
                    self.records += 1;
                    self.exclude(NO_REGION);
                    return false;
                }
            }
        }
        self.records += 1;
        if case.decision == Some(Decision::Duplicate) {
            self.exclude(DUPLICATE);
            return false;
        }
        true
    }

    /// Leaves a considered record out for `reason`.
    pub(crate) fn exclude(&mut self, (reason, text): Reason) {
        match self.excluded.iter_mut().find(|e| e.reason == reason) {
            Some(e) => e.count += 1,
            None => self.excluded.push(Exclusion {
                reason,
                text,
                count: 1,
            }),
        }
    }

    /// Counts a considered record in.
    pub(crate) fn include(&mut self, case: &Case) {
        self.included += 1;
        if case.decision == Some(Decision::Review) {
            self.awaiting_review += 1;
        }
    }

    /// The statement, with the rules and standards of the report.
    pub(crate) fn counted(
        self,
        rules: Vec<&'static str>,
        standards: Vec<&'static str>,
        suppressed: bool,
    ) -> Counted {
        Counted {
            filter: self.filter,
            records: self.records,
            included: self.included,
            excluded: self.excluded,
            awaiting_review: self.awaiting_review,
            rules,
            standards,
            suppression: if suppressed {
                suppression::note(suppression::THRESHOLD)
            } else {
                None
            },
        }
    }
}

/// An age-standardised rate and its 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Asr {
    /// The standard population (`world`, `european`, `who_2000_2025`).
    pub standard: &'static str,
    /// The rate.
    pub rate: f64,
    /// The lower bound of the 95% interval.
    pub lower: f64,
    /// The upper bound of the 95% interval.
    pub upper: f64,
}

/// One line of an incidence table: a site or a group, and its rates. Every number is `None`
/// in a suppressed row; an age group's cell of 1 to 4 cases is `None` in a suppressed table.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RateRow {
    /// Stable key (`C18`, `C19-20`, `IIIb`, `all`).
    pub key: String,
    /// English name.
    pub name: String,
    /// Arabic name.
    pub name_ar: String,
    /// Cases.
    pub cases: Option<u64>,
    /// Cases by age group of the table's range.
    pub age_cases: Vec<Option<u32>>,
    /// Age-specific rates by age group of the table's range.
    pub age_rates: Vec<Option<f64>>,
    /// Crude rate.
    pub crude: Option<f64>,
    /// Age-standardised rates, one per standard population (empty when suppressed).
    pub asr: Vec<Asr>,
    /// Cumulative risk 0-74, in percent (adult tables only).
    pub cumulative_risk: Option<f64>,
    /// Percentage of all sites.
    pub percent: Option<f64>,
    /// Rank by the world age-standardised rate among the sites (not for totals).
    pub rank: Option<u32>,
    /// Whether the row's numbers are hidden (fewer than 5 cases).
    pub suppressed: bool,
}

/// The shape of a table of rates: its ages, its scale and whether it gives the cumulative
/// risk 0-74.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    pub(crate) ages: AgeRange,
    pub(crate) per: Scale,
    pub(crate) cumulative: bool,
}

/// The rates of one row: `cases` by age group (all 18) over `person_years`.
///
/// # Errors
/// [`StatsError`] when the population and the counts disagree (cases where no one lived).
pub(crate) fn rate_row(
    (key, name, name_ar): (&str, &str, &str),
    cases: [u32; AGE_GROUPS],
    person_years: [f64; AGE_GROUPS],
    shape: Shape,
) -> Result<RateRow, StatsError> {
    let table = AgeTable::new(cases, person_years)?;
    let in_range: u64 = shape.ages.groups().map(|g| u64::from(table.cases(g))).sum();
    let person_years_in_range: f64 = shape.ages.groups().map(|g| table.person_years(g)).sum();
    let crude = rates::Rate::new(in_range, person_years_in_range, shape.per)?;
    let asr = Standard::ALL
        .iter()
        .map(|&s| {
            rates::standardised_rate(&table, s, shape.ages, shape.per).map(|r| Asr {
                standard: code(s),
                rate: r.asr,
                lower: r.lower,
                upper: r.upper,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let cumulative_risk = if shape.cumulative {
        Some(rates::cumulative_risk(&table, AgeRange::AGES_0_74)?.risk_percent)
    } else {
        None
    };
    let groups: Vec<AgeGroup> = shape.ages.groups().collect();
    Ok(RateRow {
        key: key.to_string(),
        name: name.to_string(),
        name_ar: name_ar.to_string(),
        cases: Some(in_range),
        age_cases: groups.iter().map(|&g| Some(table.cases(g))).collect(),
        age_rates: groups
            .iter()
            .map(|&g| Some(rates::age_specific_rate(&table, g, shape.per).map_or(0.0, |r| r.value)))
            .collect(),
        crude: Some(crude.value),
        asr,
        cumulative_risk,
        percent: None,
        rank: None,
        suppressed: false,
    })
}

/// Fills the rows' percentage of `total` cases and their rank by the world ASR (1 the
/// highest; ties keep the table's order).
pub(crate) fn rank(rows: &mut [RateRow], total: u64) {
    let world = |r: &RateRow| r.asr.first().map_or(0.0, |a| a.rate);
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| world(&rows[b]).total_cmp(&world(&rows[a])));
    for (place, index) in order.into_iter().enumerate() {
        let row = &mut rows[index];
        row.rank = Some(u32::try_from(place + 1).unwrap_or(u32::MAX));
        row.percent = (total > 0).then(|| count(row.cases.unwrap_or(0)) * 100.0 / count(total));
    }
}

/// Hides a row with 1 to 4 cases whole, and in the others the age groups of 1 to 4 cases
/// (their counts and their rates, which with the population would give the count back).
pub(crate) fn suppress_row(row: &mut RateRow) {
    let small = |c: u64| suppression::suppress(c, suppression::THRESHOLD) == Cell::Suppressed;
    if small(row.cases.unwrap_or(0)) {
        row.cases = None;
        row.age_cases.iter_mut().for_each(|c| *c = None);
        row.age_rates.iter_mut().for_each(|r| *r = None);
        row.crude = None;
        row.asr.clear();
        row.cumulative_risk = None;
        row.percent = None;
        row.rank = None;
        row.suppressed = true;
        return;
    }
    for (c, r) in row.age_cases.iter_mut().zip(row.age_rates.iter_mut()) {
        if small(u64::from(c.unwrap_or(0))) {
            *c = None;
            *r = None;
        }
    }
}

/// Adds one case of `age` to the counts by age group.
pub(crate) fn add(cases: &mut [u32; AGE_GROUPS], age: u32) {
    let group = AgeGroup::for_age(age).index();
    if let Some(c) = cases.get_mut(group) {
        *c = c.saturating_add(1);
    }
}

/// A count as a float, for percentages.
pub(crate) fn count(n: u64) -> f64 {
    n as f64
}

/// A standard population's short code in tables and files.
pub fn code(standard: Standard) -> &'static str {
    match standard {
        Standard::World => "world",
        Standard::European => "european",
        Standard::Who2000 => "who_2000_2025",
    }
}

/// The names of the standard populations, as reports list them.
pub(crate) fn standard_names() -> Vec<&'static str> {
    Standard::ALL.iter().map(|s| s.name()).collect()
}

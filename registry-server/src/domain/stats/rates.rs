//! Incidence rates by age: crude, age-specific, age-standardised (direct method) and
//! cumulative, after Boyle P, Parkin DM, "Statistical methods for registries", in Jensen OM
//! et al. (eds.) *Cancer Registration: Principles and Methods*, IARC Scientific Publications
//! No. 95, Lyon 1991, chapter 11.
//!
//! The counts are an [`AgeTable`]: cases and person-years in each of the 18 five-year age
//! groups 0-4, 5-9, …, 80-84, 85+ ([`AgeGroup`]). With `k` the [`Scale`] (100,000, or
//! 1,000,000 for children), `c_i` the cases and `P_i` the person-years of group `i`, and
//! `w_i` the weights of a [`Standard`] population:
//!
//! - crude rate = Σ c_i / Σ P_i × k ([`crude_rate`]);
//! - age-specific rate r_i = c_i / P_i × k ([`age_specific_rate`]);
//! - age-standardised rate ASR = Σ r_i w_i / Σ w_i, with variance
//!   Var(ASR) = Σ c_i × (k w_i / (P_i Σ w_i))² and 95% confidence interval
//!   ASR ± 1.96 √Var(ASR), the lower bound not below 0 ([`standardised_rate`]);
//! - cumulative rate 0-74 = 5 × Σ r_i / k over the 15 groups 0-4 … 70-74, and cumulative risk
//!   = 100 × (1 − exp(−cumulative rate)), in percent (Day NE, in *Cancer Incidence in Five
//!   Continents* vol. IV, IARC Scientific Publications No. 42, Lyon 1982; Boyle and Parkin
//!   1991) ([`cumulative_risk`]).
//!
//! The sums run over an [`AgeRange`]: all ages, or a truncated range such as the children's
//! 0-14 ([`AgeRange::CHILDREN`]), whose Σ w_i is then the weights of that range only.
//!
//! A group with no person-years and no cases contributes nothing: its rate counts as 0 in the
//! sums, and its weight stays in Σ w_i (narrow the [`AgeRange`] to leave a group out
//! entirely). A group with cases but no person-years is refused when the table is built
//! ([`StatsError::CasesWithoutPersonYears`]), as are negative, NaN and infinite person-years.

use super::standard::Standard;
use super::{StatsError, Z_95};

#[cfg(test)]
mod tests;

/// The number of age groups: 0-4, 5-9, …, 80-84 and 85+.
pub const AGE_GROUPS: usize = 18;

/// The index of the open-ended last group, 85+.
const LAST_INDEX: u8 = 17;

/// A five-year age group, 0-4 to 80-84, or the open-ended 85+.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgeGroup(u8);

impl AgeGroup {
    /// The youngest group, 0-4.
    pub const FIRST: AgeGroup = AgeGroup(0);
    /// The oldest group, 85+.
    pub const LAST: AgeGroup = AgeGroup(LAST_INDEX);

    /// The group at `index` (0 for 0-4, 17 for 85+), or None past the last.
    pub fn from_index(index: usize) -> Option<AgeGroup> {
        u8::try_from(index)
            .ok()
            .filter(|&i| i <= LAST_INDEX)
            .map(AgeGroup)
    }

    /// The group of someone aged `years` (completed years) at diagnosis or at risk.
    pub fn for_age(years: u32) -> AgeGroup {
        AgeGroup(
            u8::try_from(years / 5)
                .unwrap_or(LAST_INDEX)
                .min(LAST_INDEX),
        )
    }

    /// The group's position, 0 (0-4) to 17 (85+).
    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    /// The group's first year of age: 0, 5, …, 85.
    pub fn first_year(self) -> u32 {
        u32::from(self.0) * 5
    }

    /// The group's last year of age: 4, 9, …, 84; None for 85+.
    pub fn last_year(self) -> Option<u32> {
        (self != AgeGroup::LAST).then(|| self.first_year() + 4)
    }

    /// The 18 groups, youngest first.
    pub fn all() -> impl Iterator<Item = AgeGroup> {
        (0..=LAST_INDEX).map(AgeGroup)
    }
}

impl std::fmt::Display for AgeGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.last_year() {
            Some(last) => write!(f, "{}-{last}", self.first_year()),
            None => write!(f, "{}+", self.first_year()),
        }
    }
}

/// A run of consecutive age groups, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AgeRange {
    first: AgeGroup,
    last: AgeGroup,
}

impl AgeRange {
    /// All ages, 0-4 to 85+.
    pub const ALL: AgeRange = AgeRange {
        first: AgeGroup::FIRST,
        last: AgeGroup::LAST,
    };
    /// Children, 0-14 (0-4, 5-9, 10-14), whose rates are given per 1,000,000.
    pub const CHILDREN: AgeRange = AgeRange {
        first: AgeGroup::FIRST,
        last: AgeGroup(2),
    };
    /// Ages 0-74 (0-4 to 70-74): the range of the cumulative rate and risk.
    pub const AGES_0_74: AgeRange = AgeRange {
        first: AgeGroup::FIRST,
        last: AgeGroup(14),
    };

    /// The groups from `first` to `last`, both included.
    pub fn new(first: AgeGroup, last: AgeGroup) -> Result<AgeRange, StatsError> {
        if first > last {
            return Err(StatsError::InvalidAgeRange { first, last });
        }
        Ok(AgeRange { first, last })
    }

    /// The youngest group of the range.
    pub fn first(self) -> AgeGroup {
        self.first
    }

    /// The oldest group of the range.
    pub fn last(self) -> AgeGroup {
        self.last
    }

    /// Whether `group` is in the range.
    pub fn contains(self, group: AgeGroup) -> bool {
        self.first <= group && group <= self.last
    }

    /// The range's groups, youngest first.
    pub fn groups(self) -> impl Iterator<Item = AgeGroup> {
        (self.first.0..=self.last.0).map(AgeGroup)
    }
}

impl std::fmt::Display for AgeRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.last.last_year() {
            Some(last) => write!(f, "{}-{last}", self.first.first_year()),
            None => write!(f, "{}+", self.first.first_year()),
        }
    }
}

/// The population a rate is expressed per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scale {
    /// Per 100,000 person-years: the usual scale of incidence.
    PerHundredThousand,
    /// Per 1,000,000 person-years: the scale of childhood cancer.
    PerMillion,
}

impl Scale {
    /// 100,000 or 1,000,000.
    pub fn factor(self) -> f64 {
        match self {
            Scale::PerHundredThousand => 100_000.0,
            Scale::PerMillion => 1_000_000.0,
        }
    }
}

impl std::fmt::Display for Scale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Scale::PerHundredThousand => "per 100,000",
            Scale::PerMillion => "per 1,000,000",
        })
    }
}

/// Cases and person-years in each of the 18 age groups, checked: person-years finite and
/// not negative, and no cases where there are no person-years.
#[derive(Debug, Clone, PartialEq)]
pub struct AgeTable {
    cases: [u32; AGE_GROUPS],
    person_years: [f64; AGE_GROUPS],
}

impl AgeTable {
    /// A table from the cases and the person-years of each group, youngest first.
    pub fn new(
        cases: [u32; AGE_GROUPS],
        person_years: [f64; AGE_GROUPS],
    ) -> Result<AgeTable, StatsError> {
        for ((group, &c), &p) in AgeGroup::all().zip(&cases).zip(&person_years) {
            if !p.is_finite() || p < 0.0 {
                return Err(StatsError::InvalidPersonYears {
                    group: Some(group),
                    value: p,
                });
            }
            if c > 0 && p == 0.0 {
                return Err(StatsError::CasesWithoutPersonYears {
                    group: Some(group),
                    cases: u64::from(c),
                });
            }
        }
        Ok(AgeTable {
            cases,
            person_years,
        })
    }

    /// A table from slices, which must have one entry per age group each.
    pub fn from_slices(cases: &[u32], person_years: &[f64]) -> Result<AgeTable, StatsError> {
        if cases.is_empty() && person_years.is_empty() {
            return Err(StatsError::Empty("age groups"));
        }
        let count = StatsError::GroupCount {
            cases: cases.len(),
            person_years: person_years.len(),
        };
        let c = <[u32; AGE_GROUPS]>::try_from(cases).map_err(|_| count.clone())?;
        let p = <[f64; AGE_GROUPS]>::try_from(person_years).map_err(|_| count)?;
        AgeTable::new(c, p)
    }

    /// The cases of one group.
    pub fn cases(&self, group: AgeGroup) -> u32 {
        self.cases.get(group.index()).copied().unwrap_or(0)
    }

    /// The person-years of one group.
    pub fn person_years(&self, group: AgeGroup) -> f64 {
        self.person_years.get(group.index()).copied().unwrap_or(0.0)
    }

    /// All the cases.
    pub fn total_cases(&self) -> u64 {
        self.cases.iter().map(|&c| u64::from(c)).sum()
    }

    /// All the person-years.
    pub fn total_person_years(&self) -> f64 {
        self.person_years.iter().sum()
    }

    /// Cases per person-year in one group (not scaled); 0 when the group has no
    /// person-years (and so, the table being checked, no cases).
    fn incidence(&self, group: AgeGroup) -> f64 {
        let p = self.person_years(group);
        if p > 0.0 {
            f64::from(self.cases(group)) / p
        } else {
            0.0
        }
    }

    /// Whether the groups of `ages` have any person-years at all.
    fn has_person_years(&self, ages: AgeRange) -> bool {
        ages.groups().any(|g| self.person_years(g) > 0.0)
    }
}

/// A rate: cases per person-years, on a scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// The cases counted.
    pub cases: u64,
    /// The person-years at risk.
    pub person_years: f64,
    /// The scale of `value`.
    pub per: Scale,
    /// cases / person-years × the scale's factor.
    pub value: f64,
}

impl Rate {
    /// The rate of `cases` in `person_years`: refused when the person-years are negative,
    /// NaN, infinite or 0 (0 cases in 0 person-years is no rate either).
    pub fn new(cases: u64, person_years: f64, per: Scale) -> Result<Rate, StatsError> {
        if !person_years.is_finite() || person_years < 0.0 {
            return Err(StatsError::InvalidPersonYears {
                group: None,
                value: person_years,
            });
        }
        if person_years == 0.0 {
            return Err(if cases > 0 {
                StatsError::CasesWithoutPersonYears { group: None, cases }
            } else {
                StatsError::NoPersonYears
            });
        }
        let value = finite(count(cases) / person_years * per.factor())?;
        Ok(Rate {
            cases,
            person_years,
            per,
            value,
        })
    }
}

/// The crude rate: all cases over all person-years. Refused when the table has no
/// person-years.
pub fn crude_rate(table: &AgeTable, per: Scale) -> Result<Rate, StatsError> {
    Rate::new(table.total_cases(), table.total_person_years(), per)
}

/// The rate of one age group; None when the group has no person-years (and no cases).
pub fn age_specific_rate(table: &AgeTable, group: AgeGroup, per: Scale) -> Option<Rate> {
    Rate::new(
        u64::from(table.cases(group)),
        table.person_years(group),
        per,
    )
    .ok()
}

/// The rates of the 18 age groups, youngest first (see [`age_specific_rate`]).
pub fn age_specific_rates(table: &AgeTable, per: Scale) -> [Option<Rate>; AGE_GROUPS] {
    std::array::from_fn(|i| {
        AgeGroup::from_index(i).and_then(|group| age_specific_rate(table, group, per))
    })
}

/// An age-standardised rate (direct method) with its 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Standardised {
    /// The age-standardised rate, ASR = Σ r_i w_i / Σ w_i.
    pub asr: f64,
    /// Its variance, Σ c_i × (k w_i / (P_i Σ w_i))².
    pub variance: f64,
    /// The lower bound of the 95% interval, ASR − 1.96 √variance, not below 0.
    pub lower: f64,
    /// The upper bound of the 95% interval, ASR + 1.96 √variance.
    pub upper: f64,
    /// The standard population of the weights.
    pub standard: Standard,
    /// The scale of the rate and its bounds.
    pub per: Scale,
    /// The age groups summed over.
    pub ages: AgeRange,
    /// The cases in those groups.
    pub cases: u64,
}

/// The age-standardised rate of the groups of `ages` to `standard`, by the direct method
/// (Boyle and Parkin 1991, chapter 11): ASR = Σ r_i w_i / Σ w_i, Var(ASR) = Σ c_i × (k w_i /
/// (P_i Σ w_i))², 95% CI = ASR ± 1.96 √Var(ASR) with the lower bound not below 0; Σ w_i is
/// the weights of `ages`. A group without person-years counts as a rate of 0. Refused when no
/// group of `ages` has person-years.
pub fn standardised_rate(
    table: &AgeTable,
    standard: Standard,
    ages: AgeRange,
    per: Scale,
) -> Result<Standardised, StatsError> {
    if !table.has_person_years(ages) {
        return Err(StatsError::NoPersonYears);
    }
    let k = per.factor();
    let total_weight: f64 = ages
        .groups()
        .map(|g| f64::from(standard.raw_weight(g)))
        .sum();
    let mut weighted = 0.0;
    let mut variance = 0.0;
    let mut cases = 0;
    for group in ages.groups() {
        let p = table.person_years(group);
        if p == 0.0 {
            continue;
        }
        let c = f64::from(table.cases(group));
        let w = f64::from(standard.raw_weight(group));
        weighted += c / p * k * w;
        variance += c * (k * w / (p * total_weight)).powi(2);
        cases += u64::from(table.cases(group));
    }
    let asr = finite(weighted / total_weight)?;
    let variance = finite(variance)?;
    let half_width = Z_95 * variance.sqrt();
    Ok(Standardised {
        asr,
        variance,
        lower: (asr - half_width).max(0.0),
        upper: finite(asr + half_width)?,
        standard,
        per,
        ages,
        cases,
    })
}

/// A cumulative rate and the cumulative risk it implies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CumulativeRisk {
    /// The age groups summed over (usually [`AgeRange::AGES_0_74`]).
    pub ages: AgeRange,
    /// The cumulative rate, a pure number: 5 × Σ c_i / P_i (5 × Σ r_i / k). Multiply by 100
    /// for the percentage registries print beside the risk.
    pub rate: f64,
    /// The cumulative risk in percent, 100 × (1 − exp(−rate)): the chance of a diagnosis
    /// before the end of the range in the absence of other causes of death.
    pub risk_percent: f64,
}

/// The cumulative rate and risk over `ages` (the registries' standard is
/// [`AgeRange::AGES_0_74`]): rate = 5 × Σ c_i / P_i, risk = 100 × (1 − exp(−rate)) percent
/// (Day NE, in *Cancer Incidence in Five Continents* vol. IV; Boyle and Parkin 1991). A group
/// without person-years counts as a rate of 0. Refused when `ages` includes 85+ (it has no
/// width) or has no person-years.
pub fn cumulative_risk(table: &AgeTable, ages: AgeRange) -> Result<CumulativeRisk, StatsError> {
    if ages.last() == AgeGroup::LAST {
        return Err(StatsError::OpenAgeGroup(ages));
    }
    if !table.has_person_years(ages) {
        return Err(StatsError::NoPersonYears);
    }
    let rate = finite(5.0 * ages.groups().map(|g| table.incidence(g)).sum::<f64>())?;
    Ok(CumulativeRisk {
        ages,
        rate,
        // 1 − e^(−x) as −expm1(−x), exact for the small rates of rare cancers.
        risk_percent: -100.0 * (-rate).exp_m1(),
    })
}

/// A count as a float (exact below 2^53 cases).
fn count(cases: u64) -> f64 {
    cases as f64
}

/// `value`, if finite: a finite positive person-years can still be so small that the rate
/// overflows.
fn finite(value: f64) -> Result<f64, StatsError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(StatsError::Overflow)
    }
}

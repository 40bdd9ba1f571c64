//! The incidence report (issue #13, item 2): for a period, an area and a sex, by site (the
//! ICD-10 groups of CI5, [`super::sites`]) and by ICD-O-3 topography, the number of cases, the
//! age-specific rates per 5-year group, the crude rate, the age-standardised rates on the
//! three standard populations with their 95% confidence intervals, the cumulative risk 0-74,
//! the percentage of all sites and the rank of each site; and the cases of all sites by year.
//!
//! Counted: primaries (not the tumours judged duplicates), malignant (behaviour 3, as CI5
//! tabulates invasive tumours), whose ICD-10 code is in the CI5 list.

use std::collections::BTreeMap;

use serde::Serialize;

use super::rates::{Scale, AGE_GROUPS};
use super::report::{
    self, add, rank, rate_row, suppress_row, Case, Counted, Filter, Population, RateRow, Shape,
    Tally,
};
use super::sites::{self, ALL_BUT_C44, ALL_SITES};
use super::suppression;
use super::StatsError;

/// Not malignant (behaviour 0, 1, 2, 6 or 9): incidence counts invasive primaries.
const NOT_MALIGNANT: report::Reason = (
    "not_malignant",
    "behaviour is not 3 (malignant): incidence tables count invasive tumours, as CI5 does",
);
/// An ICD-10 code outside the CI5 list.
const NO_SITE: report::Reason = (
    "no_site_group",
    "the ICD-10 code is not one of the malignant neoplasms CI5 tabulates",
);

/// The rules an incidence report applies.
pub const RULES: &[&str] = &[
    "primaries only: a tumour the IARC/IACR/ENCR multiple-primary rules (2004) judged the \
     same as another record is not counted",
    "malignant tumours only (ICD-O-3 behaviour 3)",
    "sites are the ICD-10 groups of Cancer Incidence in Five Continents; the ICD-10 code is \
     the one recorded with the tumour",
    "age is the completed years at the date of incidence; 5-year groups 0-4 ... 85+",
    "person-years are the sum of each year's mid-year population of the area",
    "rates per 100,000 person-years; age-standardised by the direct method, 95% confidence \
     interval ASR +/- 1.96 x SE (Boyle and Parkin 1991)",
    "cumulative risk 0-74 = 100 x (1 - exp(-5 x sum of the age-specific rates 0-74 / 100,000))",
    "a patient whose region is not recorded counts in the country's tables only",
];

/// The cases of all sites in one year of the period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct YearCount {
    /// The year.
    pub year: i32,
    /// The cases (`None` when suppressed).
    pub cases: Option<u64>,
}

/// An incidence report.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Incidence {
    /// What it counted.
    pub counted: Counted,
    /// The age groups of the columns (`0-4` ... `85+`).
    pub age_groups: Vec<String>,
    /// One row per CI5 site group with at least one case, in CI5's order.
    pub sites: Vec<RateRow>,
    /// All sites, and all sites but C44 (other skin).
    pub totals: Vec<RateRow>,
    /// One row per ICD-O-3 topography category with at least one case.
    pub topography: Vec<RateRow>,
    /// The cases of all sites by year.
    pub by_year: Vec<YearCount>,
    /// The person-years of the period by sex and age group (for the population pyramid).
    pub population: Population,
}

/// Builds the incidence report of `cases` over `population` for `filter`; `suppress` hides
/// the cells of 1 to 4 cases.
///
/// # Errors
/// [`StatsError`] when the population does not cover the cases (cases in an age group where
/// the population file has nobody).
pub fn incidence(
    cases: &[Case],
    population: &Population,
    filter: &Filter,
    suppress: bool,
) -> Result<Incidence, StatsError> {
    let mut tally = Tally::new(filter);
    let mut by_site: BTreeMap<usize, [u32; AGE_GROUPS]> = BTreeMap::new();
    let mut by_topography: BTreeMap<String, [u32; AGE_GROUPS]> = BTreeMap::new();
    let mut all = [0u32; AGE_GROUPS];
    let mut all_but_c44 = [0u32; AGE_GROUPS];
    let mut by_year: BTreeMap<i32, u64> = (filter.from_year
        ..=filter.to_year.min(filter.from_year + 200))
        .map(|y| (y, 0))
        .collect();
    let groups = sites::groups();
    for case in cases {
        if !tally.consider(case) {
            continue;
        }
        if case.behaviour != 3 {
            tally.exclude(NOT_MALIGNANT);
            continue;
        }
        let Some(group) = sites::group_of(&case.icd10) else {
            tally.exclude(NO_SITE);
            continue;
        };
        tally.include(case);
        let index = groups.iter().position(|g| g.key == group.key).unwrap_or(0);
        add(by_site.entry(index).or_insert([0; AGE_GROUPS]), case.age);
        if let Some(category) = sites::category(&case.topography) {
            add(
                by_topography.entry(category).or_insert([0; AGE_GROUPS]),
                case.age,
            );
        }
        add(&mut all, case.age);
        if sites::counts_in_all_but_c44(&case.icd10) {
            add(&mut all_but_c44, case.age);
        }
        *by_year.entry(case.year).or_insert(0) += 1;
    }
    let person_years = population.of(filter.sex);
    let shape = Shape {
        ages: super::AgeRange::ALL,
        per: Scale::PerHundredThousand,
        cumulative: true,
    };
    let total: u64 = all.iter().map(|&c| u64::from(c)).sum();
    let mut site_rows = by_site
        .into_iter()
        .filter_map(|(i, c)| groups.get(i).map(|g| (g, c)))
        .map(|(g, c)| rate_row((g.key, g.name, g.name_ar), c, person_years, shape))
        .collect::<Result<Vec<_>, _>>()?;
    rank(&mut site_rows, total);
    let mut topography_rows = by_topography
        .into_iter()
        .map(|(code, c)| {
            let (name, name_ar) = sites::topography_name(&code).unwrap_or(("", ""));
            rate_row((&code, name, name_ar), c, person_years, shape)
        })
        .collect::<Result<Vec<_>, _>>()?;
    rank(&mut topography_rows, total);
    let mut totals = vec![
        rate_row(
            (ALL_SITES.key, ALL_SITES.name, ALL_SITES.name_ar),
            all,
            person_years,
            shape,
        )?,
        rate_row(
            (ALL_BUT_C44.key, ALL_BUT_C44.name, ALL_BUT_C44.name_ar),
            all_but_c44,
            person_years,
            shape,
        )?,
    ];
    let mut by_year: Vec<YearCount> = by_year
        .into_iter()
        .map(|(year, cases)| YearCount {
            year,
            cases: Some(cases),
        })
        .collect();
    if suppress {
        site_rows
            .iter_mut()
            .chain(topography_rows.iter_mut())
            .chain(totals.iter_mut())
            .for_each(suppress_row);
        for y in &mut by_year {
            if let Some(c) = y.cases {
                y.cases = suppression::suppress(c, suppression::THRESHOLD).shown();
            }
        }
    }
    Ok(Incidence {
        counted: tally.counted(RULES.to_vec(), report::standard_names(), suppress),
        age_groups: super::AgeGroup::all().map(|g| g.to_string()).collect(),
        sites: site_rows,
        totals,
        topography: topography_rows,
        by_year,
        population: population.clone(),
    })
}

#[cfg(test)]
mod tests;

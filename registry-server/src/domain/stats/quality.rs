//! The data quality indicators (issue #13, item 4), by site and by facility: the share of
//! cases microscopically verified (basis 5-7), known from a death certificate only (basis
//! 0), of unknown primary site (C80.9) and of unknown age, the mortality:incidence ratio and
//! the record-check findings still open (Bray F, Parkin DM. Evaluation of data quality in the
//! cancer registry. *Eur J Cancer* 2009;45:747-64; IARC CanReg5 "quality indicators").
//!
//! The mortality:incidence ratio is the registry's own: the deaths recorded by follow-up in
//! the period among patients with a tumour of the site, over the site's cases of the period.
//! It is not the ratio to national death registration, which the registry does not hold.

use std::collections::BTreeMap;

use serde::Serialize;

use super::report::{self, count, Case, Counted, Filter, Tally};
use super::sites;
use super::suppression;

/// The rules of the quality report.
pub const RULES: &[&str] = &[
    "primaries only, malignant (behaviour 3), as the incidence tables count them",
    "microscopically verified: basis of diagnosis 5, 6 or 7; death certificate only: basis 0",
    "unknown primary site: ICD-O-3 topography C80.9; unknown age: no birth date (the registry \
     requires one, so 0 unless a record was imported without it)",
    "mortality:incidence: deaths recorded by follow-up in the period among patients with a \
     tumour of the site (any year of diagnosis), over the site's cases of the period",
    "open checks: tumours with a query or rare finding of the IARC/IACR record checks that \
     nobody has confirmed",
    "facility: the facility of the user who last wrote the tumour",
];

/// Not malignant: left out as in the incidence tables.
const NOT_MALIGNANT: report::Reason = (
    "not_malignant",
    "behaviour is not 3 (malignant), as in the incidence tables",
);

/// A death recorded in the period, for the mortality:incidence ratio: one per tumour of a
/// patient who died.
#[derive(Debug, Clone, PartialEq)]
pub struct Death {
    /// The tumour's case (its site, facility, region and sex).
    pub case: Case,
    /// The year of death.
    pub year: i32,
}

/// The indicators of one site or facility.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct QualityRow {
    /// The site group's key or the facility's code.
    pub key: String,
    /// English name (the facility code again for facilities).
    pub name: String,
    /// Arabic name.
    pub name_ar: String,
    /// Cases (`None` when suppressed: fewer than 5).
    pub cases: Option<u64>,
    /// % microscopically verified.
    pub mv_percent: Option<f64>,
    /// % death certificate only.
    pub dco_percent: Option<f64>,
    /// % unknown primary site.
    pub unknown_site_percent: Option<f64>,
    /// % unknown age.
    pub unknown_age_percent: Option<f64>,
    /// Deaths recorded in the period (`None` when suppressed).
    pub deaths: Option<u64>,
    /// Mortality:incidence ratio (`None` without cases, or when suppressed).
    pub mi_ratio: Option<f64>,
    /// Tumours with open query or rare findings (`None` when suppressed).
    pub open_checks: Option<u64>,
    /// Whether the row's numbers are hidden.
    pub suppressed: bool,
}

/// The quality report.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Quality {
    /// What it counted.
    pub counted: Counted,
    /// By CI5 site group, in CI5's order.
    pub by_site: Vec<QualityRow>,
    /// By facility, by code.
    pub by_facility: Vec<QualityRow>,
    /// All sites.
    pub total: QualityRow,
}

#[derive(Debug, Default, Clone, Copy)]
struct Sums {
    cases: u64,
    mv: u64,
    dco: u64,
    unknown_site: u64,
    deaths: u64,
    open: u64,
}

impl Sums {
    fn add(&mut self, case: &Case) {
        self.cases += 1;
        self.mv += u64::from((5..=7).contains(&case.basis));
        self.dco += u64::from(case.basis == 0);
        self.unknown_site += u64::from(case.topography.replace('.', "") == "C809");
        self.open += u64::from(case.open_checks);
    }

    fn row(self, (key, name, name_ar): (&str, &str, &str), suppress: bool) -> QualityRow {
        let hidden = |n: u64| {
            suppress
                && suppression::suppress(n, suppression::THRESHOLD)
                    .shown()
                    .is_none()
        };
        let percent = |n: u64| (self.cases > 0).then(|| count(n) * 100.0 / count(self.cases));
        if hidden(self.cases) {
            return QualityRow {
                key: key.to_string(),
                name: name.to_string(),
                name_ar: name_ar.to_string(),
                cases: None,
                mv_percent: None,
                dco_percent: None,
                unknown_site_percent: None,
                unknown_age_percent: None,
                deaths: None,
                mi_ratio: None,
                open_checks: None,
                suppressed: true,
            };
        }
        QualityRow {
            key: key.to_string(),
            name: name.to_string(),
            name_ar: name_ar.to_string(),
            cases: Some(self.cases),
            mv_percent: percent(self.mv),
            dco_percent: percent(self.dco),
            unknown_site_percent: percent(self.unknown_site),
            unknown_age_percent: percent(0),
            deaths: (!hidden(self.deaths)).then_some(self.deaths),
            mi_ratio: (self.cases > 0 && !hidden(self.deaths))
                .then(|| count(self.deaths) / count(self.cases)),
            open_checks: (!hidden(self.open)).then_some(self.open),
            suppressed: false,
        }
    }
}

/// Builds the quality report of `cases` (and `deaths`, for the M:I ratio) for `filter`.
pub fn quality(cases: &[Case], deaths: &[Death], filter: &Filter, suppress: bool) -> Quality {
    let mut tally = Tally::new(filter);
    let groups = sites::groups();
    let mut by_site: BTreeMap<usize, Sums> = BTreeMap::new();
    let mut by_facility: BTreeMap<String, Sums> = BTreeMap::new();
    let mut total = Sums::default();
    let site_index = |icd10: &str| {
        sites::group_of(icd10).and_then(|g| groups.iter().position(|x| x.key == g.key))
    };
    for case in cases {
        if !tally.consider(case) {
            continue;
        }
        if case.behaviour != 3 {
            tally.exclude(NOT_MALIGNANT);
            continue;
        }
        tally.include(case);
        if let Some(i) = site_index(&case.icd10) {
            by_site.entry(i).or_default().add(case);
        }
        by_facility
            .entry(case.facility.clone())
            .or_default()
            .add(case);
        total.add(case);
    }
    // The deaths of the period, by the same area and sex (a death is not a record of the
    // period's cases, so it does not enter the tally).
    let mut quiet = Tally::new(&Filter {
        from_year: i32::MIN,
        to_year: i32::MAX,
        ..filter.clone()
    });
    for death in deaths {
        let in_period = (filter.from_year..=filter.to_year).contains(&death.year);
        if !in_period || !quiet.consider(&death.case) || death.case.behaviour != 3 {
            continue;
        }
        if let Some(i) = site_index(&death.case.icd10) {
            by_site.entry(i).or_default().deaths += 1;
        }
        by_facility
            .entry(death.case.facility.clone())
            .or_default()
            .deaths += 1;
        total.deaths += 1;
    }
    let by_site = by_site
        .into_iter()
        .filter_map(|(i, s)| {
            groups
                .get(i)
                .map(|g| s.row((g.key, g.name, g.name_ar), suppress))
        })
        .collect();
    let by_facility = by_facility
        .into_iter()
        .map(|(code, s)| s.row((&code, &code, &code), suppress))
        .collect();
    Quality {
        counted: tally.counted(RULES.to_vec(), Vec::new(), suppress),
        by_site,
        by_facility,
        total: total.row(
            (
                sites::ALL_SITES.key,
                sites::ALL_SITES.name,
                sites::ALL_SITES.name_ar,
            ),
            suppress,
        ),
    }
}

#[cfg(test)]
mod tests;

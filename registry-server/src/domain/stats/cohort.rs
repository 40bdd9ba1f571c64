//! The survival report (issue #13, item 5): observed survival (Kaplan-Meier,
//! [`super::survival`]) at 1, 3 and 5 years, with 95% confidence intervals and the number
//! still at risk, for all sites and by site group and stage group, from the follow-ups
//! (Parkin DM, Hakulinen T. Analysis of survival. In: *Cancer Registration: Principles and
//! Methods*, IARC Sci. Publ. 95, 1991, chapter 12).
//!
//! A tumour is followed from its date of incidence to the recorded death (an event, of any
//! cause: observed survival) or else to the latest date of last contact (censored).

use std::collections::BTreeMap;

use serde::Serialize;

use super::report::{self, Case, Counted, Filter, Tally};
use super::sites;
use super::suppression;
use super::survival::{KaplanMeier, Observation, MILESTONES};

/// The rules of the survival report.
pub const RULES: &[&str] = &[
    "primaries only, malignant (behaviour 3)",
    "observed survival (deaths of any cause) by the Kaplan-Meier product-limit method; \
     Greenwood's variance, 95% interval on the log(-log) scale (Kalbfleisch and Prentice)",
    "time from the date of incidence to the recorded death, or else to the latest last \
     contact (censored); 1, 3 and 5 years are 365, 1,095 and 1,826 days",
    "left out: death-certificate-only cases (no survival time) and tumours without any \
     follow-up",
    "stage group: the recorded group's Roman numeral (IIA counts as II); none recorded is \
     'unknown'",
];

const DCO: report::Reason = (
    "death_certificate_only",
    "known from a death certificate only (basis 0): no survival time",
);
const NO_FOLLOW_UP: report::Reason = ("no_follow_up", "no follow-up has been recorded");
const NOT_MALIGNANT: report::Reason = ("not_malignant", "behaviour is not 3 (malignant)");
const BEFORE_DIAGNOSIS: report::Reason = (
    "follow_up_before_diagnosis",
    "the death or last contact is before the date of incidence",
);

/// Survival at one milestone.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AtYears {
    /// 1, 3 or 5.
    pub years: u8,
    /// Observed survival, in percent.
    pub survival: f64,
    /// The lower bound of the 95% interval, in percent.
    pub lower: f64,
    /// The upper bound of the 95% interval, in percent.
    pub upper: f64,
    /// Patients still under observation then.
    pub at_risk: u32,
}

/// One line of the survival table.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SurvivalRow {
    /// The site group's key (`all` for all sites).
    pub key: String,
    /// English name.
    pub name: String,
    /// Arabic name.
    pub name_ar: String,
    /// `all`, `I`, `II`, `III`, `IV` or `unknown`.
    pub stage: String,
    /// Tumours followed (`None` when suppressed).
    pub patients: Option<u32>,
    /// Deaths observed (`None` when suppressed).
    pub deaths: Option<u32>,
    /// Survival at 1, 3 and 5 years; a milestone beyond the longest follow-up is left out.
    pub at: Vec<AtYears>,
    /// Whether the row's numbers are hidden (fewer than 5 tumours followed).
    pub suppressed: bool,
}

/// The survival report.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Survival {
    /// What it counted.
    pub counted: Counted,
    /// All sites first, then each site group, each followed by its stage groups.
    pub rows: Vec<SurvivalRow>,
}

/// The stage group's Roman numeral: `IIA` → `II`; `unknown` when none or unreadable.
pub fn stage_of(recorded: Option<&str>) -> &'static str {
    let text = recorded.unwrap_or("").trim().to_ascii_uppercase();
    let text = text.strip_prefix("STAGE").unwrap_or(&text).trim_start();
    for numeral in ["IV", "III", "II", "I"] {
        if text.starts_with(numeral) {
            return numeral;
        }
    }
    if text.starts_with('0') {
        return "0";
    }
    "unknown"
}

/// Builds the survival report of `cases` for `filter`.
pub fn survival(cases: &[Case], filter: &Filter, suppress: bool) -> Survival {
    let mut tally = Tally::new(filter);
    let groups = sites::groups();
    let mut all: Vec<Observation> = Vec::new();
    let mut by_site: BTreeMap<usize, BTreeMap<&'static str, Vec<Observation>>> = BTreeMap::new();
    for case in cases {
        if !tally.consider(case) {
            continue;
        }
        if case.behaviour != 3 {
            tally.exclude(NOT_MALIGNANT);
            continue;
        }
        if case.basis == 0 {
            tally.exclude(DCO);
            continue;
        }
        let observation = match (case.death, case.last_contact) {
            (Some(death), _) => Observation::death(i64::from(death) - i64::from(case.incidence)),
            (None, Some(last)) => {
                Observation::censored(i64::from(last) - i64::from(case.incidence))
            }
            (None, None) => {
                tally.exclude(NO_FOLLOW_UP);
                continue;
            }
        };
        if observation.days < 0 {
            tally.exclude(BEFORE_DIAGNOSIS);
            continue;
        }
        tally.include(case);
        all.push(observation);
        if let Some(i) =
            sites::group_of(&case.icd10).and_then(|g| groups.iter().position(|x| x.key == g.key))
        {
            by_site
                .entry(i)
                .or_default()
                .entry(stage_of(case.stage_group.as_deref()))
                .or_default()
                .push(observation);
        }
    }
    let mut rows = Vec::new();
    let total = sites::ALL_SITES;
    rows.push(row(
        (total.key, total.name, total.name_ar),
        "all",
        &all,
        suppress,
    ));
    for (i, stages) in by_site {
        let Some(g) = groups.get(i) else { continue };
        let site: Vec<Observation> = stages.values().flatten().copied().collect();
        rows.push(row((g.key, g.name, g.name_ar), "all", &site, suppress));
        for (stage, observations) in &stages {
            rows.push(row(
                (g.key, g.name, g.name_ar),
                stage,
                observations,
                suppress,
            ));
        }
    }
    Survival {
        counted: tally.counted(RULES.to_vec(), Vec::new(), suppress),
        rows,
    }
}

/// One row: the curve of `observations` read at the milestones.
fn row(
    (key, name, name_ar): (&str, &str, &str),
    stage: &str,
    observations: &[Observation],
    suppress: bool,
) -> SurvivalRow {
    let n = u64::try_from(observations.len()).unwrap_or(u64::MAX);
    let hidden = suppress
        && suppression::suppress(n, suppression::THRESHOLD)
            .shown()
            .is_none();
    let curve = KaplanMeier::estimate(observations).ok();
    let at = match (&curve, hidden) {
        (Some(curve), false) => MILESTONES
            .iter()
            .zip([1u8, 3, 5])
            .filter_map(|(&days, years)| {
                curve.at(days).map(|e| AtYears {
                    years,
                    survival: e.survival * 100.0,
                    lower: e.lower * 100.0,
                    upper: e.upper * 100.0,
                    at_risk: e.at_risk,
                })
            })
            .collect(),
        _ => Vec::new(),
    };
    SurvivalRow {
        key: key.to_string(),
        name: name.to_string(),
        name_ar: name_ar.to_string(),
        stage: stage.to_string(),
        patients: (!hidden).then(|| curve.as_ref().map_or(0, KaplanMeier::patients)),
        deaths: (!hidden).then(|| curve.as_ref().map_or(0, KaplanMeier::deaths)),
        at,
        suppressed: hidden,
    }
}

#[cfg(test)]
mod tests;

//! The incidence report on a registry small enough to work by hand.

use card_format::model::Sex;

use super::*;
use crate::domain::stats::report::{Decision, SexFilter};

/// A male case of `age` with `icd10`, malignant, a new primary, in 2024.
fn case(icd10: &str, age: u32) -> Case {
    Case::sample(icd10, age)
}

/// Males: 20,000 person-years aged 0-4 and 10,000 in each other group (190,000 in all).
fn population() -> Population {
    let mut male = [10_000.0; AGE_GROUPS];
    male[0] = 20_000.0;
    Population {
        male,
        female: [0.0; AGE_GROUPS],
    }
}

fn filter(region: Option<&str>) -> Filter {
    Filter {
        from_year: 2024,
        to_year: 2024,
        region: region.map(str::to_string),
        sex: SexFilter::Male,
    }
}

fn cases() -> Vec<Case> {
    let mut duplicate = case("C18.2", 53);
    duplicate.decision = Some(Decision::Duplicate);
    let mut in_situ = case("C50.9", 60);
    in_situ.behaviour = 2;
    let mut female = case("C50.9", 40);
    female.sex = Sex::Female;
    let mut elsewhere = case("C18.7", 52);
    elsewhere.region = Some("west".into());
    let mut unrecorded = case("C18.7", 52);
    unrecorded.region = None;
    let mut earlier = case("C18.7", 52);
    earlier.year = 2023;
    vec![
        case("C18.7", 52),
        case("C18.0", 54),
        case("C34.1", 3),
        duplicate,
        in_situ,
        female,
        elsewhere,
        unrecorded,
        earlier,
    ]
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn colon_and_lung_worked_by_hand() {
    let report = incidence(&cases(), &population(), &filter(Some("east")), false).unwrap();
    // Looked at: the 2024 males of the east (5) and the one whose region is not recorded.
    assert_eq!(report.counted.records, 6);
    assert_eq!(report.counted.included, 3);
    // In the order first met.
    let excluded: Vec<(&str, u64)> = report
        .counted
        .excluded
        .iter()
        .map(|e| (e.reason, e.count))
        .collect();
    assert_eq!(
        excluded,
        [
            ("duplicate_tumour", 1),
            ("not_malignant", 1),
            ("region_not_recorded", 1)
        ]
    );
    let keys: Vec<&str> = report.sites.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["C18", "C33-34"]);
    let colon = &report.sites[0];
    // 2 cases aged 50-54 (group 10) over 10,000 person-years: 20 per 100,000.
    assert_eq!(colon.cases, Some(2));
    assert_eq!(colon.age_cases[10], Some(2));
    assert!(close(colon.age_rates[10].unwrap(), 20.0));
    // Crude: 2 / 190,000 x 100,000.
    assert!(close(colon.crude.unwrap(), 2.0 / 190_000.0 * 100_000.0));
    // World ASR: 20 x 5,000 / 100,000 = 1.0; variance 2 x (100,000 x 5,000 /
    // (10,000 x 100,000))^2 = 2 x 0.25 = 0.5; CI 1.0 +/- 1.96 x sqrt(0.5) = 1 +/- 1.385929,
    // the lower bound clipped at 0.
    let world = colon.asr[0];
    assert_eq!(world.standard, "world");
    assert!(close(world.rate, 1.0));
    assert!(close(world.lower, 0.0));
    assert!(close(world.upper, 1.0 + 1.96 * 0.5f64.sqrt()));
    // European: weight 7,000 for 50-54 → 20 x 7,000 / 100,000 = 1.4.
    assert!(close(colon.asr[1].rate, 1.4));
    // Cumulative risk 0-74: 100 x (1 - exp(-5 x 20 / 100,000)) = 0.0999500...
    assert!(close(
        colon.cumulative_risk.unwrap(),
        100.0 * (1.0 - (-0.001f64).exp())
    ));
    // Lung: 1 case aged 0-4 over 20,000: 5 per 100,000; world ASR 5 x 12,000 / 100,000 = 0.6.
    let lung = &report.sites[1];
    assert!(close(lung.asr[0].rate, 0.6));
    // Ranked by the world ASR; percent of the 3 cases.
    assert_eq!((colon.rank, lung.rank), (Some(1), Some(2)));
    assert!(close(colon.percent.unwrap(), 200.0 / 3.0));
    assert_eq!(report.totals[0].cases, Some(3));
    assert_eq!(
        report.by_year,
        [YearCount {
            year: 2024,
            cases: Some(3)
        }]
    );
    assert_eq!(report.topography.len(), 2);
}

#[test]
fn the_country_counts_every_region_and_the_unrecorded() {
    let report = incidence(&cases(), &population(), &filter(None), false).unwrap();
    assert_eq!(report.counted.included, 5);
    assert_eq!(report.sites[0].cases, Some(4));
}

#[test]
fn small_cells_are_hidden_whole_rows_and_age_groups() {
    let mut many: Vec<Case> = (0..6).map(|_| case("C18.7", 52)).collect();
    many.push(case("C18.7", 70));
    many.push(case("C34.1", 3));
    let report = incidence(&many, &population(), &filter(None), true).unwrap();
    let colon = &report.sites[0];
    assert!(!colon.suppressed);
    assert_eq!(colon.cases, Some(7));
    assert_eq!(colon.age_cases[10], Some(6));
    // One case aged 70-74: hidden, and its rate with it.
    assert_eq!((colon.age_cases[14], colon.age_rates[14]), (None, None));
    // A zero cell points to no one and is shown.
    assert_eq!(colon.age_cases[0], Some(0));
    let lung = &report.sites[1];
    assert!(lung.suppressed);
    assert_eq!((lung.cases, lung.crude, lung.rank), (None, None, None));
    assert!(lung.asr.is_empty());
    assert_eq!(
        report.counted.suppression.as_deref(),
        Some("cells of fewer than 5 cases are not shown")
    );
}

#[test]
fn cases_where_the_population_has_nobody_are_an_error() {
    let err = incidence(&cases(), &Population::EMPTY, &filter(None), false).unwrap_err();
    assert!(
        matches!(err, StatsError::CasesWithoutPersonYears { .. }),
        "{err}"
    );
}

//! The quality indicators of a handful of cases, worked by hand.

use super::*;
use crate::domain::stats::report::{Decision, SexFilter};

/// A male malignant primary of 2024 with `icd10` (also its topography), diagnosed on `basis`
/// at `facility`.
fn case(icd10: &str, basis: u8, facility: &str) -> Case {
    Case {
        facility: facility.into(),
        basis,
        ..Case::sample(icd10, 60)
    }
}

const BENGHAZI: &str = "LY-BEN-ONC";
const TRIPOLI: &str = "LY-TRI-MED";

fn filter() -> Filter {
    Filter {
        from_year: 2024,
        to_year: 2024,
        region: None,
        sex: SexFilter::Both,
    }
}

/// Four counted: three colon (basis 7, 5 and 0) and one of unknown primary (C80.9, basis 1);
/// an in situ tumour, a duplicate and a case of 2023 not counted.
fn cases() -> Vec<Case> {
    let mut histology = case("C18.7", 7, TRIPOLI);
    histology.open_checks = true;
    let mut in_situ = case("C50.9", 7, TRIPOLI);
    in_situ.behaviour = 2;
    let mut duplicate = case("C18.7", 0, BENGHAZI);
    duplicate.decision = Some(Decision::Duplicate);
    let mut earlier = case("C18.7", 0, BENGHAZI);
    earlier.year = 2023;
    vec![
        histology,
        case("C18.2", 5, TRIPOLI),
        case("C18.0", 0, BENGHAZI),
        case("C80.9", 1, BENGHAZI),
        in_situ,
        duplicate,
        earlier,
    ]
}

/// Two deaths in 2024 of colon patients (one diagnosed in 2024 at Tripoli, one in 2020 at
/// Benghazi); not counted: a death in 2022, the death of a duplicate tumour's patient, the
/// death of an in situ tumour's patient.
fn deaths() -> Vec<Death> {
    let died = |case: Case, year: i32| Death { case, year };
    let mut diagnosed_2020 = case("C18.4", 7, BENGHAZI);
    diagnosed_2020.year = 2020;
    let mut duplicate = case("C18.7", 7, TRIPOLI);
    duplicate.decision = Some(Decision::Duplicate);
    let mut in_situ = case("C50.9", 7, TRIPOLI);
    in_situ.behaviour = 2;
    vec![
        died(case("C18.7", 7, TRIPOLI), 2024),
        died(diagnosed_2020, 2024),
        died(case("C18.2", 5, TRIPOLI), 2022),
        died(duplicate, 2024),
        died(in_situ, 2024),
    ]
}

fn close(actual: Option<f64>, expected: f64) {
    let actual = actual.expect("a value");
    assert!(
        (actual - expected).abs() < 1e-9,
        "{actual} is not {expected}"
    );
}

#[test]
fn indicators_worked_by_hand() {
    let report = quality(&cases(), &deaths(), &filter(), false);
    // Looked at: the 6 records of 2024; counted the 4 malignant primaries.
    assert_eq!(report.counted.records, 6);
    assert_eq!(report.counted.included, 4);
    let excluded: Vec<(&str, u64)> = report
        .counted
        .excluded
        .iter()
        .map(|e| (e.reason, e.count))
        .collect();
    assert_eq!(excluded, [("not_malignant", 1), ("duplicate_tumour", 1)]);
    assert_eq!(report.counted.rules, RULES);
    assert_eq!(report.counted.suppression, None);

    // All sites: basis 7, 5, 0, 1 → MV 2/4 = 50%, DCO 1/4 = 25%; C80.9 1/4 = 25%; no
    // unknown age; deaths 2 (2024 only), M:I = 2/4 = 0.5; one open check.
    let total = &report.total;
    assert_eq!(total.key, "ALL");
    assert_eq!(total.cases, Some(4));
    close(total.mv_percent, 50.0);
    close(total.dco_percent, 25.0);
    close(total.unknown_site_percent, 25.0);
    close(total.unknown_age_percent, 0.0);
    assert_eq!(total.deaths, Some(2));
    close(total.mi_ratio, 0.5);
    assert_eq!(total.open_checks, Some(1));
    assert!(!total.suppressed);

    // By site, in CI5's order: colon (C18) then "Other and unspecified" (C80).
    let keys: Vec<&str> = report.by_site.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["C18", "O&U"]);
    // Colon: 3 cases, basis 7, 5, 0: MV 2/3, DCO 1/3; the two deaths of 2024 (any year of
    // diagnosis): M:I = 2/3.
    let colon = &report.by_site[0];
    assert_eq!(colon.name, "Colon");
    assert_eq!(colon.cases, Some(3));
    close(colon.mv_percent, 200.0 / 3.0);
    close(colon.dco_percent, 100.0 / 3.0);
    close(colon.unknown_site_percent, 0.0);
    assert_eq!(colon.deaths, Some(2));
    close(colon.mi_ratio, 2.0 / 3.0);
    assert_eq!(colon.open_checks, Some(1));
    // Unknown primary: 1 case, basis 1 (clinical): MV 0, DCO 0, unknown site 100%; no
    // death, M:I 0.
    let unknown = &report.by_site[1];
    assert_eq!(unknown.cases, Some(1));
    close(unknown.mv_percent, 0.0);
    close(unknown.dco_percent, 0.0);
    close(unknown.unknown_site_percent, 100.0);
    assert_eq!(unknown.deaths, Some(0));
    close(unknown.mi_ratio, 0.0);
    assert_eq!(unknown.open_checks, Some(0));

    // By facility, by code: Benghazi (C18.0 DCO, C80.9; the death of the 2020 patient),
    // Tripoli (C18.7 basis 7 with the open check, C18.2 basis 5; the death of 2024).
    let keys: Vec<(&str, &str)> = report
        .by_facility
        .iter()
        .map(|r| (r.key.as_str(), r.name.as_str()))
        .collect();
    assert_eq!(keys, [(BENGHAZI, BENGHAZI), (TRIPOLI, TRIPOLI)]);
    let benghazi = &report.by_facility[0];
    assert_eq!(benghazi.cases, Some(2));
    close(benghazi.mv_percent, 0.0);
    close(benghazi.dco_percent, 50.0);
    close(benghazi.unknown_site_percent, 50.0);
    assert_eq!(benghazi.deaths, Some(1));
    close(benghazi.mi_ratio, 0.5);
    assert_eq!(benghazi.open_checks, Some(0));
    let tripoli = &report.by_facility[1];
    assert_eq!(tripoli.cases, Some(2));
    close(tripoli.mv_percent, 100.0);
    close(tripoli.dco_percent, 0.0);
    assert_eq!(tripoli.deaths, Some(1));
    close(tripoli.mi_ratio, 0.5);
    assert_eq!(tripoli.open_checks, Some(1));
}

#[test]
fn the_topography_c809_is_read_with_or_without_its_dot() {
    let report = quality(&[case("C809", 7, TRIPOLI)], &[], &filter(), false);
    close(report.total.unknown_site_percent, 100.0);
    // No deaths at all: M:I 0.
    assert_eq!(report.total.deaths, Some(0));
    close(report.total.mi_ratio, 0.0);
}

#[test]
fn a_death_without_cases_of_the_period_has_no_ratio() {
    // A colon patient of 2020 who died in 2024, and no colon case in 2024.
    let mut old = case("C18.7", 7, TRIPOLI);
    old.year = 2020;
    let report = quality(
        &[],
        &[Death {
            case: old,
            year: 2024,
        }],
        &filter(),
        false,
    );
    let colon = &report.by_site[0];
    assert_eq!((colon.cases, colon.deaths), (Some(0), Some(1)));
    assert_eq!((colon.mv_percent, colon.mi_ratio), (None, None));
    assert_eq!(report.total.deaths, Some(1));
    assert_eq!(report.total.mi_ratio, None);
}

#[test]
fn rows_of_fewer_than_five_cases_are_hidden() {
    // Five colon cases at Tripoli (one with an open check), one lung case at Benghazi; two
    // colon deaths in 2024.
    let mut many: Vec<Case> = (0..5).map(|_| case("C18.7", 7, TRIPOLI)).collect();
    many[0].open_checks = true;
    many.push(case("C34.1", 7, BENGHAZI));
    let deaths: Vec<Death> = (0..2)
        .map(|_| Death {
            case: case("C18.7", 7, TRIPOLI),
            year: 2024,
        })
        .collect();
    let report = quality(&many, &deaths, &filter(), true);
    assert_eq!(
        report.counted.suppression.as_deref(),
        Some("cells of fewer than 5 cases are not shown")
    );
    // Colon, 5 cases: shown; its 2 deaths and 1 open check are small cells, hidden, and the
    // M:I ratio with the deaths (it would give them back).
    let colon = &report.by_site[0];
    assert_eq!(colon.key, "C18");
    assert!(!colon.suppressed);
    assert_eq!(colon.cases, Some(5));
    close(colon.mv_percent, 100.0);
    assert_eq!(
        (colon.deaths, colon.mi_ratio, colon.open_checks),
        (None, None, None)
    );
    // Lung, 1 case: every number hidden.
    let lung = &report.by_site[1];
    assert_eq!(lung.key, "C33-34");
    assert!(lung.suppressed);
    assert_eq!(
        (
            lung.cases,
            lung.mv_percent,
            lung.dco_percent,
            lung.unknown_site_percent,
            lung.unknown_age_percent
        ),
        (None, None, None, None, None)
    );
    assert_eq!(
        (lung.deaths, lung.mi_ratio, lung.open_checks),
        (None, None, None)
    );
    // By facility: Benghazi (1 case) hidden, Tripoli (5) shown.
    let facilities: Vec<(&str, bool)> = report
        .by_facility
        .iter()
        .map(|r| (r.key.as_str(), r.suppressed))
        .collect();
    assert_eq!(facilities, [(BENGHAZI, true), (TRIPOLI, false)]);
    // All sites, 6 cases: shown; its 2 deaths and 1 open check hidden.
    assert_eq!(report.total.cases, Some(6));
    close(report.total.mv_percent, 100.0);
    assert_eq!(report.total.deaths, None);
    assert_eq!(report.total.open_checks, None);
}

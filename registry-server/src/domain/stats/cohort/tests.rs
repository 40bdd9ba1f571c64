//! The survival report on a cohort of six, worked by hand through Kaplan-Meier (deaths
//! before censorings at a tie; n_j the patients whose time is t_j or later).

use super::*;
use crate::domain::stats::report::{Decision, SexFilter};

/// The date of incidence of every case, days since 1970-01-01 (2024-03-18).
const INCIDENCE: i32 = 19_800;

/// A male malignant primary of 2024 with `icd10`, the recorded `stage`, and a death or a
/// last contact that many days after incidence.
fn case(icd10: &str, stage: Option<&str>, death: Option<i32>, last_contact: Option<i32>) -> Case {
    Case {
        facility: "LY-TRI-ONC".into(),
        stage_group: stage.map(str::to_string),
        death: death.map(|d| INCIDENCE + d),
        last_contact: last_contact.map(|d| INCIDENCE + d),
        ..Case::sample(icd10, 60)
    }
}

fn filter() -> Filter {
    Filter {
        from_year: 2024,
        to_year: 2024,
        region: None,
        sex: SexFilter::Both,
    }
}

/// Six followed: five colon tumours and one breast; then five records left out.
fn cases() -> Vec<Case> {
    let mut in_situ = case("C50.9", Some("0"), None, Some(300));
    in_situ.behaviour = 2;
    let mut dco = case("C18.7", None, Some(0), None);
    dco.basis = 0;
    let mut duplicate = case("C18.7", Some("I"), None, Some(700));
    duplicate.decision = Some(Decision::Duplicate);
    vec![
        // A death at 100 days: the later last contact does not make it censored.
        case("C18.7", Some("IIA"), Some(100), Some(150)),
        case("C18.2", Some("II"), None, Some(200)),
        case("C18.0", Some(" stage iiib "), Some(400), None),
        case("C18.7", Some("IV"), Some(500), Some(450)),
        case("C50.9", None, None, Some(800)),
        case("C18.7", Some("IIB"), None, Some(2000)),
        in_situ,
        dco,
        case("C18.7", Some("II"), None, None),
        case("C18.7", Some("II"), Some(-10), None),
        duplicate,
    ]
}

fn close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() < 1e-9,
        "{actual} is not {expected}"
    );
}

/// (years, survival %, lower %, upper %, at risk) of a row.
fn at(row: &SurvivalRow) -> Vec<(u8, f64, f64, f64, u32)> {
    row.at
        .iter()
        .map(|a| (a.years, a.survival, a.lower, a.upper, a.at_risk))
        .collect()
}

fn same(actual: &[(u8, f64, f64, f64, u32)], expected: &[(u8, f64, f64, f64, u32)]) {
    assert_eq!(actual.len(), expected.len(), "{actual:?}");
    for (a, e) in actual.iter().zip(expected) {
        assert_eq!((a.0, a.4), (e.0, e.4), "{a:?} is not {e:?}");
        close(a.1, e.1);
        close(a.2, e.2);
        close(a.3, e.3);
    }
}

#[test]
fn stage_groups_are_the_roman_numeral() {
    assert_eq!(stage_of(Some("IIA")), "II");
    assert_eq!(stage_of(Some("IIB")), "II");
    assert_eq!(stage_of(Some("IV")), "IV");
    assert_eq!(stage_of(Some("IVB")), "IV");
    assert_eq!(stage_of(Some("III")), "III");
    assert_eq!(stage_of(Some("stage iiib")), "III");
    // Spaces after the word are the same stage.
    assert_eq!(stage_of(Some("Stage  II")), "II");
    assert_eq!(stage_of(Some(" Stage IC ")), "I");
    assert_eq!(stage_of(Some("i")), "I");
    assert_eq!(stage_of(Some("0")), "0");
    assert_eq!(stage_of(Some("0is")), "0");
    assert_eq!(stage_of(None), "unknown");
    assert_eq!(stage_of(Some("")), "unknown");
    assert_eq!(stage_of(Some("X")), "unknown");
    assert_eq!(stage_of(Some("unknown")), "unknown");
}

#[test]
fn six_patients_worked_by_hand() {
    let report = survival(&cases(), &filter(), false);
    assert_eq!(report.counted.records, 11);
    assert_eq!(report.counted.included, 6);
    let excluded: Vec<(&str, u64)> = report
        .counted
        .excluded
        .iter()
        .map(|e| (e.reason, e.count))
        .collect();
    assert_eq!(
        excluded,
        [
            ("not_malignant", 1),
            ("death_certificate_only", 1),
            ("no_follow_up", 1),
            ("follow_up_before_diagnosis", 1),
            ("duplicate_tumour", 1),
        ]
    );
    assert_eq!(report.counted.rules, RULES);
    assert!(report.counted.standards.is_empty());
    assert_eq!(report.counted.suppression, None);

    // All sites first, then each site with "all" then its stages (in their order).
    let rows: Vec<(&str, &str)> = report
        .rows
        .iter()
        .map(|r| (r.key.as_str(), r.stage.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("ALL", "all"),
            ("C18", "all"),
            ("C18", "II"),
            ("C18", "III"),
            ("C18", "IV"),
            ("C50", "all"),
            ("C50", "unknown"),
        ]
    );

    // All sites: 100 death, 200 censored, 400 death, 500 death, 800 censored, 2000 censored.
    // t = 100: n = 6, d = 1, S = 5/6; Greenwood Σ = 1/(6 x 5) = 1/30.
    // The censoring at 200 leaves 4.
    // t = 400: n = 4, d = 1, S = 5/6 x 3/4 = 5/8; Σ += 1/(4 x 3) = 1/12.
    // t = 500: n = 3, d = 1, S = 5/8 x 2/3 = 5/12 = 0.4166667; Σ += 1/(3 x 2) = 1/6.
    // S(365) = 5/6; at risk at 365 (time 365 or later: 400, 500, 800, 2000) = 4.
    //   σ = √(1/30) / |ln 5/6| = 0.18257419 / 0.18232156 = 1.00138562; 1.96 σ = 1.96271582;
    //   lower = (5/6)^e^1.96271582 = (5/6)^7.11863378 = 0.27311007,
    //   upper = (5/6)^e^−1.96271582 = (5/6)^0.14047639 = 0.97471333.
    // S(1095) = 5/12; Σ = 2/60 + 5/60 + 10/60 = 17/60; Greenwood Var = (5/12)² x 17/60
    //   = 425/8,640 = 0.04918981; at risk at 1095: 2000 only = 1.
    //   σ = √(17/60) / |ln 5/12| = 0.53229065 / 0.87546874 = 0.60800646; 1.96 σ = 1.19169266;
    //   lower = (5/12)^3.29264983 = 0.05598833, upper = (5/12)^0.30370676 = 0.76652668.
    // S(1826) = 5/12 still: 1826 is before the last time, 2000; at risk 1.
    let all = &report.rows[0];
    assert_eq!(all.name, "All sites");
    assert_eq!((all.patients, all.deaths), (Some(6), Some(3)));
    assert!(!all.suppressed);
    let three_years = (
        3,
        500.0 / 12.0,
        5.598_833_066_266_734,
        76.652_668_251_086_42,
        1,
    );
    same(
        &at(all),
        &[
            (
                1,
                500.0 / 6.0,
                27.311_006_597_936_593,
                97.471_332_705_095_48,
                4,
            ),
            three_years,
            (5, three_years.1, three_years.2, three_years.3, 1),
        ],
    );
    // Greenwood's variance at three years, as the estimator gives it.
    let observations = [
        Observation::death(100),
        Observation::censored(200),
        Observation::death(400),
        Observation::death(500),
        Observation::censored(800),
        Observation::censored(2000),
    ];
    let curve = KaplanMeier::estimate(&observations).unwrap();
    close(curve.at(1095).unwrap().variance, 425.0 / 8_640.0);

    // Colon: 100 death, 200 censored, 400 death, 500 death, 2000 censored.
    // t = 100: n = 5, S = 4/5, Σ = 1/20; the censoring at 200 leaves 3;
    // t = 400: n = 3, S = 4/5 x 2/3 = 8/15; t = 500: n = 2, S = 8/15 x 1/2 = 4/15.
    // S(365) = 0.8, at risk 3 (400, 500, 2000): σ = √(1/20) / |ln 0.8| = 0.2236068 /
    // 0.2231436 = 1.0020760, lower = 0.8^e^1.9640690 = 0.8^7.1282728 = 0.2037976, upper =
    // 0.8^e^−1.9640690 = 0.8^0.1402864 = 0.9691809. S(1095) = S(1826) = 4/15, at risk 1.
    let colon = &report.rows[1];
    assert_eq!(colon.name, "Colon");
    assert_eq!((colon.patients, colon.deaths), (Some(5), Some(3)));
    let colon_at = at(colon);
    assert_eq!(colon_at.len(), 3);
    close(colon_at[0].1, 80.0);
    close(colon_at[0].2, 20.379_756_391_322_273);
    close(colon_at[0].3, 96.918_088_383_640_27);
    assert_eq!(colon_at[0].4, 3);
    close(colon_at[1].1, 400.0 / 15.0);
    close(colon_at[2].1, 400.0 / 15.0);
    assert_eq!((colon_at[1].4, colon_at[2].4), (1, 1));

    // Stage II (IIA, II, IIB): 100 death, 200 censored, 2000 censored: S = 2/3 from day
    // 100; at risk 1 at 365, 1095 and 1826.
    let stage_2 = &report.rows[2];
    assert_eq!((stage_2.patients, stage_2.deaths), (Some(3), Some(1)));
    let years: Vec<(u8, u32)> = stage_2.at.iter().map(|a| (a.years, a.at_risk)).collect();
    assert_eq!(years, [(1, 1), (3, 1), (5, 1)]);
    close(stage_2.at[0].survival, 200.0 / 3.0);
    // Stage III (" stage iiib "): one death at 400: still 100% at one year, interval [100,
    // 100]; three and five years are beyond the longest follow-up and left out.
    let stage_3 = &report.rows[3];
    assert_eq!((stage_3.patients, stage_3.deaths), (Some(1), Some(1)));
    same(&at(stage_3), &[(1, 100.0, 100.0, 100.0, 1)]);
    // Stage IV: the death at 500 wins over the last contact at 450.
    same(&at(&report.rows[4]), &[(1, 100.0, 100.0, 100.0, 1)]);
    assert_eq!(report.rows[4].deaths, Some(1));
    // Breast: one patient censored at 800: one year only.
    for row in &report.rows[5..] {
        assert_eq!(row.name, "Breast");
        assert_eq!((row.patients, row.deaths), (Some(1), Some(0)));
        same(&at(row), &[(1, 100.0, 100.0, 100.0, 1)]);
    }
}

#[test]
fn rows_of_fewer_than_five_patients_are_hidden() {
    let report = survival(&cases(), &filter(), true);
    assert_eq!(
        report.counted.suppression.as_deref(),
        Some("cells of fewer than 5 cases are not shown")
    );
    let shown: Vec<(&str, &str, bool)> = report
        .rows
        .iter()
        .map(|r| (r.key.as_str(), r.stage.as_str(), r.suppressed))
        .collect();
    assert_eq!(
        shown,
        [
            ("ALL", "all", false),
            ("C18", "all", false),
            ("C18", "II", true),
            ("C18", "III", true),
            ("C18", "IV", true),
            ("C50", "all", true),
            ("C50", "unknown", true),
        ]
    );
    // 6 and 5 patients: shown whole.
    assert_eq!(report.rows[0].patients, Some(6));
    assert_eq!(report.rows[0].at.len(), 3);
    assert_eq!(report.rows[1].patients, Some(5));
    close(report.rows[1].at[0].survival, 80.0);
    // 3 and 1 patients: nothing shown.
    for row in &report.rows[2..] {
        assert_eq!((row.patients, row.deaths), (None, None), "{row:?}");
        assert!(row.at.is_empty(), "{row:?}");
    }
}

//! Unit tests of the rates. Every expected number is worked by hand in the comment beside it,
//! from the formulas of Boyle and Parkin (1991), IARC Scientific Publications No. 95,
//! chapter 11 (see the module's documentation).

use super::*;
use crate::domain::stats::standard::{EUROPEAN_1976, WHO_2000_2025, WORLD_SEGI_1960};

fn close(actual: f64, expected: f64, tolerance: f64) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{actual} is not {expected} (± {tolerance})"
    );
}

fn group(index: usize) -> AgeGroup {
    AgeGroup::from_index(index).unwrap()
}

/// The small example of the tests. Person-years 100,000 in every group but 85+ (20,000), so
/// that a group's rate per 100,000 is its number of cases (85+: cases × 5):
///
/// | group | index | cases | person-years | rate per 100,000 |
/// |---|---|---|---|---|
/// | 0-4   | 0  | 2  | 100,000 | 2  |
/// | 40-44 | 8  | 5  | 100,000 | 5  |
/// | 50-54 | 10 | 10 | 100,000 | 10 |
/// | 60-64 | 12 | 20 | 100,000 | 20 |
/// | 70-74 | 14 | 30 | 100,000 | 30 |
/// | 85+   | 17 | 8  | 20,000  | 40 |
///
/// and 0 cases in the other 12 groups. 75 cases, 17 × 100,000 + 20,000 = 1,720,000
/// person-years.
fn example_cases() -> [u32; AGE_GROUPS] {
    [2, 0, 0, 0, 0, 0, 0, 0, 5, 0, 10, 0, 20, 0, 30, 0, 0, 8]
}

fn example_person_years() -> [f64; AGE_GROUPS] {
    let mut p = [100_000.0; AGE_GROUPS];
    p[17] = 20_000.0;
    p
}

fn example() -> AgeTable {
    AgeTable::new(example_cases(), example_person_years()).unwrap()
}

#[test]
fn standard_tables_have_18_weights_and_their_sums() {
    // Segi 1960 / Doll et al. 1966, per 100,000:
    // 12000+10000+9000+9000+8000+8000 = 56,000; 4 × 6000 = 24,000 → 80,000;
    // 5000+4000+4000+3000+2000+1000+500+500 = 20,000 → 100,000.
    assert_eq!(
        WORLD_SEGI_1960,
        [
            12000, 10000, 9000, 9000, 8000, 8000, 6000, 6000, 6000, 6000, 5000, 4000, 4000, 3000,
            2000, 1000, 500, 500
        ]
    );
    assert_eq!(Standard::World.total(), 100_000);
    // European 1976, per 100,000: 8000 + 10 × 7000 = 78,000; 6000+5000+4000+3000+2000 =
    // 20,000 → 98,000; 1000+1000 → 100,000.
    assert_eq!(
        EUROPEAN_1976,
        [
            8000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 7000, 6000, 5000, 4000,
            3000, 2000, 1000, 1000
        ]
    );
    assert_eq!(Standard::European.total(), 100_000);
    // WHO 2000-2025, per 10,000, 85+ pooled: running sums 886, 1755, 2615, 3462, 4284, 5077,
    // 5838, 6553, 7212, 7816, 8353, 8808, 9180, 9476, 9697, 9849, 9940, 10003. The rounded
    // percentages sum to 10,003, not 10,000 (nor 10,002).
    assert_eq!(
        WHO_2000_2025,
        [886, 869, 860, 847, 822, 793, 761, 715, 659, 604, 537, 455, 372, 296, 221, 152, 91, 63]
    );
    assert_eq!(Standard::Who2000.total(), 10_003);

    for standard in Standard::ALL {
        assert_eq!(standard.weights().len(), 18);
        assert!(standard.weights().iter().all(|&w| w > 0), "{standard}");
        // The proportions sum to 1 whatever the table's own total.
        let sum: f64 = AgeGroup::all().map(|g| standard.weight(g)).sum();
        close(sum, 1.0, 1e-12);
    }
    // WHO 0-4: 886 / 10,003 = 0.0885734...
    close(
        Standard::Who2000.weight(AgeGroup::FIRST),
        886.0 / 10_003.0,
        1e-15,
    );
    // World 85+: 500 / 100,000 = 0.005.
    close(Standard::World.weight(AgeGroup::LAST), 0.005, 1e-15);
}

#[test]
fn age_groups_and_ranges() {
    assert_eq!(AgeGroup::all().count(), 18);
    assert_eq!(AgeGroup::for_age(0), AgeGroup::FIRST);
    assert_eq!(AgeGroup::for_age(4).to_string(), "0-4");
    assert_eq!(AgeGroup::for_age(5).to_string(), "5-9");
    assert_eq!(AgeGroup::for_age(84).to_string(), "80-84");
    assert_eq!(AgeGroup::for_age(85), AgeGroup::LAST);
    assert_eq!(AgeGroup::for_age(u32::MAX), AgeGroup::LAST);
    assert_eq!(AgeGroup::LAST.to_string(), "85+");
    assert_eq!(AgeGroup::LAST.last_year(), None);
    assert_eq!(AgeGroup::from_index(17), Some(AgeGroup::LAST));
    assert_eq!(AgeGroup::from_index(18), None);
    assert_eq!(AgeRange::ALL.to_string(), "0+");
    assert_eq!(AgeRange::CHILDREN.to_string(), "0-14");
    assert_eq!(AgeRange::AGES_0_74.to_string(), "0-74");
    assert_eq!(AgeRange::AGES_0_74.groups().count(), 15);
    let older = AgeRange::new(group(13), AgeGroup::LAST).unwrap();
    assert_eq!(older.to_string(), "65+");
    assert!(older.contains(group(13)) && !older.contains(group(12)));
    assert_eq!(
        AgeRange::new(group(3), group(2)),
        Err(StatsError::InvalidAgeRange {
            first: group(3),
            last: group(2)
        })
    );
}

#[test]
fn crude_rate_of_the_example() {
    let table = example();
    // 75 cases / 1,720,000 person-years × 100,000 = 7,500 / 1,720 = 4.3604651...
    let rate = crude_rate(&table, Scale::PerHundredThousand).unwrap();
    assert_eq!(rate.cases, 75);
    close(rate.person_years, 1_720_000.0, 0.0);
    close(rate.value, 7_500.0 / 1_720.0, 1e-12);
    close(rate.value, 4.360_465_116, 1e-9);
    // Per 1,000,000: ten times as much, 43.604651...
    let rate = crude_rate(&table, Scale::PerMillion).unwrap();
    close(rate.value, 43.604_651_163, 1e-9);
}

#[test]
fn age_specific_rates_of_the_example() {
    let rates = age_specific_rates(&example(), Scale::PerHundredThousand);
    // cases / 100,000 × 100,000 = the cases; 85+: 8 / 20,000 × 100,000 = 40.
    let values: Vec<f64> = rates.iter().map(|r| r.unwrap().value).collect();
    let expected = [
        2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 5.0, 0.0, 10.0, 0.0, 20.0, 0.0, 30.0, 0.0, 0.0,
        40.0,
    ];
    for (v, e) in values.iter().zip(expected) {
        close(*v, e, 1e-12);
    }
    // A group without person-years has no rate.
    let mut p = example_person_years();
    p[16] = 0.0;
    let table = AgeTable::new(example_cases(), p).unwrap();
    assert_eq!(
        age_specific_rate(&table, group(16), Scale::PerHundredThousand),
        None
    );
}

#[test]
fn world_standardised_rate_and_interval() {
    let asr = standardised_rate(
        &example(),
        Standard::World,
        AgeRange::ALL,
        Scale::PerHundredThousand,
    )
    .unwrap();
    // Σ r_i w_i = 2×12000 + 5×6000 + 10×5000 + 20×4000 + 30×2000 + 40×500
    //           = 24,000 + 30,000 + 50,000 + 80,000 + 60,000 + 20,000 = 264,000;
    // ASR = 264,000 / 100,000 = 2.64 per 100,000.
    close(asr.asr, 2.64, 1e-12);
    // Var = Σ c_i (100,000 w_i / (P_i × 100,000))² = Σ c_i (w_i / P_i)²:
    //   0-4:   2 × (12000/100000)² = 2 × 0.0144   = 0.0288
    //   40-44: 5 × (6000/100000)²  = 5 × 0.0036   = 0.018
    //   50-54: 10 × (5000/100000)² = 10 × 0.0025  = 0.025
    //   60-64: 20 × (4000/100000)² = 20 × 0.0016  = 0.032
    //   70-74: 30 × (2000/100000)² = 30 × 0.0004  = 0.012
    //   85+:   8 × (500/20000)²    = 8 × 0.000625 = 0.005
    //   sum = 0.1208.
    close(asr.variance, 0.1208, 1e-12);
    // √0.1208 = 0.34756294 (0.34756294² = 0.12080000); 1.96 × 0.34756294 = 0.68122337;
    // CI = 2.64 ∓ 0.68122337 = 1.95877663 to 3.32122337.
    close(asr.lower, 1.958_776_630, 1e-8);
    close(asr.upper, 3.321_223_370, 1e-8);
    assert_eq!(asr.cases, 75);
    assert_eq!(asr.standard, Standard::World);
    assert_eq!(asr.per, Scale::PerHundredThousand);
}

#[test]
fn european_standardised_rate_and_interval() {
    let asr = standardised_rate(
        &example(),
        Standard::European,
        AgeRange::ALL,
        Scale::PerHundredThousand,
    )
    .unwrap();
    // Σ r_i w_i = 2×8000 + 5×7000 + 10×7000 + 20×5000 + 30×3000 + 40×1000
    //           = 16,000 + 35,000 + 70,000 + 100,000 + 90,000 + 40,000 = 351,000;
    // ASR = 351,000 / 100,000 = 3.51.
    close(asr.asr, 3.51, 1e-12);
    // Var = 2×0.08² + 5×0.07² + 10×0.07² + 20×0.05² + 30×0.03² + 8×(1000/20000)²
    //     = 0.0128 + 0.0245 + 0.049 + 0.05 + 0.027 + 0.02 = 0.1833.
    close(asr.variance, 0.1833, 1e-12);
    // √0.1833 = 0.42813549; × 1.96 = 0.83914557; CI = 2.67085443 to 4.34914557.
    close(asr.lower, 2.670_854_435, 1e-8);
    close(asr.upper, 4.349_145_565, 1e-8);
}

#[test]
fn who_standardised_rate_and_interval() {
    let asr = standardised_rate(
        &example(),
        Standard::Who2000,
        AgeRange::ALL,
        Scale::PerHundredThousand,
    )
    .unwrap();
    // Σ r_i w_i = 2×886 + 5×659 + 10×537 + 20×372 + 30×221 + 40×63
    //           = 1,772 + 3,295 + 5,370 + 7,440 + 6,630 + 2,520 = 27,027;
    // Σ w = 10,003; ASR = 27,027 / 10,003 = 2.70188943.
    close(asr.asr, 27_027.0 / 10_003.0, 1e-12);
    close(asr.asr, 2.701_889_433, 1e-9);
    // Var = Σ c_i (100,000 w_i / (P_i × 10,003))²; with P_i = 100,000 that is
    // c_i w_i² / 10,003², and for 85+ (P = 20,000) 8 × (5 × 63)² / 10,003²:
    //   2 × 886² = 2 × 784,996 = 1,569,992
    //   5 × 659² = 5 × 434,281 = 2,171,405
    //   10 × 537² = 10 × 288,369 = 2,883,690
    //   20 × 372² = 20 × 138,384 = 2,767,680
    //   30 × 221² = 30 × 48,841 = 1,465,230
    //   8 × 315² = 8 × 99,225 = 793,800
    //   sum = 11,651,797; / 10,003² (100,060,009) = 0.11644809.
    close(asr.variance, 11_651_797.0 / 100_060_009.0, 1e-12);
    close(asr.variance, 0.116_448_091, 1e-9);
    // √0.11644809 = 0.34124491; × 1.96 = 0.66884003; CI = 2.03304940 to 3.37072946.
    close(asr.lower, 2.033_049_404, 1e-8);
    close(asr.upper, 3.370_729_463, 1e-8);
}

#[test]
fn childrens_rate_per_million_over_0_14() {
    // 12, 5 and 6 cases in 2,000,000 person-years each at 0-4, 5-9, 10-14; the 100 cases
    // at 40-44 are outside the range and change nothing.
    let mut cases = [0; AGE_GROUPS];
    cases[0] = 12;
    cases[1] = 5;
    cases[2] = 6;
    cases[8] = 100;
    let table = AgeTable::new(cases, [2_000_000.0; AGE_GROUPS]).unwrap();
    let asr = standardised_rate(
        &table,
        Standard::World,
        AgeRange::CHILDREN,
        Scale::PerMillion,
    )
    .unwrap();
    // Rates per million: 12/2 = 6, 5/2 = 2.5, 6/2 = 3. World weights 12000, 10000, 9000,
    // Σ w = 31,000. ASR = (6×12000 + 2.5×10000 + 3×9000) / 31,000
    //                   = (72,000 + 25,000 + 27,000) / 31,000 = 124,000 / 31,000 = 4.
    close(asr.asr, 4.0, 1e-12);
    // Var = Σ c_i (1,000,000 w_i / (2,000,000 × 31,000))² = Σ c_i (w_i / 62,000)²:
    //   12 × (12000/62000)² = 12 × (6/31)² = 432/961
    //   5 × (10000/62000)² = 5 × (5/31)² = 125/961
    //   6 × (9000/62000)² = 6 × (4.5/31)² = 121.5/961
    //   sum = 678.5 / 961 = 0.70603538.
    close(asr.variance, 678.5 / 961.0, 1e-12);
    // √0.70603538 = 0.84025911; × 1.96 = 1.64690786; CI = 2.35309214 to 5.64690786.
    close(asr.lower, 2.353_092_135, 1e-8);
    close(asr.upper, 5.646_907_865, 1e-8);
    assert_eq!(asr.cases, 23);
}

#[test]
fn lower_bound_is_not_below_zero() {
    // One case at 85+ in 20,000 person-years: rate 5; world ASR = 5 × 500 / 100,000 = 0.025.
    // Var = 1 × (500/20000)² = 0.000625, √ = 0.025; 1.96 × 0.025 = 0.049;
    // 0.025 − 0.049 < 0 → lower 0; upper 0.025 + 0.049 = 0.074.
    let mut cases = [0; AGE_GROUPS];
    cases[17] = 1;
    let table = AgeTable::new(cases, example_person_years()).unwrap();
    let asr = standardised_rate(
        &table,
        Standard::World,
        AgeRange::ALL,
        Scale::PerHundredThousand,
    )
    .unwrap();
    close(asr.asr, 0.025, 1e-15);
    close(asr.variance, 0.000_625, 1e-15);
    assert_eq!(asr.lower, 0.0);
    close(asr.upper, 0.074, 1e-12);
}

#[test]
fn a_group_without_person_years_or_cases_contributes_nothing() {
    // 80-84 (no cases) with 0 person-years instead of 100,000: its rate was 0 and stays 0,
    // its weight stays in Σ w, so the ASR and its variance are those of the example.
    let mut p = example_person_years();
    p[16] = 0.0;
    let table = AgeTable::new(example_cases(), p).unwrap();
    let asr = standardised_rate(
        &table,
        Standard::World,
        AgeRange::ALL,
        Scale::PerHundredThousand,
    )
    .unwrap();
    close(asr.asr, 2.64, 1e-12);
    close(asr.variance, 0.1208, 1e-12);
    // The crude rate has 100,000 fewer person-years: 75 / 1,620,000 × 100,000 = 4.62962963.
    let crude = crude_rate(&table, Scale::PerHundredThousand).unwrap();
    close(crude.value, 4.629_629_630, 1e-9);
}

#[test]
fn cumulative_rate_and_risk_0_74() {
    let risk = cumulative_risk(&example(), AgeRange::AGES_0_74).unwrap();
    // Rates of 0-4 … 70-74 per 100,000: 2 + 5 + 10 + 20 + 30 = 67 (85+ is outside).
    // Cumulative rate = 5 × 67 / 100,000 = 0.00335 (0.335%).
    close(risk.rate, 0.003_35, 1e-15);
    // Risk = 100 × (1 − e^−0.00335); e^−0.00335 = 1 − 0.00335 + 0.00335²/2 − 0.00335³/6 …
    //      = 1 − 0.00335 + 0.0000056113 − 0.0000000063 = 0.9966556050 → 0.33443950%.
    close(risk.risk_percent, 0.334_439_501, 1e-9);

    // Where the exponential matters: 1,000 per 100,000 in each of the 15 groups 0-4 … 70-74.
    // Cumulative rate = 5 × 15 × 1,000 / 100,000 = 0.75;
    // risk = 100 × (1 − e^−0.75) = 100 × (1 − 0.47236655) = 52.7633447%.
    let table = AgeTable::new([1_000; AGE_GROUPS], [100_000.0; AGE_GROUPS]).unwrap();
    let risk = cumulative_risk(&table, AgeRange::AGES_0_74).unwrap();
    close(risk.rate, 0.75, 1e-12);
    close(risk.risk_percent, 52.763_344_726, 1e-8);

    // 85+ has no width.
    assert_eq!(
        cumulative_risk(&table, AgeRange::ALL),
        Err(StatsError::OpenAgeGroup(AgeRange::ALL))
    );
}

#[test]
fn cases_without_person_years_are_refused() {
    let mut p = example_person_years();
    p[17] = 0.0;
    assert_eq!(
        AgeTable::new(example_cases(), p),
        Err(StatsError::CasesWithoutPersonYears {
            group: Some(AgeGroup::LAST),
            cases: 8
        })
    );
    let e = AgeTable::new(example_cases(), p).unwrap_err();
    assert_eq!(
        e.to_string(),
        "8 cases but no person-years in age group 85+"
    );
    assert_eq!(
        Rate::new(3, 0.0, Scale::PerHundredThousand),
        Err(StatsError::CasesWithoutPersonYears {
            group: None,
            cases: 3
        })
    );
}

#[test]
fn empty_input_is_refused() {
    assert_eq!(
        AgeTable::from_slices(&[], &[]),
        Err(StatsError::Empty("age groups"))
    );
    assert_eq!(
        AgeTable::from_slices(&[1; 17], &[1.0; 18]),
        Err(StatsError::GroupCount {
            cases: 17,
            person_years: 18
        })
    );
    assert_eq!(
        AgeTable::from_slices(&example_cases(), &example_person_years()),
        Ok(example())
    );
    // No person-years anywhere: no crude rate, no ASR, no cumulative risk.
    let nothing = AgeTable::new([0; AGE_GROUPS], [0.0; AGE_GROUPS]).unwrap();
    assert_eq!(
        crude_rate(&nothing, Scale::PerHundredThousand),
        Err(StatsError::NoPersonYears)
    );
    assert_eq!(
        standardised_rate(
            &nothing,
            Standard::World,
            AgeRange::ALL,
            Scale::PerHundredThousand
        ),
        Err(StatsError::NoPersonYears)
    );
    assert_eq!(
        cumulative_risk(&nothing, AgeRange::AGES_0_74),
        Err(StatsError::NoPersonYears)
    );
    // Person-years only outside the range asked for.
    let mut p = [0.0; AGE_GROUPS];
    p[10] = 1_000.0;
    let adults = AgeTable::new([0; AGE_GROUPS], p).unwrap();
    assert_eq!(
        standardised_rate(
            &adults,
            Standard::World,
            AgeRange::CHILDREN,
            Scale::PerMillion
        ),
        Err(StatsError::NoPersonYears)
    );
}

#[test]
fn negative_nan_and_infinite_person_years_are_refused() {
    for bad in [-1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut p = example_person_years();
        p[5] = bad;
        match AgeTable::new(example_cases(), p) {
            Err(StatsError::InvalidPersonYears { group: g, value }) => {
                assert_eq!(g, Some(group(5)));
                assert!(value.is_nan() == bad.is_nan() && (bad.is_nan() || value == bad));
            }
            other => panic!("{bad}: {other:?}"),
        }
        assert_eq!(
            AgeTable::new(example_cases(), p).unwrap_err().to_string(),
            format!(
                "person-years in age group 25-29 are {bad}: expected a finite number of at least 0"
            )
        );
        assert!(matches!(
            Rate::new(1, bad, Scale::PerHundredThousand),
            Err(StatsError::InvalidPersonYears { group: None, .. })
        ));
    }
    // Positive but so small that the rate overflows: refused, not infinite.
    assert_eq!(
        Rate::new(1, 1e-310, Scale::PerHundredThousand),
        Err(StatsError::Overflow)
    );
}

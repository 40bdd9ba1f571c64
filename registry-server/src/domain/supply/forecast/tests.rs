//! The forecast of one facility × medicine, worked by hand.

use super::*;

fn day(year: i32, month: u8, day: u8) -> Date {
    Date::from_ymd("test", year, month, day).unwrap()
}

fn tamoxifen() -> Regimen {
    Regimen {
        site_from: "C50".into(),
        site_to: "C50".into(),
        morphology: None,
        stage: None,
        atc: "L02BA01".into(),
        strength: "20 mg".into(),
        form: "tablet".into(),
        share: 0.6,
        units_per_month: 30,
        months: 60,
    }
}

/// Today 2026-12-03, three months: Dec, Jan, Feb.
///
/// - Due on authorisations: 60 in December, 30 in January.
/// - New cases: 0.5 a month start tamoxifen (share 0.6, 30 a month, for 60 months): in
///   month i, 0.5 × (i + 1) cases are on it, each taking 0.6 × 30 = 18: 9, 18, 27.
/// - Totals: 69, 48, 27.
/// - Past consumption: C = 20 with 5 days out of stock, N = ⌈20 × 30 / 25⌉ = 24; then 30 and
///   18 with none: P = ⌈(24 + 30 + 18) / 3⌉ = 24; H = 72; E = 50: I = 22, months of stock
///   50 / 24.
/// - The registry's proposal: 69 + 48 + 27 − 50 = 94.
/// - Stock-out: 50 against December's 69 spread over its 29 days from the 3rd: day
///   ⌈50 × 29 / 69⌉ = ⌈21.01⌉ = 22 of them, 2026-12-24.
#[test]
fn a_forecast_worked_by_hand() {
    let regimen = tamoxifen();
    let f = forecast(&Inputs {
        today: day(2026, 12, 3),
        months: 3,
        due: vec![(2026, 12, 60), (2027, 1, 30), (2027, 2, 0)],
        follow_through: 1.0,
        new_cases: vec![(0.5, &regimen)],
        consumed: vec![
            Consumed {
                units: 20,
                stockout_days: 5,
            },
            Consumed {
                units: 30,
                stockout_days: 0,
            },
            Consumed {
                units: 18,
                stockout_days: 0,
            },
        ],
        on_hand: 50,
    })
    .unwrap();
    let months: Vec<(i32, u8, u64, u64, u64)> = f
        .months
        .iter()
        .map(|m| (m.year, m.month, m.due, m.new_cases, m.total))
        .collect();
    assert_eq!(
        months,
        vec![
            (2026, 12, 60, 9, 69),
            (2027, 1, 30, 18, 48),
            (2027, 2, 0, 27, 27)
        ]
    );
    assert_eq!(f.adjusted, vec![24, 30, 18]);
    assert_eq!(f.average_monthly, Some(24));
    assert_eq!((f.maximum_stock, f.openlmis_order), (72, 22));
    assert!((f.months_of_stock.unwrap() - 50.0 / 24.0).abs() < 1e-12);
    assert_eq!(f.proposed_order, 94);
    assert_eq!(f.stockout, Some(day(2026, 12, 24)));
}

/// A regimen of 2 months stops counting its cases after them: 1 case a month, share 1,
/// 10 units: 10, 20, 20, 20.
#[test]
fn a_short_regimen_holds_only_its_months_of_cases() {
    let regimen = Regimen {
        share: 1.0,
        units_per_month: 10,
        months: 2,
        ..tamoxifen()
    };
    let f = forecast(&Inputs {
        today: day(2026, 12, 3),
        months: 4,
        due: Vec::new(),
        follow_through: 1.0,
        new_cases: vec![(1.0, &regimen)],
        consumed: Vec::new(),
        on_hand: 1000,
    })
    .unwrap();
    let totals: Vec<u64> = f.months.iter().map(|m| m.total).collect();
    assert_eq!(totals, vec![10, 20, 20, 20]);
    // No past consumption: no OpenLMIS average, maximum or order; the stock outlasts.
    assert_eq!(
        (f.average_monthly, f.maximum_stock, f.openlmis_order),
        (None, 0, 0)
    );
    assert_eq!((f.proposed_order, f.stockout), (0, None));
}

#[test]
fn more_stockout_days_than_a_month_are_refused() {
    let e = forecast(&Inputs {
        today: day(2026, 12, 3),
        months: 1,
        due: Vec::new(),
        follow_through: 1.0,
        new_cases: Vec::new(),
        consumed: vec![Consumed {
            units: 5,
            stockout_days: 31,
        }],
        on_hand: 0,
    })
    .unwrap_err();
    assert!(matches!(e, SupplyError::StockoutDaysExceedPeriod { .. }));
}

/// A follow-through of 0.8 takes the units due on schedule, 60 and 30, to 48 and 24; the new
/// cases (9, 18) are not scaled: totals 57 and 42; the proposal for the two months (no
/// third) 57 + 42 − 50 = 49.
#[test]
fn the_follow_through_scales_the_units_due_only() {
    let regimen = tamoxifen();
    let f = forecast(&Inputs {
        today: day(2026, 12, 3),
        months: 2,
        due: vec![(2026, 12, 60), (2027, 1, 30)],
        follow_through: 0.8,
        new_cases: vec![(0.5, &regimen)],
        consumed: Vec::new(),
        on_hand: 50,
    })
    .unwrap();
    let months: Vec<(u64, u64, u64, u64)> = f
        .months
        .iter()
        .map(|m| (m.scheduled, m.due, m.new_cases, m.total))
        .collect();
    assert_eq!(months, vec![(60, 48, 9, 57), (30, 24, 18, 42)]);
    assert_eq!(f.proposed_order, 49);
}

/// Two regimen rows of one medicine at 0.2 cases a month each, share 1, 1 unit: 0.2 + 0.2 =
/// 0.4 in the first month, rounded once to 0 (rounding each row up made it 2); in the second
/// month 0.4 + 0.4 = 0.8, 1; in the third 1.2, 1.
#[test]
fn new_case_units_are_summed_then_rounded_once() {
    let regimen = Regimen {
        share: 1.0,
        units_per_month: 1,
        months: 12,
        ..tamoxifen()
    };
    let f = forecast(&Inputs {
        today: day(2026, 12, 3),
        months: 3,
        due: Vec::new(),
        follow_through: 1.0,
        new_cases: vec![(0.2, &regimen), (0.2, &regimen)],
        consumed: Vec::new(),
        on_hand: 0,
    })
    .unwrap();
    let units: Vec<u64> = f.months.iter().map(|m| m.new_cases).collect();
    assert_eq!(units, vec![0, 1, 1]);
    // 1/12 of a case × 0.6 × 30 is 1.5 (1.4999999999999998 in floating point): 2.
    assert_eq!(nearest_unit(1.0 / 12.0 * 0.6 * 30.0), Ok(2));
    assert_eq!(nearest_unit(2.4999), Ok(2));
    assert_eq!(nearest_unit(0.0), Ok(0));
}

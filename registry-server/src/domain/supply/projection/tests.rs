//! Unit tests of the stock-out date and the forecast error, worked by hand on the calendar
//! (December 2026 and January 2027 have 31 days, February 2027 28).

use super::*;

fn day(year: i32, month: u8, day: u8) -> Date {
    Date::from_ymd("test", year, month, day).unwrap()
}

fn close(actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() < 1e-9,
        "{actual} is not {expected}"
    );
}

#[test]
fn stockout_worked_by_hand() {
    // 100 on hand on 2026-12-01. December: 62 over 31 days, 2 a day, all 62 taken by
    // Dec 31: 38 left. January: 60 over 31 days; 38 are gone on day ⌈38 × 31 / 60⌉ =
    // ⌈1178 / 60⌉ = ⌈19.63⌉ = 20 (by Jan 19: 60 × 19 / 31 = 36.8 < 38; by Jan 20:
    // 38.7 ≥ 38). Stock-out: 2027-01-20.
    let demand = [(2026, 12, 62), (2027, 1, 60)];
    assert_eq!(
        stockout_date(100, day(2026, 12, 1), &demand),
        Some(day(2027, 1, 20))
    );
    // The order of the months given does not matter.
    let reversed = [(2027, 1, 60), (2026, 12, 62)];
    assert_eq!(
        stockout_date(100, day(2026, 12, 1), &reversed),
        Some(day(2027, 1, 20))
    );
}

#[test]
fn stock_that_outlasts_the_horizon_has_no_stockout_date() {
    // 62 + 60 = 122 demanded in the two months: 200 on hand outlast them, as do 123.
    let demand = [(2026, 12, 62), (2027, 1, 60)];
    assert_eq!(stockout_date(200, day(2026, 12, 1), &demand), None);
    assert_eq!(stockout_date(123, day(2026, 12, 1), &demand), None);
    // Exactly 122: gone on the horizon's last day.
    assert_eq!(
        stockout_date(122, day(2026, 12, 1), &demand),
        Some(day(2027, 1, 31))
    );
    assert_eq!(stockout_date(5, day(2026, 12, 1), &[]), None);
    assert_eq!(stockout_date(5, day(2026, 12, 1), &[(2026, 12, 0)]), None);
}

#[test]
fn stockout_within_the_first_month() {
    // 62 on hand, 62 over December: gone on day ⌈62 × 31 / 62⌉ = 31.
    let demand = [(2026, 12, 62)];
    assert_eq!(
        stockout_date(62, day(2026, 12, 1), &demand),
        Some(day(2026, 12, 31))
    );
    // 1 on hand: ⌈1 × 31 / 62⌉ = ⌈0.5⌉ = 1, the first day.
    assert_eq!(
        stockout_date(1, day(2026, 12, 1), &demand),
        Some(day(2026, 12, 1))
    );
    // Nothing on hand: out today, whatever the demand.
    assert_eq!(
        stockout_date(0, day(2026, 12, 3), &[]),
        Some(day(2026, 12, 3))
    );
}

#[test]
fn todays_month_spreads_over_the_days_left() {
    // Today 2026-12-18: December's 28 due over the 14 days from the 18th to the 31st, 2 a
    // day. 10 on hand: gone on day ⌈10 × 14 / 28⌉ = 5 of those, 2026-12-22.
    assert_eq!(
        stockout_date(10, day(2026, 12, 18), &[(2026, 12, 28)]),
        Some(day(2026, 12, 22))
    );
}

#[test]
fn past_missing_and_impossible_months() {
    // November (before today's month) and month 13 are ignored; December and January
    // are missing (no demand); February: 56 over 28 days, 2 a day; 10 on hand gone on day
    // ⌈10 × 28 / 56⌉ = 5: 2027-02-05.
    let demand = [(2026, 11, 1_000), (2026, 13, 1_000), (2027, 2, 56)];
    assert_eq!(
        stockout_date(10, day(2026, 12, 1), &demand),
        Some(day(2027, 2, 5))
    );
}

#[test]
fn a_month_given_twice_counts_both() {
    // 31 + 31 = 62 in December: as in the worked example, 2027-01-20.
    let demand = [(2026, 12, 31), (2027, 1, 60), (2026, 12, 31)];
    assert_eq!(
        stockout_date(100, day(2026, 12, 1), &demand),
        Some(day(2027, 1, 20))
    );
}

#[test]
fn huge_quantities_do_not_overflow() {
    // ⌈(2^64 − 1) × 31 / (2^64 − 1)⌉ = 31.
    assert_eq!(
        stockout_date(u64::MAX, day(2026, 12, 1), &[(2026, 12, u64::MAX)]),
        Some(day(2026, 12, 31))
    );
    // Two months of u64::MAX saturate to u64::MAX for December.
    let twice = [(2026, 12, u64::MAX), (2026, 12, u64::MAX)];
    assert_eq!(
        stockout_date(u64::MAX, day(2026, 12, 1), &twice),
        Some(day(2026, 12, 31))
    );
    // A today no calendar reaches: no month is after it.
    assert_eq!(stockout_date(5, Date(i32::MAX), &[(2026, 12, 62)]), None);
}

#[test]
fn mape_worked_by_hand() {
    // |110 − 100| / 100 = 10%; |45 − 50| / 50 = 10%; mean 10%.
    close(mape(&[(110.0, 100.0), (45.0, 50.0)]).unwrap(), 10.0);
    // |90 − 100| / 100 = 10%; |60 − 50| / 50 = 20%; mean 15%.
    close(mape(&[(90.0, 100.0), (60.0, 50.0)]).unwrap(), 15.0);
    // Perfect: 0.
    close(mape(&[(7.0, 7.0)]).unwrap(), 0.0);
}

#[test]
fn mape_leaves_out_zero_actuals() {
    // (10, 0) has no percentage error and is left out: the mean stays 10% over the two
    // pairs counted, not 20 / 3.
    let pairs = [(110.0, 100.0), (10.0, 0.0), (45.0, 50.0)];
    close(mape(&pairs).unwrap(), 10.0);
    // Only zero actuals, or nothing: no MAPE.
    assert_eq!(mape(&[(10.0, 0.0), (0.0, 0.0)]), None);
    assert_eq!(mape(&[]), None);
}

#[test]
fn mape_leaves_out_numbers_that_are_not_counts() {
    // A NaN or infinite forecast, a negative or NaN actual: left out; (90, 100) remains.
    let pairs = [
        (f64::NAN, 100.0),
        (f64::INFINITY, 100.0),
        (5.0, -5.0),
        (5.0, f64::NAN),
        (90.0, 100.0),
    ];
    close(mape(&pairs).unwrap(), 10.0);
    // A mean that overflows: none.
    assert_eq!(mape(&[(f64::MAX, 1e-300)]), None);
}

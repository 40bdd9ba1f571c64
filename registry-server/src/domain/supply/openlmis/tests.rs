//! Unit tests of the OpenLMIS requisition quantities: the cases published with the OpenLMIS
//! v3 requisition service (`LineItemFieldsCalculatorTest`), a requisition worked by hand,
//! and the edges. Every expected number is worked in the comment beside it.

use super::*;

#[test]
fn adjusted_consumption_published_case() {
    // OpenLMIS: C = 20, X = 5, M = 3. 30M = 90, 90 − 5 = 85 days in stock:
    // 20 × 90 / 85 = 1800 / 85 = 21.18 → rounded up, 22.
    assert_eq!(adjusted_consumption(20, 5, 3), Ok(22));
}

#[test]
fn adjusted_consumption_without_stockouts_is_the_consumption() {
    // X = 0: 20 × 90 / 90 = 20.
    assert_eq!(adjusted_consumption(20, 0, 3), Ok(20));
    // One month, 6 days out: 30 × 30 / 24 = 37.5 → 38.
    assert_eq!(adjusted_consumption(30, 6, 1), Ok(38));
}

#[test]
fn stocked_out_the_whole_period_gives_the_consumption() {
    // OpenLMIS: X = 90 = 30M, no day in stock to scale from: N = C = 20.
    assert_eq!(adjusted_consumption(20, 90, 3), Ok(20));
    // One month of 30 days, all 30 out.
    assert_eq!(adjusted_consumption(7, 30, 1), Ok(7));
}

#[test]
fn more_stockout_days_than_the_period_are_refused() {
    // OpenLMIS's validator: "stockout days can't be greater than length of period".
    assert_eq!(
        adjusted_consumption(20, 91, 3),
        Err(SupplyError::StockoutDaysExceedPeriod {
            stockout_days: 91,
            period_days: 90
        })
    );
    // A 31-day month is still 30 days to OpenLMIS.
    assert!(adjusted_consumption(20, 31, 1).is_err());
}

#[test]
fn zero_consumption_is_zero_whatever_the_stockouts() {
    // OpenLMIS returns 0 before looking at the stock-out days.
    assert_eq!(adjusted_consumption(0, 0, 1), Ok(0));
    assert_eq!(adjusted_consumption(0, 5, 3), Ok(0));
    assert_eq!(adjusted_consumption(0, 90, 3), Ok(0));
}

#[test]
fn a_period_of_no_months_is_refused() {
    assert_eq!(
        adjusted_consumption(20, 0, 0),
        Err(SupplyError::InvalidPeriod { months: 0 })
    );
    assert_eq!(
        monthly_consumption(20, 0),
        Err(SupplyError::InvalidPeriod { months: 0 })
    );
}

#[test]
fn adjusted_consumption_is_exact_where_openlmis_rounds_up_once_too_often() {
    // C = 85, X = 5, M = 3: 85 × 90 / 85 = 90 exactly. OpenLMIS divides 90 / 85 to 1,000
    // places first (the 1,001st digit is 9, so it rounds up), and answers 91.
    assert_eq!(adjusted_consumption(85, 5, 3), Ok(90));
    // C = 23, X = 7, M = 1: 23 × 30 / 23 = 30 exactly (OpenLMIS: 31).
    assert_eq!(adjusted_consumption(23, 7, 1), Ok(30));
}

#[test]
fn adjusted_consumption_overflow_is_an_error() {
    // No stock-outs: N = C, even at the largest C.
    assert_eq!(adjusted_consumption(u64::MAX, 0, 1), Ok(u64::MAX));
    // (2^64 − 1) × 30 / 29 is above 2^64 − 1.
    assert_eq!(
        adjusted_consumption(u64::MAX, 1, 1),
        Err(SupplyError::Overflow("adjusted consumption"))
    );
    // The largest period: 30 × (2^32 − 1) days, no overflow inside.
    assert_eq!(adjusted_consumption(1, 0, u32::MAX), Ok(1));
    // X = 2^32 − 1 of 30 × (2^32 − 1) days: 30 / 29 = 1.03 → 2.
    assert_eq!(adjusted_consumption(1, u32::MAX, u32::MAX), Ok(2));
}

#[test]
fn average_consumption_published_cases() {
    // OpenLMIS: (5 + 10 + 15) / 3 = 10; ⌈(5 + 10) / 2⌉ = ⌈7.5⌉ = 8; one period: P = N.
    assert_eq!(average_consumption(&[5, 10, 15]), Some(10));
    assert_eq!(average_consumption(&[5, 10]), Some(8));
    assert_eq!(average_consumption(&[5]), Some(5));
    assert_eq!(average_consumption(&[]), None);
    // (1 + 1 + 2) / 3 = 1.33 → 2.
    assert_eq!(average_consumption(&[1, 1, 2]), Some(2));
}

#[test]
fn average_consumption_of_huge_values_does_not_overflow() {
    // (2^64 − 1 + 2^64 − 2) / 2 = 2^64 − 1.5 → rounded up, 2^64 − 1.
    assert_eq!(
        average_consumption(&[u64::MAX, u64::MAX - 1]),
        Some(u64::MAX)
    );
    assert_eq!(average_consumption(&[u64::MAX; 3]), Some(u64::MAX));
}

#[test]
fn maximum_stock_and_order_quantity_published_cases() {
    // OpenLMIS: P = 2, 7 periods of stock: H = 14; E = 4: I = 14 − 4 = 10.
    assert_eq!(maximum_stock(2, 7), 14);
    assert_eq!(order_quantity(maximum_stock(2, 7), 4), 10);
    // H = 10, E = 5: I = 5.
    assert_eq!(order_quantity(10, 5), 5);
}

#[test]
fn order_quantity_is_never_negative() {
    // E above H: nothing to order (OpenLMIS: max(0, H − E)).
    assert_eq!(order_quantity(78, 100), 0);
    assert_eq!(order_quantity(78, 78), 0);
    assert_eq!(order_quantity(0, 0), 0);
}

#[test]
fn maximum_stock_saturates() {
    assert_eq!(maximum_stock(u64::MAX, 2), u64::MAX);
    assert_eq!(maximum_stock(26, 0), 0);
}

#[test]
fn a_requisition_worked_by_hand() {
    // Three monthly periods (M = 1, 30 days each):
    //   month 1: C = 22, no stock-out: N = 22;
    //   month 2: C = 25, 5 days out: 25 × 30 / 25 = 30;
    //   month 3: C = 26, no stock-out: N = 26.
    let n = [
        adjusted_consumption(22, 0, 1).unwrap(),
        adjusted_consumption(25, 5, 1).unwrap(),
        adjusted_consumption(26, 0, 1).unwrap(),
    ];
    assert_eq!(n, [22, 30, 26]);
    // P = ⌈(22 + 30 + 26) / 3⌉ = ⌈78 / 3⌉ = 26.
    let p = average_consumption(&n).unwrap();
    assert_eq!(p, 26);
    // Three periods of stock at most: H = 26 × 3 = 78.
    let h = maximum_stock(p, 3);
    assert_eq!(h, 78);
    // Stock on hand: A = 60 at the start, B = 20 received, D = −4 (damaged), C = 26:
    // E = 60 + 20 − 4 − 26 = 50.
    let e = stock_on_hand(60, 20, -4, 26).unwrap();
    assert_eq!(e, 50);
    // I = 78 − 50 = 28.
    assert_eq!(order_quantity(h, e), 28);
    // Months of stock: 50 / 26 = 1.923; once the 28 arrive, 78 / 26 = 3.
    let months = months_of_stock(e, p).unwrap();
    assert!((months - 50.0 / 26.0).abs() < 1e-12);
    assert!((months - 1.923).abs() < 0.001);
    assert_eq!(months_of_stock(e + 28, p), Some(3.0));
}

#[test]
fn months_of_stock_with_no_consumption_is_none() {
    // mSupply: no AMC, no months of stock (the stock lasts indefinitely).
    assert_eq!(months_of_stock(50, 0), None);
    assert_eq!(months_of_stock(0, 0), None);
    // 13 / 26 = half a month; nothing on hand: 0.
    assert_eq!(months_of_stock(13, 26), Some(0.5));
    assert_eq!(months_of_stock(0, 26), Some(0.0));
}

#[test]
fn monthly_consumption_of_a_quarter() {
    // A quarter's N of 78: 78 / 3 = 26 a month; 79 / 3 = 26.33 → 27.
    assert_eq!(monthly_consumption(78, 3), Ok(26));
    assert_eq!(monthly_consumption(79, 3), Ok(27));
    assert_eq!(monthly_consumption(22, 1), Ok(22));
}

#[test]
fn stock_on_hand_published_cases() {
    // OpenLMIS: A = 1000, B = 500, D = −100, C = 200: E = 1000 + 500 − 100 − 200 = 1200.
    assert_eq!(stock_on_hand(1000, 500, -100, 200), Ok(1200));
    // D missing (0): 1000 + 500 − 200 = 1300.
    assert_eq!(stock_on_hand(1000, 500, 0, 200), Ok(1300));
}

#[test]
fn stock_on_hand_below_zero_or_overflowing_is_refused() {
    // 10 + 0 − 5 − 10 = −5.
    assert_eq!(
        stock_on_hand(10, 0, -5, 10),
        Err(SupplyError::NegativeStockOnHand { value: -5 })
    );
    assert_eq!(
        stock_on_hand(u64::MAX, 1, 0, 0),
        Err(SupplyError::Overflow("stock on hand"))
    );
    // The extremes cancel exactly: (2^64 − 1) + 0 + (2^63 − 1) − (2^64 − 1) = 2^63 − 1.
    assert_eq!(
        stock_on_hand(u64::MAX, 0, i64::MAX, u64::MAX),
        Ok(i64::MAX.unsigned_abs())
    );
    assert!(stock_on_hand(0, 0, i64::MIN, u64::MAX).is_err());
}

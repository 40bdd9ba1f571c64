//! Unit tests of the dispensing schedule: due days and monthly quantities counted by hand on
//! the calendar (November 2026 has 30 days, December 31, January 31, February 2027 28).

use super::*;

fn day(year: i32, month: u8, day: u8) -> Date {
    Date::from_ymd("test", year, month, day).unwrap()
}

/// 3 dispensings left, every 28 days, last dispensed 2026-11-20, valid until 2027-01-31,
/// 56 tablets each.
fn every_28_days() -> Authorised {
    Authorised {
        quantity: 56,
        dispensings_left: 3,
        interval_days: 28,
        valid_until: day(2027, 1, 31),
        last_dispensed: Some(day(2026, 11, 20)),
    }
}

#[test]
fn due_every_interval_until_validity_ends() {
    // Today 2026-12-03. 2026-11-20 + 28 = 2026-12-18 (10 days to Nov 30, 18 into Dec);
    // + 28 = 2027-01-15 (13 to Dec 31, 15 into Jan); + 28 = 2027-02-12, after the last
    // valid day (2027-01-31): not due, though a third dispensing is left.
    let a = every_28_days();
    let today = day(2026, 12, 3);
    assert_eq!(
        due_dates(&a, today, day(2027, 12, 31)),
        vec![day(2026, 12, 18), day(2027, 1, 15)]
    );
}

#[test]
fn the_horizon_cuts_the_list() {
    let a = every_28_days();
    let today = day(2026, 12, 3);
    assert_eq!(
        due_dates(&a, today, day(2026, 12, 31)),
        vec![day(2026, 12, 18)]
    );
    // The horizon is inclusive.
    assert_eq!(
        due_dates(&a, today, day(2026, 12, 18)),
        vec![day(2026, 12, 18)]
    );
    assert!(due_dates(&a, today, day(2026, 12, 17)).is_empty());
    assert!(due_dates(&a, today, day(2026, 11, 1)).is_empty());
}

#[test]
fn a_dispensing_due_on_the_last_valid_day_counts() {
    // Valid until 2027-01-15, the second due day itself.
    let a = Authorised {
        valid_until: day(2027, 1, 15),
        ..every_28_days()
    };
    assert_eq!(
        due_dates(&a, day(2026, 12, 3), day(2027, 12, 31)),
        vec![day(2026, 12, 18), day(2027, 1, 15)]
    );
}

#[test]
fn the_dispensings_left_bound_the_list() {
    // Valid for a year, only 3 left: 2026-12-18, 2027-01-15, 2027-02-12, no fourth.
    let a = Authorised {
        valid_until: day(2027, 11, 30),
        ..every_28_days()
    };
    assert_eq!(
        due_dates(&a, day(2026, 12, 3), day(2027, 12, 31)),
        vec![day(2026, 12, 18), day(2027, 1, 15), day(2027, 2, 12)]
    );
}

#[test]
fn an_overdue_dispensing_is_due_today() {
    // Last dispensed 2026-10-01: due 2026-10-29, overdue on 2026-12-03, so due today; then
    // 2026-12-03 + 28 = 2026-12-31 and + 28 = 2027-01-28 (still valid on Jan 31).
    let a = Authorised {
        last_dispensed: Some(day(2026, 10, 1)),
        ..every_28_days()
    };
    let today = day(2026, 12, 3);
    assert_eq!(
        due_dates(&a, today, day(2027, 12, 31)),
        vec![today, day(2026, 12, 31), day(2027, 1, 28)]
    );
}

#[test]
fn never_dispensed_is_due_today() {
    let a = Authorised {
        last_dispensed: None,
        dispensings_left: 2,
        ..every_28_days()
    };
    let today = day(2026, 12, 3);
    assert_eq!(
        due_dates(&a, today, day(2027, 12, 31)),
        vec![today, day(2026, 12, 31)]
    );
}

#[test]
fn none_left_or_expired_is_empty() {
    let today = day(2026, 12, 3);
    let none_left = Authorised {
        dispensings_left: 0,
        ..every_28_days()
    };
    assert!(due_dates(&none_left, today, day(2027, 12, 31)).is_empty());
    assert_eq!(
        monthly_due(&none_left, today, 2),
        vec![(2026, 12, 0), (2027, 1, 0)]
    );
    let expired = Authorised {
        valid_until: day(2026, 12, 2),
        ..every_28_days()
    };
    assert!(due_dates(&expired, today, day(2027, 12, 31)).is_empty());
    // Valid until today, overdue: one dispensing today.
    let last_day = Authorised {
        valid_until: today,
        last_dispensed: Some(day(2026, 10, 1)),
        ..every_28_days()
    };
    assert_eq!(due_dates(&last_day, today, day(2027, 12, 31)), vec![today]);
}

#[test]
fn monthly_due_sums_per_month() {
    // Due 2026-12-18 and 2027-01-15, 56 each: December 56, January 56, February 0.
    let a = every_28_days();
    assert_eq!(
        monthly_due(&a, day(2026, 12, 3), 3),
        vec![(2026, 12, 56), (2027, 1, 56), (2027, 2, 0)]
    );
    // Overdue: due 2026-12-03 and 2026-12-31 (December: 2 × 56 = 112), 2027-01-28
    // (January: 56).
    let overdue = Authorised {
        last_dispensed: Some(day(2026, 10, 1)),
        ..a
    };
    assert_eq!(
        monthly_due(&overdue, day(2026, 12, 3), 2),
        vec![(2026, 12, 112), (2027, 1, 56)]
    );
    assert!(monthly_due(&a, day(2026, 12, 3), 0).is_empty());
}

#[test]
fn monthly_due_counts_many_in_one_month() {
    // Every 7 days from 2026-12-03 (never dispensed), 10 left, valid until 2027-01-31,
    // 2 vials each: December 3, 10, 17, 24, 31 (5 × 2 = 10); January 7, 14, 21, 28
    // (4 × 2 = 8); then February 4 is past validity.
    let a = Authorised {
        quantity: 2,
        dispensings_left: 10,
        interval_days: 7,
        valid_until: day(2027, 1, 31),
        last_dispensed: None,
    };
    let today = day(2026, 12, 3);
    assert_eq!(
        monthly_due(&a, today, 3),
        vec![(2026, 12, 10), (2027, 1, 8), (2027, 2, 0)]
    );
    assert_eq!(due_dates(&a, today, day(2027, 12, 31)).len(), 9);
}

#[test]
fn an_interval_of_zero_puts_every_dispensing_left_on_the_first_due_day() {
    // No minimum interval: the 4 left may all be asked for on the first due day (today).
    let a = Authorised {
        quantity: 5,
        dispensings_left: 4,
        interval_days: 0,
        valid_until: day(2027, 1, 31),
        last_dispensed: None,
    };
    let today = day(2026, 12, 3);
    assert_eq!(due_dates(&a, today, day(2027, 12, 31)), vec![today; 4]);
    assert_eq!(
        monthly_due(&a, today, 2),
        vec![(2026, 12, 20), (2027, 1, 0)]
    );
    // Dispensed on 2026-12-01: the next may be taken at once, so due today.
    let dispensed = Authorised {
        last_dispensed: Some(day(2026, 12, 1)),
        ..a
    };
    assert_eq!(due_dates(&dispensed, today, today), vec![today; 4]);
}

#[test]
fn extreme_input_is_bounded() {
    // u32::MAX dispensings every day, valid to the end of time: the list stops at
    // MAX_DUE_DATES; the months at MAX_MONTHS.
    let a = Authorised {
        quantity: u32::MAX,
        dispensings_left: u32::MAX,
        interval_days: 1,
        valid_until: Date(i32::MAX),
        last_dispensed: None,
    };
    let today = day(2026, 12, 3);
    let dates = due_dates(&a, today, Date(i32::MAX));
    assert_eq!(dates.len(), MAX_DUE_DATES);
    assert_eq!(dates[1], day(2026, 12, 4));
    let months = monthly_due(&a, today, u32::MAX);
    assert_eq!(months.len(), usize::try_from(MAX_MONTHS).unwrap());
    // December 3 to 31: 29 days × (2^32 − 1).
    assert_eq!(months[0], (2026, 12, 29 * u64::from(u32::MAX)));
    // Interval 0, all at once: (2^32 − 1)² = 18,446,744,065,119,617,025, below 2^64.
    let at_once = Authorised {
        interval_days: 0,
        ..a
    };
    assert_eq!(
        monthly_due(&at_once, today, 1),
        vec![(2026, 12, 18_446_744_065_119_617_025)]
    );
    assert_eq!(due_dates(&at_once, today, today).len(), MAX_DUE_DATES);
    // The largest interval from the last day a date can hold: nothing overflows.
    let far = Authorised {
        interval_days: u32::MAX,
        last_dispensed: Some(Date(i32::MAX)),
        ..a
    };
    assert!(due_dates(&far, today, Date(i32::MAX)).is_empty());
    // From the first day a date can hold, horizon that same day: one.
    assert_eq!(
        due_dates(&a, Date(i32::MIN), Date(i32::MIN)),
        vec![Date(i32::MIN)]
    );
}

#[test]
fn today_without_a_calendar_date_has_no_months() {
    // Day 2^31 − 1 is far past year 9999.
    assert!(monthly_due(&every_28_days(), Date(i32::MAX), 12).is_empty());
}

#[test]
fn the_calendar_helpers() {
    assert_eq!(
        month_bounds(2024, 2),
        Some((day(2024, 2, 1), day(2024, 2, 29)))
    );
    assert_eq!(
        month_bounds(2026, 12),
        Some((day(2026, 12, 1), day(2026, 12, 31)))
    );
    assert_eq!(month_bounds(2026, 13), None);
    assert_eq!(month_bounds(2026, 0), None);
    assert_eq!(days_in_month(1900, 2), Some(28));
    assert_eq!(days_in_month(2000, 2), Some(29));
    assert_eq!(days_in_month(2027, 2), Some(28));
    assert_eq!(days_in_month(2026, 4), Some(30));
    assert_eq!(next_month(2026, 12), Some((2027, 1)));
    assert_eq!(next_month(2026, 1), Some((2026, 2)));
    assert_eq!(next_month(i32::MAX, 12), None);
    assert_eq!(next_month(2026, 0), None);
}

/// 10 tablets every 28 days, last given 2026-08-20, 5 left, valid to 2027-06-30. As of
/// 2026-09-01 the next is due 2026-09-17, then 10-15, 11-12, 12-10: four in
/// 2026-09-01..=2026-11-30? 09-17, 10-15, 11-12 are, 12-10 is not: 3 × 10 = 30.
/// Overdue (last 2026-07-01, next due 07-29, before `from`): due on 09-01 itself, then
/// 09-29, 10-27, 11-24: 4 × 10 = 40. Nothing left, or `to` before `from`: 0.
#[test]
fn units_due_between_counts_the_schedule_as_it_stood() {
    let mut a = Authorised {
        quantity: 10,
        dispensings_left: 5,
        interval_days: 28,
        valid_until: day(2027, 6, 30),
        last_dispensed: Some(day(2026, 8, 20)),
    };
    let (from, to) = (day(2026, 9, 1), day(2026, 11, 30));
    assert_eq!(units_due_between(&a, from, to), 30);
    a.last_dispensed = Some(day(2026, 7, 1));
    assert_eq!(units_due_between(&a, from, to), 40);
    assert_eq!(units_due_between(&a, to, from), 0);
    a.dispensings_left = 0;
    assert_eq!(units_due_between(&a, from, to), 0);
}

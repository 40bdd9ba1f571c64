//! Follow-through ratios worked by hand.

use super::*;

fn day(year: i32, month: u8, day: u8) -> Date {
    Date::from_ymd("test", year, month, day).unwrap()
}

/// 10 units every 28 days, last given 2026-08-20, 5 left: from 2026-09-01 to 2026-11-30 it
/// is due 09-17, 10-15 and 11-12, 30 units ([`units_due_between`]).
fn monthly(handed_out: u64, medicine: &'static str) -> Past<&'static str> {
    Past {
        medicine,
        authorised: Authorised {
            quantity: 10,
            dispensings_left: 5,
            interval_days: 28,
            valid_until: day(2027, 6, 30),
            last_dispensed: Some(day(2026, 8, 20)),
        },
        handed_out,
    }
}

/// Ten authorisations of A due 30 each (300), 240 handed out: 0.8. Ten of B due 30 each,
/// 300 handed out: 1.0. Nine of C (too few for its own): all together. All: 29
/// authorisations due 870, 240 + 300 + 9 × 15 = 675 handed out: 675 / 870 = 0.7759 (4 d.p.).
/// One that had expired before the window is due nothing and is left out.
#[test]
fn ratios_per_medicine_and_overall() {
    let mut past = Vec::new();
    for _ in 0..10 {
        past.push(monthly(24, "A"));
        past.push(monthly(30, "B"));
    }
    for _ in 0..9 {
        past.push(monthly(15, "C"));
    }
    let mut expired = monthly(0, "A");
    expired.authorised.valid_until = day(2026, 8, 31);
    past.push(expired);
    let f = measure(&past, day(2026, 9, 1), day(2026, 11, 30));
    assert!((f.of(&"A") - 0.8).abs() < 1e-12, "{f:?}");
    assert!((f.of(&"B") - 1.0).abs() < 1e-12, "{f:?}");
    assert!(!f.per_medicine.contains_key(&"C"));
    assert!((f.overall - 675.0 / 870.0).abs() < 1e-12, "{f:?}");
    assert!((f.of(&"C") - 0.7759).abs() < 5e-5, "{f:?}");
    assert!((f.of(&"D") - f.overall).abs() < 1e-12);
}

/// Fewer than ten authorisations in all: the schedule as it is (1).
#[test]
fn too_little_past_leaves_the_schedule_as_it_is() {
    let past: Vec<_> = (0..9).map(|_| monthly(0, "A")).collect();
    let f = measure(&past, day(2026, 9, 1), day(2026, 11, 30));
    assert_eq!(f.overall, 1.0);
    assert!(f.per_medicine.is_empty());
    assert_eq!(f.of(&"A"), 1.0);
}

/// 100 × 0.8 = 80; 7 × 0.5 = 3.5 rounds half up to 4; 7 × 0.49 = 3.43 to 3; a ratio that is
/// not a number leaves the units as they are.
#[test]
fn expected_units_round_half_up() {
    assert_eq!(expected(100, 0.8), 80);
    assert_eq!(expected(7, 0.5), 4);
    assert_eq!(expected(7, 0.49), 3);
    assert_eq!(expected(0, 0.8), 0);
    assert_eq!(expected(7, f64::NAN), 7);
    assert_eq!(expected(7, -1.0), 7);
}

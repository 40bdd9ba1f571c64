//! Unit tests of the demand: the ATC groups without a defined daily dose, the morbidity part
//! worked by hand, and the dispensings due summed per facility × medicine.

use super::*;

fn day(year: i32, month: u8, day: u8) -> Date {
    Date::from_ymd("test", year, month, day).unwrap()
}

#[test]
fn cytotoxics_and_antibodies_have_no_defined_daily_dose() {
    // Cyclophosphamide (L01AA01), methotrexate (L01BA01), vincristine (L01CA02),
    // doxorubicin (L01DB01), rituximab (L01FA01), cisplatin (L01XA01).
    for atc in [
        "L01AA01", "L01BA01", "L01CA02", "L01DB01", "L01FA01", "L01XA01",
    ] {
        assert!(no_defined_daily_dose(atc), "{atc}");
    }
    // Imatinib (L01EA01) has a DDD, as have tamoxifen (L02BA01) and ondansetron (A04AA01).
    for atc in ["L01EA01", "L02BA01", "A04AA01"] {
        assert!(!no_defined_daily_dose(atc), "{atc}");
    }
    // The group alone, lower case, spaces.
    assert!(no_defined_daily_dose("L01X"));
    assert!(no_defined_daily_dose(" l01xa01 "));
}

#[test]
fn short_or_odd_atc_codes_are_not_cytotoxics() {
    assert!(!no_defined_daily_dose(""));
    assert!(!no_defined_daily_dose("L01"));
    // A multi-byte character where the fourth byte would end: no panic, no match.
    assert!(!no_defined_daily_dose("L01é"));
    assert!(!no_defined_daily_dose("é01XA01"));
}

#[test]
fn morbidity_worked_by_hand() {
    // 2.4 new cases a month × 25% on the regimen × 6 vials = 3.6 → 4 vials.
    assert_eq!(morbidity(2.4, 0.25, 6), Ok(4));
    // 10 cases, all on it, 5 units each: 50, exactly.
    assert_eq!(morbidity(10.0, 1.0, 5), Ok(50));
    // 1.1 × 0.2 × 100 is 22.000000000000004 in floating point: 22, not 23.
    assert_eq!(morbidity(1.1, 0.2, 100), Ok(22));
    // 0.1 × 0.1 × 100 = 1.0000000000000002: 1.
    assert_eq!(morbidity(0.1, 0.1, 100), Ok(1));
    // 0.01 cases × 10% × 1 = 0.001: still a unit to have on the shelf.
    assert_eq!(morbidity(0.01, 0.1, 1), Ok(1));
    // Nothing expected, nobody on it, or no dose: 0.
    assert_eq!(morbidity(0.0, 0.5, 6), Ok(0));
    assert_eq!(morbidity(3.0, 0.0, 6), Ok(0));
    assert_eq!(morbidity(3.0, 0.5, 0), Ok(0));
}

#[test]
fn morbidity_refuses_what_is_not_a_count_or_a_share() {
    for cases in [-1.0, f64::NAN, f64::INFINITY] {
        assert!(
            matches!(
                morbidity(cases, 0.5, 6),
                Err(SupplyError::InvalidNumber {
                    what: "new cases per month",
                    ..
                })
            ),
            "{cases}"
        );
    }
    for share in [-0.1, 1.5, f64::NAN] {
        assert!(
            matches!(
                morbidity(2.0, share, 6),
                Err(SupplyError::InvalidNumber {
                    what: "regimen share",
                    ..
                })
            ),
            "{share}"
        );
    }
    // 10^300 cases × 10 units, and the largest f64 × the largest dose (infinite): too many.
    assert_eq!(
        morbidity(1e300, 1.0, 10),
        Err(SupplyError::Overflow("morbidity demand"))
    );
    assert_eq!(
        morbidity(f64::MAX, 1.0, u64::MAX),
        Err(SupplyError::Overflow("morbidity demand"))
    );
}

#[test]
fn sum_monthly_merges_month_by_month() {
    let a = [(2026, 12, 56), (2027, 1, 56)];
    let b = [(2027, 1, 10), (2027, 2, 4), (2026, 12, 1)];
    // December 56 + 1, January 56 + 10, February 4, in calendar order.
    assert_eq!(
        sum_monthly([&a[..], &b[..]]),
        vec![(2026, 12, 57), (2027, 1, 66), (2027, 2, 4)]
    );
    assert!(sum_monthly(std::iter::empty()).is_empty());
    assert_eq!(
        sum_monthly([&[(2026, 12, u64::MAX)][..], &[(2026, 12, 1)][..]]),
        vec![(2026, 12, u64::MAX)]
    );
}

#[test]
fn demand_per_facility_and_medicine_with_morbidity() {
    let today = day(2026, 12, 3);
    // Two patients at facility 1 on methotrexate 2.5 mg tablets, one at facility 2.
    let first = Authorised {
        quantity: 56,
        dispensings_left: 3,
        interval_days: 28,
        valid_until: day(2027, 1, 31),
        last_dispensed: Some(day(2026, 11, 20)),
    };
    let second = Authorised {
        quantity: 28,
        dispensings_left: 2,
        interval_days: 28,
        valid_until: day(2027, 6, 30),
        last_dispensed: None,
    };
    let key = |facility: u32| (facility, "L01BA01", "2.5 mg", "tablet");
    let demand = by_key(
        [(key(1), &first), (key(1), &second), (key(2), &second)],
        today,
        3,
    );
    // Facility 1: first is due 2026-12-18 and 2027-01-15 (56 each); second today,
    // 2026-12-03, and 2026-12-31 (28 each). December 56 + 28 + 28 = 112, January 56,
    // February 0.
    assert_eq!(
        demand[&key(1)],
        vec![(2026, 12, 112), (2027, 1, 56), (2027, 2, 0)]
    );
    // Facility 2: the second alone, December 28 + 28 = 56.
    assert_eq!(
        demand[&key(2)],
        vec![(2026, 12, 56), (2027, 1, 0), (2027, 2, 0)]
    );
    // Plus the expected new cases at facility 1: 1.5 a month × 40% × 56 tablets = 33.6 → 34
    // a month: December 146, January 90, February 34.
    let mut facility_1 = demand[&key(1)].clone();
    add_each_month(&mut facility_1, morbidity(1.5, 0.4, 56).unwrap());
    assert_eq!(
        facility_1,
        vec![(2026, 12, 146), (2027, 1, 90), (2027, 2, 34)]
    );
    let mut full = vec![(2026, 12, u64::MAX)];
    add_each_month(&mut full, 1);
    assert_eq!(full, vec![(2026, 12, u64::MAX)]);
}

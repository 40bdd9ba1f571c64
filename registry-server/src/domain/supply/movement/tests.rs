//! Unit tests of movement planning, each worked by hand from two batches: A (40, expires
//! 2027-06-30) and B (10, expires 2027-03-31), and C (5, expired 2026-11-30).

use super::*;

fn day(year: i32, month: u8, day: u8) -> Date {
    Date::from_ymd("test", year, month, day).unwrap()
}

fn batches() -> Vec<Batch> {
    vec![
        Batch {
            batch: "A".into(),
            expiry: day(2027, 6, 30),
            quantity: 40,
        },
        Batch {
            batch: "B".into(),
            expiry: day(2027, 3, 31),
            quantity: 10,
        },
        Batch {
            batch: "C".into(),
            expiry: day(2026, 11, 30),
            quantity: 5,
        },
    ]
}

fn today() -> Date {
    day(2026, 12, 3)
}

fn change(lot: &str, expiry: Date, quantity: i64, balance: u64) -> Change {
    Change {
        lot: lot.into(),
        expiry,
        quantity,
        counted: None,
        balance,
    }
}

#[test]
fn a_receipt_adds_to_a_known_batch_or_starts_one() {
    let known = plan(
        &batches(),
        &Asked::In {
            lot: "A",
            expiry: day(2027, 6, 30),
            quantity: 25,
        },
    )
    .unwrap();
    assert_eq!(known.changes, vec![change("A", day(2027, 6, 30), 25, 65)]);
    let new = plan(
        &batches(),
        &Asked::In {
            lot: "D",
            expiry: day(2028, 1, 31),
            quantity: 7,
        },
    )
    .unwrap();
    assert_eq!(new.changes, vec![change("D", day(2028, 1, 31), 7, 7)]);
}

#[test]
fn a_receipt_with_another_expiry_for_a_known_batch_is_refused() {
    let err = plan(
        &batches(),
        &Asked::In {
            lot: "A",
            expiry: day(2027, 7, 1),
            quantity: 1,
        },
    )
    .unwrap_err();
    assert_eq!(
        err,
        MovementError::ExpiryMismatch {
            lot: "A".into(),
            expiry: day(2027, 7, 1),
            known: day(2027, 6, 30)
        }
    );
}

#[test]
fn a_transfer_out_takes_from_its_batch_and_never_more_than_it_holds() {
    let sent = plan(
        &batches(),
        &Asked::Out {
            lot: "B",
            quantity: 10,
        },
    )
    .unwrap();
    assert_eq!(sent.changes, vec![change("B", day(2027, 3, 31), -10, 0)]);
    assert_eq!(
        plan(
            &batches(),
            &Asked::Out {
                lot: "B",
                quantity: 11
            }
        ),
        Err(MovementError::NotInBatch {
            lot: "B".into(),
            on_hand: 10,
            wanted: 11
        })
    );
    assert_eq!(
        plan(
            &batches(),
            &Asked::Out {
                lot: "Z",
                quantity: 1
            }
        ),
        Err(MovementError::UnknownBatch { lot: "Z".into() })
    );
}

#[test]
fn a_count_sets_the_batch_and_keeps_the_difference_it_found() {
    let counted = plan(
        &batches(),
        &Asked::Count {
            lot: "A",
            expiry: None,
            counted: 37,
        },
    )
    .unwrap();
    assert_eq!(
        counted.changes,
        vec![Change {
            counted: Some(37),
            ..change("A", day(2027, 6, 30), -3, 37)
        }]
    );
    // An opening count of a batch the ledger has never seen needs its expiry.
    assert_eq!(
        plan(
            &[],
            &Asked::Count {
                lot: "N",
                expiry: None,
                counted: 3
            }
        ),
        Err(MovementError::ExpiryNeeded { lot: "N".into() })
    );
    let opening = plan(
        &[],
        &Asked::Count {
            lot: "N",
            expiry: Some(day(2027, 1, 31)),
            counted: 3,
        },
    )
    .unwrap();
    assert_eq!(opening.changes[0].quantity, 3);
    assert_eq!(opening.changes[0].balance, 3);
}

#[test]
fn an_adjustment_must_fit_its_reason() {
    let lost = plan(
        &batches(),
        &Asked::Adjust {
            lot: "A",
            reason: Reason::Lost,
            quantity: -4,
        },
    )
    .unwrap();
    assert_eq!(lost.changes, vec![change("A", day(2027, 6, 30), -4, 36)]);
    let found = plan(
        &batches(),
        &Asked::Adjust {
            lot: "B",
            reason: Reason::Found,
            quantity: 2,
        },
    )
    .unwrap();
    assert_eq!(found.changes, vec![change("B", day(2027, 3, 31), 2, 12)]);
    for (reason, quantity) in [
        (Reason::Expired, 5),
        (Reason::Damaged, 0),
        (Reason::Found, -1),
        (Reason::Correction, 0),
    ] {
        assert_eq!(
            plan(
                &batches(),
                &Asked::Adjust {
                    lot: "A",
                    reason,
                    quantity
                }
            ),
            Err(MovementError::WrongSign {
                reason: reason_name(reason),
                quantity
            }),
            "{reason:?} {quantity}"
        );
    }
    assert_eq!(
        plan(
            &batches(),
            &Asked::Adjust {
                lot: "C",
                reason: Reason::Expired,
                quantity: -6
            }
        ),
        Err(MovementError::NotInBatch {
            lot: "C".into(),
            on_hand: 5,
            wanted: 6
        })
    );
}

#[test]
fn a_draw_takes_the_first_expiry_first_and_skips_expired_batches() {
    // 15: all 10 of B (expires first), then 5 of A; C has expired.
    let drawn = plan(
        &batches(),
        &Asked::Draw {
            quantity: 15,
            today: today(),
            short: false,
        },
    )
    .unwrap();
    assert_eq!(
        drawn.changes,
        vec![
            change("B", day(2027, 3, 31), -10, 0),
            change("A", day(2027, 6, 30), -5, 35)
        ]
    );
    assert_eq!(drawn.shortfall, 0);
}

#[test]
fn a_draw_beyond_the_unexpired_stock_is_refused_or_taken_short() {
    // 55 on the shelf but 5 of it expired: 50 usable.
    let asked = |short| Asked::Draw {
        quantity: 52,
        today: today(),
        short,
    };
    assert_eq!(
        plan(&batches(), &asked(false)),
        Err(MovementError::OutOfStock {
            wanted: 52,
            available: 50
        })
    );
    let short = plan(&batches(), &asked(true)).unwrap();
    assert_eq!(short.shortfall, 2);
    assert_eq!(
        short.changes,
        vec![
            change("B", day(2027, 3, 31), -10, 0),
            change("A", day(2027, 6, 30), -40, 0)
        ]
    );
    // Nothing at all: nothing drawn, all of it short.
    let empty = plan(
        &[],
        &Asked::Draw {
            quantity: 3,
            today: today(),
            short: true,
        },
    )
    .unwrap();
    assert_eq!((empty.changes.len(), empty.shortfall), (0, 3));
}

#[test]
fn reasons_round_trip_through_their_names() {
    for name in ["expired", "damaged", "lost", "found", "correction"] {
        assert_eq!(reason_name(reason_from_name(name).unwrap()), name);
    }
    assert_eq!(reason_from_name("stolen"), None);
}

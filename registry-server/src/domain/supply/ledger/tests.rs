//! Unit tests of the stock ledger: balances replayed by hand, the refusals by entry index,
//! and first-expiry-first-out picking.

use super::*;

fn day(year: i32, month: u8, day: u8) -> Date {
    Date::from_ymd("test", year, month, day).unwrap()
}

/// Batch A expires 2027-06-30, batch B 2027-03-31.
fn entry(movement: Movement, quantity: i64, batch: &str) -> Entry {
    let expiry = match batch {
        "A" => day(2027, 6, 30),
        "B" => day(2027, 3, 31),
        _ => day(2026, 11, 30),
    };
    Entry {
        movement,
        quantity,
        batch: batch.to_owned(),
        expiry,
    }
}

/// Receipts, a dispensing, an administration, a count and an adjustment.
fn ledger() -> Vec<Entry> {
    vec![
        // A: 100. B: 50.
        entry(Movement::Receipt, 100, "A"),
        entry(Movement::Receipt, 50, "B"),
        // A: 100 − 30 = 70.
        entry(Movement::Dispensing, -30, "A"),
        // B: 50 − 20 = 30.
        entry(Movement::Administration, -20, "B"),
        // Counted 65 of A (5 fewer than the 70 recorded): A is 65.
        entry(Movement::Count, 65, "A"),
        // 5 of B broken: B 30 − 5 = 25.
        entry(Movement::Adjustment(Reason::Damaged), -5, "B"),
    ]
}

#[test]
fn the_balance_replays_every_entry() {
    // A 65 + B 25 = 90.
    assert_eq!(balance(&ledger()), Ok(90));
    assert_eq!(balance(&[]), Ok(0));
}

#[test]
fn every_movement_in_one_ledger() {
    let mut entries = ledger();
    entries.extend([
        // A: 65 + 10 = 75 (from another facility), 75 − 15 = 60 (to another).
        entry(Movement::TransferIn, 10, "A"),
        entry(Movement::TransferOut, -15, "A"),
        // B: 25 − 1 (lost) + 1 (found) − 2 (a correction down) = 23.
        entry(Movement::Adjustment(Reason::Lost), -1, "B"),
        entry(Movement::Adjustment(Reason::Found), 1, "B"),
        entry(Movement::Adjustment(Reason::Correction), -2, "B"),
        // A correction up: B 23 + 4 = 27.
        entry(Movement::Adjustment(Reason::Correction), 4, "B"),
    ]);
    // A 60 + B 27 = 87.
    assert_eq!(balance(&entries), Ok(87));
    // The last of B written off when it expires: B 0, A 60.
    entries.push(entry(Movement::Adjustment(Reason::Expired), -27, "B"));
    assert_eq!(balance(&entries), Ok(60));
}

#[test]
fn a_count_sets_the_batch_whatever_was_recorded() {
    // A recorded 10, counted 12 (2 found by the count): 12. Then counted 0: 0.
    let mut entries = vec![
        entry(Movement::Receipt, 10, "A"),
        entry(Movement::Count, 12, "A"),
    ];
    assert_eq!(balance(&entries), Ok(12));
    entries.push(entry(Movement::Count, 0, "A"));
    assert_eq!(balance(&entries), Ok(0));
    // A count of a batch never received sets it too.
    assert_eq!(balance(&[entry(Movement::Count, 7, "B")]), Ok(7));
}

#[test]
fn going_below_zero_is_refused_with_the_entry_index() {
    // A: 10, then 10 − 4 = 6, then 6 − 7 < 0: entry 2 refused.
    let entries = [
        entry(Movement::Receipt, 10, "A"),
        entry(Movement::Dispensing, -4, "A"),
        entry(Movement::Dispensing, -7, "A"),
    ];
    assert_eq!(
        balance(&entries),
        Err(SupplyError::BelowZero {
            index: 2,
            movement: Movement::Dispensing,
            batch: "A".to_owned(),
            on_hand: 6,
            quantity: -7,
        })
    );
    // Stock of batch A does not cover a dispensing from batch B.
    let other_batch = [
        entry(Movement::Receipt, 10, "A"),
        entry(Movement::Dispensing, -1, "B"),
    ];
    assert!(matches!(
        balance(&other_batch),
        Err(SupplyError::BelowZero {
            index: 1,
            on_hand: 0,
            ..
        })
    ));
    // The error names the entry.
    assert_eq!(
        balance(&entries).unwrap_err().to_string(),
        "ledger entry 2 (dispensing) would take batch A from 6 to below 0"
    );
}

#[test]
fn a_sign_that_does_not_fit_the_movement_is_refused() {
    let cases = [
        (Movement::Receipt, -5),
        (Movement::TransferIn, -1),
        (Movement::Adjustment(Reason::Found), -1),
        (Movement::Dispensing, 5),
        (Movement::Administration, 1),
        (Movement::TransferOut, 1),
        (Movement::Adjustment(Reason::Expired), 1),
        (Movement::Adjustment(Reason::Damaged), 1),
        (Movement::Adjustment(Reason::Lost), 1),
        (Movement::Count, -1),
    ];
    for (movement, quantity) in cases {
        let entries = [
            entry(Movement::Receipt, 10, "A"),
            entry(movement, quantity, "A"),
        ];
        assert!(
            matches!(
                balance(&entries),
                Err(SupplyError::WrongSign { index: 1, .. })
            ),
            "{movement} {quantity}"
        );
    }
    // A change of 0 is no change, whatever the movement.
    assert_eq!(balance(&[entry(Movement::Dispensing, 0, "A")]), Ok(0));
}

#[test]
fn a_batch_keeps_its_expiry() {
    let mut later = entry(Movement::Dispensing, -1, "A");
    later.expiry = day(2027, 7, 31);
    let entries = [entry(Movement::Receipt, 10, "A"), later];
    assert_eq!(
        balance(&entries),
        Err(SupplyError::ExpiryMismatch {
            index: 1,
            batch: "A".to_owned(),
            expiry: day(2027, 7, 31),
            known: day(2027, 6, 30),
        })
    );
}

#[test]
fn overflow_is_refused() {
    // 3 × (2^63 − 1) in one batch exceeds 2^64 − 1 at the third receipt.
    let one_batch = [
        entry(Movement::Receipt, i64::MAX, "A"),
        entry(Movement::Receipt, i64::MAX, "A"),
        entry(Movement::Receipt, i64::MAX, "A"),
    ];
    assert_eq!(
        balance(&one_batch),
        Err(SupplyError::LedgerOverflow {
            index: 2,
            batch: "A".to_owned()
        })
    );
    // Each batch fits; together they do not.
    let three_batches = [
        entry(Movement::Receipt, i64::MAX, "A"),
        entry(Movement::Receipt, i64::MAX, "B"),
        entry(Movement::Receipt, i64::MAX, "C"),
    ];
    assert_eq!(
        balance(&three_batches),
        Err(SupplyError::Overflow("stock on hand"))
    );
    // The most negative change there is, on an empty batch: below zero, no panic.
    assert!(matches!(
        balance(&[entry(Movement::Dispensing, i64::MIN, "A")]),
        Err(SupplyError::BelowZero { .. })
    ));
}

#[test]
fn batches_on_hand_first_expiry_first() {
    let mut entries = ledger();
    // Batch C (expired 2026-11-30) received and written off: it has none, and is not listed.
    entries.push(entry(Movement::Receipt, 3, "C"));
    entries.push(entry(Movement::Adjustment(Reason::Expired), -3, "C"));
    // B (2027-03-31) before A (2027-06-30).
    assert_eq!(
        on_hand_by_batch(&entries),
        Ok(vec![
            Batch {
                batch: "B".to_owned(),
                expiry: day(2027, 3, 31),
                quantity: 25,
            },
            Batch {
                batch: "A".to_owned(),
                expiry: day(2027, 6, 30),
                quantity: 65,
            },
        ])
    );
    assert!(on_hand_by_batch(&[entry(Movement::Receipt, -1, "A")]).is_err());
}

fn batch(name: &str, expiry: Date, quantity: u64) -> Batch {
    Batch {
        batch: name.to_owned(),
        expiry,
        quantity,
    }
}

/// A: 65 until 2027-06-30; X: 100, expired 2026-11-30; B: 25 until 2027-03-31.
fn shelf() -> Vec<Batch> {
    vec![
        batch("A", day(2027, 6, 30), 65),
        batch("X", day(2026, 11, 30), 100),
        batch("B", day(2027, 3, 31), 25),
    ]
}

#[test]
fn pick_takes_the_first_expiry_first_and_skips_the_expired() {
    let today = day(2026, 12, 3);
    // 40: all 25 of B (expires first), then 15 of A; X has expired.
    assert_eq!(
        pick(&shelf(), 40, today),
        Ok(vec![("B".to_owned(), 25), ("A".to_owned(), 15)])
    );
    // 10: B alone.
    assert_eq!(pick(&shelf(), 10, today), Ok(vec![("B".to_owned(), 10)]));
    // 90: everything unexpired, 25 + 65.
    assert_eq!(
        pick(&shelf(), 90, today),
        Ok(vec![("B".to_owned(), 25), ("A".to_owned(), 65)])
    );
    assert_eq!(pick(&shelf(), 0, today), Ok(vec![]));
}

#[test]
fn a_batch_is_usable_on_its_expiry_date() {
    // On 2026-11-30, X (expiring that day) is still usable, and first.
    assert_eq!(
        pick(&shelf(), 101, day(2026, 11, 30)),
        Ok(vec![("X".to_owned(), 100), ("B".to_owned(), 1)])
    );
}

#[test]
fn out_of_stock_counts_unexpired_batches_only() {
    // 91 wanted, 25 + 65 = 90 unexpired (X's 100 do not count).
    assert_eq!(
        pick(&shelf(), 91, day(2026, 12, 3)),
        Err(SupplyError::OutOfStock {
            wanted: 91,
            available: 90,
        })
    );
    assert_eq!(
        pick(&[], 1, day(2026, 12, 3)),
        Err(SupplyError::OutOfStock {
            wanted: 1,
            available: 0,
        })
    );
    // Nothing wanted from nothing: fine.
    assert_eq!(pick(&[], 0, day(2026, 12, 3)), Ok(vec![]));
    // Everything expired.
    assert_eq!(
        pick(&shelf(), 1, day(2027, 7, 1)),
        Err(SupplyError::OutOfStock {
            wanted: 1,
            available: 0,
        })
    );
}

#[test]
fn pick_from_the_ledger() {
    // The ledger's batches (B 25, A 65) on 2026-12-03: 30 is 25 of B and 5 of A.
    let batches = on_hand_by_batch(&ledger()).unwrap();
    assert_eq!(
        pick(&batches, 30, day(2026, 12, 3)),
        Ok(vec![("B".to_owned(), 25), ("A".to_owned(), 5)])
    );
    // Huge batches do not overflow the total available.
    let huge = [
        batch("A", day(2027, 6, 30), u64::MAX),
        batch("B", day(2027, 3, 31), u64::MAX),
    ];
    assert_eq!(
        pick(&huge, u64::MAX, day(2026, 12, 3)),
        Ok(vec![("B".to_owned(), u64::MAX)])
    );
}

//! The stock ledger of one medicine at one facility: every change is an [`Entry`] with its
//! movement (and, for an adjustment, its [`Reason`]), appended, never edited in place; the
//! stock on hand is what replaying the entries in order gives (OpenLMIS's E = A + B ± D − C,
//! kept per batch).
//!
//! - Receipts and transfers in add; transfers out, dispensings and administrations take
//!   away; an adjustment adds (found) or takes away (expired, damaged, lost) or either
//!   (correction);
//! - a count (stock-take) carries the quantity counted and sets the batch to it: the
//!   difference is what the count found, and the ledger keeps it as recorded;
//! - nothing may take a batch below zero: [`balance`] refuses the first entry that would,
//!   naming its index, and so it refuses an entry whose sign does not fit its movement.
//!
//! A batch is known by its number; all its entries carry the same expiry. Dispensing picks
//! from the batch that expires first ([`pick`]: first expiry, first out), skipping the
//! expired ones.

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use card_format::model::Date;

use super::SupplyError;

/// Why stock was adjusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// Past its expiry date, taken out of stock.
    Expired,
    /// Broken, spoiled or out of its cold chain.
    Damaged,
    /// Missing.
    Lost,
    /// Found again.
    Found,
    /// A recording error put right (either sign).
    Correction,
}

/// What a ledger entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Movement {
    /// Received from a supplier.
    Receipt,
    /// Sent to another facility.
    TransferOut,
    /// Received from another facility.
    TransferIn,
    /// A physical count: the quantity is the count, and the batch is set to it.
    Count,
    /// An adjustment, with its reason.
    Adjustment(Reason),
    /// Dispensed to a patient (against an authorisation).
    Dispensing,
    /// Administered on the ward (infusions, injections).
    Administration,
}

/// How a movement's quantity applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sign {
    /// A change of 0 or more.
    In,
    /// A change of 0 or less.
    Out,
    /// A change of either sign.
    Either,
    /// The new balance, 0 or more.
    Set,
}

impl Movement {
    /// The movement's name, as error messages and the desk show it.
    pub fn label(self) -> &'static str {
        match self {
            Movement::Receipt => "receipt",
            Movement::TransferOut => "transfer out",
            Movement::TransferIn => "transfer in",
            Movement::Count => "count",
            Movement::Adjustment(Reason::Expired) => "adjustment (expired)",
            Movement::Adjustment(Reason::Damaged) => "adjustment (damaged)",
            Movement::Adjustment(Reason::Lost) => "adjustment (lost)",
            Movement::Adjustment(Reason::Found) => "adjustment (found)",
            Movement::Adjustment(Reason::Correction) => "adjustment (correction)",
            Movement::Dispensing => "dispensing",
            Movement::Administration => "administration",
        }
    }

    fn sign(self) -> Sign {
        match self {
            Movement::Receipt | Movement::TransferIn | Movement::Adjustment(Reason::Found) => {
                Sign::In
            }
            Movement::TransferOut
            | Movement::Dispensing
            | Movement::Administration
            | Movement::Adjustment(Reason::Expired | Reason::Damaged | Reason::Lost) => Sign::Out,
            Movement::Adjustment(Reason::Correction) => Sign::Either,
            Movement::Count => Sign::Set,
        }
    }
}

impl std::fmt::Display for Movement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// One row of the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// What happened.
    pub movement: Movement,
    /// The signed change, in units of the form (receipts positive, dispensings negative);
    /// for a [`Movement::Count`], the quantity counted, which the batch is set to.
    pub quantity: i64,
    /// The batch (lot) number.
    pub batch: String,
    /// The batch's expiry date (last day of use).
    pub expiry: Date,
}

/// A batch on hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The batch (lot) number.
    pub batch: String,
    /// Its expiry date (last day of use).
    pub expiry: Date,
    /// Its quantity on hand, in units of the form.
    pub quantity: u64,
}

/// Replays `entries` in order: each batch's expiry and balance.
fn replay(entries: &[Entry]) -> Result<BTreeMap<&str, (Date, u64)>, SupplyError> {
    let mut batches: BTreeMap<&str, (Date, u64)> = BTreeMap::new();
    for (index, entry) in entries.iter().enumerate() {
        let (expiry, on_hand) = batches
            .entry(entry.batch.as_str())
            .or_insert((entry.expiry, 0));
        if *expiry != entry.expiry {
            return Err(SupplyError::ExpiryMismatch {
                index,
                batch: entry.batch.clone(),
                expiry: entry.expiry,
                known: *expiry,
            });
        }
        let sign = entry.movement.sign();
        let wrong = |expected| SupplyError::WrongSign {
            index,
            movement: entry.movement,
            quantity: entry.quantity,
            expected,
        };
        let change = entry.quantity.unsigned_abs();
        let current = *on_hand;
        *on_hand = match sign {
            Sign::Set if entry.quantity < 0 => return Err(wrong("a count of 0 or more")),
            Sign::Set => change,
            Sign::In if entry.quantity < 0 => return Err(wrong("a change of 0 or more")),
            Sign::Out if entry.quantity > 0 => return Err(wrong("a change of 0 or less")),
            _ if entry.quantity >= 0 => {
                current
                    .checked_add(change)
                    .ok_or_else(|| SupplyError::LedgerOverflow {
                        index,
                        batch: entry.batch.clone(),
                    })?
            }
            _ => current
                .checked_sub(change)
                .ok_or_else(|| SupplyError::BelowZero {
                    index,
                    movement: entry.movement,
                    batch: entry.batch.clone(),
                    on_hand: current,
                    quantity: entry.quantity,
                })?,
        };
    }
    Ok(batches)
}

/// The stock on hand after replaying `entries` in order: the sum over the batches.
///
/// # Errors
/// The first entry that cannot be applied, by its index: [`SupplyError::BelowZero`] when it
/// would take its batch below zero, [`SupplyError::WrongSign`] when its sign does not fit
/// its movement, [`SupplyError::ExpiryMismatch`] when it gives its batch another expiry,
/// [`SupplyError::LedgerOverflow`] when a balance would exceed `u64::MAX`; and
/// [`SupplyError::Overflow`] when the batches together do.
pub fn balance(entries: &[Entry]) -> Result<u64, SupplyError> {
    replay(entries)?
        .values()
        .try_fold(0_u64, |sum, &(_, quantity)| sum.checked_add(quantity))
        .ok_or(SupplyError::Overflow("stock on hand"))
}

/// The batches on hand after replaying `entries`, those with stock only, first expiry first
/// (then by batch number).
///
/// # Errors
/// As [`balance`].
pub fn on_hand_by_batch(entries: &[Entry]) -> Result<Vec<Batch>, SupplyError> {
    let mut batches: Vec<Batch> = replay(entries)?
        .into_iter()
        .filter(|&(_, (_, quantity))| quantity > 0)
        .map(|(batch, (expiry, quantity))| Batch {
            batch: batch.to_owned(),
            expiry,
            quantity,
        })
        .collect();
    batches.sort_by(|a, b| (a.expiry, &a.batch).cmp(&(b.expiry, &b.batch)));
    Ok(batches)
}

/// Which batches to dispense `quantity` from on `today`: first expiry, first out, skipping
/// the batches that have expired (expiry before today; a batch is usable on its expiry
/// date). `(batch, quantity)` in the order to take them; empty for a quantity of 0.
///
/// # Errors
/// [`SupplyError::OutOfStock`] when the unexpired batches hold less than `quantity`.
pub fn pick(
    batches: &[Batch],
    quantity: u64,
    today: Date,
) -> Result<Vec<(String, u64)>, SupplyError> {
    let mut usable: Vec<&Batch> = batches
        .iter()
        .filter(|b| b.expiry >= today && b.quantity > 0)
        .collect();
    usable.sort_by(|a, b| (a.expiry, &a.batch).cmp(&(b.expiry, &b.batch)));
    let available = usable
        .iter()
        .fold(0_u64, |sum, b| sum.saturating_add(b.quantity));
    if available < quantity {
        return Err(SupplyError::OutOfStock {
            wanted: quantity,
            available,
        });
    }
    let mut wanted = quantity;
    let mut picked = Vec::new();
    for batch in usable {
        if wanted == 0 {
            break;
        }
        let take = batch.quantity.min(wanted);
        picked.push((batch.batch.clone(), take));
        wanted -= take;
    }
    Ok(picked)
}

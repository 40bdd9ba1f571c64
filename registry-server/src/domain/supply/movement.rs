//! One movement of stock, planned against the batches an item holds now: which batches it
//! changes, by how much, and what each holds after. The registry writes the plan as ledger
//! entries ([`crate::db::stock`]) under the item's lock; this module only decides.
//!
//! - a receipt or a transfer in adds to one batch (new, or known with the same expiry);
//! - a transfer out takes from one batch, never more than it holds;
//! - a count sets one batch to the quantity counted (a new batch needs its expiry);
//! - an adjustment changes one batch by a signed quantity whose sign fits its reason
//!   ([`Reason`]: expired, damaged, lost take away; found adds; a correction either);
//! - a dispensing or an administration draws from the unexpired batches, first expiry first
//!   ([`super::ledger::pick`]); when `short` allows it (an offline dispensing synced after
//!   the medicine left), it draws what there is and reports the shortfall.

#[cfg(test)]
mod tests;

use card_format::model::Date;

use super::ledger::{pick, Batch, Reason};
use super::SupplyError;

/// What is asked of an item's stock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asked<'a> {
    /// Stock received from a supplier, or arriving from another facility.
    In {
        /// Lot number.
        lot: &'a str,
        /// Expiry.
        expiry: Date,
        /// Quantity, at least 1 (0 for a transfer that arrived empty).
        quantity: u64,
    },
    /// Stock sent to another facility.
    Out {
        /// Lot number.
        lot: &'a str,
        /// Quantity, at least 1.
        quantity: u64,
    },
    /// A physical count of one batch.
    Count {
        /// Lot number.
        lot: &'a str,
        /// Expiry: needed for a batch the ledger does not know, checked otherwise.
        expiry: Option<Date>,
        /// Quantity counted.
        counted: u64,
    },
    /// An adjustment of one batch.
    Adjust {
        /// Lot number.
        lot: &'a str,
        /// Why.
        reason: Reason,
        /// The signed change, not 0.
        quantity: i64,
    },
    /// A dispensing or an administration.
    Draw {
        /// Quantity.
        quantity: u64,
        /// Today: batches that expired before are not drawn from.
        today: Date,
        /// Draw what there is when there is too little (and report the shortfall) instead
        /// of refusing.
        short: bool,
    },
}

/// One batch's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Lot number.
    pub lot: String,
    /// Its expiry.
    pub expiry: Date,
    /// The signed change.
    pub quantity: i64,
    /// A count's quantity counted.
    pub counted: Option<u64>,
    /// What the batch holds after.
    pub balance: u64,
}

/// What a movement does.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// The batches changed, in order (one, except for a draw from several).
    pub changes: Vec<Change>,
    /// What a short draw could not take.
    pub shortfall: u64,
}

/// Why a movement cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MovementError {
    /// The item holds no such batch.
    #[error("no batch {lot} of this medicine here")]
    UnknownBatch {
        /// Lot number.
        lot: String,
    },
    /// A new batch counted without its expiry.
    #[error("batch {lot} is new here: give its expiry")]
    ExpiryNeeded {
        /// Lot number.
        lot: String,
    },
    /// A known batch given another expiry.
    #[error("batch {lot} expires {known}, not {expiry}")]
    ExpiryMismatch {
        /// Lot number.
        lot: String,
        /// The expiry given.
        expiry: Date,
        /// The expiry on record.
        known: Date,
    },
    /// More taken from a batch than it holds.
    #[error("batch {lot} holds {on_hand}, {wanted} asked for")]
    NotInBatch {
        /// Lot number.
        lot: String,
        /// What it holds.
        on_hand: u64,
        /// What was asked.
        wanted: u64,
    },
    /// Too little unexpired stock for a dispensing or administration.
    #[error("out of stock: {wanted} wanted, {available} in unexpired batches")]
    OutOfStock {
        /// Quantity asked for.
        wanted: u64,
        /// Quantity in unexpired batches.
        available: u64,
    },
    /// An adjustment whose sign does not fit its reason, or of 0.
    #[error("an adjustment for {reason} cannot change stock by {quantity}")]
    WrongSign {
        /// The reason's name.
        reason: &'static str,
        /// The quantity given.
        quantity: i64,
    },
    /// A quantity too large to hold.
    #[error("the quantity overflows the batch's balance")]
    Overflow,
}

/// The name of a reason, as stored.
pub fn reason_name(reason: Reason) -> &'static str {
    match reason {
        Reason::Expired => "expired",
        Reason::Damaged => "damaged",
        Reason::Lost => "lost",
        Reason::Found => "found",
        Reason::Correction => "correction",
    }
}

/// The reason for a stored name.
pub fn reason_from_name(name: &str) -> Option<Reason> {
    [
        Reason::Expired,
        Reason::Damaged,
        Reason::Lost,
        Reason::Found,
        Reason::Correction,
    ]
    .into_iter()
    .find(|r| reason_name(*r) == name)
}

fn find<'b>(batches: &'b [Batch], lot: &str) -> Option<&'b Batch> {
    batches.iter().find(|b| b.batch == lot)
}

fn signed(quantity: u64) -> Result<i64, MovementError> {
    i64::try_from(quantity).map_err(|_| MovementError::Overflow)
}

/// Plans a movement against `batches` (every batch the item has, those at 0 included).
///
/// # Errors
/// A [`MovementError`] naming what does not fit.
pub fn plan(batches: &[Batch], asked: &Asked<'_>) -> Result<Plan, MovementError> {
    let one = |change: Change| Plan {
        changes: vec![change],
        shortfall: 0,
    };
    match *asked {
        Asked::In {
            lot,
            expiry,
            quantity,
        } => {
            let held = match find(batches, lot) {
                Some(b) if b.expiry != expiry => {
                    return Err(MovementError::ExpiryMismatch {
                        lot: lot.to_owned(),
                        expiry,
                        known: b.expiry,
                    })
                }
                Some(b) => b.quantity,
                None => 0,
            };
            Ok(one(Change {
                lot: lot.to_owned(),
                expiry,
                quantity: signed(quantity)?,
                counted: None,
                balance: held.checked_add(quantity).ok_or(MovementError::Overflow)?,
            }))
        }
        Asked::Out { lot, quantity } => {
            let b = find(batches, lot).ok_or_else(|| MovementError::UnknownBatch {
                lot: lot.to_owned(),
            })?;
            let balance =
                b.quantity
                    .checked_sub(quantity)
                    .ok_or_else(|| MovementError::NotInBatch {
                        lot: lot.to_owned(),
                        on_hand: b.quantity,
                        wanted: quantity,
                    })?;
            Ok(one(Change {
                lot: lot.to_owned(),
                expiry: b.expiry,
                quantity: -signed(quantity)?,
                counted: None,
                balance,
            }))
        }
        Asked::Count {
            lot,
            expiry,
            counted,
        } => {
            let (known, held) = match (find(batches, lot), expiry) {
                (Some(b), Some(e)) if b.expiry != e => {
                    return Err(MovementError::ExpiryMismatch {
                        lot: lot.to_owned(),
                        expiry: e,
                        known: b.expiry,
                    })
                }
                (Some(b), _) => (b.expiry, b.quantity),
                (None, Some(e)) => (e, 0),
                (None, None) => {
                    return Err(MovementError::ExpiryNeeded {
                        lot: lot.to_owned(),
                    })
                }
            };
            Ok(one(Change {
                lot: lot.to_owned(),
                expiry: known,
                quantity: signed(counted)? - signed(held)?,
                counted: Some(counted),
                balance: counted,
            }))
        }
        Asked::Adjust {
            lot,
            reason,
            quantity,
        } => {
            let fits = match reason {
                Reason::Expired | Reason::Damaged | Reason::Lost => quantity < 0,
                Reason::Found => quantity > 0,
                Reason::Correction => quantity != 0,
            };
            if !fits {
                return Err(MovementError::WrongSign {
                    reason: reason_name(reason),
                    quantity,
                });
            }
            let b = find(batches, lot).ok_or_else(|| MovementError::UnknownBatch {
                lot: lot.to_owned(),
            })?;
            let change = quantity.unsigned_abs();
            let balance = if quantity > 0 {
                b.quantity
                    .checked_add(change)
                    .ok_or(MovementError::Overflow)?
            } else {
                b.quantity
                    .checked_sub(change)
                    .ok_or_else(|| MovementError::NotInBatch {
                        lot: lot.to_owned(),
                        on_hand: b.quantity,
                        wanted: change,
                    })?
            };
            Ok(one(Change {
                lot: lot.to_owned(),
                expiry: b.expiry,
                quantity,
                counted: None,
                balance,
            }))
        }
        Asked::Draw {
            quantity,
            today,
            short,
        } => draw(batches, quantity, today, short),
    }
}

fn draw(batches: &[Batch], quantity: u64, today: Date, short: bool) -> Result<Plan, MovementError> {
    let (picked, shortfall) = match pick(batches, quantity, today) {
        Ok(picked) => (picked, 0),
        Err(SupplyError::OutOfStock { wanted, available }) if !short => {
            return Err(MovementError::OutOfStock { wanted, available })
        }
        Err(SupplyError::OutOfStock { available, .. }) => (
            pick(batches, available, today).unwrap_or_default(),
            quantity - available,
        ),
        Err(_) => return Err(MovementError::Overflow),
    };
    let mut changes = Vec::with_capacity(picked.len());
    for (lot, take) in picked {
        let b = find(batches, &lot).ok_or(MovementError::Overflow)?;
        changes.push(Change {
            expiry: b.expiry,
            quantity: -signed(take)?,
            counted: None,
            balance: b.quantity - take,
            lot,
        });
    }
    Ok(Plan { changes, shortfall })
}

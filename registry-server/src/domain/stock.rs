//! The stock of medicines at each facility (issue #14): receipts, physical counts,
//! adjustments and transfers, and every dispensing or administration drawing on the stock of
//! the facility that gave it ([`draw()`]).
//!
//! Every change is a ledger entry ([`crate::db::stock`]), appended and never edited; what a
//! facility holds is derived from them, per batch, and can never go below zero: the
//! movement is planned by [`crate::domain::supply::movement::plan`] against the batches as
//! they are under the item's lock, so several instances on one PostgreSQL make the
//! movements of one medicine at one facility one after another.
//!
//! Who: a pharmacist keeps the stock of their own facility (and receives what is sent to
//! it); a supply officer reads every facility's. Each movement is audited (`stock.receipt`,
//! `stock.count`, `stock.adjustment.<reason>`, `stock.transfer.send`,
//! `stock.transfer.receive`), against its ledger entry. A retried request (same
//! `idempotency_key`, same content) answers with the first one's entry and changes nothing.

pub mod draw;
pub mod input;
mod moves;

use sha2::{Digest, Sha256};

use card_format::model::Date;

pub use draw::{draw, draw_or_refuse, item_of, record_refusal, refused_for, Draw, Drawn};
pub use input::{
    AdjustmentInput, CountInput, FacilityStock, ItemStock, LedgerEntry, Moved, ReceiptInput,
    ReceiveInput, StockBatch, Transfer, TransferInput,
};
pub use moves::{adjust, arrive, count, receive, send};

use super::audit::actor;
use super::supply::movement::{self, Asked, MovementError};
use super::supply::Batch;
use super::{Error, Registry, Result};
use crate::auth::{self, Caller, Role};
use crate::db::stock::{self as sql, Item, LedgerRow, Totals, TransferRow};
use crate::db::{self};

/// Who keeps a facility's stock (their own facility's only).
pub const KEEPERS: &[Role] = &[Role::Pharmacist];

/// Who reads stock: pharmacists their own facility's, supply officers every facility's.
pub const READERS: &[Role] = &[Role::Pharmacist, Role::SupplyOfficer];

type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// What one movement asks, checked.
struct Move<'a> {
    caller: &'a Caller,
    item: Item,
    asked: Asked<'a>,
    /// `receipt`, `count`, `adjustment`, `transfer_out`, `transfer_in`.
    movement: &'static str,
    reason: Option<&'static str>,
    key: Option<&'a str>,
    hash: Option<Vec<u8>>,
    transfer_id: Option<String>,
}

/// Refuses a caller who may not read `facility`'s stock.
fn may_read(caller: &Caller, facility: &str) -> Result<()> {
    caller.require(READERS)?;
    if caller.role == Role::Pharmacist && caller.facility_code != facility {
        return Err(Error::Forbidden {
            role: caller.role.as_str(),
        });
    }
    Ok(())
}

fn movement_error(e: MovementError) -> Error {
    match e {
        MovementError::UnknownBatch { .. } => Error::invalid("lot", e.to_string()),
        MovementError::ExpiryNeeded { .. } | MovementError::ExpiryMismatch { .. } => {
            Error::invalid("expiry", e.to_string())
        }
        MovementError::NotInBatch { .. } => Error::conflict("insufficient_stock", e.to_string()),
        MovementError::OutOfStock { .. } => Error::conflict("out_of_stock", e.to_string()),
        MovementError::WrongSign { .. } | MovementError::Overflow => {
            Error::invalid("quantity", e.to_string())
        }
    }
}

/// SHA-256 of what identifies a request, to tell a retry from another request that reuses
/// its key.
fn request_hash(parts: &[&str]) -> Vec<u8> {
    Sha256::digest(parts.join("|").as_bytes()).to_vec()
}

/// The batches of an item as the planner takes them.
fn as_batches(rows: Vec<sql::BatchRow>) -> Result<Vec<Batch>> {
    rows.into_iter()
        .map(|b| {
            Ok(Batch {
                expiry: Date(
                    i32::try_from(b.expiry).map_err(|e| Error::stored("stock_batches", e))?,
                ),
                quantity: u64::try_from(b.on_hand)
                    .map_err(|e| Error::stored("stock_batches", e))?,
                batch: b.lot,
            })
        })
        .collect()
}

/// Plans and writes a movement under the item's lock: the ledger entries, the batches, the
/// item's totals. Returns the entries written, the totals after, and the shortfall of a
/// short draw. `source_id` ties a draw's entries to its dispensing or administration.
pub(crate) async fn apply(
    tx: &mut Tx,
    now: i64,
    user_id: &str,
    item: &Item,
    asked: &Asked<'_>,
    entry: EntryMeta<'_>,
) -> Result<(Vec<LedgerRow>, Totals, u64)> {
    if matches!(asked, Asked::In { .. } | Asked::Count { .. }) {
        sql::add_item(tx, item).await?;
    }
    let Some(totals) = sql::lock_item(tx, item).await? else {
        // Never held here: nothing to take from.
        let e = match *asked {
            Asked::Out { lot, .. } | Asked::Adjust { lot, .. } => MovementError::UnknownBatch {
                lot: lot.to_owned(),
            },
            Asked::Draw {
                quantity, short, ..
            } if short => {
                return Ok((
                    Vec::new(),
                    Totals {
                        on_hand: 0,
                        entries: 0,
                    },
                    quantity,
                ));
            }
            Asked::Draw { quantity, .. } => MovementError::OutOfStock {
                wanted: quantity,
                available: 0,
            },
            Asked::In { .. } | Asked::Count { .. } => {
                return Err(Error::Internal("a stock item vanished".into()))
            }
        };
        return Err(movement_error(e));
    };
    let batches = as_batches(sql::batches(tx, item).await?)?;
    let plan = movement::plan(&batches, asked).map_err(movement_error)?;
    let mut rows = Vec::with_capacity(plan.changes.len());
    let mut on_hand = totals.on_hand;
    for (i, change) in plan.changes.iter().enumerate() {
        let balance =
            i64::try_from(change.balance).map_err(|_| Error::invalid("quantity", "too large"))?;
        sql::set_batch(
            tx,
            item,
            &sql::BatchRow {
                lot: change.lot.clone(),
                expiry: i64::from(change.expiry.0),
                on_hand: balance,
            },
        )
        .await?;
        on_hand = on_hand
            .checked_add(change.quantity)
            .ok_or_else(|| Error::invalid("quantity", "too large"))?;
        let first = i == 0;
        let row = LedgerRow {
            id: auth::new_id(),
            facility_code: item.facility_code.clone(),
            atc: item.atc.clone(),
            strength: item.strength.clone(),
            form: item.form.clone(),
            seq: totals.entries + 1 + i64::try_from(i).unwrap_or(i64::MAX - totals.entries - 1),
            lot: change.lot.clone(),
            expiry: i64::from(change.expiry.0),
            movement: entry.movement.to_owned(),
            reason: entry.reason.map(str::to_owned),
            quantity: change.quantity,
            counted: change.counted.map(|c| i64::try_from(c).unwrap_or(i64::MAX)),
            balance,
            transfer_id: entry.transfer_id.map(str::to_owned),
            source_id: entry.source_id.map(str::to_owned),
            idempotency_key: entry.key.filter(|_| first).map(str::to_owned),
            request_hash: entry.hash.filter(|_| first).map(<[u8]>::to_vec),
            recorded_at: now,
            recorded_by: user_id.to_owned(),
        };
        sql::append(tx, &row).await?;
        rows.push(row);
    }
    let after = Totals {
        on_hand,
        entries: totals.entries + i64::try_from(rows.len()).unwrap_or(0),
    };
    if !rows.is_empty() {
        sql::set_item(tx, item, after).await?;
    }
    sql::join(tx, &item.facility_code, now).await?;
    Ok((rows, after, plan.shortfall))
}

/// What a ledger entry records beside its change.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EntryMeta<'a> {
    /// The movement's stored name.
    pub movement: &'static str,
    /// An adjustment's reason.
    pub reason: Option<&'static str>,
    /// The transfer.
    pub transfer_id: Option<&'a str>,
    /// The dispensing or administration.
    pub source_id: Option<&'a str>,
    /// The request's idempotency key (first entry only).
    pub key: Option<&'a str>,
    /// The request's hash (first entry only).
    pub hash: Option<&'a [u8]>,
}

/// Makes a movement asked for by a person: replays a retry, applies, audits, commits.
/// Returns the entries and the stock on hand after them, or none for a retry answered with
/// the first request's entry.
async fn make(
    registry: &Registry,
    m: Move<'_>,
    tx: Option<Tx>,
) -> Result<(Vec<LedgerRow>, Option<i64>)> {
    let mut tx = match tx {
        Some(tx) => tx,
        None => registry.db.pool.begin().await?,
    };
    if let Some(key) = m.key {
        if let Some(first) = sql::by_key(&mut tx, &m.item.facility_code, key).await? {
            tx.rollback().await?;
            return replay(first, m.hash.as_deref());
        }
    }
    let now = registry.clock.now();
    let meta = EntryMeta {
        movement: m.movement,
        reason: m.reason,
        transfer_id: m.transfer_id.as_deref(),
        source_id: None,
        key: m.key,
        hash: m.hash.as_deref(),
    };
    let applied = apply(&mut tx, now, &m.caller.user_id, &m.item, &m.asked, meta).await;
    let (rows, totals, _) = match applied {
        Ok(done) => done,
        Err(Error::Db(e)) if db::is_unique_violation(&e) && m.key.is_some() => {
            // The same key, recorded meanwhile by another instance.
            tx.rollback().await?;
            let mut conn = registry.db.pool.acquire().await?;
            let first = sql::by_key(&mut conn, &m.item.facility_code, m.key.unwrap_or_default())
                .await?
                .ok_or_else(|| Error::Internal("a stock request's key vanished".into()))?;
            return replay(first, m.hash.as_deref());
        }
        Err(e) => return Err(e),
    };
    let action = match (m.movement, m.reason) {
        ("adjustment", Some(reason)) => format!("stock.adjustment.{reason}"),
        ("transfer_out", _) => "stock.transfer.send".to_owned(),
        ("transfer_in", _) => "stock.transfer.receive".to_owned(),
        (movement, _) => format!("stock.{movement}"),
    };
    let entity = rows.first().map_or("", |r| r.id.as_str());
    db::audit::append(
        &mut tx,
        now,
        &actor(m.caller),
        &action,
        "stock_ledger",
        entity,
    )
    .await?;
    tx.commit().await?;
    Ok((rows, Some(totals.on_hand)))
}

fn replay(first: LedgerRow, hash: Option<&[u8]>) -> Result<(Vec<LedgerRow>, Option<i64>)> {
    if first.request_hash.as_deref() != hash {
        return Err(Error::conflict(
            "idempotency_key_reused",
            "this idempotency key was used for another stock movement",
        ));
    }
    Ok((vec![first], None))
}

/// The answer of a movement, with the item's stock now.
async fn moved(
    registry: &Registry,
    item: &Item,
    (rows, written): (Vec<LedgerRow>, Option<i64>),
    transfer: Option<TransferRow>,
) -> Result<Moved> {
    // A retry wrote nothing: its answer shows the stock as it is now.
    let replayed = written.is_none();
    let on_hand = match written {
        Some(on_hand) => on_hand,
        None => {
            let mut conn = registry.db.reader().acquire().await?;
            sql::totals(&mut conn, item).await?.map_or(0, |t| t.on_hand)
        }
    };
    Ok(Moved {
        entries: rows
            .into_iter()
            .map(LedgerEntry::from_row)
            .collect::<Result<_>>()?,
        on_hand: u64::try_from(on_hand).unwrap_or(0),
        replayed,
        transfer: transfer.map(Transfer::from_row).transpose()?,
    })
}

/// What a facility holds: each medicine with its batches in stock, first expiry first.
/// Pharmacists (their own facility), supply officers.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::NotFound`] (no such facility), database errors.
pub async fn stock(registry: &Registry, caller: &Caller, facility: &str) -> Result<FacilityStock> {
    may_read(caller, facility)?;
    if db::users::facility(&registry.db, facility).await?.is_none() {
        return Err(Error::NotFound { what: "facility" });
    }
    let rows = sql::stock_of(&registry.db, facility).await?;
    let mut conn = registry.db.reader().acquire().await?;
    let keeps = sql::keeps_stock(&mut conn, facility).await?;
    drop(conn);
    let today = Date::from_unix_seconds(u64::try_from(registry.clock.now()).unwrap_or(0));
    FacilityStock::from_rows(facility, keeps, rows, today)
}

/// One medicine's ledger at a facility, newest first, at most `limit` (1 to 1000) entries.
/// Pharmacists (their own facility), supply officers.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::Validation`], database errors.
pub async fn ledger(
    registry: &Registry,
    caller: &Caller,
    facility: &str,
    medicine: &input::Medicine,
    limit: i64,
) -> Result<Vec<LedgerEntry>> {
    may_read(caller, facility)?;
    if !(1..=1000).contains(&limit) {
        return Err(Error::invalid("limit", "1 to 1000"));
    }
    let item = medicine.item(facility)?;
    sql::ledger(&registry.db, &item, limit)
        .await?
        .into_iter()
        .map(LedgerEntry::from_row)
        .collect()
}

/// The transfers sent by or to a facility, newest first (at most 200). Pharmacists (their
/// own facility), supply officers.
///
/// # Errors
/// [`Error::Forbidden`], database errors.
pub async fn transfers(
    registry: &Registry,
    caller: &Caller,
    facility: &str,
) -> Result<Vec<Transfer>> {
    may_read(caller, facility)?;
    sql::transfers_of(&registry.db, facility, 200)
        .await?
        .into_iter()
        .map(Transfer::from_row)
        .collect()
}

pub use input::{normalise_strength, AdjustReason, Medicine};

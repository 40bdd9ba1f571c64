//! A dispensing or an administration drawing on the stock of the facility that gave it,
//! inside the transaction that records it.
//!
//! - A facility that does not keep stock in the registry yet (no receipt or count) is not
//!   drawn on: the dispensing is recorded as before ([`Drawn::NotKept`]).
//! - Online, too little unexpired stock refuses the dispensing with `out_of_stock`; the
//!   caller rolls its transaction back and records the refusal as a stock-out event
//!   ([`record_refusal`]), audited as `stock.out_of_stock`.
//! - Offline (synced after the medicine left), what there is is drawn and the rest is a
//!   `shortfall` stock-out event in the same transaction: the ledger never goes below zero,
//!   and the gap between what was handed out and what the books held is on record.

use card_format::model::Date;

use super::{apply, EntryMeta, Tx};
use crate::auth::{self, Caller};
use crate::db::clinical::MedicineRow;
use crate::db::stock::{self as sql, Item, StockOutRow};
use crate::db::{self};
use crate::domain::audit::actor;
use crate::domain::supply::movement::Asked;
use crate::domain::{Error, Registry, Result};

/// What drawing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drawn {
    /// The facility keeps no stock in the registry: nothing drawn.
    NotKept,
    /// Drawn; `shortfall` is what an offline dispensing handed out beyond the stock.
    Drawn {
        /// Units not on the books.
        shortfall: u64,
    },
}

/// What is drawn, and why.
#[derive(Debug, Clone, Copy)]
pub struct Draw<'a> {
    /// The facility's medicine.
    pub item: &'a Item,
    /// Quantity.
    pub quantity: u64,
    /// `dispensing` or `administration`.
    pub movement: &'static str,
    /// The dispensing's or administration's id.
    pub source_id: &'a str,
    /// The authorisation.
    pub authorisation_id: i64,
    /// Draw what there is instead of refusing (an offline dispensing).
    pub short: bool,
    /// The day it was handed out: batches expired before it are not drawn from.
    pub on: Date,
}

/// Draws `d.quantity` of the item inside `tx`.
///
/// # Errors
/// `out_of_stock` ([`Error::Conflict`]) online when the unexpired stock is short; database
/// errors.
pub async fn draw(tx: &mut Tx, now: i64, caller: &Caller, d: Draw<'_>) -> Result<Drawn> {
    if !sql::keeps_stock(tx, &d.item.facility_code).await? {
        return Ok(Drawn::NotKept);
    }
    let asked = Asked::Draw {
        quantity: d.quantity,
        today: d.on,
        short: d.short,
    };
    let meta = EntryMeta {
        movement: d.movement,
        reason: None,
        transfer_id: None,
        source_id: Some(d.source_id),
        key: None,
        hash: None,
    };
    let (_, _, shortfall) = apply(tx, now, &caller.user_id, d.item, &asked, meta).await?;
    if shortfall > 0 {
        let available = d.quantity - shortfall;
        let row = stock_out(now, caller, &d, "shortfall", available)?;
        sql::insert_stock_out(tx, &row).await?;
        db::audit::append(
            tx,
            now,
            &actor(caller),
            "stock.shortfall",
            "stock_out",
            &row.id,
        )
        .await?;
    }
    Ok(Drawn::Drawn { shortfall })
}

fn stock_out(
    now: i64,
    caller: &Caller,
    d: &Draw<'_>,
    kind: &str,
    available: u64,
) -> Result<StockOutRow> {
    let big = |_| Error::invalid("quantity", "too large");
    Ok(StockOutRow {
        id: auth::new_id(),
        facility_code: d.item.facility_code.clone(),
        atc: d.item.atc.clone(),
        strength: d.item.strength.clone(),
        form: d.item.form.clone(),
        kind: kind.to_owned(),
        wanted: i64::try_from(d.quantity).map_err(big)?,
        available: i64::try_from(available).map_err(big)?,
        authorisation_id: Some(d.authorisation_id),
        at: now,
        user_id: caller.user_id.clone(),
    })
}

/// Whether `e` is a draw refused `out_of_stock`.
pub fn refused_for(e: &Error) -> bool {
    matches!(
        e,
        Error::Conflict {
            code: "out_of_stock",
            ..
        }
    )
}

/// Records a dispensing or administration refused `out_of_stock` as a stock-out event, in
/// its own transaction (the refused one was rolled back), audited as `stock.out_of_stock`.
/// `available` is read again: what the unexpired batches hold now.
///
/// # Errors
/// Database errors.
pub async fn record_refusal(registry: &Registry, caller: &Caller, d: Draw<'_>) -> Result<()> {
    let now = registry.clock.now();
    let today = d.on;
    let mut tx = registry.db.pool.begin().await?;
    let available: i64 = sql::batches(&mut tx, d.item)
        .await?
        .iter()
        .filter(|b| b.expiry >= i64::from(today.0))
        .map(|b| b.on_hand)
        .sum();
    let row = stock_out(
        now,
        caller,
        &d,
        "refused",
        u64::try_from(available).unwrap_or(0),
    )?;
    sql::insert_stock_out(&mut tx, &row).await?;
    db::audit::append(
        &mut tx,
        now,
        &actor(caller),
        "stock.out_of_stock",
        "stock_out",
        &row.id,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Draws inside `tx` and hands it back; when the stock is short online, rolls `tx` back,
/// records the refusal ([`record_refusal`]) and answers `out_of_stock`.
///
/// # Errors
/// `out_of_stock`, database errors.
pub async fn draw_or_refuse(
    mut tx: Tx,
    registry: &Registry,
    now: i64,
    caller: &Caller,
    d: Draw<'_>,
) -> Result<Tx> {
    match draw(&mut tx, now, caller, d).await {
        Ok(_) => Ok(tx),
        Err(e) if refused_for(&e) => {
            tx.rollback().await?;
            record_refusal(registry, caller, d).await?;
            Err(e)
        }
        Err(e) => Err(e),
    }
}

/// The stock item a dispensing or administration of `m` by `caller` draws on: the medicine
/// at the caller's facility.
pub fn item_of(caller: &Caller, m: &MedicineRow) -> Item {
    Item {
        facility_code: caller.facility_code.clone(),
        atc: m.atc.clone(),
        strength: super::normalise_strength(&m.strength),
        form: m.form.clone(),
    }
}

//! The movements a pharmacist makes at their facility: receipts, counts, adjustments, and
//! transfers sent and received (see [`super`]).

use card_format::model::Date;

use super::input::{
    self, AdjustmentInput, CountInput, Moved, ReceiptInput, ReceiveInput, TransferInput,
};
use super::{as_batches, make, moved, request_hash, Move, KEEPERS};
use crate::auth::{self, Caller};
use crate::db::stock::{self as sql, Item, TransferRow};
use crate::db::{self};
use crate::domain::supply::movement::{self, Asked};
use crate::domain::{Error, Registry, Result};

/// Records stock received from a supplier at the caller's facility. Pharmacists.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::Validation`], `idempotency_key_reused`, database errors.
pub async fn receive(registry: &Registry, caller: &Caller, input: &ReceiptInput) -> Result<Moved> {
    caller.require(KEEPERS)?;
    let item = input.medicine.item(&caller.facility_code)?;
    let lot = input::lot(&input.lot)?;
    let today = Date::from_unix_seconds(u64::try_from(registry.clock.now()).unwrap_or(0));
    if input.expiry < today {
        return Err(Error::invalid(
            "expiry",
            "this batch has expired: record it as received only once it is in date",
        ));
    }
    let quantity = input::positive(input.quantity)?;
    let key = input::key(&input.idempotency_key)?;
    let hash = request_hash(&[
        "receipt",
        &item.facility_code,
        &item.atc,
        &item.strength,
        &item.form,
        lot,
        &input.expiry.to_string(),
        &quantity.to_string(),
    ]);
    let m = Move {
        caller,
        asked: Asked::In {
            lot,
            expiry: input.expiry,
            quantity,
        },
        item: item.clone(),
        movement: "receipt",
        reason: None,
        key: Some(key),
        hash: Some(hash),
        transfer_id: None,
    };
    let done = make(registry, m, None).await?;
    moved(registry, &item, done, None).await
}

/// Records a physical count of one batch at the caller's facility. Pharmacists.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::Validation`], `idempotency_key_reused`, database errors.
pub async fn count(registry: &Registry, caller: &Caller, input: &CountInput) -> Result<Moved> {
    caller.require(KEEPERS)?;
    let item = input.medicine.item(&caller.facility_code)?;
    let lot = input::lot(&input.lot)?;
    let key = input::key(&input.idempotency_key)?;
    let expiry = input.expiry.map_or_else(String::new, |e| e.to_string());
    let hash = request_hash(&[
        "count",
        &item.facility_code,
        &item.atc,
        &item.strength,
        &item.form,
        lot,
        &expiry,
        &input.counted.to_string(),
    ]);
    let m = Move {
        caller,
        asked: Asked::Count {
            lot,
            expiry: input.expiry,
            counted: input.counted,
        },
        item: item.clone(),
        movement: "count",
        reason: None,
        key: Some(key),
        hash: Some(hash),
        transfer_id: None,
    };
    let done = make(registry, m, None).await?;
    moved(registry, &item, done, None).await
}

/// Records an adjustment of one batch at the caller's facility. Pharmacists.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::Validation`], `insufficient_stock`,
/// `idempotency_key_reused`, database errors.
pub async fn adjust(
    registry: &Registry,
    caller: &Caller,
    input: &AdjustmentInput,
) -> Result<Moved> {
    caller.require(KEEPERS)?;
    let item = input.medicine.item(&caller.facility_code)?;
    let lot = input::lot(&input.lot)?;
    let key = input::key(&input.idempotency_key)?;
    let reason = input.reason.reason();
    let name = movement::reason_name(reason);
    let hash = request_hash(&[
        "adjustment",
        &item.facility_code,
        &item.atc,
        &item.strength,
        &item.form,
        lot,
        name,
        &input.quantity.to_string(),
    ]);
    let m = Move {
        caller,
        asked: Asked::Adjust {
            lot,
            reason,
            quantity: input.quantity,
        },
        item: item.clone(),
        movement: "adjustment",
        reason: Some(name),
        key: Some(key),
        hash: Some(hash),
        transfer_id: None,
    };
    let done = make(registry, m, None).await?;
    moved(registry, &item, done, None).await
}

/// Sends stock of one batch from the caller's facility to another: it leaves the sender's
/// stock now and is in transit until the receiver records its arrival. Pharmacists.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::Validation`] (`to_facility` unknown or the caller's own),
/// `insufficient_stock`, `idempotency_key_reused`, database errors.
pub async fn send(registry: &Registry, caller: &Caller, input: &TransferInput) -> Result<Moved> {
    caller.require(KEEPERS)?;
    let item = input.medicine.item(&caller.facility_code)?;
    let lot = input::lot(&input.lot)?;
    let key = input::key(&input.idempotency_key)?;
    let quantity = input::positive(input.quantity)?;
    if input.to_facility == caller.facility_code {
        return Err(Error::invalid(
            "to_facility",
            "a transfer goes to another facility",
        ));
    }
    let hash = request_hash(&[
        "transfer",
        &item.facility_code,
        &input.to_facility,
        &item.atc,
        &item.strength,
        &item.form,
        lot,
        &quantity.to_string(),
    ]);
    let mut tx = registry.db.pool.begin().await?;
    if !db::users::facility_exists(&mut tx, &input.to_facility).await? {
        return Err(Error::invalid("to_facility", "no such facility"));
    }
    let id = auth::new_id();
    let m = Move {
        caller,
        asked: Asked::Out { lot, quantity },
        item: item.clone(),
        movement: "transfer_out",
        reason: None,
        key: Some(key),
        hash: Some(hash),
        transfer_id: Some(id.clone()),
    };
    // The transfer row goes in first, in the same transaction, so the entry's transfer
    // exists once both commit.
    if sql::by_key(&mut tx, &item.facility_code, key)
        .await?
        .is_none()
    {
        let batches = as_batches(sql::batches(&mut tx, &item).await?)?;
        let expiry = batches
            .iter()
            .find(|b| b.batch == lot)
            .map_or(0, |b| i64::from(b.expiry.0));
        sql::insert_transfer(
            &mut tx,
            &TransferRow {
                id: id.clone(),
                from_facility: item.facility_code.clone(),
                to_facility: input.to_facility.clone(),
                atc: item.atc.clone(),
                strength: item.strength.clone(),
                form: item.form.clone(),
                lot: lot.to_owned(),
                expiry,
                quantity: i64::try_from(quantity)
                    .map_err(|_| Error::invalid("quantity", "too large"))?,
                sent_at: registry.clock.now(),
                sent_by: caller.user_id.clone(),
                received_quantity: None,
                received_at: None,
                received_by: None,
            },
        )
        .await?;
    }
    let done = make(registry, m, Some(tx)).await?;
    let transfer_id = done
        .0
        .first()
        .and_then(|r| r.transfer_id.clone())
        .unwrap_or(id);
    let mut conn = registry.db.pool.acquire().await?;
    let transfer = sql::transfer(&mut conn, &transfer_id).await?;
    drop(conn);
    moved(registry, &item, done, transfer).await
}

/// Records the arrival of a transfer at the caller's facility: what arrived (all that was
/// sent unless `quantity` says less) enters its stock, in the batch sent. Pharmacists of
/// the receiving facility.
///
/// # Errors
/// [`Error::Forbidden`] (another facility's transfer), [`Error::NotFound`],
/// `transfer_received` (already received), [`Error::Validation`], database errors.
pub async fn arrive(
    registry: &Registry,
    caller: &Caller,
    id: &str,
    input: &ReceiveInput,
) -> Result<Moved> {
    caller.require(KEEPERS)?;
    let mut tx = registry.db.pool.begin().await?;
    let t = sql::transfer(&mut tx, id)
        .await?
        .ok_or(Error::NotFound { what: "transfer" })?;
    if t.to_facility != caller.facility_code {
        return Err(Error::Forbidden {
            role: caller.role.as_str(),
        });
    }
    let sent = u64::try_from(t.quantity).map_err(|e| Error::stored("stock_transfers", e))?;
    let quantity = input.quantity.unwrap_or(sent);
    if quantity > sent {
        return Err(Error::invalid("quantity", format!("{sent} were sent")));
    }
    let now = registry.clock.now();
    let received = sql::receive_transfer(
        &mut tx,
        id,
        i64::try_from(quantity).unwrap_or(0),
        now,
        &caller.user_id,
    )
    .await?
    .ok_or_else(|| {
        Error::conflict(
            "transfer_received",
            "this transfer has already been received",
        )
    })?;
    let item = Item {
        facility_code: caller.facility_code.clone(),
        atc: t.atc.clone(),
        strength: t.strength.clone(),
        form: t.form.clone(),
    };
    let expiry = Date(i32::try_from(t.expiry).map_err(|e| Error::stored("stock_transfers", e))?);
    let m = Move {
        caller,
        asked: Asked::In {
            lot: &t.lot,
            expiry,
            quantity,
        },
        item: item.clone(),
        movement: "transfer_in",
        reason: None,
        key: None,
        hash: None,
        transfer_id: Some(t.id.clone()),
    };
    let done = make(registry, m, Some(tx)).await?;
    moved(registry, &item, done, Some(received)).await
}

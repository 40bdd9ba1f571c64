//! SQL for the stock ledger (issue #14).
//!
//! Correct with several server instances on one database because every movement of a
//! medicine at a facility first updates that item's row in `stock_items` ([`lock_item`]):
//! PostgreSQL holds the row lock until the transaction ends and SQLite has one writer, so
//! the movements of one item are made one after another, each reading the batches its
//! predecessor left. The ledger's `UNIQUE (item, seq)` would refuse two entries numbered
//! alike, and `CHECK (on_hand >= 0)` a negative balance, should that order ever break.

use sqlx::{AnyConnection, FromRow};

use super::Db;

pub mod transfers;

pub use transfers::{
    insert_stock_out, insert_transfer, receive_transfer, stock_outs, transfer, transfers_of,
    StockOutRow, TransferRow,
};

/// A medicine at a facility: the unit stock is kept in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, FromRow)]
pub struct Item {
    /// The facility.
    pub facility_code: String,
    /// WHO ATC code.
    pub atc: String,
    /// Strength, normalised (single spaces).
    pub strength: String,
    /// Dose form (its `snake_case` name).
    pub form: String,
}

/// An item's totals, as locked by [`lock_item`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromRow)]
pub struct Totals {
    /// Stock on hand, every batch.
    pub on_hand: i64,
    /// Ledger entries so far (the last one's `seq`).
    pub entries: i64,
}

/// A batch's stock.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct BatchRow {
    /// Lot number.
    pub lot: String,
    /// Expiry, days since 1970-01-01.
    pub expiry: i64,
    /// On hand.
    pub on_hand: i64,
}

/// An item's stock at a facility, each batch on its own row (as read by [`stock_of`]).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct StockRow {
    /// WHO ATC code.
    pub atc: String,
    /// Strength.
    pub strength: String,
    /// Dose form.
    pub form: String,
    /// The item's total on hand.
    pub item_on_hand: i64,
    /// Lot number (none when the item has no batch in stock).
    pub lot: Option<String>,
    /// Expiry.
    pub expiry: Option<i64>,
    /// The batch's on hand.
    pub on_hand: Option<i64>,
}

/// One ledger entry.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct LedgerRow {
    /// Entry id.
    pub id: String,
    /// The facility.
    pub facility_code: String,
    /// WHO ATC code.
    pub atc: String,
    /// Strength.
    pub strength: String,
    /// Dose form.
    pub form: String,
    /// Position in the item's ledger, from 1.
    pub seq: i64,
    /// Lot number.
    pub lot: String,
    /// Expiry, days since 1970-01-01.
    pub expiry: i64,
    /// `receipt`, `transfer_out`, `transfer_in`, `count`, `adjustment`, `dispensing` or
    /// `administration`.
    pub movement: String,
    /// An adjustment's reason.
    pub reason: Option<String>,
    /// The signed change.
    pub quantity: i64,
    /// A count's quantity counted.
    pub counted: Option<i64>,
    /// The batch's stock after the entry.
    pub balance: i64,
    /// The transfer it belongs to.
    pub transfer_id: Option<String>,
    /// The dispensing or administration it belongs to.
    pub source_id: Option<String>,
    /// The idempotency key of the request that made it.
    pub idempotency_key: Option<String>,
    /// SHA-256 of that request.
    pub request_hash: Option<Vec<u8>>,
    /// When, Unix seconds.
    pub recorded_at: i64,
    /// Who (user id).
    pub recorded_by: String,
}

/// Whether the facility keeps stock (has a ledger entry).
///
/// # Errors
/// Database errors.
pub async fn keeps_stock(conn: &mut AnyConnection, facility: &str) -> Result<bool, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as(KEEPS_STOCK)
        .bind(facility)
        .fetch_optional(conn)
        .await?;
    Ok(row.is_some())
}

/// Counts the facility among those that keep stock, from `now` (once).
///
/// # Errors
/// Database errors.
pub async fn join(conn: &mut AnyConnection, facility: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(JOIN)
        .bind(facility)
        .bind(now)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Locks an item's row until the transaction ends and returns its totals; `None` when the
/// facility has never held the item.
///
/// # Errors
/// Database errors.
pub async fn lock_item(
    conn: &mut AnyConnection,
    item: &Item,
) -> Result<Option<Totals>, sqlx::Error> {
    sqlx::query_as::<_, Totals>(LOCK_ITEM)
        .bind(&item.facility_code)
        .bind(&item.atc)
        .bind(&item.strength)
        .bind(&item.form)
        .fetch_optional(conn)
        .await
}

/// An item's totals, without locking it; `None` when the facility has never held it.
///
/// # Errors
/// Database errors.
pub async fn totals(conn: &mut AnyConnection, item: &Item) -> Result<Option<Totals>, sqlx::Error> {
    sqlx::query_as::<_, Totals>(TOTALS)
        .bind(&item.facility_code)
        .bind(&item.atc)
        .bind(&item.strength)
        .bind(&item.form)
        .fetch_optional(conn)
        .await
}

/// Adds an item with nothing on hand, unless it exists.
///
/// # Errors
/// Database errors.
pub async fn add_item(conn: &mut AnyConnection, item: &Item) -> Result<(), sqlx::Error> {
    sqlx::query(ADD_ITEM)
        .bind(&item.facility_code)
        .bind(&item.atc)
        .bind(&item.strength)
        .bind(&item.form)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Sets an item's totals.
///
/// # Errors
/// Database errors (a negative total breaks the CHECK).
pub async fn set_item(
    conn: &mut AnyConnection,
    item: &Item,
    totals: Totals,
) -> Result<(), sqlx::Error> {
    sqlx::query(SET_ITEM)
        .bind(totals.on_hand)
        .bind(totals.entries)
        .bind(&item.facility_code)
        .bind(&item.atc)
        .bind(&item.strength)
        .bind(&item.form)
        .execute(conn)
        .await
        .map(|_| ())
}

/// An item's batches (including those at 0), by expiry then lot.
///
/// # Errors
/// Database errors.
pub async fn batches(conn: &mut AnyConnection, item: &Item) -> Result<Vec<BatchRow>, sqlx::Error> {
    sqlx::query_as::<_, BatchRow>(BATCHES)
        .bind(&item.facility_code)
        .bind(&item.atc)
        .bind(&item.strength)
        .bind(&item.form)
        .fetch_all(conn)
        .await
}

/// Sets a batch's stock (adding the batch when new).
///
/// # Errors
/// Database errors.
pub async fn set_batch(
    conn: &mut AnyConnection,
    item: &Item,
    batch: &BatchRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(SET_BATCH)
        .bind(&item.facility_code)
        .bind(&item.atc)
        .bind(&item.strength)
        .bind(&item.form)
        .bind(&batch.lot)
        .bind(batch.expiry)
        .bind(batch.on_hand)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Appends a ledger entry.
///
/// # Errors
/// A reused idempotency key or entry number (unique violation), other database errors.
pub async fn append(conn: &mut AnyConnection, e: &LedgerRow) -> Result<(), sqlx::Error> {
    sqlx::query(APPEND)
        .bind(&e.id)
        .bind(&e.facility_code)
        .bind(&e.atc)
        .bind(&e.strength)
        .bind(&e.form)
        .bind(e.seq)
        .bind(&e.lot)
        .bind(e.expiry)
        .bind(&e.movement)
        .bind(e.reason.as_deref())
        .bind(e.quantity)
        .bind(e.counted)
        .bind(e.balance)
        .bind(e.transfer_id.as_deref())
        .bind(e.source_id.as_deref())
        .bind(e.idempotency_key.as_deref())
        .bind(e.request_hash.as_deref())
        .bind(e.recorded_at)
        .bind(&e.recorded_by)
        .execute(conn)
        .await
        .map(|_| ())
}

/// The ledger entry recorded by `facility` under an idempotency key, if any (keys are
/// scoped to the facility: another's key neither replays nor blocks it).
///
/// # Errors
/// Database errors.
pub async fn by_key(
    conn: &mut AnyConnection,
    facility: &str,
    key: &str,
) -> Result<Option<LedgerRow>, sqlx::Error> {
    sqlx::query_as::<_, LedgerRow>(BY_KEY)
        .bind(facility)
        .bind(key)
        .fetch_optional(conn)
        .await
}

/// Every item of a facility with its batches in stock, by item then expiry.
///
/// # Errors
/// Database errors.
pub async fn stock_of(db: &Db, facility: &str) -> Result<Vec<StockRow>, sqlx::Error> {
    sqlx::query_as::<_, StockRow>(STOCK_OF)
        .bind(facility)
        .fetch_all(db.reader())
        .await
}

/// An item's ledger, newest first, at most `limit` entries.
///
/// # Errors
/// Database errors.
pub async fn ledger(db: &Db, item: &Item, limit: i64) -> Result<Vec<LedgerRow>, sqlx::Error> {
    sqlx::query_as::<_, LedgerRow>(LEDGER)
        .bind(&item.facility_code)
        .bind(&item.atc)
        .bind(&item.strength)
        .bind(&item.form)
        .bind(limit)
        .fetch_all(db.reader())
        .await
}

/// Columns of `stock_ledger`, in [`LedgerRow`]'s order.
macro_rules! ledger_columns {
    () => {
        "id, facility_code, atc, strength, form, seq, lot, expiry, movement, reason, quantity, \
         counted, balance, transfer_id, source_id, idempotency_key, request_hash, recorded_at, \
         recorded_by"
    };
}
/// The key of an item, as `$1` to `$4`.
macro_rules! item_is {
    () => {
        "facility_code = $1 AND atc = $2 AND strength = $3 AND form = $4"
    };
}

/// `keeps_stock`.
const KEEPS_STOCK: &str = "SELECT facility_code FROM stock_facilities WHERE facility_code = $1";
/// `join`.
const JOIN: &str = "INSERT INTO stock_facilities (facility_code, since) VALUES ($1, $2) \
     ON CONFLICT (facility_code) DO NOTHING";
/// `lock_item`: an update that changes nothing but takes the row lock.
const LOCK_ITEM: &str = concat!(
    "UPDATE stock_items SET entries = entries WHERE ",
    item_is!(),
    " RETURNING on_hand, entries"
);
/// `totals`.
const TOTALS: &str = concat!(
    "SELECT on_hand, entries FROM stock_items WHERE ",
    item_is!()
);
/// `add_item`.
const ADD_ITEM: &str = "INSERT INTO stock_items (facility_code, atc, strength, form, on_hand, \
     entries) VALUES ($1, $2, $3, $4, 0, 0) \
     ON CONFLICT (facility_code, atc, strength, form) DO NOTHING";
/// `set_item`.
const SET_ITEM: &str = "UPDATE stock_items SET on_hand = $1, entries = $2 \
     WHERE facility_code = $3 AND atc = $4 AND strength = $5 AND form = $6";
/// `batches`.
const BATCHES: &str = concat!(
    "SELECT lot, expiry, on_hand FROM stock_batches WHERE ",
    item_is!(),
    " ORDER BY expiry, lot"
);
/// `set_batch`.
const SET_BATCH: &str = "INSERT INTO stock_batches (facility_code, atc, strength, form, lot, \
     expiry, on_hand) VALUES ($1, $2, $3, $4, $5, $6, $7) \
     ON CONFLICT (facility_code, atc, strength, form, lot) DO UPDATE SET on_hand = $7";
/// `append`.
const APPEND: &str = concat!(
    "INSERT INTO stock_ledger (",
    ledger_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
     $18, $19)"
);
/// `by_key`.
const BY_KEY: &str = concat!(
    "SELECT ",
    ledger_columns!(),
    " FROM stock_ledger WHERE facility_code = $1 AND idempotency_key = $2"
);
/// `stock_of`.
const STOCK_OF: &str = "SELECT i.atc, i.strength, i.form, i.on_hand AS item_on_hand, b.lot, \
     b.expiry, b.on_hand FROM stock_items i LEFT JOIN stock_batches b \
     ON b.facility_code = i.facility_code AND b.atc = i.atc AND b.strength = i.strength \
     AND b.form = i.form AND b.on_hand > 0 \
     WHERE i.facility_code = $1 ORDER BY i.atc, i.strength, i.form, b.expiry, b.lot";
/// `ledger`.
const LEDGER: &str = concat!(
    "SELECT ",
    ledger_columns!(),
    " FROM stock_ledger WHERE ",
    item_is!(),
    " ORDER BY seq DESC LIMIT $5"
);
/// Every fixed statement of this module, by name, for the test that prepares them all.
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("db/stock.rs:keeps_stock", KEEPS_STOCK),
    ("db/stock.rs:join", JOIN),
    ("db/stock.rs:lock_item", LOCK_ITEM),
    ("db/stock.rs:totals", TOTALS),
    ("db/stock.rs:add_item", ADD_ITEM),
    ("db/stock.rs:set_item", SET_ITEM),
    ("db/stock.rs:batches", BATCHES),
    ("db/stock.rs:set_batch", SET_BATCH),
    ("db/stock.rs:append", APPEND),
    ("db/stock.rs:by_key", BY_KEY),
    ("db/stock.rs:stock_of", STOCK_OF),
    ("db/stock.rs:ledger", LEDGER),
];

//! SQL for transfers between facilities and stock-out events (see [`super`]).

use sqlx::{AnyConnection, FromRow};

use crate::db::Db;

/// A transfer between facilities.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct TransferRow {
    /// Transfer id.
    pub id: String,
    /// Sending facility.
    pub from_facility: String,
    /// Receiving facility.
    pub to_facility: String,
    /// WHO ATC code.
    pub atc: String,
    /// Strength.
    pub strength: String,
    /// Dose form.
    pub form: String,
    /// Lot number.
    pub lot: String,
    /// Expiry, days since 1970-01-01.
    pub expiry: i64,
    /// Quantity sent.
    pub quantity: i64,
    /// When sent, Unix seconds.
    pub sent_at: i64,
    /// Who sent it.
    pub sent_by: String,
    /// Quantity received (none while in transit).
    pub received_quantity: Option<i64>,
    /// When received.
    pub received_at: Option<i64>,
    /// Who received it.
    pub received_by: Option<String>,
}

/// A stock-out event.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct StockOutRow {
    /// Event id.
    pub id: String,
    /// The facility.
    pub facility_code: String,
    /// WHO ATC code.
    pub atc: String,
    /// Strength.
    pub strength: String,
    /// Dose form.
    pub form: String,
    /// `refused` or `shortfall`.
    pub kind: String,
    /// Quantity asked for.
    pub wanted: i64,
    /// Quantity that was in unexpired stock.
    pub available: i64,
    /// The authorisation dispensed or administered against.
    pub authorisation_id: Option<i64>,
    /// When, Unix seconds.
    pub at: i64,
    /// Who asked.
    pub user_id: String,
}

/// Records a transfer as sent.
///
/// # Errors
/// Database errors.
pub async fn insert_transfer(conn: &mut AnyConnection, t: &TransferRow) -> Result<(), sqlx::Error> {
    sqlx::query(INSERT_TRANSFER)
        .bind(&t.id)
        .bind(&t.from_facility)
        .bind(&t.to_facility)
        .bind(&t.atc)
        .bind(&t.strength)
        .bind(&t.form)
        .bind(&t.lot)
        .bind(t.expiry)
        .bind(t.quantity)
        .bind(t.sent_at)
        .bind(&t.sent_by)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Marks a transfer in transit as received, if it still is; returns it as it now is, or
/// `None` when it was not in transit (or does not exist).
///
/// # Errors
/// Database errors.
pub async fn receive_transfer(
    conn: &mut AnyConnection,
    id: &str,
    quantity: i64,
    at: i64,
    by: &str,
) -> Result<Option<TransferRow>, sqlx::Error> {
    sqlx::query_as::<_, TransferRow>(RECEIVE_TRANSFER)
        .bind(quantity)
        .bind(at)
        .bind(by)
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// A transfer.
///
/// # Errors
/// Database errors.
pub async fn transfer(
    conn: &mut AnyConnection,
    id: &str,
) -> Result<Option<TransferRow>, sqlx::Error> {
    sqlx::query_as::<_, TransferRow>(TRANSFER)
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// The transfers sent by or to a facility, newest first, at most `limit`.
///
/// # Errors
/// Database errors.
pub async fn transfers_of(
    db: &Db,
    facility: &str,
    limit: i64,
) -> Result<Vec<TransferRow>, sqlx::Error> {
    sqlx::query_as::<_, TransferRow>(TRANSFERS_OF)
        .bind(facility)
        .bind(limit)
        .fetch_all(db.reader())
        .await
}

/// Records a stock-out event.
///
/// # Errors
/// Database errors.
pub async fn insert_stock_out(
    conn: &mut AnyConnection,
    s: &StockOutRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(INSERT_STOCK_OUT)
        .bind(&s.id)
        .bind(&s.facility_code)
        .bind(&s.atc)
        .bind(&s.strength)
        .bind(&s.form)
        .bind(&s.kind)
        .bind(s.wanted)
        .bind(s.available)
        .bind(s.authorisation_id)
        .bind(s.at)
        .bind(&s.user_id)
        .execute(conn)
        .await
        .map(|_| ())
}

/// A facility's stock-out events, newest first, at most `limit`.
///
/// # Errors
/// Database errors.
pub async fn stock_outs(
    db: &Db,
    facility: &str,
    limit: i64,
) -> Result<Vec<StockOutRow>, sqlx::Error> {
    sqlx::query_as::<_, StockOutRow>(STOCK_OUTS)
        .bind(facility)
        .bind(limit)
        .fetch_all(db.reader())
        .await
}

/// Columns of `stock_transfers`, in [`TransferRow`]'s order.
macro_rules! transfer_columns {
    () => {
        "id, from_facility, to_facility, atc, strength, form, lot, expiry, quantity, sent_at, \
         sent_by, received_quantity, received_at, received_by"
    };
}
/// `insert_transfer`.
const INSERT_TRANSFER: &str = "INSERT INTO stock_transfers (id, from_facility, to_facility, \
     atc, strength, form, lot, expiry, quantity, sent_at, sent_by) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
/// `receive_transfer`.
const RECEIVE_TRANSFER: &str = concat!(
    "UPDATE stock_transfers SET received_quantity = $1, received_at = $2, received_by = $3 \
     WHERE id = $4 AND received_at IS NULL RETURNING ",
    transfer_columns!()
);
/// `transfer`.
const TRANSFER: &str = concat!(
    "SELECT ",
    transfer_columns!(),
    " FROM stock_transfers WHERE id = $1"
);
/// `transfers_of`.
const TRANSFERS_OF: &str = concat!(
    "SELECT ",
    transfer_columns!(),
    " FROM stock_transfers WHERE from_facility = $1 OR to_facility = $1 \
     ORDER BY sent_at DESC, id DESC LIMIT $2"
);
/// `insert_stock_out`.
const INSERT_STOCK_OUT: &str = "INSERT INTO stock_outs (id, facility_code, atc, strength, \
     form, kind, wanted, available, authorisation_id, at, user_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
/// `stock_outs`.
const STOCK_OUTS: &str = "SELECT id, facility_code, atc, strength, form, kind, wanted, \
     available, authorisation_id, at, user_id FROM stock_outs WHERE facility_code = $1 \
     ORDER BY at DESC, id DESC LIMIT $2";

/// Every fixed statement of this module, by name, for the test that prepares them all.
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("db/stock/transfers.rs:insert_transfer", INSERT_TRANSFER),
    ("db/stock/transfers.rs:receive_transfer", RECEIVE_TRANSFER),
    ("db/stock/transfers.rs:transfer", TRANSFER),
    ("db/stock/transfers.rs:transfers_of", TRANSFERS_OF),
    ("db/stock/transfers.rs:insert_stock_out", INSERT_STOCK_OUT),
    ("db/stock/transfers.rs:stock_outs", STOCK_OUTS),
];

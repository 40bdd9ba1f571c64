//! What the stock operations take and give: requests as both doors parse them, and the
//! stock, ledger and transfers as both show them.

use card_format::model::{validate::is_atc_substance, Date, DoseForm};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::patients::{enum_from, enum_name};
use crate::db::stock::{Item, LedgerRow, StockRow, TransferRow};
use crate::domain::supply::Reason;
use crate::domain::{Error, Result};

/// A medicine as stock is kept: ATC code, strength and form, as on the authorisation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct Medicine {
    /// A 7-character WHO ATC code, e.g. `L01BA01`.
    pub atc: String,
    /// Strength as on the authorisation, e.g. `2.5 mg` (spaces are normalised).
    pub strength: String,
    /// Dose form: the unit quantities count.
    pub form: DoseForm,
}

/// Strength with runs of white space made one space and the ends trimmed, so `2.5  mg` and
/// `2.5 mg` are one medicine.
pub fn normalise_strength(strength: &str) -> String {
    strength.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Medicine {
    /// The item at `facility`.
    ///
    /// # Errors
    /// [`Error::Validation`] for a malformed ATC code or strength.
    pub fn item(&self, facility: &str) -> Result<Item> {
        if !is_atc_substance(&self.atc) {
            return Err(Error::invalid(
                "atc",
                "a 7-character WHO ATC code, e.g. L01BA01",
            ));
        }
        let strength = normalise_strength(&self.strength);
        if strength.is_empty() || strength.chars().count() > 24 {
            return Err(Error::invalid("strength", "1 to 24 characters"));
        }
        Ok(Item {
            facility_code: facility.to_owned(),
            atc: self.atc.clone(),
            strength,
            form: enum_name(&self.form).map_err(|e| Error::Internal(e.to_string()))?,
        })
    }

    /// The medicine of a stored item.
    ///
    /// # Errors
    /// A stored form that does not parse.
    pub fn of(item: &Item) -> Result<Medicine> {
        Ok(Medicine {
            atc: item.atc.clone(),
            strength: item.strength.clone(),
            form: enum_from(&item.form).map_err(|e| Error::stored("stock_items.form", e))?,
        })
    }
}

/// A lot number: 1 to 40 of A-Z, a-z, 0-9, `-`, `/`, `.`.
///
/// # Errors
/// [`Error::Validation`].
pub fn lot(lot: &str) -> Result<&str> {
    let ok = (1..=40).contains(&lot.len())
        && lot
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | '.'));
    if ok {
        Ok(lot)
    } else {
        Err(Error::invalid(
            "lot",
            "1 to 40 of A-Z, a-z, 0-9, '-', '/', '.'",
        ))
    }
}

/// An idempotency key: 8 to 64 of A-Z, a-z, 0-9, `-`, `_` (as for dispensings).
///
/// # Errors
/// [`Error::Validation`].
pub fn key(key: &str) -> Result<&str> {
    let ok = (8..=64).contains(&key.len())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(key)
    } else {
        Err(Error::invalid(
            "idempotency_key",
            "8 to 64 of A-Z, a-z, 0-9, '-', '_'",
        ))
    }
}

/// A quantity of 1 to 10,000,000.
///
/// # Errors
/// [`Error::Validation`].
pub fn positive(quantity: u64) -> Result<u64> {
    if (1..=10_000_000).contains(&quantity) {
        Ok(quantity)
    } else {
        Err(Error::invalid("quantity", "1 to 10000000"))
    }
}

/// `POST /api/v1/stock/receipts`: stock received from a supplier.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct ReceiptInput {
    /// Makes a retry safe: the same key and content is recorded once.
    pub idempotency_key: String,
    /// The medicine.
    #[serde(flatten)]
    pub medicine: Medicine,
    /// Lot number.
    pub lot: String,
    /// The batch's expiry.
    pub expiry: Date,
    /// Quantity received, in units of the form.
    pub quantity: u64,
}

/// `POST /api/v1/stock/counts`: a physical count of one batch (an opening count starts a
/// facility's ledger).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct CountInput {
    /// Makes a retry safe.
    pub idempotency_key: String,
    /// The medicine.
    #[serde(flatten)]
    pub medicine: Medicine,
    /// Lot number.
    pub lot: String,
    /// The batch's expiry: needed when the ledger does not know the batch yet.
    #[serde(default)]
    pub expiry: Option<Date>,
    /// The quantity on the shelf.
    pub counted: u64,
}

/// Why stock is adjusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdjustReason {
    /// Past its expiry: taken off the shelf.
    Expired,
    /// Damaged.
    Damaged,
    /// Lost (or stolen).
    Lost,
    /// Found (stock that was not on the books).
    Found,
    /// A correction of an earlier entry, either way.
    Correction,
}

impl AdjustReason {
    /// The ledger's reason.
    pub fn reason(self) -> Reason {
        match self {
            AdjustReason::Expired => Reason::Expired,
            AdjustReason::Damaged => Reason::Damaged,
            AdjustReason::Lost => Reason::Lost,
            AdjustReason::Found => Reason::Found,
            AdjustReason::Correction => Reason::Correction,
        }
    }
}

/// `POST /api/v1/stock/adjustments`: an adjustment of one batch, with its reason.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct AdjustmentInput {
    /// Makes a retry safe.
    pub idempotency_key: String,
    /// The medicine.
    #[serde(flatten)]
    pub medicine: Medicine,
    /// Lot number.
    pub lot: String,
    /// Why.
    pub reason: AdjustReason,
    /// The signed change: below 0 for expired, damaged and lost, above for found.
    pub quantity: i64,
}

/// `POST /api/v1/stock/transfers`: stock of one batch sent to another facility.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct TransferInput {
    /// Makes a retry safe.
    pub idempotency_key: String,
    /// The medicine.
    #[serde(flatten)]
    pub medicine: Medicine,
    /// Lot number.
    pub lot: String,
    /// Quantity sent.
    pub quantity: u64,
    /// The receiving facility's code.
    pub to_facility: String,
}

/// `POST /api/v1/stock/transfers/{id}/receive`: what arrived.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiveInput {
    /// The quantity that arrived, if less than was sent (the difference stays on the
    /// transfer, for the watch).
    #[serde(default)]
    pub quantity: Option<u64>,
}

/// One ledger entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct LedgerEntry {
    /// Entry id (the audit entry's subject).
    pub id: String,
    /// Position in the medicine's ledger at the facility, from 1.
    pub seq: i64,
    /// Lot number.
    pub lot: String,
    /// The batch's expiry.
    pub expiry: Date,
    /// `receipt`, `transfer_out`, `transfer_in`, `count`, `adjustment`, `dispensing`,
    /// `administration`.
    pub movement: String,
    /// An adjustment's reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The signed change.
    pub quantity: i64,
    /// A count's quantity counted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counted: Option<i64>,
    /// The batch's stock after the entry.
    pub balance: i64,
    /// The transfer it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer_id: Option<String>,
    /// The dispensing or administration it belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    /// When, Unix seconds.
    pub recorded_at: i64,
    /// Who (user id).
    pub recorded_by: String,
}

fn day(what: &str, days: i64) -> Result<Date> {
    i32::try_from(days)
        .map(Date)
        .map_err(|e| Error::stored(what, e))
}

impl LedgerEntry {
    /// The entry of a stored row.
    ///
    /// # Errors
    /// A stored expiry out of range.
    pub fn from_row(r: LedgerRow) -> Result<LedgerEntry> {
        Ok(LedgerEntry {
            expiry: day("stock_ledger.expiry", r.expiry)?,
            id: r.id,
            seq: r.seq,
            lot: r.lot,
            movement: r.movement,
            reason: r.reason,
            quantity: r.quantity,
            counted: r.counted,
            balance: r.balance,
            transfer_id: r.transfer_id,
            source_id: r.source_id,
            recorded_at: r.recorded_at,
            recorded_by: r.recorded_by,
        })
    }
}

/// A transfer between facilities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Transfer {
    /// Transfer id.
    pub id: String,
    /// Sending facility.
    pub from_facility: String,
    /// Receiving facility.
    pub to_facility: String,
    /// The medicine.
    #[serde(flatten)]
    pub medicine: Medicine,
    /// Lot number.
    pub lot: String,
    /// The batch's expiry.
    pub expiry: Date,
    /// Quantity sent.
    pub quantity: i64,
    /// When sent, Unix seconds.
    pub sent_at: i64,
    /// `in_transit` or `received`.
    pub status: &'static str,
    /// Quantity that arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received_quantity: Option<i64>,
    /// When it arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub received_at: Option<i64>,
}

impl Transfer {
    /// The transfer of a stored row.
    ///
    /// # Errors
    /// A stored value out of range.
    pub fn from_row(t: TransferRow) -> Result<Transfer> {
        let item = Item {
            facility_code: t.from_facility.clone(),
            atc: t.atc,
            strength: t.strength,
            form: t.form,
        };
        Ok(Transfer {
            medicine: Medicine::of(&item)?,
            expiry: day("stock_transfers.expiry", t.expiry)?,
            id: t.id,
            from_facility: t.from_facility,
            to_facility: t.to_facility,
            lot: t.lot,
            quantity: t.quantity,
            sent_at: t.sent_at,
            status: if t.received_at.is_some() {
                "received"
            } else {
                "in_transit"
            },
            received_quantity: t.received_quantity,
            received_at: t.received_at,
        })
    }
}

/// The answer of a movement.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Moved {
    /// The ledger entries written (for a retry, the first request's).
    pub entries: Vec<LedgerEntry>,
    /// The medicine's stock on hand at the facility now, every batch.
    pub on_hand: u64,
    /// True when this answers a retry and nothing was written.
    pub replayed: bool,
    /// The transfer, for a transfer sent or received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer: Option<Transfer>,
}

/// A batch in stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StockBatch {
    /// Lot number.
    pub lot: String,
    /// Expiry.
    pub expiry: Date,
    /// On hand.
    pub on_hand: i64,
    /// Past its expiry: not dispensed from.
    pub expired: bool,
}

/// A medicine's stock at a facility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ItemStock {
    /// The medicine.
    #[serde(flatten)]
    pub medicine: Medicine,
    /// On hand, every batch.
    pub on_hand: i64,
    /// On hand in batches still in date.
    pub usable: i64,
    /// The batches in stock, first expiry first.
    pub batches: Vec<StockBatch>,
}

/// A facility's stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FacilityStock {
    /// The facility.
    pub facility_code: String,
    /// Whether the facility keeps stock in the registry: from its first receipt or count
    /// on, every dispensing there draws on it and is refused `out_of_stock` without it.
    pub keeps_stock: bool,
    /// Each medicine it has held.
    pub items: Vec<ItemStock>,
}

impl FacilityStock {
    /// Groups the rows of [`crate::db::stock::stock_of`] by medicine.
    ///
    /// # Errors
    /// A stored value out of range.
    pub fn from_rows(
        facility: &str,
        keeps_stock: bool,
        rows: Vec<StockRow>,
        today: Date,
    ) -> Result<FacilityStock> {
        let mut items: Vec<ItemStock> = Vec::new();
        for r in rows {
            let item = Item {
                facility_code: facility.to_owned(),
                atc: r.atc,
                strength: r.strength,
                form: r.form,
            };
            let medicine = Medicine::of(&item)?;
            if items.last().is_none_or(|last| last.medicine != medicine) {
                items.push(ItemStock {
                    medicine,
                    on_hand: r.item_on_hand,
                    usable: 0,
                    batches: Vec::new(),
                });
            }
            let Some(current) = items.last_mut() else {
                continue;
            };
            if let (Some(lot), Some(expiry), Some(on_hand)) = (r.lot, r.expiry, r.on_hand) {
                let expiry = day("stock_batches.expiry", expiry)?;
                let expired = expiry < today;
                if !expired {
                    current.usable += on_hand;
                }
                current.batches.push(StockBatch {
                    lot,
                    expiry,
                    on_hand,
                    expired,
                });
            }
        }
        Ok(FacilityStock {
            facility_code: facility.to_owned(),
            keeps_stock,
            items,
        })
    }
}

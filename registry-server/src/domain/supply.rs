//! The arithmetic of medicines and supplies (issue #14, "Medicines and supplies"): the stock
//! ledger of a medicine at a facility, the demand the registry already knows from its active
//! medicine authorisations, the requisition quantities of OpenLMIS, and the projected
//! stock-out date. Pure functions over integers and dates: nothing here reads the database
//! or knows of HTTP; the API and the desk call it with what they have gathered.
//!
//! - [`ledger`]: every change of stock is a row with a reason, replayed in order, never
//!   edited in place; the balance per batch, and which batches to dispense from (first
//!   expiry, first out);
//! - [`movement`]: one movement (receipt, transfer, count, adjustment, dispensing) planned
//!   against the batches an item holds, as the ledger entries it makes;
//! - [`openlmis`]: stock on hand E = A + B ± D − C, adjusted consumption N, average
//!   consumption P, maximum stock H, order quantity I, and months of stock;
//! - [`schedule`]: when each remaining dispensing of an authorisation falls due, and the
//!   quantity due per calendar month;
//! - [`demand`]: a month's demand per facility × medicine (the dispensings due plus the
//!   expected new cases), and which medicines have no WHO defined daily dose;
//! - [`regimens`]: the editable table of which medicines a new case will need, by site,
//!   morphology and stage;
//! - [`follow_through`]: the share of the doses due that patients collected, measured on
//!   the recent past and applied to the doses due ahead;
//! - [`forecast`]: one facility × medicine's demand for the months ahead, its consumption
//!   measures, stock-out date and proposed order;
//! - [`projection`]: the first day stock would run out, and the forecast error (MAPE) of a
//!   back-test.
//!
//! # Quantities
//! Every quantity is a whole number in the unit of the medicine's form (tablets, vials,
//! millilitres, units), as the authorisation on the card counts it
//! ([`card_format::model::MedicineAuthorisation::quantity`]). Nothing is converted: the
//! cytotoxics and antibodies have no WHO defined daily dose to convert to
//! ([`demand::no_defined_daily_dose`]). Dates are [`card_format::model::Date`], days since
//! 1970-01-01.
//!
//! # Sources
//! - OpenLMIS v3, requisition service (`openlmis-requisition`, VillageReach, AGPL-3.0):
//!   `LineItemFieldsCalculator` for E = A + B ± D − C, N = RoundUp(C × (M × 30) /
//!   ((M × 30) − X)) with N = C when there were no non-stock-out days and N = 0 when nothing
//!   was consumed, P = RoundUp(mean of N), H = P × maximum periods of stock, I = max(0, H −
//!   E); `DraftRequisitionValidator` for refusing more stock-out days than the period has;
//!   `LineItemFieldsCalculatorTest` for the published cases (C = 20, X = 5, M = 3 gives 22;
//!   X = 90 gives C; the averages of \[5, 10, 15\], \[5, 10\] and \[5\]; H and I). The
//!   ticket OLMIS-886 ("Configure Adjusted Consumption (N)") states the same definitions,
//!   and the wiki page "Adjusted Consumption calculations and 360-day calendar" (October
//!   2017) that the formula is only meaningful for periods of whole months.
//! - mSupply (open-mSupply, `server/graphql/types/src/types/item_stats.rs`): months of stock
//!   = stock on hand / average monthly consumption, none when the consumption is 0.
//! - WHO Collaborating Centre for Drug Statistics Methodology, *Guidelines for ATC
//!   classification and DDD assignment*: no DDDs for most antineoplastic agents (L01).
//!
//! Every function refuses what it cannot compute with a [`SupplyError`] (or answers `None`)
//! instead of panicking, and saturates or checks where a sum or product could overflow.

pub mod demand;
pub mod follow_through;
pub mod forecast;
pub mod ledger;
pub mod movement;
pub mod openlmis;
pub mod projection;
pub mod regimens;
pub mod schedule;

pub use ledger::{Batch, Entry, Movement, Reason};
pub use schedule::Authorised;

/// Why a supply quantity could not be computed, or a ledger could not be replayed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SupplyError {
    /// A requisition period of no months: OpenLMIS counts periods in whole months.
    #[error("a period of {months} months: expected at least 1")]
    InvalidPeriod {
        /// The months given.
        months: u32,
    },
    /// More stock-out days than the period has (OpenLMIS refuses these too).
    #[error("{stockout_days} stock-out days in a period of {period_days} days")]
    StockoutDaysExceedPeriod {
        /// The stock-out days given.
        stockout_days: u32,
        /// The length of the period, months × 30 days.
        period_days: u64,
    },
    /// Stock on hand E = A + B ± D − C below zero: the figures of the period disagree.
    #[error("stock on hand would be {value}: the period's figures disagree")]
    NegativeStockOnHand {
        /// The value computed.
        value: i128,
    },
    /// A number too large for the quantity it makes.
    #[error("{0} overflows")]
    Overflow(&'static str),
    /// A count, share or rate that is negative, NaN, infinite or out of its range.
    #[error("{what} is {value}: {expected}")]
    InvalidNumber {
        /// What the number is.
        what: &'static str,
        /// The value refused.
        value: f64,
        /// What was expected instead.
        expected: &'static str,
    },
    /// A ledger entry that would take a batch below zero.
    #[error(
        "ledger entry {index} ({movement}) would take batch {batch} from {on_hand} to below 0"
    )]
    BelowZero {
        /// The entry's position in the ledger, from 0.
        index: usize,
        /// The entry's movement.
        movement: Movement,
        /// The batch.
        batch: String,
        /// The batch's balance before the entry.
        on_hand: u64,
        /// The entry's signed change (for a count, the quantity counted).
        quantity: i64,
    },
    /// A ledger entry whose sign does not fit its movement: a receipt that takes stock
    /// away, a dispensing that adds, a count below zero.
    #[error("ledger entry {index} ({movement}) has quantity {quantity}: expected {expected}")]
    WrongSign {
        /// The entry's position in the ledger, from 0.
        index: usize,
        /// The entry's movement.
        movement: Movement,
        /// The quantity refused.
        quantity: i64,
        /// What the movement allows.
        expected: &'static str,
    },
    /// A ledger entry that gives a batch another expiry than its earlier entries did.
    #[error("ledger entry {index}: batch {batch} expires {expiry}, earlier entries say {known}")]
    ExpiryMismatch {
        /// The entry's position in the ledger, from 0.
        index: usize,
        /// The batch.
        batch: String,
        /// The expiry this entry gives.
        expiry: card_format::model::Date,
        /// The expiry of the earlier entries.
        known: card_format::model::Date,
    },
    /// A ledger entry whose batch balance would exceed what a `u64` holds.
    #[error("ledger entry {index} overflows the balance of batch {batch}")]
    LedgerOverflow {
        /// The entry's position in the ledger, from 0.
        index: usize,
        /// The batch.
        batch: String,
    },
    /// Not enough unexpired stock to dispense the quantity asked for.
    #[error("out of stock: {wanted} wanted, {available} in unexpired batches")]
    OutOfStock {
        /// The quantity asked for.
        wanted: u64,
        /// The quantity in unexpired batches.
        available: u64,
    },
}

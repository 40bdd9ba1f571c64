//! The registry's operations, behind both of its doors: the JSON API ([`crate::http`]) and
//! the web desk ([`crate::desk`]).
//!
//! Each operation takes the [`Caller`](crate::auth::Caller), checks the caller's role,
//! applies the rules, writes its audit entries and returns a domain value or an [`Error`].
//! Nothing here knows of HTTP, forms or templates; every SQL statement is in
//! [`crate::db`], which the operations call.
//!
//! - [`patients`]: register, find, read and correct a patient;
//! - [`clinical`]: the four kinds of clinical record (tumours, treatments, allergies,
//!   medicine authorisations) through one create / correct / withdraw / history path, and
//!   the whole record;
//! - [`cards`]: issue, read, check and revoke cards;
//! - [`dispensing`]: record a dispensing, judged by the shared rulebook
//!   ([`registry_api::dispensing::rules`]), and read them back;
//! - [`stock`]: each facility's stock of medicines, its ledger, transfers, and what
//!   dispensings and administrations draw from it;
//! - [`administration`]: infusions and injections given at a day-care unit, against the
//!   authorisation and the unit's stock;
//! - [`demand`]: each facility's demand for medicines in the months ahead, from the
//!   authorisations and the expected new cases, beside OpenLMIS's consumption measures;
//! - [`trust`]: the signed trust bundle, cached per trust sequence;
//! - [`watch`]: the inspectors' reports on unjustified disbursement, with the audit
//!   entries behind each row;
//! - [`import`]: bringing existing records in (the template, CanReg5 exports), checked row by
//!   row, with a dry run, idempotent;
//! - [`access`]: facilities, users, tokens, passwords and desk sign-in;
//! - [`audit`]: who did what, and reading and verifying the hash-chained log.

pub mod access;
pub mod administration;
pub mod approvals;
pub mod audit;
pub mod cards;
pub mod checks;
pub mod clinical;
pub mod credentials;
pub mod data_table;
pub mod demand;
pub mod dispensing;
pub mod duplicates;
pub mod error;
pub mod follow_up;
pub mod iccc;
pub mod import;
pub mod issuers;
pub mod linkage;
pub mod patients;
pub mod population;
pub mod primaries;
pub mod recheck;
pub mod statistics;
pub mod stats;
pub mod stock;
pub mod supply;
pub mod text;
pub mod trust;
pub mod watch;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub use error::{Error, Result};

use crate::db::Db;
use crate::metrics::Metrics;
use crate::signing::Signing;

/// The registry: what every operation works with. Cheap to clone; both doors hold one.
#[derive(Clone)]
pub struct Registry {
    /// The database pool.
    pub db: Db,
    /// The issuing and list-signing keys with their certificates; never serialised or logged.
    pub signing: Arc<Signing>,
    /// Settings.
    pub settings: Arc<Settings>,
    /// The clock (tests move it).
    pub clock: Clock,
    /// The last signed trust bundle, reused while nothing it lists has changed.
    pub bundle: Arc<tokio::sync::Mutex<Option<trust::CachedBundle>>>,
    /// This instance's Prometheus metrics.
    pub metrics: Arc<Metrics>,
    /// The demand report's follow-through, measured once a day ([`demand`]).
    pub follow_through: Arc<tokio::sync::Mutex<Option<MeasuredFollowThrough>>>,
}

/// The follow-through and the day it was measured on.
pub type MeasuredFollowThrough = (card_format::model::Date, Arc<FollowThroughOf>);

/// The follow-through of each medicine, as the demand report keeps it.
pub type FollowThroughOf = supply::follow_through::FollowThrough<demand::Medicine>;

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("db", &self.db.backend)
            .finish_non_exhaustive()
    }
}

/// Settings of an instance.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Validity of a new card, days.
    pub card_validity_days: u64,
    /// Largest request body, bytes.
    pub max_body_bytes: usize,
    /// Time limit per request.
    pub request_timeout: Duration,
    /// Re-sign the trust bundle at least this often, even when nothing changed, so offline
    /// verifiers see a fresh issue time.
    pub bundle_max_age: Duration,
    /// The request header holding the client's address (set by a reverse proxy), for the
    /// desk's sign-in rate limit; None: the connection's peer address.
    pub client_address_header: Option<String>,
    /// The regimen table of the demand forecast (`--regimens`, else the built-in sample).
    pub regimens: Arc<supply::regimens::Regimens>,
    /// Lifetime of a new API token, days (`--token-lifetime-days`).
    pub token_lifetime_days: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            card_validity_days: 1826,
            max_body_bytes: 256 * 1024,
            request_timeout: Duration::from_secs(30),
            bundle_max_age: Duration::from_secs(3600),
            client_address_header: None,
            regimens: Arc::new(supply::regimens::Regimens::built_in()),
            token_lifetime_days: 90,
        }
    }
}

/// Unix time in seconds: the system clock, or a settable one for tests.
#[derive(Debug, Clone, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock(None)
    }

    /// A clock standing at `now` until moved.
    pub fn fixed(now: i64) -> Clock {
        Clock(Some(Arc::new(AtomicI64::new(now))))
    }

    /// Moves a fixed clock forward by `seconds` (no effect on the system clock).
    pub fn advance(&self, seconds: i64) {
        if let Some(t) = &self.0 {
            t.fetch_add(seconds, Ordering::SeqCst);
        }
    }

    /// Now, in Unix seconds.
    pub fn now(&self) -> i64 {
        match &self.0 {
            Some(t) => t.load(Ordering::SeqCst),
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
                .unwrap_or(0),
        }
    }

    /// Today's date.
    pub fn today(&self) -> card_format::model::Date {
        card_format::model::Date::from_unix_seconds(u64::try_from(self.now()).unwrap_or(0))
    }
}

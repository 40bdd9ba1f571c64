//! The registry's API contract, shared by the server that serves it and the card-agent that
//! calls it, so a field renamed on one side fails to compile on the other:
//!
//! - [`dispensing`]: the bodies of `POST /api/v1/dispensings` and of an authorisation's
//!   dispensings, and [`dispensing::rules`], the one dispensing rulebook that the registry
//!   applies online, the registry applies to offline dispensings as they sync, and the
//!   card-agent applies offline at the pharmacy: same facts, same verdict, everywhere;
//! - [`problem`]: the RFC 9457 problem body of every error answer.
//!
//! Nothing here does I/O: it is types and pure functions.
//!
//! ```
//! use registry_api::dispensing::rules::{self, Authorisation, Card, Earlier, Facts};
//! use registry_api::dispensing::Refusal;
//! use card_format::model::Date;
//!
//! let day = 86_400;
//! let authorisation = Authorisation {
//!     authorised_at: None, quantity: 30, dispensings: 6, interval_days: 28, valid_until: Date(20_500),
//! };
//! let facts = Facts {
//!     at: 20_000 * day,
//!     card: Some(Card::active(21_000 * day)),
//!     authorisation: Ok(authorisation),
//!     quantity: 30,
//!     earlier: Earlier { count: 1, nearest: Some(20_000 * day - 10 * day) },
//! };
//! let verdict = rules::judge(&facts);
//! assert!(matches!(verdict.first(), Some(Refusal::TooSoon { .. })));
//! ```

pub mod dispensing;
pub mod problem;

//! The HTTP API: one door to the registry ([`crate::domain`]). A handler parses its input
//! into the domain's types, calls the domain, and maps a [`crate::domain::Error`] to an RFC
//! 9457 problem ([`error`]). It never calls the web desk ([`crate::desk`]), nor the desk it.
//!
//! Each resource module has its own `router()` of documented handlers; [`documented`] merges
//! them with the OpenAPI document's root, [`router`] keeps the routes.
//! [`crate::server::app`] adds the desk and the layers every request goes through.
//!
//! Outside `/api/v1`, without authentication: `/healthz`, `/readyz` ([`health`]) and
//! `/metrics` ([`metrics`]); inside it, public too: `/api/v1/openapi.json` ([`openapi`]) and
//! `/api/v1/trust-bundle` ([`trust`]).

pub mod admin;
pub mod approvals;
pub mod audit;
pub mod auth;
pub mod cards;
pub mod clinical;
pub mod credentials;
pub mod dispensings;
pub mod error;
pub mod follow_up;
pub mod health;
pub mod issuers;
pub mod linkage;
pub mod metrics;
pub mod openapi;
pub mod patients;
pub mod statistics;
pub mod stock;
pub mod trust;

use axum::Router;
use utoipa_axum::router::OpenApiRouter;

pub use error::{ApiError, AppJson, AppQuery};

pub use crate::domain::Registry;

/// The API's routes: `/api/v1/...`, `/healthz`, `/readyz` and `/metrics`, without the
/// layers [`crate::server::app`] adds around them and the desk.
pub fn router() -> Router<Registry> {
    documented().split_for_parts().0
}

/// Every route with its OpenAPI operation: a handler's path is written once, in its
/// `#[utoipa::path]`, and both the router and the document ([`openapi`]) take it from there.
pub fn documented() -> OpenApiRouter<Registry> {
    OpenApiRouter::with_openapi(<openapi::ApiDoc as utoipa::OpenApi>::openapi())
        .merge(admin::router())
        .merge(credentials::router())
        .merge(approvals::router())
        .merge(audit::router())
        .merge(patients::router())
        .merge(follow_up::router())
        .merge(linkage::router())
        .merge(statistics::router())
        .merge(clinical::router())
        .merge(cards::router())
        .merge(dispensings::router())
        .merge(stock::router())
        .merge(trust::router())
        .merge(issuers::router())
        .merge(openapi::router())
        .merge(health::router())
        .merge(metrics::router())
}

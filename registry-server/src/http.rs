//! The HTTP API: shared state, the router, and serving it.
//!
//! Each resource module has its own `router()`; [`router`] merges them under `/api/v1` and
//! adds the layers every request goes through: a body size limit, a time limit, a trace span
//! that records the method and the route template (`/api/v1/patients/{id}`) and a log line
//! with the status and latency when the response is sent, and the Prometheus counters of
//! [`metrics`], labelled the same way. Neither ever sees the path as called, the query string
//! or the body: all three can hold patient data.
//!
//! The web desk ([`crate::desk`]) is merged in under `/desk/`, with its own session
//! authentication; `/` redirects to it.
//!
//! Outside `/api/v1`, without authentication: `/healthz`, `/readyz` ([`health`]) and
//! `/metrics` ([`metrics`]); inside it, public too: `/api/v1/openapi.json` ([`openapi`]) and
//! `/api/v1/trust-bundle` ([`trust`]).

pub mod admin;
pub mod audit;
pub mod cards;
pub mod clinical;
pub mod dispensings;
pub mod error;
pub mod health;
pub mod issuers;
pub mod metrics;
pub mod openapi;
pub mod patients;
pub mod tls;
pub mod trust;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::Router;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use error::{ApiError, AppJson, AppQuery};

use crate::db::Db;
use crate::signing::Signing;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database pool.
    pub db: Db,
    /// The issuing and list-signing keys with their certificates; never serialised or logged.
    pub signing: Arc<Signing>,
    /// Settings that handlers need.
    pub settings: Arc<Settings>,
    /// The clock (tests move it).
    pub clock: Clock,
    /// The last signed trust bundle, reused while nothing it lists has changed.
    pub bundle: Arc<tokio::sync::Mutex<Option<trust::CachedBundle>>>,
    /// This instance's Prometheus metrics.
    pub metrics: Arc<metrics::Metrics>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("db", &self.db.backend)
            .finish_non_exhaustive()
    }
}

/// Settings handlers read.
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
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            card_validity_days: 1826,
            max_body_bytes: 256 * 1024,
            request_timeout: Duration::from_secs(30),
            bundle_max_age: Duration::from_secs(3600),
            client_address_header: None,
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

/// The whole application, ready to serve or to call in tests with `oneshot`.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(admin::router())
        .merge(audit::router())
        .merge(patients::router())
        .merge(clinical::router())
        .merge(cards::router())
        .merge(dispensings::router())
        .merge(trust::router())
        .merge(issuers::router())
        .merge(openapi::router());
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request| {
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map_or("unmatched", MatchedPath::as_str);
            tracing::info_span!("request", method = %req.method(), route = %route)
        })
        .on_response(DefaultOnResponse::new().level(Level::INFO));
    let count = axum::middleware::from_fn_with_state(state.metrics.clone(), metrics::track);
    Router::new()
        .nest("/api/v1", api)
        .merge(crate::desk::router())
        .merge(health::router())
        .merge(metrics::router())
        .layer(DefaultBodyLimit::max(state.settings.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            state.settings.request_timeout,
        ))
        .layer(trace)
        .layer(count)
        .with_state(state)
}

/// Serves `router` on `listener`, plain HTTP, until `shutdown` resolves ([`tls::serve`]
/// serves HTTPS).
///
/// # Errors
/// The listener fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

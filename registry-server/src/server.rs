//! The server: both doors of the registry, the JSON API ([`crate::http`]) and the web desk
//! ([`crate::desk`]), on one listener, with the layers every request goes through; served
//! over plain HTTP ([`serve`]) or HTTPS ([`tls::serve`]).
//!
//! The layers: a body size limit, a time limit, a trace span that records the method and the
//! route template (`/api/v1/patients/{id}`) and a log line with the status and latency when
//! the response is sent, and the Prometheus counters of [`crate::http::metrics`], labelled
//! the same way. None of them ever sees the path as called, the query string or the body:
//! all three can hold patient data.

mod connections;
pub mod tls;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::Router;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::domain::Registry;

/// The whole application, ready to serve or to call in tests with `oneshot`: the API, the
/// desk under `/desk/` (and `/`, which redirects to it), and the layers.
pub fn app(registry: Registry) -> Router {
    let trace = TraceLayer::new_for_http()
        .make_span_with(|req: &Request| {
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map_or("unmatched", MatchedPath::as_str);
            tracing::info_span!("request", method = %req.method(), route = %route)
        })
        .on_response(DefaultOnResponse::new().level(Level::INFO));
    let count =
        axum::middleware::from_fn_with_state(registry.metrics.clone(), crate::http::metrics::track);
    Router::new()
        .merge(crate::http::router())
        .merge(crate::desk::router())
        .layer(DefaultBodyLimit::max(registry.settings.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            registry.settings.request_timeout,
        ))
        .layer(axum::middleware::from_fn(
            crate::http::error::problems_everywhere,
        ))
        .layer(trace)
        .layer(count)
        .with_state(registry)
}

/// Serves `app` on `listener`, plain HTTP/1.1, until `shutdown` resolves ([`tls::serve`]
/// serves HTTPS); a client gets `header_read_timeout` to send each request's headers.
///
/// # Errors
/// None today: accept errors are logged and retried.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    header_read_timeout: std::time::Duration,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    connections::serve(
        listener,
        app,
        header_read_timeout,
        shutdown,
        |tcp| async move { Some(tcp) },
    )
    .await
}

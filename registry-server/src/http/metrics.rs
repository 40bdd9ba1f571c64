//! Prometheus metrics at `GET /metrics` (text exposition format 0.0.4), and the middleware
//! that counts every answered request ([`crate::metrics`] holds the counters).
//!
//! The endpoint is public, on the API's own port, like `/healthz`: it carries counts only,
//! labelled by HTTP method, route *template* (`/api/v1/patients/{id}`, never the path that
//! was called), status code, and the stable refusal and conflict codes of dispensing. No
//! identifier, name, token or query string can reach a label. A deployment that wants it
//! private blocks `/metrics` at its reverse proxy or firewall and scrapes the instance
//! directly.
//!
//! Each [`super::Registry`] owns its registry, so two instances in one process
//! (as in the tests) count separately.

use std::sync::Arc;
use std::time::Instant;

use super::Registry;
use crate::metrics::Metrics;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The media type of the Prometheus text format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /metrics`, outside `/api/v1` and without authentication.
pub fn router() -> OpenApiRouter<Registry> {
    OpenApiRouter::new().routes(routes!(metrics))
}

/// Prometheus metrics: request counts and durations by route template, cards issued,
/// dispensings recorded and refused by code, database pool use. No patient data.
#[utoipa::path(
    get,
    path = "/metrics",
    summary = "Prometheus metrics",
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition format 0.0.4",
            body = String, content_type = "text/plain; version=0.0.4"),
        (status = 500, description = "The metrics could not be encoded",
            body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn metrics(State(state): State<Registry>) -> Response {
    let m = &state.metrics;
    let pool = &state.db.pool;
    let size = i64::from(pool.size());
    let idle = i64::try_from(pool.num_idle()).unwrap_or(i64::MAX);
    m.db_connections.with_label_values(&["idle"]).set(idle);
    m.db_connections
        .with_label_values(&["in_use"])
        .set(size.saturating_sub(idle).max(0));
    m.db_max_connections
        .set(i64::from(pool.options().get_max_connections()));
    match m.render() {
        Ok(text) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response(),
        Err(e) => super::ApiError::internal(format!("cannot encode metrics: {e}")).into_response(),
    }
}

/// Middleware (added with `Router::layer`, so the route is matched): counts every answered
/// request by method, route template and status, and times it.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = method_label(req.method());
    let start = Instant::now();
    let response = next.run(req).await;
    metrics.observe(
        method,
        &route,
        response.status().as_str(),
        start.elapsed().as_secs_f64(),
    );
    response
}

/// The method as a label: the standard ones by name, anything else as `other`, so a client
/// cannot grow the label set.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_share_one_label() {
        let odd = Method::from_bytes(b"BREW").map(|m| method_label(&m));
        assert_eq!(odd.ok(), Some("other"));
    }
}

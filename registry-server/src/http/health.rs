//! `/healthz` (the process answers) and `/readyz` (and its database does).

use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Registry;

/// The health routes, outside `/api/v1` and without authentication.
pub fn router() -> OpenApiRouter<Registry> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

/// Liveness: 200 `ok` while the process answers (the database is not asked).
#[utoipa::path(
    get,
    path = "/healthz",
    summary = "Liveness",
    tag = "operations",
    responses((status = 200, description = "The process answers", body = String,
        content_type = "text/plain", example = "ok"))
)]
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: 200 when the database answers within a second, 503 otherwise.
#[utoipa::path(
    get,
    path = "/readyz",
    summary = "Readiness",
    tag = "operations",
    responses(
        (status = 200, description = "The database answers", body = String,
            content_type = "text/plain", example = "ready"),
        (status = 503, description = "The database does not answer", body = String,
            content_type = "text/plain", example = "database unavailable"),
    )
)]
async fn readyz(State(state): State<Registry>) -> (StatusCode, &'static str) {
    match tokio::time::timeout(READY_WITHIN, state.db.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, "ready"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "database not reachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
        Err(_) => {
            tracing::warn!("database did not answer within a second");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// How long the readiness probe waits for the database: a probe learns within a second.
const READY_WITHIN: std::time::Duration = std::time::Duration::from_secs(1);

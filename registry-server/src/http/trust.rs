//! The trust bundle: `GET /api/v1/trust-bundle`, public, with ETag / If-None-Match
//! ([`crate::domain::trust`] signs and caches it).

use super::{ApiError, Registry};
use crate::domain::trust;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Media type of a signed bundle (a COSE_Sign1, RFC 9052 §2).
pub const BUNDLE_MEDIA_TYPE: &str = "application/cose; cose-type=\"cose-sign1\"";

/// Routes under `/api/v1`.
pub fn router() -> OpenApiRouter<Registry> {
    OpenApiRouter::new().routes(routes!(get_bundle))
}

/// `GET /api/v1/trust-bundle`: 200 with the bundle, or 304 when `If-None-Match` matches.
#[utoipa::path(
    get,
    path = "/api/v1/trust-bundle",
    summary = "Fetch the signed trust bundle",
    tag = "trust",
    params(("If-None-Match" = Option<String>, Header, description = "The ETag of a bundle held")),
    responses(
        (status = 200, description = "The signed trust bundle (COSE_Sign1): issuer certificates, revoked issuers and cards, superseded cards; no patient data",
            content_type = "application/cose; cose-type=\"cose-sign1\"", body = Vec<u8>,
            headers(("ETag" = String, description = "Strong ETag of the bytes"), ("Cache-Control" = String, description = "`no-cache`"))),
        (status = 304, description = "Not modified: the bundle held is current"),
        (status = 500, description = "The bundle could not be built or signed (`internal`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn get_bundle(
    State(state): State<Registry>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let bundle = trust::current(&state).await?;
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == bundle.etag));
    let cache = [
        (header::ETAG, bundle.etag.clone()),
        (header::CACHE_CONTROL, "no-cache".to_string()),
    ];
    if not_modified {
        return Ok((StatusCode::NOT_MODIFIED, cache).into_response());
    }
    Ok((
        StatusCode::OK,
        cache,
        [(header::CONTENT_TYPE, BUNDLE_MEDIA_TYPE.to_string())],
        bundle.bytes,
    )
        .into_response())
}

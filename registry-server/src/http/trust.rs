//! The trust bundle: `GET /api/v1/trust-bundle`, public, with ETag / If-None-Match.
//!
//! The bundle lists issuer certificates, revoked issuer keys, revoked and superseded cards;
//! none of it is patient data (serials are random). It is signed with the list-signing key
//! and cached until the database's trust sequence moves on (any revocation, supersession or
//! issuer change bumps it in the same transaction) or until it is older than
//! `Settings::bundle_max_age`, so offline verifiers always get a recent issue time.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use card_format::trust::{RevocationReason, RevokedCard, MAX_BUNDLE_LEN};
use card_format::{CardSerial, KeyId, TrustBundle, TrustStore};
use sha2::{Digest, Sha256};

use super::{ApiError, AppState};
use crate::db;

/// Media type of a signed bundle (a COSE_Sign1, RFC 9052 §2).
pub const BUNDLE_MEDIA_TYPE: &str = "application/cose; cose-type=\"cose-sign1\"";

/// A signed bundle and what it was made from.
#[derive(Debug, Clone)]
pub struct CachedBundle {
    /// The trust sequence it reflects.
    pub sequence: i64,
    /// When it was signed.
    pub made: Instant,
    /// The signed bytes (shared: a bundle can hold millions of revocations).
    pub bytes: axum::body::Bytes,
    /// Strong ETag: a hash of the bytes.
    pub etag: String,
    /// The same bundle verified against the root, as an offline verifier loads it: what the
    /// desk's pharmacy page checks cards with, built once per bundle, not once per card.
    pub store: Arc<TrustStore>,
}

/// Routes under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new().route("/trust-bundle", get(get_bundle))
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
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let bundle = current(&state).await?;
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

/// The current signed bundle, from the cache or freshly signed.
///
/// # Errors
/// Database or signing errors.
pub async fn current(state: &AppState) -> Result<CachedBundle, ApiError> {
    let sequence = db::trust::sequence(&state.db).await?;
    let mut cache = state.bundle.lock().await;
    if let Some(cached) = cache.as_ref() {
        if cached.sequence == sequence && cached.made.elapsed() < state.settings.bundle_max_age {
            return Ok(cached.clone());
        }
    }
    let bytes = build(state, sequence).await?;
    let etag = format!(
        "\"{}\"",
        data_encoding::HEXLOWER.encode(&Sha256::digest(&bytes)[..12])
    );
    let store = TrustStore::from_bundle(state.signing.root.clone(), &bytes, MAX_BUNDLE_LEN)
        .map_err(|e| ApiError::Internal(format!("own trust bundle does not verify: {e}")))?;
    let fresh = CachedBundle {
        sequence,
        made: Instant::now(),
        bytes: bytes.into(),
        etag,
        store: Arc::new(store),
    };
    *cache = Some(fresh.clone());
    Ok(fresh)
}

async fn build(state: &AppState, sequence: i64) -> Result<Vec<u8>, ApiError> {
    let (revoked, superseded) = db::cards::bundle_lists(&state.db).await?;
    let bad = |what: &str| ApiError::Internal(format!("stored {what} does not parse"));
    let mut bundle = TrustBundle {
        sequence: u64::try_from(sequence).map_err(|_| bad("sequence"))?,
        issued_at: u64::try_from(state.clock.now()).unwrap_or(0),
        issuer_certificates: db::trust::issuer_certificates(&state.db).await?,
        revoked_issuers: db::trust::revoked_issuers(&state.db)
            .await?
            .iter()
            .map(|kid| {
                data_encoding::HEXLOWER
                    .decode(kid.as_bytes())
                    .ok()
                    .and_then(|b| KeyId::from_bytes(&b).ok())
                    .ok_or_else(|| bad("issuer kid"))
            })
            .collect::<Result<_, _>>()?,
        revoked_cards: revoked
            .iter()
            .map(|(serial, reason, at)| {
                Ok(RevokedCard {
                    serial: CardSerial::parse(serial).map_err(|_| bad("serial"))?,
                    reason: reason_from(reason),
                    revoked_at: u64::try_from(*at).unwrap_or(0),
                })
            })
            .collect::<Result<_, ApiError>>()?,
        superseded: superseded
            .iter()
            .map(|s| CardSerial::parse(s).map_err(|_| bad("serial")))
            .collect::<Result<_, _>>()?,
    };
    bundle.normalise();
    bundle
        .sign(state.signing.list.as_ref(), &state.signing.list_certificate)
        .map_err(|e| ApiError::Internal(format!("cannot sign the trust bundle: {e}")))
}

/// The reason for a stored name.
pub fn reason_from(name: &str) -> RevocationReason {
    match name {
        "lost" => RevocationReason::Lost,
        "stolen" => RevocationReason::Stolen,
        "deceased" => RevocationReason::Deceased,
        "error" => RevocationReason::Error,
        _ => RevocationReason::Other,
    }
}

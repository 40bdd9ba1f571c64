//! Issuer keys published in the trust bundle (admin): register another site's root-signed
//! certificate, list them, revoke a compromised key.
//!
//! The server registers its own issuing certificate at every start, so after a key rotation
//! the old certificate stays published and cards signed with the old key keep verifying
//! (until their own expiry). Revoking a key makes every card it signed fail with
//! `issuer_revoked` once verifiers sync the bundle: the answer to a stolen key.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use card_format::Certificate;
use serde::{Deserialize, Serialize};

use super::admin::actor;
use super::{ApiError, AppJson, AppState};
use crate::auth::{Caller, Role};
use crate::db;

/// Routes under `/api/v1`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/issuers", get(list).post(register))
        .route("/issuers/{kid}/revoke", post(revoke))
}

/// A certificate to publish, as hex.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIssuer {
    /// The root-signed certificate (`registry-server keys certify` output), hex.
    pub certificate_hex: String,
}

/// A published issuer key.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IssuerView {
    /// Key id, hex.
    pub kid: String,
    /// The site's issuer id (a card's `iss`).
    pub issuer_id: String,
    /// Region.
    pub region: String,
    /// Start of the signing period, Unix seconds.
    pub not_before: u64,
    /// End of the signing period, Unix seconds.
    pub not_after: u64,
    /// Whether the ministry revoked it.
    pub revoked: bool,
}

fn view(cert: &Certificate, revoked: &[String]) -> IssuerView {
    let kid = cert.kid().to_hex();
    IssuerView {
        revoked: revoked.contains(&kid),
        kid,
        issuer_id: cert.issuer_id.clone(),
        region: cert.region.clone(),
        not_before: cert.not_before,
        not_after: cert.not_after,
    }
}

/// `POST /api/v1/issuers`: publish a certificate that chains to the ministry root.
#[utoipa::path(
    post,
    path = "/api/v1/issuers",
    summary = "Publish another site's issuer certificate in the trust bundle",
    tag = "issuers",
    security(("bearer" = [])),
    request_body = NewIssuer,
    responses(
        (status = 201, description = "Published", body = IssuerView),
        (status = 409, description = "Already published (`duplicate_issuer`)",
            body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
pub(super) async fn register(
    State(state): State<AppState>,
    caller: Caller,
    AppJson(body): AppJson<NewIssuer>,
) -> Result<(StatusCode, AppJson<IssuerView>), ApiError> {
    caller.require(&[Role::Admin])?;
    let bytes = data_encoding::HEXLOWER_PERMISSIVE
        .decode(body.certificate_hex.trim().as_bytes())
        .map_err(|_| ApiError::invalid("certificate_hex", "not hex"))?;
    let cert = Certificate::verify(&bytes, &state.signing.root)
        .map_err(|e| ApiError::invalid("certificate_hex", e.to_string()))?;
    if !cert.usage.permits(card_format::Usage::CARDS) {
        return Err(ApiError::invalid(
            "certificate_hex",
            "the certificate does not permit cards",
        ));
    }
    let now = state.clock.now();
    let kid = cert.kid().to_hex();
    let mut tx = state.db.pool.begin().await?;
    if !db::trust::add_issuer_certificate(&mut tx, &kid, &bytes, now).await? {
        return Err(ApiError::conflict(
            "duplicate_issuer",
            "this key is already published",
        ));
    }
    db::audit::append(
        &mut tx,
        now,
        &actor(&caller),
        "issuer.register",
        "issuer",
        &kid,
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, AppJson(view(&cert, &[]))))
}

/// `GET /api/v1/issuers`
#[utoipa::path(
    get,
    path = "/api/v1/issuers",
    summary = "List the published issuer keys",
    tag = "issuers",
    security(("bearer" = [])),
    responses((status = 200, description = "Every published issuer key", body = Vec<IssuerView>))
)]
pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<AppJson<Vec<IssuerView>>, ApiError> {
    caller.require(&[Role::Admin, Role::Auditor])?;
    let revoked = db::trust::revoked_issuers(&state.db).await?;
    let views = db::trust::issuer_certificates(&state.db)
        .await?
        .iter()
        .map(|bytes| {
            Certificate::verify(bytes, &state.signing.root)
                .map(|c| view(&c, &revoked))
                .map_err(|e| ApiError::Internal(format!("stored certificate does not verify: {e}")))
        })
        .collect::<Result<_, _>>()?;
    Ok(AppJson(views))
}

/// `POST /api/v1/issuers/{kid}/revoke`: every card signed by this key fails verification
/// (`issuer_revoked`) once verifiers sync the bundle.
#[utoipa::path(
    post,
    path = "/api/v1/issuers/{kid}/revoke",
    summary = "Revoke an issuer key",
    tag = "issuers",
    security(("bearer" = [])),
    params(("kid" = String, Path, description = "Key id, 16 hex digits")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such published key",
            body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already revoked (`already_revoked`), or this server's own key \
            (`revoking_own_key`)", body = super::error::Problem,
            content_type = "application/problem+json"),
    )
)]
pub(super) async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(kid): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(&[Role::Admin])?;
    let kid = kid.to_lowercase();
    let published = db::trust::issuer_certificates(&state.db)
        .await?
        .iter()
        .filter_map(|bytes| Certificate::verify(bytes, &state.signing.root).ok())
        .any(|c| c.kid().to_hex() == kid);
    if !published {
        return Err(ApiError::NotFound { what: "issuer" });
    }
    if kid == state.signing.issuer_info.kid().to_hex() {
        return Err(ApiError::conflict(
            "revoking_own_key",
            "this server signs with that key: rotate it first (registry-server keys rotate)",
        ));
    }
    let now = state.clock.now();
    let mut tx = state.db.pool.begin().await?;
    if !db::trust::revoke_issuer(&mut tx, &kid, now).await? {
        return Err(ApiError::conflict(
            "already_revoked",
            "this key is already revoked",
        ));
    }
    db::audit::append(
        &mut tx,
        now,
        &actor(&caller),
        "issuer.revoke",
        "issuer",
        &kid,
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

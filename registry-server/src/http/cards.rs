//! Cards: issue, fetch (metadata, signed bytes, QR text), status for insurers and pharmacies,
//! revoke ([`crate::domain::cards`]).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Allowed, CardIssuers, CardStatusReaders};
use super::{ApiError, AppJson, AppQuery, Registry};
use crate::domain::cards::{self, CardStatus, CardView, IssuedCard, Revocation};

/// Routes under `/api/v1`.
pub fn router() -> OpenApiRouter<Registry> {
    OpenApiRouter::new()
        .routes(routes!(issue))
        .routes(routes!(metadata))
        .routes(routes!(cose))
        .routes(routes!(qr))
        .routes(routes!(status))
        .routes(routes!(revoke))
}

/// `POST /api/v1/patients/{id}/cards`: issue a card (supersedes the current one).
#[utoipa::path(
    post,
    path = "/api/v1/patients/{id}/cards",
    summary = "Issue a card",
    tag = "cards",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Patient id")),
    responses(
        (status = 201, description = "Issued; the patient's previous card is superseded", body = IssuedCard),
        (status = 404, description = "No such patient (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The record holds more than a card can carry", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn issue(
    Allowed(caller, _): Allowed<CardIssuers>,
    State(state): State<Registry>,
    Path(patient_id): Path<String>,
) -> Result<(StatusCode, AppJson<IssuedCard>), ApiError> {
    let card = cards::issue(&state, &caller, &patient_id).await?;
    Ok((StatusCode::CREATED, AppJson(card)))
}

/// `GET /api/v1/cards/{serial}` (registrar).
#[utoipa::path(
    get,
    path = "/api/v1/cards/{serial}",
    summary = "Read a card's metadata",
    tag = "cards",
    security(("bearer" = [])),
    params(("serial" = String, Path, description = "Card serial, `XXXX-XXXX-XXXX-XXXX` (hyphens optional)")),
    responses(
        (status = 200, description = "The card's metadata (the read is audited)", body = CardView),
        (status = 404, description = "No such card (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn metadata(
    Allowed(caller, _): Allowed<CardIssuers>,
    State(state): State<Registry>,
    Path(serial): Path<String>,
) -> Result<AppJson<CardView>, ApiError> {
    Ok(AppJson(cards::metadata(&state, &caller, &serial).await?))
}

/// Options of `GET /cards/{serial}/cose`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CoseQuery {
    /// Carry the issuer certificate in the unprotected header (for smart cards, which must
    /// verify with the root key alone). Default true.
    pub certificate: Option<bool>,
}

/// `GET /api/v1/cards/{serial}/cose` (registrar): the signed bytes, `application/cose`.
#[utoipa::path(
    get,
    path = "/api/v1/cards/{serial}/cose",
    summary = "Fetch a card's signed bytes",
    tag = "cards",
    security(("bearer" = [])),
    params(("serial" = String, Path, description = "Card serial, `XXXX-XXXX-XXXX-XXXX` (hyphens optional)"), CoseQuery),
    responses(
        (status = 200, description = "The signed card (COSE_Sign1), for writing to a smart card",
            content_type = "application/cose; cose-type=\"cose-sign1\"", body = Vec<u8>),
        (status = 404, description = "No such card (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn cose(
    Allowed(caller, _): Allowed<CardIssuers>,
    State(state): State<Registry>,
    Path(serial): Path<String>,
    AppQuery(q): AppQuery<CoseQuery>,
) -> Result<Response, ApiError> {
    let bytes = cards::signed_card(&state, &caller, &serial, q.certificate.unwrap_or(true)).await?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "application/cose; cose-type=\"cose-sign1\"",
        )],
        bytes,
    )
        .into_response())
}

/// `GET /api/v1/cards/{serial}/qr` (registrar): the QR text, `text/plain`.
#[utoipa::path(
    get,
    path = "/api/v1/cards/{serial}/qr",
    summary = "Fetch a card's QR text",
    tag = "cards",
    security(("bearer" = [])),
    params(("serial" = String, Path, description = "Card serial, `XXXX-XXXX-XXXX-XXXX` (hyphens optional)")),
    responses(
        (status = 200, description = "The QR text (`LYOC1:` and Base45) to print",
            content_type = "text/plain", body = String),
        (status = 404, description = "No such card (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn qr(
    Allowed(caller, _): Allowed<CardIssuers>,
    State(state): State<Registry>,
    Path(serial): Path<String>,
) -> Result<Response, ApiError> {
    let text = cards::qr_text(&state, &caller, &serial).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

/// `GET /api/v1/cards/{serial}/status` (insurer, pharmacist, registrar).
#[utoipa::path(
    get,
    path = "/api/v1/cards/{serial}/status",
    summary = "Check a card's status",
    tag = "cards",
    security(("bearer" = [])),
    params(("serial" = String, Path, description = "Card serial, `XXXX-XXXX-XXXX-XXXX` (hyphens optional)")),
    responses(
        (status = 200, description = "Whether the card is valid; no patient data", body = CardStatus),
        (status = 404, description = "No such card (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn status(
    Allowed(caller, _): Allowed<CardStatusReaders>,
    State(state): State<Registry>,
    Path(serial): Path<String>,
) -> Result<AppJson<CardStatus>, ApiError> {
    Ok(AppJson(cards::status_of(&state, &caller, &serial).await?))
}

/// `POST /api/v1/cards/{serial}/revoke` (registrar).
#[utoipa::path(
    post,
    path = "/api/v1/cards/{serial}/revoke",
    summary = "Revoke a card",
    tag = "cards",
    security(("bearer" = [])),
    params(("serial" = String, Path, description = "Card serial, `XXXX-XXXX-XXXX-XXXX` (hyphens optional)")),
    request_body = Revocation,
    responses(
        (status = 200, description = "Revoked; the next trust bundle lists it", body = CardStatus),
        (status = 404, description = "No such card (`not_found`)", body = super::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already revoked (`already_revoked`)", body = super::error::Problem, content_type = "application/problem+json"),
    )
)]
async fn revoke(
    Allowed(caller, _): Allowed<CardIssuers>,
    State(state): State<Registry>,
    Path(serial): Path<String>,
    AppJson(body): AppJson<Revocation>,
) -> Result<AppJson<CardStatus>, ApiError> {
    Ok(AppJson(
        cards::revoke_card(&state, &caller, &serial, &body.reason).await?,
    ))
}

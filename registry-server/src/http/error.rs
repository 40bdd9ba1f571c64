//! API errors as RFC 9457 problem details, and the JSON extractor that uses them.
//!
//! Every handler returns `Result<_, ApiError>`; a [`crate::domain::Error`] converts into one.
//! A client gets `application/problem+json` with `type`, `title`, `status`, `detail`, a
//! stable `code` and, for validation errors, the `field` at fault. Database and internal errors become an
//! opaque 500 and are logged once, here, without request bodies (they hold patient data).

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::domain::Error;

/// Everything a handler can fail with: what only HTTP knows of (a missing token, a body that
/// is not JSON or too large), or a domain error.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No token, or an unknown or revoked one.
    #[error("a valid API token is required")]
    Unauthorized,
    /// The body is not JSON, or not JSON of the expected shape.
    #[error("{0}")]
    BadRequest(String),
    /// The body is larger than the configured limit.
    #[error("request body too large")]
    PayloadTooLarge,
    /// What the operation refused or failed with.
    #[error(transparent)]
    Domain(#[from] Error),
}

impl ApiError {
    /// The HTTP status: a single match, as the style guide asks.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Domain(e) => match e {
                Error::Forbidden { .. } => StatusCode::FORBIDDEN,
                Error::NotFound { .. } => StatusCode::NOT_FOUND,
                Error::Validation { .. } | Error::Checks { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                Error::Conflict { .. } => StatusCode::CONFLICT,
                Error::Db(_) | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }

    /// The stable code in the problem's `code` member and its `type` URI.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized => "unauthorized",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::Domain(e) => match e {
                Error::Forbidden { .. } => "forbidden",
                Error::NotFound { .. } => "not_found",
                Error::Validation { .. } => "validation",
                Error::Conflict { code, .. } | Error::Checks { code, .. } => code,
                Error::Db(_) | Error::Internal(_) => "internal",
            },
        }
    }

    /// A validation error for `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        Error::invalid(field, message).into()
    }

    /// Something unexpected; details go to the log only.
    pub fn internal(detail: impl Into<String>) -> ApiError {
        Error::Internal(detail.into()).into()
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        Error::Db(e).into()
    }
}

pub use registry_api::problem::{CheckResult, Problem, PROBLEM_JSON};

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = match &self {
            ApiError::Domain(Error::Db(e)) => {
                tracing::error!(error = %e, "database error");
                "the registry could not complete the request; try again".to_string()
            }
            ApiError::Domain(Error::Internal(e)) => {
                tracing::error!(error = %e, "internal error");
                "the registry could not complete the request".to_string()
            }
            other => other.to_string(),
        };
        let field = match &self {
            ApiError::Domain(Error::Validation { field, .. }) => Some(field.as_str()),
            _ => None,
        };
        let problem = Problem {
            kind: format!("/problems/{}", self.code()),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail,
            code: self.code().to_string(),
            field: field.map(str::to_string),
            checks: match &self {
                ApiError::Domain(Error::Checks { findings, .. }) => {
                    findings.iter().map(check_result).collect()
                }
                _ => Vec::new(),
            },
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        (status, [(header::CONTENT_TYPE, PROBLEM_JSON)], body).into_response()
    }
}

/// A finding as the problem's `checks` member carries it.
fn check_result(f: &crate::domain::checks::Finding) -> CheckResult {
    CheckResult {
        check: f.check.code().to_string(),
        outcome: f.outcome.code().to_string(),
        fields: f.fields.iter().map(|s| (*s).to_string()).collect(),
        message_en: f.message.en(),
        message_ar: f.message.ar(),
    }
}

/// `Json` whose rejections are problem details: malformed JSON is a 400; a body of the wrong
/// shape (unknown field, wrong type, missing field) is a 422 whose `field` is the path to the
/// offending member (`tumour.stage.group`), found with `serde_path_to_error`.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppJson<T>(pub T);

impl<S, T> FromRequest<S> for AppJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(ApiError::BadRequest(
                "Content-Type must be application/json".into(),
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| match e.status() {
                StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
                _ => ApiError::BadRequest("could not read the request body".into()),
            })?;
        parse_json(&bytes).map(AppJson)
    }
}

/// Parses a JSON body the way [`AppJson`] does (also used for bodies read by hand).
///
/// # Errors
/// [`ApiError::BadRequest`] for malformed JSON, a validation error for a wrong shape.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // Syntax first (400), then shape (422): serde_json reports some shape errors, such as a
    // number where an enum name belongs, as syntax errors when it parses straight into `T`.
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::BadRequest(format!(
            "the body is not valid JSON: {}",
            strip_position(&e.to_string())
        ))
    })?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "body".into() } else { path };
        ApiError::invalid(field, strip_position(&e.into_inner().to_string()))
    })
}

/// `Query` whose rejections are problem details: an unknown parameter or a value of the
/// wrong type is a 422 naming `query`.
#[derive(Debug, Clone, Copy, Default)]
pub struct AppQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for AppQuery<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|axum::extract::Query(value)| AppQuery(value))
            .map_err(|e| {
                ApiError::invalid(
                    "query",
                    std::error::Error::source(&e)
                        .map_or_else(|| e.body_text(), ToString::to_string),
                )
            })
    }
}

/// serde_json appends " at line L column C", useless to a client of a one-line body.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

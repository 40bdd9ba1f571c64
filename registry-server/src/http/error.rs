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

use crate::db::Outage;
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
                Error::Db(e) => match crate::db::outage(e) {
                    Some(Outage::StorageFull) => StatusCode::INSUFFICIENT_STORAGE,
                    Some(Outage::Unavailable) => StatusCode::SERVICE_UNAVAILABLE,
                    None => StatusCode::INTERNAL_SERVER_ERROR,
                },
                Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
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
                Error::Db(e) => match crate::db::outage(e) {
                    Some(Outage::StorageFull) => "storage_full",
                    Some(Outage::Unavailable) => "database_unavailable",
                    None => "internal",
                },
                Error::Internal(_) => "internal",
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
            ApiError::Domain(Error::Db(e)) if crate::db::outage(e) == Some(Outage::StorageFull) => {
                tracing::error!(error = %e, "the database's disk is full");
                "the registry's disk is full; nothing was changed: try again once an operator \
                 has freed space"
                    .to_string()
            }
            ApiError::Domain(Error::Db(e)) if crate::db::is_unavailable(e) => {
                tracing::error!(error = %e, "database unavailable");
                "the registry's database is not answering; nothing was changed: try again in \
                 a minute"
                    .to_string()
            }
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
        let checks = match &self {
            ApiError::Domain(Error::Checks { findings, .. }) => {
                findings.iter().map(check_result).collect()
            }
            _ => Vec::new(),
        };
        let problem = problem(status, self.code(), detail, field, checks);
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, [(header::CONTENT_TYPE, PROBLEM_JSON)], body).into_response();
        if matches!(
            status,
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::INSUFFICIENT_STORAGE
        ) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("10"));
        }
        response
    }
}

/// The problem document of `status` with `code` (also its `type` URI) and `detail`.
fn problem(
    status: StatusCode,
    code: &str,
    detail: String,
    field: Option<&str>,
    checks: Vec<CheckResult>,
) -> Problem {
    Problem {
        kind: format!("/problems/{code}"),
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        status: status.as_u16(),
        detail,
        code: code.to_string(),
        field: field.map(str::to_string),
        checks,
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
            .is_some_and(is_json_media_type);
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
        let message = e.inner().to_string();
        // The path names members, keys the caller's JSON uses (an unknown one too): the
        // structure of the body, not its values, which `without_values` keeps out.
        let path = e.path().to_string();
        let field = if path == "." { "body".into() } else { path };
        ApiError::invalid(field, without_values(&strip_position(&message)))
    })
}

/// Whether a Content-Type is JSON: the media type `application/json` exactly (any case),
/// with or without parameters (`; charset=utf-8`); not `application/jsonx`.
fn is_json_media_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// A serde message without the submitted value it quotes: "invalid type: string "Fatima",
/// expected u32" becomes "invalid type: string, expected u32". A problem's `detail` must
/// never carry what the caller sent (it can be a name or a national number, and problems
/// are logged by proxies and shown in browsers). What serde expected comes from the
/// registry's own types and is kept; so is a missing field's name.
pub(crate) fn without_values(message: &str) -> String {
    if message.starts_with("missing field") {
        return message.to_string();
    }
    let (found, expected) = match message.find(", expected") {
        Some(i) => message.split_at(i),
        None => (message, ""),
    };
    let mut kept = String::with_capacity(found.len());
    let mut quote = None;
    for c in found.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '`' => quote = Some(c),
            None => kept.push(c),
        }
    }
    // A number or a bare value after "invalid value: integer " has no quotes: drop what
    // follows the kind of value.
    for kind in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = kept.strip_prefix(kind) {
            let what = rest.split_whitespace().next().unwrap_or_default();
            kept = format!("{kind}{what}");
        }
    }
    let kept = kept.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("{kept}{expected}")
}

/// Any error answer outside the desk that is not a problem document yet (an unknown route's
/// empty 404, a 405, a path that is not UTF-8, the time limit's 408) becomes one, with a
/// generic detail: the API answers `application/problem+json` for every error.
pub async fn problems_everywhere(req: Request, next: axum::middleware::Next) -> Response {
    let path = req.uri().path();
    let desk = path == "/" || path == "/desk" || path.starts_with("/desk/");
    let mut response = next.run(req).await;
    let status = response.status();
    if desk || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
    if is_problem {
        return response;
    }
    let (code, detail) = match status {
        StatusCode::NOT_FOUND => ("not_found", "no such route"),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "the route does not take this method (see Allow)",
        ),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "the request took too long"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "Content-Type must be application/json",
        ),
        StatusCode::SERVICE_UNAVAILABLE => ("unavailable", "the registry cannot serve now"),
        s if s.is_server_error() => ("internal", "the registry could not complete the request"),
        _ => (
            "bad_request",
            "the request is malformed (path, query or headers)",
        ),
    };
    let problem = problem(status, code, detail.to_string(), None, Vec::new());
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(PROBLEM_JSON),
    );
    headers.remove(header::CONTENT_LENGTH);
    *response.body_mut() = axum::body::Body::from(serde_json::to_vec(&problem).unwrap_or_default());
    response
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
                    without_values(
                        &std::error::Error::source(&e)
                            .map_or_else(|| e.body_text(), ToString::to_string),
                    ),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_lose_the_values_they_quote() {
        for (message, kept) in [
            (
                "invalid type: string \"Fatima Ali\", expected u32",
                "invalid type: string, expected u32",
            ),
            (
                "invalid value: integer `-5`, expected u32",
                "invalid value: integer, expected u32",
            ),
            (
                "unknown variant `Fatima`, expected one of `male`, `female`",
                "unknown variant, expected one of `male`, `female`",
            ),
            (
                "unknown field `219730412345`, expected `name` or `sex`",
                "unknown field, expected `name` or `sex`",
            ),
            ("missing field `sex`", "missing field `sex`"),
            (
                "expected a date as YYYY-MM-DD",
                "expected a date as YYYY-MM-DD",
            ),
            (
                "invalid length 3, expected a tuple of size 2",
                "invalid length 3, expected a tuple of size 2",
            ),
        ] {
            assert_eq!(without_values(message), kept, "{message}");
        }
    }

    #[test]
    fn json_is_the_media_type_exactly() {
        for (value, json) in [
            ("application/json", true),
            ("Application/JSON; charset=utf-8", true),
            ("application/json ;charset=utf-8", true),
            ("application/jsonx", false),
            ("application/json-patch+json", false),
            ("text/json", false),
            ("", false),
        ] {
            assert_eq!(is_json_media_type(value), json, "{value}");
        }
    }
}

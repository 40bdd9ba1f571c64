//! The errors of `serve`: every failure is one JSON object `{"error": code, "message":
//! sentence}` with the HTTP status of its code. Card and reader failures keep the class the
//! command line gives them ([`Class`]); the code is that class's name on the wire.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::card::layout::CardError;
use crate::smartcard::Unwritable;
use crate::{AgentError, Class};

/// The error codes of the protocol (docs/card-agent.md, "serve").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// 503: pcscd not running, no reader, the reader asked for absent, the card held by
    /// another program, or cards in several readers and no `--reader`.
    NoReader,
    /// 409: no card in the reader.
    NoCard,
    /// 422: the card cannot hold or does not hold a health card (not ISO 7816-4, blank,
    /// another application's, foreign data, a newer layout).
    CardUnusable,
    /// 409: an interrupted write: write the card again.
    Incomplete,
    /// 500: the write failed (card pulled out, no room, refused command, read-back differs);
    /// the card reads as incomplete or as before.
    WriteFailed,
    /// 422: the card does not verify (signature, chain, format, expiry).
    InvalidCard,
    /// 422: the card is revoked; it is not written.
    Revoked,
    /// 400: malformed JSON, bad base64, a body over 64 KiB.
    BadRequest,
    /// 403: the `Origin` header is not the configured origin.
    OriginRefused,
    /// 403: the `Host` header is not `127.0.0.1:<port>` or `localhost:<port>`.
    HostRefused,
    /// 401: no `Authorization: Pairing <code>` header, or the wrong code.
    PairingRequired,
    /// 404: no such endpoint (or method).
    NotFound,
    /// 500: a bug in the agent (a card operation panicked); never expected.
    Internal,
}

impl Code {
    /// The code on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::NoReader => "no_reader",
            Code::NoCard => "no_card",
            Code::CardUnusable => "card_unusable",
            Code::Incomplete => "incomplete",
            Code::WriteFailed => "write_failed",
            Code::InvalidCard => "invalid_card",
            Code::Revoked => "revoked",
            Code::BadRequest => "bad_request",
            Code::OriginRefused => "origin_refused",
            Code::HostRefused => "host_refused",
            Code::PairingRequired => "pairing_required",
            Code::NotFound => "not_found",
            Code::Internal => "internal",
        }
    }

    /// The HTTP status.
    pub fn status(self) -> StatusCode {
        match self {
            Code::NoReader => StatusCode::SERVICE_UNAVAILABLE,
            Code::NoCard | Code::Incomplete => StatusCode::CONFLICT,
            Code::CardUnusable | Code::InvalidCard | Code::Revoked => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Code::WriteFailed | Code::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Code::BadRequest => StatusCode::BAD_REQUEST,
            Code::OriginRefused | Code::HostRefused => StatusCode::FORBIDDEN,
            Code::PairingRequired => StatusCode::UNAUTHORIZED,
            Code::NotFound => StatusCode::NOT_FOUND,
        }
    }

    /// The code of an agent error class.
    pub fn from_class(class: Class) -> Code {
        match class {
            Class::Refused => Code::InvalidCard,
            Class::Usage | Class::Reader => Code::NoReader,
            Class::NoCard => Code::NoCard,
            Class::CardUnusable => Code::CardUnusable,
            Class::Incomplete => Code::Incomplete,
            Class::WriteFailed => Code::WriteFailed,
            // `serve` neither calls the registry nor decodes images.
            Class::Registry | Class::Image => Code::Internal,
        }
    }
}

/// A refused request: its code and one English sentence for the person at the desk (never
/// patient data, never the pairing code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The code (and so the status).
    pub code: Code,
    /// What happened.
    pub message: String,
}

impl ApiError {
    /// An error with this code; the message becomes a sentence (capital letter, full stop).
    pub fn new(code: Code, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: sentence(&message.into()),
        }
    }

    /// A bad request.
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(Code::BadRequest, message)
    }

    /// An agent error (reader, card): the code of its class.
    pub fn from_agent(error: &anyhow::Error) -> ApiError {
        match error.chain().find_map(|e| e.downcast_ref::<AgentError>()) {
            Some(e) => ApiError::new(Code::from_class(e.class), &e.message),
            None => ApiError::new(Code::Internal, format!("{error:#}")),
        }
    }

    /// A layout error while reading (`writing` false) or writing.
    pub fn from_card(error: &CardError, writing: bool) -> ApiError {
        ApiError::new(Code::from_class(error.class(writing)), error.to_string())
    }

    /// A card refused before writing: `revoked` for a revoked card, else `invalid_card`.
    pub fn from_unwritable(error: &Unwritable) -> ApiError {
        let code = match error.error() {
            card_format::Error::Revoked { .. } => Code::Revoked,
            _ => Code::InvalidCard,
        };
        ApiError::new(code, error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": self.code.as_str(), "message": self.message});
        (self.code.status(), Json(body)).into_response()
    }
}

/// `the card was removed` → `The card was removed.`
fn sentence(text: &str) -> String {
    let text = text.trim();
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return "Something went wrong.".to_string(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentence_capitalises_and_ends_with_a_full_stop() {
        assert_eq!(sentence("no card in the reader"), "No card in the reader.");
        assert_eq!(sentence("Done."), "Done.");
        assert_eq!(sentence("  "), "Something went wrong.");
    }

    #[test]
    fn every_class_maps_to_its_code_and_status() {
        let table = [
            (Class::Reader, "no_reader", 503),
            (Class::NoCard, "no_card", 409),
            (Class::CardUnusable, "card_unusable", 422),
            (Class::Incomplete, "incomplete", 409),
            (Class::WriteFailed, "write_failed", 500),
            (Class::Refused, "invalid_card", 422),
        ];
        for (i, (class, code, status)) in table.into_iter().enumerate() {
            let e = ApiError::from_agent(&class.err("x"));
            assert_eq!(e.code.as_str(), code, "case {i}");
            assert_eq!(e.code.status().as_u16(), status, "case {i}");
        }
    }
}

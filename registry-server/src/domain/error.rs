//! What a registry operation can fail with, whichever door it was asked through.

/// Everything a domain operation can fail with. The API maps it to a problem+json answer,
/// the desk to a page or a message beside a field.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller's role may not do this.
    #[error("the {role} role may not do this")]
    Forbidden {
        /// The caller's role.
        role: &'static str,
    },
    /// The thing asked for does not exist.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for (`patient`, `card`, ...), never its identifier.
        what: &'static str,
    },
    /// A value is invalid; `field` names it.
    #[error("invalid {field}: {message}")]
    Validation {
        /// Path of the field.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The request conflicts with the current state (a stale version, a duplicate
    /// identifier, a dispensing refused by a rule...). `code` says which.
    #[error("{message}")]
    Conflict {
        /// Stable machine-readable code.
        code: &'static str,
        /// Human-readable explanation, no patient data.
        message: String,
    },
    /// A record failed its checks ([`crate::domain::checks`]): `record_invalid` (refused) or
    /// `needs_confirmation` (kept once a person confirms the listed checks).
    #[error("{}", checks_message(code, findings))]
    Checks {
        /// `record_invalid` or `needs_confirmation`.
        code: &'static str,
        /// The findings at fault.
        findings: Vec<crate::domain::checks::Finding>,
    },
    /// The database failed; details go to the log only.
    #[error("database error")]
    Db(#[from] sqlx::Error),
    /// Anything else unexpected; details go to the log only.
    #[error("internal error")]
    Internal(String),
}

/// The English summary of [`Error::Checks`], naming the checks (no patient data: codes and
/// outcomes only).
fn checks_message(code: &str, findings: &[crate::domain::checks::Finding]) -> String {
    let codes: Vec<&str> = findings.iter().map(|f| f.check.code()).collect();
    if code == "needs_confirmation" {
        format!(
            "the record checks ask a person to confirm: {}; send them again in `confirm`",
            codes.join(", ")
        )
    } else {
        format!("the record fails the checks: {}", codes.join(", "))
    }
}

/// A domain result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A validation error for `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Error {
        Error::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A conflict with a code.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Error {
        Error::Conflict {
            code,
            message: message.into(),
        }
    }

    /// A value read back from the database that does not parse: never a default.
    pub fn stored(what: &str, e: impl std::fmt::Display) -> Error {
        Error::Internal(format!("stored {what} does not parse: {e}"))
    }
}

impl From<card_format::Error> for Error {
    fn from(e: card_format::Error) -> Self {
        match e {
            card_format::Error::InvalidField { field, reason } => Error::Validation {
                field,
                message: reason,
            },
            other => Error::Validation {
                field: "card".into(),
                message: other.to_string(),
            },
        }
    }
}

impl From<registry_api::dispensing::Refusal> for Error {
    fn from(refusal: registry_api::dispensing::Refusal) -> Self {
        Error::Conflict {
            code: refusal.code(),
            message: refusal.to_string(),
        }
    }
}

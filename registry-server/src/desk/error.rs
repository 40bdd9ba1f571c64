//! What a desk page can fail with, and the error page it renders in the user's language.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::{conflict_key, Chrome, Lang};
use crate::domain::Error;

/// What a desk page can fail with; rendered as a page in the user's language.
#[derive(Debug)]
pub enum DeskError {
    /// Not signed in (or the session ended): back to the sign-in page.
    SignIn {
        /// Why, as a message key shown there (`login.session_ended`), if any.
        notice: Option<&'static str>,
    },
    /// A page with a status and a message key, in `lang`.
    Page {
        /// The status.
        status: StatusCode,
        /// Message key of the explanation.
        message: &'static str,
        /// Page language.
        lang: Lang,
    },
    /// Unexpected: logged once here, shown as a generic 500.
    Internal {
        /// Page language.
        lang: Lang,
        /// The error, for the log only.
        error: Error,
    },
}

impl DeskError {
    /// A 403 page: the role may not do this.
    pub fn forbidden(lang: Lang) -> DeskError {
        DeskError::Page {
            status: StatusCode::FORBIDDEN,
            message: "error.forbidden",
            lang,
        }
    }

    /// A 403 page: the CSRF token is missing or wrong; nothing was changed.
    pub fn csrf(lang: Lang) -> DeskError {
        DeskError::Page {
            status: StatusCode::FORBIDDEN,
            message: "error.csrf",
            lang,
        }
    }

    /// A 404 page.
    pub fn not_found(lang: Lang) -> DeskError {
        DeskError::Page {
            status: StatusCode::NOT_FOUND,
            message: "error.not_found",
            lang,
        }
    }

    /// A 413 page: the upload is too large; nothing was changed.
    pub fn too_large(lang: Lang) -> DeskError {
        DeskError::Page {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            message: "error.too_large",
            lang,
        }
    }

    /// The page for a multipart upload that failed midway: 413 past the route's body limit,
    /// else 400.
    pub fn of_multipart(lang: Lang, e: &axum::extract::multipart::MultipartError) -> DeskError {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            DeskError::too_large(lang)
        } else {
            DeskError::bad_request(lang)
        }
    }

    /// A 400 page: the request is malformed; nothing was changed.
    pub fn bad_request(lang: Lang) -> DeskError {
        DeskError::Page {
            status: StatusCode::BAD_REQUEST,
            message: "error.bad_request",
            lang,
        }
    }

    /// The page for a domain error that a form does not show beside a field.
    pub fn from_domain(lang: Lang, e: Error) -> DeskError {
        match e {
            Error::NotFound { .. } => DeskError::not_found(lang),
            Error::Forbidden { .. } => DeskError::forbidden(lang),
            Error::Validation { .. } | Error::Checks { .. } => DeskError::bad_request(lang),
            Error::Conflict { code, .. } => DeskError::Page {
                status: StatusCode::CONFLICT,
                message: conflict_key(code),
                lang,
            },
            error @ (Error::Db(_) | Error::Internal(_)) => DeskError::Internal { lang, error },
        }
    }
}

#[derive(Template)]
#[template(path = "desk/error.html")]
struct ErrorPage {
    c: Chrome,
    message: &'static str,
}

impl IntoResponse for DeskError {
    fn into_response(self) -> Response {
        let (status, message, lang) = match self {
            DeskError::SignIn { notice } => {
                let to = match notice {
                    Some(key) => format!("/desk/login?notice={key}"),
                    None => "/desk/login".to_string(),
                };
                return Redirect::to(&to).into_response();
            }
            DeskError::Page {
                status,
                message,
                lang,
            } => (status, message, lang),
            DeskError::Internal {
                lang,
                error: Error::Db(e),
            } if crate::db::outage(&e) == Some(crate::db::Outage::StorageFull) => {
                tracing::error!(error = %e, "desk page: the database's disk is full");
                (StatusCode::INSUFFICIENT_STORAGE, "error.storage_full", lang)
            }
            DeskError::Internal {
                lang,
                error: Error::Db(e),
            } if crate::db::is_unavailable(&e) => {
                tracing::error!(error = %e, "desk page: database unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "error.database_unavailable",
                    lang,
                )
            }
            DeskError::Internal { lang, error } => {
                // Logged without the request: bodies and paths can hold patient data.
                tracing::error!(error = %error, detail = ?error, "desk page failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "error.internal", lang)
            }
        };
        let page = ErrorPage {
            c: Chrome::anonymous(lang, "/desk/", "error.title"),
            message,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => status.into_response(),
        }
    }
}

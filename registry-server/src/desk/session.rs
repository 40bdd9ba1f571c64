//! The desk's side of signing in: the session cookie, the signed-in [`DeskUser`] of each
//! request, CSRF tokens. Passwords, sessions and the sign-in rate limit are the domain's
//! ([`crate::domain::access`]).
//!
//! **Cookie.** The session id is in `__Host-desk_session` (`Secure; HttpOnly;
//! SameSite=Strict; Path=/`).
//!
//! **CSRF.** Each session has a random token that every POST form carries in a hidden field
//! (a synchroniser token), compared in constant time. The sign-in form, before any session,
//! uses a double-submit cookie (`__Host-desk_login_csrf`) instead. `SameSite=Strict` already
//! keeps the session cookie off cross-site requests; the tokens make that not the only guard.

use std::collections::HashMap;

use axum::extract::rejection::FormRejection;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::Form;
use subtle::ConstantTimeEq;

use super::{cookie, lang_of, DeskError, Lang};
use crate::auth::{Caller, Role};
use crate::domain::{access, Error, Registry};

/// The session cookie. `__Host-` makes browsers refuse it unless it is `Secure`, has
/// `Path=/` and no `Domain`.
pub const SESSION_COOKIE: &str = "__Host-desk_session";
/// The sign-in form's double-submit cookie.
pub const LOGIN_CSRF_COOKIE: &str = "__Host-desk_login_csrf";

/// The signed-in user of a desk request.
#[derive(Debug, Clone)]
pub struct DeskUser {
    /// The user as the domain functions know callers.
    pub caller: Caller,
    /// Name shown on screens.
    pub display_name: String,
    /// The session's CSRF token.
    pub csrf: String,
    /// Page language.
    pub lang: Lang,
}

impl DeskUser {
    /// Refuses (a 403 page) unless the user has one of `roles`.
    ///
    /// # Errors
    /// [`DeskError::forbidden`].
    pub fn require(&self, roles: &[Role]) -> Result<(), DeskError> {
        if roles.contains(&self.caller.role) {
            Ok(())
        } else {
            Err(DeskError::forbidden(self.lang))
        }
    }

    /// Refuses (a 403 page) unless `token` is this session's CSRF token.
    ///
    /// # Errors
    /// [`DeskError::csrf`].
    pub fn check_csrf(&self, token: &str) -> Result<(), DeskError> {
        if same_secret(token, &self.csrf) {
            Ok(())
        } else {
            Err(DeskError::csrf(self.lang))
        }
    }

    /// A domain error as a page in the user's language.
    pub fn fail(&self, e: Error) -> DeskError {
        DeskError::from_domain(self.lang, e)
    }

    /// A posted form of free fields, decoded (a 400 page if it cannot be), its CSRF token
    /// checked and the user's role checked, in that order; the fields without the token.
    ///
    /// # Errors
    /// [`DeskUser::bad_form`], [`DeskError::csrf`], [`DeskError::forbidden`].
    pub fn posted(
        &self,
        form: Result<Form<HashMap<String, String>>, FormRejection>,
        roles: &[Role],
    ) -> Result<HashMap<String, String>, DeskError> {
        let Form(mut values) = form.map_err(|e| self.bad_form(e))?;
        self.check_csrf(values.remove("csrf").as_deref().unwrap_or(""))?;
        self.require(roles)?;
        Ok(values)
    }

    /// A form that could not be decoded, as a 400 page.
    pub fn bad_form(&self, _e: FormRejection) -> DeskError {
        DeskError::bad_request(self.lang)
    }
}

/// Constant-time equality of two secrets (different lengths are simply unequal).
pub fn same_secret(a: &str, b: &str) -> bool {
    !a.is_empty() && a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl FromRequestParts<Registry> for DeskUser {
    type Rejection = DeskError;

    async fn from_request_parts(parts: &mut Parts, state: &Registry) -> Result<Self, DeskError> {
        let lang = lang_of(&parts.headers);
        let id =
            cookie(&parts.headers, SESSION_COOKIE).ok_or(DeskError::SignIn { notice: None })?;
        let user = access::session_user(state, id)
            .await
            .map_err(|error| DeskError::Internal { lang, error })?
            .ok_or(DeskError::SignIn {
                notice: Some("login.session_ended"),
            })?;
        Ok(DeskUser {
            caller: user.caller,
            display_name: user.display_name,
            csrf: user.csrf,
            lang,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_in_full() {
        let a = crate::domain::access::random_secret();
        assert_eq!(a.len(), 43);
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &crate::domain::access::random_secret()));
        assert!(!same_secret("", ""));
        assert!(!same_secret(&a, &a[..42]));
    }
}

//! Roles, API tokens and the authenticated caller (the API reads it from a bearer token in
//! [`crate::http::auth`], the desk from its session in [`crate::desk::session`]).
//!
//! A token is `lyr_` and 52 Base32 characters (256 random bits). The registry stores only its
//! SHA-256: with that much entropy a slow password hash adds nothing, and a lookup stays one
//! indexed read. The token is shown once, when it is created.

use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::domain::Error;

/// What a user may do; one per user.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages facilities, users and keys.
    Admin,
    /// Registers patients, issues, re-issues and revokes cards.
    Registrar,
    /// Records tumours, treatments, authorised medicines and allergies.
    Clinician,
    /// Checks cards and records dispensings.
    Pharmacist,
    /// Checks card status when processing claims.
    Insurer,
    /// Reads and verifies the audit log.
    Auditor,
    /// Reads the registry's aggregate statistics (the ministry's epidemiologists): never a
    /// name, an identifier or a single record.
    Statistician,
    /// Sees every facility's stock and demand (the ministry's supply officers): never a
    /// patient.
    SupplyOfficer,
    /// Reads the watch on unjustified disbursement (the ministry's inspectors), with the
    /// audit entries behind each row.
    Inspector,
}

impl Role {
    /// Every role, for role-matrix tests and documentation.
    pub const ALL: [Role; 9] = [
        Role::Admin,
        Role::Registrar,
        Role::Clinician,
        Role::Pharmacist,
        Role::Insurer,
        Role::Auditor,
        Role::Statistician,
        Role::SupplyOfficer,
        Role::Inspector,
    ];

    /// The name stored in the database and shown in errors.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Registrar => "registrar",
            Role::Clinician => "clinician",
            Role::Pharmacist => "pharmacist",
            Role::Insurer => "insurer",
            Role::Auditor => "auditor",
            Role::Statistician => "statistician",
            Role::SupplyOfficer => "supply_officer",
            Role::Inspector => "inspector",
        }
    }

    /// The role for a stored name.
    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

/// The authenticated user making a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// User id.
    pub user_id: String,
    /// Login name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// The facility the user works at.
    pub facility_code: String,
}

impl Caller {
    /// Refuses unless the caller has one of `roles`.
    ///
    /// # Errors
    /// [`Error::Forbidden`].
    pub fn require(&self, roles: &[Role]) -> Result<(), Error> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(Error::Forbidden {
                role: self.role.as_str(),
            })
        }
    }
}

/// A new random API token (shown once; store only [`hash_token`] of it).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    format!(
        "lyr_{}",
        data_encoding::BASE32_NOPAD.encode(&bytes).to_lowercase()
    )
}

/// The stored form of a token.
pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A new random identifier for a row (128 bits, lowercase Base32, 26 characters).
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    data_encoding::BASE32_NOPAD.encode(&bytes).to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_has_prefix_and_256_bits() {
        let token = new_token();
        assert!(token.starts_with("lyr_"));
        assert_eq!(token.len(), 4 + 52);
        assert_ne!(token, new_token());
        assert_eq!(hash_token(&token).len(), 32);
    }

    #[test]
    fn role_names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::from_name(role.as_str()), Some(role));
        }
        assert_eq!(Role::from_name("root"), None);
    }
}

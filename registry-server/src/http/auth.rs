//! The API's caller: the bearer token of `Authorization`, looked up by its SHA-256.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::{ApiError, Registry};
use crate::auth::{hash_token, Caller, Role};
use crate::db;

impl FromRequestParts<Registry> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Registry) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthorized)?;
        let owner = db::tokens::owner(&state.db, &hash_token(token.trim()), state.clock.now())
            .await?
            .ok_or(ApiError::Unauthorized)?;
        let role = Role::from_name(&owner.role).ok_or_else(|| {
            ApiError::internal(format!("unknown role in database: {}", owner.role))
        })?;
        Ok(Caller {
            user_id: owner.user_id,
            username: owner.username,
            role,
            facility_code: owner.facility_code,
        })
    }
}

/// The roles of one domain operation, named as a type so that a handler states them in its
/// signature ([`Allowed`]).
pub trait Gate {
    /// The roles that may call the route (the domain operation's own constant).
    const ROLES: &'static [Role];
}

/// The caller of a route, refused with 403 unless its role is one of `G::ROLES`. Placed
/// first among a handler's arguments, it runs before the path, the query and the body are
/// read, so a role that may not call a route learns nothing from it: not whether the ids
/// exist, nor how its input would have been judged. The domain operation checks the role
/// again (the desk calls it without this gate).
#[derive(Debug, Clone)]
pub struct Allowed<G>(pub Caller, pub std::marker::PhantomData<G>);

impl<G: Gate> FromRequestParts<Registry> for Allowed<G> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Registry) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require(G::ROLES)?;
        Ok(Allowed(caller, std::marker::PhantomData))
    }
}

/// One [`Gate`] type per role set of the domain.
macro_rules! gates {
    ($($(#[$doc:meta])* $name:ident => $roles:path,)*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy)]
            pub struct $name;
            impl Gate for $name {
                const ROLES: &'static [Role] = $roles;
            }
        )*
    };
}

use crate::domain;

gates! {
    /// Facilities, users, tokens and passwords.
    Admins => domain::access::ADMINS,
    /// Issuer keys published and revoked.
    IssuerPublishers => domain::issuers::PUBLISHERS,
    /// Issuer keys listed.
    IssuerReaders => domain::issuers::READERS,
    /// Patients registered and corrected.
    Registrars => domain::patients::REGISTRARS,
    /// Patients and records read.
    PatientReaders => domain::patients::READERS,
    /// Histories read.
    HistoryReaders => domain::patients::HISTORY_READERS,
    /// Clinical records written.
    ClinicalWriters => domain::clinical::WRITERS,
    /// Follow-ups recorded.
    FollowUpRecorders => domain::follow_up::RECORDERS,
    /// Duplicate candidates searched, kept apart and merged.
    Linkers => domain::linkage::REGISTRARS,
    /// The duplicate queue and merges read.
    LinkageQueueReaders => domain::linkage::QUEUE_READERS,
    /// Merges undone.
    Unmergers => domain::linkage::merge::UNMERGERS,
    /// Cards issued, read and revoked.
    CardIssuers => domain::cards::ISSUERS,
    /// Card status read.
    CardStatusReaders => domain::cards::STATUS_READERS,
    /// Dispensings recorded.
    Dispensers => domain::dispensing::DISPENSERS,
    /// Dispensings read.
    DispensingReaders => domain::dispensing::READERS,
    /// Offline dispensings flagged for review read.
    ConflictReviewers => domain::dispensing::CONFLICT_REVIEWERS,
    /// Administrations recorded.
    Givers => domain::administration::GIVERS,
    /// Stock kept.
    StockKeepers => domain::stock::KEEPERS,
    /// Stock read.
    StockReaders => domain::stock::READERS,
    /// Demand read.
    DemandReaders => domain::demand::READERS,
    /// The watch read.
    Inspectors => domain::watch::READERS,
    /// The audit log read and verified.
    Auditors => domain::audit::AUDITORS,
    /// Aggregate statistics read.
    StatisticsReaders => domain::statistics::READERS,
    /// The CanReg5 export.
    Exporters => domain::statistics::export::EXPORTERS,
}

//! Issuer keys published in the trust bundle (admins): register another site's root-signed
//! certificate, list them, revoke a compromised key.
//!
//! The server registers its own issuing certificate at every start, so after a key rotation
//! the old certificate stays published and cards signed with the old key keep verifying
//! (until their own expiry). Revoking a key makes every card it signed fail with
//! `issuer_revoked` once verifiers sync the bundle: the answer to a stolen key.

use card_format::Certificate;
use serde::{Deserialize, Serialize};

use super::audit::actor;
use super::{Error, Registry, Result};
use crate::auth::{Caller, Role};
use crate::db;

/// Who publishes and revokes issuer keys.
pub const PUBLISHERS: &[Role] = &[Role::Admin];

/// Who lists the published issuer keys.
pub const READERS: &[Role] = &[Role::Admin, Role::Auditor];

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

/// Publishes a certificate that chains to the ministry root (`issuer.register`). Admins.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::Validation`] (`certificate_hex`), [`Error::Conflict`]
/// (`duplicate_issuer`), database errors.
pub async fn register(
    registry: &Registry,
    caller: &Caller,
    body: &NewIssuer,
) -> Result<IssuerView> {
    caller.require(PUBLISHERS)?;
    let bytes = data_encoding::HEXLOWER_PERMISSIVE
        .decode(body.certificate_hex.trim().as_bytes())
        .map_err(|_| Error::invalid("certificate_hex", "not hex"))?;
    let cert = Certificate::verify(&bytes, &registry.signing.root)
        .map_err(|e| Error::invalid("certificate_hex", e.to_string()))?;
    if !cert.usage.permits(card_format::Usage::CARDS) {
        return Err(Error::invalid(
            "certificate_hex",
            "the certificate does not permit cards",
        ));
    }
    let now = registry.clock.now();
    let kid = cert.kid().to_hex();
    let mut tx = registry.db.pool.begin().await?;
    if !db::trust::add_issuer_certificate(&mut tx, &kid, &bytes, now).await? {
        return Err(Error::conflict(
            "duplicate_issuer",
            "this key is already published",
        ));
    }
    db::audit::append(
        &mut tx,
        now,
        &actor(caller),
        "issuer.register",
        "issuer",
        &kid,
    )
    .await?;
    tx.commit().await?;
    Ok(view(&cert, &[]))
}

/// Every published issuer key. Admins and auditors.
///
/// # Errors
/// [`Error::Forbidden`], database errors.
pub async fn list(registry: &Registry, caller: &Caller) -> Result<Vec<IssuerView>> {
    caller.require(READERS)?;
    let revoked = db::trust::revoked_issuers(&registry.db).await?;
    let views = db::trust::issuer_certificates(&registry.db)
        .await?
        .iter()
        .map(|bytes| {
            Certificate::verify(bytes, &registry.signing.root)
                .map(|c| view(&c, &revoked))
                .map_err(|e| Error::Internal(format!("stored certificate does not verify: {e}")))
        })
        .collect::<Result<_>>()?;
    Ok(views)
}

/// Revokes an issuer key (`issuer.revoke`): every card it signed fails verification
/// (`issuer_revoked`) once verifiers sync the bundle. Admins.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::NotFound`], [`Error::Conflict`] (`revoking_own_key`,
/// `already_revoked`), database errors.
pub async fn revoke(registry: &Registry, caller: &Caller, kid: &str) -> Result<()> {
    caller.require(PUBLISHERS)?;
    let kid = kid.to_lowercase();
    let published = db::trust::issuer_certificates(&registry.db)
        .await?
        .iter()
        .filter_map(|bytes| Certificate::verify(bytes, &registry.signing.root).ok())
        .any(|c| c.kid().to_hex() == kid);
    if !published {
        return Err(Error::NotFound { what: "issuer" });
    }
    if kid == registry.signing.issuer_info.kid().to_hex() {
        return Err(Error::conflict(
            "revoking_own_key",
            "this server signs with that key: rotate it first (registry-server keys rotate)",
        ));
    }
    let now = registry.clock.now();
    let mut tx = registry.db.pool.begin().await?;
    if !db::trust::revoke_issuer(&mut tx, &kid, now).await? {
        return Err(Error::conflict(
            "already_revoked",
            "this key is already revoked",
        ));
    }
    db::audit::append(
        &mut tx,
        now,
        &actor(caller),
        "issuer.revoke",
        "issuer",
        &kid,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

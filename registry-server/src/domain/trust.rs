//! The trust bundle: issuer certificates, revoked issuer keys, revoked and superseded cards;
//! none of it is patient data (serials are random). It is signed with the list-signing key
//! and cached until the database's trust sequence moves on (any revocation, supersession or
//! issuer change bumps it in the same transaction) or until it is older than
//! [`super::Settings::bundle_max_age`], so offline verifiers always get a recent issue time.

use std::sync::Arc;
use std::time::Instant;

use card_format::trust::{RevocationReason, RevokedCard, MAX_BUNDLE_LEN};
use card_format::{CardSerial, KeyId, TrustBundle, TrustStore};
use sha2::{Digest, Sha256};

use super::{Error, Registry, Result};
use crate::db;

/// A signed bundle and what it was made from.
#[derive(Debug, Clone)]
pub struct CachedBundle {
    /// The trust sequence it reflects.
    pub sequence: i64,
    /// When it was signed.
    pub made: Instant,
    /// The signed bytes (shared: a bundle can hold millions of revocations).
    pub bytes: bytes::Bytes,
    /// Strong ETag: a hash of the bytes.
    pub etag: String,
    /// The same bundle verified against the root, as an offline verifier loads it: what the
    /// desk's pharmacy page checks cards with, built once per bundle, not once per card.
    pub store: Arc<TrustStore>,
}

/// The current signed bundle, from the cache or freshly signed.
///
/// # Errors
/// Database or signing errors.
pub async fn current(registry: &Registry) -> Result<CachedBundle> {
    let sequence = db::trust::sequence(&registry.db).await?;
    let mut cache = registry.bundle.lock().await;
    if let Some(cached) = cache.as_ref() {
        if cached.sequence == sequence && cached.made.elapsed() < registry.settings.bundle_max_age {
            return Ok(cached.clone());
        }
    }
    let bytes = build(registry, sequence).await?;
    let etag = format!(
        "\"{}\"",
        data_encoding::HEXLOWER.encode(&Sha256::digest(&bytes)[..12])
    );
    let store = TrustStore::from_bundle(registry.signing.root.clone(), &bytes, MAX_BUNDLE_LEN)
        .map_err(|e| Error::Internal(format!("own trust bundle does not verify: {e}")))?;
    let fresh = CachedBundle {
        sequence,
        made: Instant::now(),
        bytes: bytes.into(),
        etag,
        store: Arc::new(store),
    };
    *cache = Some(fresh.clone());
    Ok(fresh)
}

async fn build(registry: &Registry, sequence: i64) -> Result<Vec<u8>> {
    let (revoked, superseded) = db::cards::bundle_lists(&registry.db).await?;
    let bad = |what: &str| Error::Internal(format!("stored {what} does not parse"));
    let mut bundle = TrustBundle {
        sequence: u64::try_from(sequence).map_err(|_| bad("sequence"))?,
        issued_at: u64::try_from(registry.clock.now()).unwrap_or(0),
        issuer_certificates: db::trust::issuer_certificates(&registry.db).await?,
        revoked_issuers: db::trust::revoked_issuers(&registry.db)
            .await?
            .iter()
            .map(|kid| {
                data_encoding::HEXLOWER
                    .decode(kid.as_bytes())
                    .ok()
                    .and_then(|b| KeyId::from_bytes(&b).ok())
                    .ok_or_else(|| bad("issuer kid"))
            })
            .collect::<Result<_, _>>()?,
        revoked_cards: revoked
            .iter()
            .map(|(serial, reason, at)| {
                Ok(RevokedCard {
                    serial: CardSerial::parse(serial).map_err(|_| bad("serial"))?,
                    reason: reason_from(reason),
                    revoked_at: u64::try_from(*at).unwrap_or(0),
                })
            })
            .collect::<Result<_>>()?,
        superseded: superseded
            .iter()
            .map(|s| CardSerial::parse(s).map_err(|_| bad("serial")))
            .collect::<Result<_, _>>()?,
    };
    bundle.normalise();
    bundle
        .sign(
            registry.signing.list.as_ref(),
            &registry.signing.list_certificate,
        )
        .map_err(|e| Error::Internal(format!("cannot sign the trust bundle: {e}")))
}

/// The reason for a stored name.
pub fn reason_from(name: &str) -> RevocationReason {
    match name {
        "lost" => RevocationReason::Lost,
        "stolen" => RevocationReason::Stolen,
        "deceased" => RevocationReason::Deceased,
        "error" => RevocationReason::Error,
        _ => RevocationReason::Other,
    }
}

//! The trust chain, and verifying cards against it.
//!
//! ```text
//! ministry root key (offline; verifiers pin only its public key)
//!   ├── certifies issuer keys      (usage 1: cards)         one per issuing site or region
//!   └── certifies list-signing keys (usage 2: trust bundles) held by the registry
//!                                                            └── signs the trust bundle
//! ```
//!
//! A [`TrustStore`] starts from the pinned root key alone; a verified [`TrustBundle`] adds the
//! issuer certificates and the revocation lists. [`TrustStore::verify_card`] then runs the
//! checks in the order of docs/card-format.md §7 and returns a [`Verified`] payload: only this
//! module can build one, so an unverified summary cannot reach a caller by mistake.
//!
//! An old bundle never stops verification by default (offline sites go months without a
//! connection): it adds a [`Warning`]. A hard age limit is an explicit [`Policy`] setting.

mod bundle;
mod certificate;

use std::collections::HashMap;
use std::sync::Arc;

pub use bundle::{RevocationReason, RevokedCard, TrustBundle, MAX_BUNDLE_LEN};
pub use certificate::{Certificate, Usage, MAX_CERTIFICATE_LEN};

use crate::card::MAX_CARD_LEN;
use crate::error::Object;
use crate::keys::{KeyId, PublicKey};
use crate::model::CardPayload;
use crate::{cose, Error, Result};

/// One day in seconds.
const DAY: u64 = 86_400;

/// What a site accepts; [`Policy::default`] suits an offline pharmacy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// A bundle older than this (seconds) adds [`Warning::BundleOld`]. Default: 7 days.
    pub bundle_warn_age: u64,
    /// A bundle older than this (seconds) refuses every card with [`Error::BundleTooOld`].
    /// Default: none.
    pub bundle_max_age: Option<u64>,
    /// Refuse superseded cards with [`Error::Superseded`] instead of warning. Default: false.
    pub reject_superseded: bool,
    /// Tolerated clock difference for `iat` in the future, seconds. Default: 300.
    pub clock_skew: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            bundle_warn_age: 7 * DAY,
            bundle_max_age: None,
            reject_superseded: false,
            clock_skew: 300,
        }
    }
}

/// Something the verifier wants a person to know about a card that did verify.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// The trust bundle is older than [`Policy::bundle_warn_age`]: revocations since then are
    /// unknown.
    BundleOld {
        /// Its age in whole days.
        age_days: u64,
    },
    /// No trust bundle was loaded: revocation was not checked at all.
    NoRevocationData,
    /// A newer card has been issued to this patient; this one may be out of date.
    Superseded,
}

impl Warning {
    /// A stable, machine-readable code (`bundle_old`, `no_revocation_data`, `superseded`).
    pub fn code(&self) -> &'static str {
        match self {
            Warning::BundleOld { .. } => "bundle_old",
            Warning::NoRevocationData => "no_revocation_data",
            Warning::Superseded => "superseded",
        }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::BundleOld { age_days } => {
                write!(
                    f,
                    "trust bundle is {age_days} days old: recent revocations are unknown"
                )
            }
            Warning::NoRevocationData => f.write_str("no trust bundle: revocation not checked"),
            Warning::Superseded => f.write_str("a newer card has been issued to this patient"),
        }
    }
}

/// A value whose signature chain verified; built only by this module.
#[derive(Debug, Clone)]
pub struct Verified<T> {
    value: T,
    signer: Arc<Certificate>,
    warnings: Vec<Warning>,
}

impl<T> Verified<T> {
    /// The verified value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The verified value, taken out.
    pub fn into_value(self) -> T {
        self.value
    }

    /// The certificate of the key that signed it.
    pub fn signer(&self) -> &Certificate {
        &self.signer
    }

    /// Warnings to show beside the value.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
}

/// The pinned root key, plus what a verified trust bundle added.
#[derive(Debug, Clone)]
pub struct TrustStore {
    root: PublicKey,
    /// Verified issuer certificates by kid, with their bytes as published.
    issuers: HashMap<KeyId, (Arc<Certificate>, Vec<u8>)>,
    bundle: Option<TrustBundle>,
    bundle_signer: Option<Certificate>,
}

impl TrustStore {
    /// A store that knows only the ministry root: it verifies cards that carry their issuer
    /// certificate, and cannot check revocation.
    pub fn new(root: PublicKey) -> TrustStore {
        TrustStore {
            root,
            issuers: HashMap::new(),
            bundle: None,
            bundle_signer: None,
        }
    }

    /// Verifies a trust bundle against the root and returns a store holding it.
    ///
    /// The list-signer's certificate must chain to the root, permit trust lists and be valid
    /// when the bundle was issued; every issuer certificate must chain to the root.
    ///
    /// # Errors
    /// The envelope errors of [`crate::cose`], [`Error::IssuerNotCertified`],
    /// [`Error::UsageNotPermitted`], [`Error::CertificateNotValidAt`],
    /// [`Error::BadSignature`], [`Error::Malformed`] or [`Error::NonCanonical`].
    pub fn from_bundle(root: PublicKey, bytes: &[u8], max_len: usize) -> Result<TrustStore> {
        let object = Object::TrustBundle;
        let envelope = cose::parse(bytes, object, max_len)?;
        let cert_bytes = envelope.certificate.as_deref().ok_or(Error::BadHeader {
            object,
            detail: "no list-signer certificate in the unprotected header",
        })?;
        let signer = Certificate::verify(cert_bytes, &root)?;
        if signer.kid() != envelope.kid {
            return Err(Error::UnknownKeyId {
                object,
                kid: envelope.kid.to_hex(),
            });
        }
        if !signer.usage.permits(Usage::TRUST_LISTS) {
            return Err(Error::UsageNotPermitted {
                object,
                kid: signer.kid().to_hex(),
            });
        }
        envelope.verify(&signer.public_key, object)?;
        let bundle = TrustBundle::from_payload(envelope.payload())?;
        if !signer.is_valid_at(bundle.issued_at) {
            return Err(Error::CertificateNotValidAt {
                object,
                kid: signer.kid().to_hex(),
            });
        }
        let mut issuers = HashMap::with_capacity(bundle.issuer_certificates.len());
        for bytes in &bundle.issuer_certificates {
            let cert = Certificate::verify(bytes, &root)?;
            if issuers
                .insert(cert.kid(), (Arc::new(cert), bytes.clone()))
                .is_some()
            {
                return Err(Error::malformed(object, "two certificates for one kid"));
            }
        }
        Ok(TrustStore {
            root,
            issuers,
            bundle: Some(bundle),
            bundle_signer: Some(signer),
        })
    }

    /// The pinned root key.
    pub fn root(&self) -> &PublicKey {
        &self.root
    }

    /// The loaded bundle, if any.
    pub fn bundle(&self) -> Option<&TrustBundle> {
        self.bundle.as_ref()
    }

    /// Whether this store's bundle may replace `held`'s (docs/card-format.md §7.9): its
    /// sequence number is higher, or it is the same bundle. A store without a bundle replaces
    /// nothing that has one; anything replaces a store without one.
    ///
    /// # Errors
    /// [`Error::BundleRollback`]: a lower sequence number, or the same number with other
    /// content.
    pub fn check_replaces(&self, held: &TrustStore) -> Result<()> {
        let Some(old) = held.bundle() else {
            return Ok(());
        };
        let rollback = |offered| Error::BundleRollback {
            held: old.sequence,
            offered,
        };
        match self.bundle() {
            None => Err(rollback(0)),
            Some(new) if new.sequence > old.sequence => Ok(()),
            Some(new) if new.sequence == old.sequence && new == old => Ok(()),
            Some(new) => Err(rollback(new.sequence)),
        }
    }

    /// The certificate of the key that signed the loaded bundle.
    pub fn bundle_signer(&self) -> Option<&Certificate> {
        self.bundle_signer.as_ref()
    }

    /// Verifies a card's signed bytes at time `now` (Unix seconds).
    ///
    /// Order: envelope → bundle age limit → issuer by kid (bundle first, then the card's own
    /// certificate checked against the root) → issuer revocation and usage → signature →
    /// claims decoding and validation → `iss` against the certificate → certificate valid at
    /// `iat` → `iat`/`exp` against `now` → card revocation → superseded.
    ///
    /// # Errors
    /// Every [`Error`] variant that describes a refused card; see docs/card-format.md §9.
    pub fn verify_card(
        &self,
        bytes: &[u8],
        now: u64,
        policy: &Policy,
    ) -> Result<Verified<CardPayload>> {
        let envelope = cose::parse(bytes, Object::Card, MAX_CARD_LEN)?;
        let mut warnings = Vec::new();
        self.check_bundle_age(now, policy, &mut warnings)?;
        let mut verified = self.authentic_card(&envelope)?;
        let payload = &verified.value;
        if payload.issued_at > now.saturating_add(policy.clock_skew) {
            return Err(Error::NotYetValid);
        }
        if now >= payload.expires_at {
            return Err(Error::Expired);
        }
        if let Some(bundle) = &self.bundle {
            if let Some(revoked) = bundle.revocation(&payload.serial) {
                return Err(Error::Revoked {
                    reason: revoked.reason,
                });
            }
            if bundle.is_superseded(&payload.serial) {
                if policy.reject_superseded {
                    return Err(Error::Superseded);
                }
                warnings.push(Warning::Superseded);
            }
        }
        verified.warnings = warnings;
        Ok(verified)
    }

    /// The authentic contents of a card, whatever its status: the signature, the issuer's
    /// certificate chain to the root (the issuer not revoked, allowed to sign cards, valid
    /// when the card was issued) and the payload are checked as [`TrustStore::verify_card`]
    /// checks them, but not the time (expiry, issue in the future), the card's revocation or
    /// supersession, nor the bundle's age.
    ///
    /// For showing *why* a card is refused ("revoked on ..., for ...", "expired on ...")
    /// after [`TrustStore::verify_card`] refused it; never for accepting a card.
    ///
    /// # Errors
    /// As [`TrustStore::verify_card`], less the status errors.
    pub fn authenticate_card(&self, bytes: &[u8]) -> Result<Verified<CardPayload>> {
        let envelope = cose::parse(bytes, Object::Card, MAX_CARD_LEN)?;
        self.authentic_card(&envelope)
    }

    /// The checks of a card that do not depend on the time or the card's status.
    fn authentic_card(&self, envelope: &cose::Envelope) -> Result<Verified<CardPayload>> {
        let object = Object::Card;
        let issuer = self.issuer_for(envelope.kid, envelope.certificate.as_deref())?;
        if self
            .bundle
            .as_ref()
            .is_some_and(|b| b.is_issuer_revoked(&envelope.kid))
        {
            return Err(Error::IssuerRevoked {
                kid: envelope.kid.to_hex(),
            });
        }
        if !issuer.usage.permits(Usage::CARDS) {
            return Err(Error::UsageNotPermitted {
                object,
                kid: envelope.kid.to_hex(),
            });
        }
        envelope.verify(&issuer.public_key, object)?;
        // From here on the payload is authentic: it came from a certified issuer.
        let payload = CardPayload::from_cbor(envelope.payload())?;
        if payload.issuer != issuer.issuer_id {
            return Err(Error::IssuerMismatch);
        }
        if !issuer.is_valid_at(payload.issued_at) {
            return Err(Error::CertificateNotValidAt {
                object,
                kid: envelope.kid.to_hex(),
            });
        }
        Ok(Verified {
            value: payload,
            signer: issuer,
            warnings: Vec::new(),
        })
    }

    fn check_bundle_age(
        &self,
        now: u64,
        policy: &Policy,
        warnings: &mut Vec<Warning>,
    ) -> Result<()> {
        let Some(bundle) = &self.bundle else {
            warnings.push(Warning::NoRevocationData);
            return Ok(());
        };
        let age = now.saturating_sub(bundle.issued_at);
        if let Some(max) = policy.bundle_max_age {
            if age > max {
                return Err(Error::BundleTooOld {
                    max_age_days: max / DAY,
                });
            }
        }
        if age > policy.bundle_warn_age {
            warnings.push(Warning::BundleOld {
                age_days: age / DAY,
            });
        }
        Ok(())
    }

    /// The issuer certificate for `kid`: the bundle's, or the one the card carries. A carried
    /// certificate is always checked, even when the bundle knows the kid, so the same bytes
    /// get the same verdict with or without a bundle; when it equals the bundle's copy (the
    /// usual case) that check is a comparison, not a second signature verification.
    fn issuer_for(&self, kid: KeyId, carried: Option<&[u8]>) -> Result<Arc<Certificate>> {
        if let Some((cert, published)) = self.issuers.get(&kid) {
            if carried.is_none_or(|c| c == published.as_slice()) {
                return Ok(Arc::clone(cert));
            }
        }
        let Some(bytes) = carried else {
            return Err(Error::UnknownKeyId {
                object: Object::Card,
                kid: kid.to_hex(),
            });
        };
        let cert = Certificate::verify(bytes, &self.root)?;
        if cert.kid() != kid {
            return Err(Error::UnknownKeyId {
                object: Object::Card,
                kid: kid.to_hex(),
            });
        }
        Ok(Arc::new(cert))
    }
}

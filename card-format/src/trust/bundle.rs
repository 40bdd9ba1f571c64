//! Trust bundles: the signed list a verifier syncs when it can, and uses offline when it can't.
//!
//! ```cddl
//! trust-bundle = signed      ; COSE_Sign1 by a list-signing key whose root-signed
//!                            ; certificate (usage 2) is in the unprotected header; payload:
//! bundle-claims = {
//!   1 => uint,               ; sequence number, grows with every bundle
//!   2 => uint,               ; issued at, Unix seconds
//!   3 => [* bstr],           ; issuer certificates (crate::trust::certificate)
//!   4 => [* bstr .size 8],   ; revoked issuer kids, ascending, unique
//!   5 => [* revoked-card],   ; ascending by serial, unique
//!   6 => [* bstr .size 10],  ; superseded card serials, ascending, unique
//! }
//! revoked-card = [serial: bstr .size 10, reason: revocation-reason, revoked-at: uint]
//! revocation-reason = &(lost: 1, stolen: 2, deceased: 3, error: 4, other: 9)
//! ```
//!
//! Sorted lists make a bundle's encoding unique and let a verifier binary-search them with no
//! extra index, which matters once millions of cards have been superseded.

use minicbor::bytes::{ByteArray, ByteVec};
use minicbor::{Decode, Encode};

use crate::error::Object;
use crate::keys::{Es256Signer, KeyId};
use crate::serial::CardSerial;
use crate::{cose, Error, Result};

/// Largest trust bundle accepted by default: 64 MiB (about five million revoked or
/// superseded serials).
pub const MAX_BUNDLE_LEN: usize = 64 * 1024 * 1024;

/// Why a card was revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Encode, Decode)]
#[cbor(index_only)]
pub enum RevocationReason {
    /// The patient lost the card.
    #[n(1)]
    Lost,
    /// The card was stolen.
    #[n(2)]
    Stolen,
    /// The patient died.
    #[n(3)]
    Deceased,
    /// The card was issued in error.
    #[n(4)]
    Error,
    /// Another reason.
    #[n(9)]
    Other,
}

impl RevocationReason {
    /// The lowercase name, as used by the registry's API and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            RevocationReason::Lost => "lost",
            RevocationReason::Stolen => "stolen",
            RevocationReason::Deceased => "deceased",
            RevocationReason::Error => "error",
            RevocationReason::Other => "other",
        }
    }
}

impl std::fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A revoked card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevokedCard {
    /// Its serial.
    pub serial: CardSerial,
    /// Why.
    pub reason: RevocationReason,
    /// When, Unix seconds.
    pub revoked_at: u64,
}

/// The content of a trust bundle.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrustBundle {
    /// Sequence number; a verifier never replaces a bundle with one of a lower number.
    pub sequence: u64,
    /// When the registry made it, Unix seconds.
    pub issued_at: u64,
    /// Root-signed issuer certificates, as bytes.
    pub issuer_certificates: Vec<Vec<u8>>,
    /// Issuer keys the ministry revoked (compromised); ascending.
    pub revoked_issuers: Vec<KeyId>,
    /// Revoked cards; ascending by serial.
    pub revoked_cards: Vec<RevokedCard>,
    /// Cards replaced by a newer card; ascending.
    pub superseded: Vec<CardSerial>,
}

#[derive(Encode, Decode)]
#[cbor(array)]
struct WireRevoked {
    #[n(0)]
    serial: ByteArray<10>,
    #[n(1)]
    reason: RevocationReason,
    #[n(2)]
    revoked_at: u64,
}

#[derive(Encode, Decode)]
#[cbor(map)]
struct Wire {
    #[n(1)]
    sequence: u64,
    #[n(2)]
    issued_at: u64,
    #[n(3)]
    issuer_certificates: Vec<ByteVec>,
    #[n(4)]
    revoked_issuers: Vec<ByteArray<8>>,
    #[n(5)]
    revoked_cards: Vec<WireRevoked>,
    #[n(6)]
    superseded: Vec<ByteArray<10>>,
}

fn strictly_ascending<T: Ord>(items: &[T]) -> bool {
    items.windows(2).all(|w| w[0] < w[1])
}

impl TrustBundle {
    /// Sorts and de-duplicates the lists, as the wire form requires.
    pub fn normalise(&mut self) {
        self.revoked_issuers.sort();
        self.revoked_issuers.dedup();
        self.revoked_cards.sort_by_key(|r| r.serial);
        self.revoked_cards.dedup_by_key(|r| r.serial);
        self.superseded.sort();
        self.superseded.dedup();
    }

    /// Signs the bundle with a list-signing key, carrying that key's certificate.
    ///
    /// # Errors
    /// [`Error::InvalidField`] when a list is not strictly ascending (call
    /// [`TrustBundle::normalise`] first); [`Error::Signing`] when the signer fails.
    pub fn sign(&self, signer: &dyn Es256Signer, signer_certificate: &[u8]) -> Result<Vec<u8>> {
        self.check_sorted()?;
        let wire = Wire {
            sequence: self.sequence,
            issued_at: self.issued_at,
            issuer_certificates: self
                .issuer_certificates
                .iter()
                .map(|c| ByteVec::from(c.clone()))
                .collect(),
            revoked_issuers: self
                .revoked_issuers
                .iter()
                .map(|k| ByteArray::from(k.0))
                .collect(),
            revoked_cards: self
                .revoked_cards
                .iter()
                .map(|r| WireRevoked {
                    serial: ByteArray::from(r.serial.0),
                    reason: r.reason,
                    revoked_at: r.revoked_at,
                })
                .collect(),
            superseded: self
                .superseded
                .iter()
                .map(|s| ByteArray::from(s.0))
                .collect(),
        };
        let payload = minicbor::to_vec(&wire)
            .map_err(|_| Error::malformed(Object::TrustBundle, "cannot encode"))?;
        cose::sign(
            signer,
            payload,
            Some(signer_certificate),
            Object::TrustBundle,
        )
    }

    /// Decodes a bundle payload (after its signature was checked).
    pub(crate) fn from_payload(bytes: &[u8]) -> Result<TrustBundle> {
        let wire: Wire = cose::decode_canonical(bytes, Object::TrustBundle)?;
        let bundle = TrustBundle {
            sequence: wire.sequence,
            issued_at: wire.issued_at,
            issuer_certificates: wire
                .issuer_certificates
                .into_iter()
                .map(Vec::from)
                .collect(),
            revoked_issuers: wire
                .revoked_issuers
                .into_iter()
                .map(|k| KeyId(*k))
                .collect(),
            revoked_cards: wire
                .revoked_cards
                .into_iter()
                .map(|r| RevokedCard {
                    serial: CardSerial(*r.serial),
                    reason: r.reason,
                    revoked_at: r.revoked_at,
                })
                .collect(),
            superseded: wire
                .superseded
                .into_iter()
                .map(|s| CardSerial(*s))
                .collect(),
        };
        bundle
            .check_sorted()
            .map_err(|_| Error::malformed(Object::TrustBundle, "lists not strictly ascending"))?;
        Ok(bundle)
    }

    fn check_sorted(&self) -> Result<()> {
        let serials: Vec<CardSerial> = self.revoked_cards.iter().map(|r| r.serial).collect();
        if !strictly_ascending(&self.revoked_issuers) {
            return Err(Error::invalid("revoked_issuers", "not strictly ascending"));
        }
        if !strictly_ascending(&serials) {
            return Err(Error::invalid("revoked_cards", "not strictly ascending"));
        }
        if !strictly_ascending(&self.superseded) {
            return Err(Error::invalid("superseded", "not strictly ascending"));
        }
        Ok(())
    }

    /// The revocation of `serial`, if it is revoked.
    pub fn revocation(&self, serial: &CardSerial) -> Option<&RevokedCard> {
        self.revoked_cards
            .binary_search_by_key(serial, |r| r.serial)
            .ok()
            .map(|i| &self.revoked_cards[i])
    }

    /// Whether `serial` has been superseded by a newer card.
    pub fn is_superseded(&self, serial: &CardSerial) -> bool {
        self.superseded.binary_search(serial).is_ok()
    }

    /// Whether the issuer key `kid` has been revoked.
    pub fn is_issuer_revoked(&self, kid: &KeyId) -> bool {
        self.revoked_issuers.binary_search(kid).is_ok()
    }
}

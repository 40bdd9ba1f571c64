//! Root-signed certificates of issuer keys and list-signing keys.
//!
//! ```cddl
//! certificate = signed       ; COSE_Sign1 (crate::cose) by the ministry root, payload:
//! certificate-claims = {
//!   1 => bstr .size 8,       ; kid of the certified key = SHA-256(compressed key)[0..8]
//!   2 => bstr .size 33,      ; the certified P-256 public key, compressed SEC1
//!   3 => tstr,               ; issuer id (the site), e.g. "LY-BEN-PED"; the card's iss
//!   4 => tstr,               ; region, e.g. "east"
//!   5 => uint,               ; not before, Unix seconds
//!   6 => uint,               ; not after, Unix seconds: the end of the signing period
//!   7 => uint,               ; permitted use, bit mask: 1 cards, 2 trust bundles
//! }
//! ```
//!
//! The validity period bounds when the key may *sign*; a card signed inside it keeps verifying
//! after it ends (until the card's own expiry), which is what makes key rotation painless.

use minicbor::bytes::ByteArray;
use minicbor::{Decode, Encode};

use crate::error::Object;
use crate::keys::{Es256Signer, KeyId, PublicKey};
use crate::{cose, Error, Result};

/// Largest certificate accepted, in bytes.
pub const MAX_CERTIFICATE_LEN: usize = 1024;

/// What a certified key may sign, as a bit mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage(pub u8);

impl Usage {
    /// May sign patient cards.
    pub const CARDS: Usage = Usage(1);
    /// May sign trust bundles.
    pub const TRUST_LISTS: Usage = Usage(2);

    /// Whether every bit of `other` is permitted.
    pub fn permits(self, other: Usage) -> bool {
        self.0 & other.0 == other.0
    }
}

/// A certified key and what the ministry says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    /// The certified public key (its kid is `public_key.kid()`).
    pub public_key: PublicKey,
    /// The issuer id of the site or role holding the key.
    pub issuer_id: String,
    /// The region the site belongs to.
    pub region: String,
    /// Start of the signing period, Unix seconds.
    pub not_before: u64,
    /// End of the signing period, Unix seconds.
    pub not_after: u64,
    /// What the key may sign.
    pub usage: Usage,
}

#[derive(Encode, Decode)]
#[cbor(map)]
struct Claims {
    #[n(1)]
    kid: ByteArray<8>,
    #[n(2)]
    public_key: ByteArray<33>,
    #[n(3)]
    issuer_id: String,
    #[n(4)]
    region: String,
    #[n(5)]
    not_before: u64,
    #[n(6)]
    not_after: u64,
    #[n(7)]
    usage: u8,
}

impl Certificate {
    /// The key id of the certified key.
    pub fn kid(&self) -> KeyId {
        self.public_key.kid()
    }

    /// Whether the key was allowed to sign at `time` (Unix seconds).
    pub fn is_valid_at(&self, time: u64) -> bool {
        self.not_before <= time && time <= self.not_after
    }

    /// Signs this certificate with the ministry root key.
    ///
    /// # Errors
    /// [`Error::InvalidField`] for an empty issuer id or region, or a period that ends before
    /// it starts; [`Error::Signing`] when the root signer fails.
    pub fn sign(&self, root: &dyn Es256Signer) -> Result<Vec<u8>> {
        if self.issuer_id.is_empty() || self.issuer_id.len() > 32 {
            return Err(Error::invalid("issuer_id", "must be 1 to 32 characters"));
        }
        if self.region.is_empty() || self.region.len() > 32 {
            return Err(Error::invalid("region", "must be 1 to 32 characters"));
        }
        if self.not_after < self.not_before {
            return Err(Error::invalid("not_after", "before not_before"));
        }
        let claims = Claims {
            kid: ByteArray::from(self.kid().0),
            public_key: ByteArray::from(self.public_key.to_compressed()),
            issuer_id: self.issuer_id.clone(),
            region: self.region.clone(),
            not_before: self.not_before,
            not_after: self.not_after,
            usage: self.usage.0,
        };
        let payload = minicbor::to_vec(&claims)
            .map_err(|_| Error::malformed(Object::Certificate, "cannot encode"))?;
        cose::sign(root, payload, None, Object::Certificate)
    }

    /// Verifies a certificate against the pinned ministry root key.
    ///
    /// # Errors
    /// [`Error::IssuerNotCertified`] when it is not signed by `root`; [`Error::Malformed`] and
    /// the envelope errors of [`crate::cose`] for damaged bytes.
    pub fn verify(bytes: &[u8], root: &PublicKey) -> Result<Certificate> {
        let envelope = cose::parse(bytes, Object::Certificate, MAX_CERTIFICATE_LEN)?;
        if envelope.certificate.is_some() {
            return Err(Error::BadHeader {
                object: Object::Certificate,
                detail: "a certificate carries no certificate",
            });
        }
        if envelope.kid != root.kid() {
            return Err(Error::IssuerNotCertified);
        }
        envelope
            .verify(root, Object::Certificate)
            .map_err(|_| Error::IssuerNotCertified)?;
        let claims: Claims = cose::decode_canonical(envelope.payload(), Object::Certificate)?;
        let public_key = PublicKey::from_sec1(claims.public_key.as_ref())
            .map_err(|_| Error::malformed(Object::Certificate, "public key not on P-256"))?;
        if public_key.kid().0 != *claims.kid {
            return Err(Error::malformed(
                Object::Certificate,
                "kid does not match the key",
            ));
        }
        let sane = !claims.issuer_id.is_empty()
            && claims.issuer_id.len() <= 32
            && !claims.region.is_empty()
            && claims.region.len() <= 32
            && claims.not_before <= claims.not_after
            && claims.usage != 0
            && claims.usage & !(Usage::CARDS.0 | Usage::TRUST_LISTS.0) == 0;
        if !sane {
            return Err(Error::malformed(Object::Certificate, "field out of range"));
        }
        Ok(Certificate {
            public_key,
            issuer_id: claims.issuer_id,
            region: claims.region,
            not_before: claims.not_before,
            not_after: claims.not_after,
            usage: Usage(claims.usage),
        })
    }
}

//! P-256 keys: key ids, public keys, and the signer abstraction.
//!
//! Two libraries share the work, each where it is best (docs/card-format.md §8):
//! - `p256` (RustCrypto) parses and stores keys and signs deterministically (RFC 6979), so test
//!   vectors reproduce byte for byte;
//! - `ring` verifies, about four times faster than `p256` on this hardware, which is what a
//!   pharmacy or an insurer checking cards in bulk spends its time on.
//!
//! Signing goes through the [`Es256Signer`] trait so the registry can keep its issuing key in
//! an HSM (PKCS#11 hashes nothing for `CKM_ECDSA`: we hand it the SHA-256 digest).

use p256::ecdsa::signature::hazmat::PrehashSigner;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// Length of a key id in bytes.
pub const KEY_ID_LEN: usize = 8;

/// A key identifier: the first 8 bytes of SHA-256 over the compressed SEC1 public key.
///
/// Derived, never chosen, so a certificate whose kid does not match its key is refused.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub [u8; KEY_ID_LEN]);

impl KeyId {
    /// The key id from its 8 bytes.
    ///
    /// # Errors
    /// [`Error::BadKey`] when `bytes` is not 8 bytes long.
    pub fn from_bytes(bytes: &[u8]) -> Result<KeyId> {
        <[u8; KEY_ID_LEN]>::try_from(bytes)
            .map(KeyId)
            .map_err(|_| Error::BadKey("a key id is 8 bytes"))
    }

    /// Lowercase hex, as used in logs and error messages (key ids are public).
    pub fn to_hex(&self) -> String {
        data_encoding::HEXLOWER.encode(&self.0)
    }
}

impl std::fmt::Debug for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyId({})", self.to_hex())
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// A P-256 public key, validated on the curve, with its key id.
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    compressed: [u8; 33],
    uncompressed: [u8; 65],
    kid: KeyId,
}

impl PublicKey {
    /// Parses a SEC1 point, compressed (33 bytes) or uncompressed (65 bytes).
    ///
    /// # Errors
    /// [`Error::BadKey`] when the bytes are not a point on P-256.
    pub fn from_sec1(bytes: &[u8]) -> Result<PublicKey> {
        let key = p256::PublicKey::from_sec1_bytes(bytes)
            .map_err(|_| Error::BadKey("not a P-256 public key"))?;
        Ok(PublicKey::from_p256(&key))
    }

    /// Parses a PEM `PUBLIC KEY` (SubjectPublicKeyInfo, RFC 5480).
    ///
    /// # Errors
    /// [`Error::BadKey`] when the PEM is not a P-256 public key.
    pub fn from_pem(pem: &str) -> Result<PublicKey> {
        let key = p256::PublicKey::from_public_key_pem(pem)
            .map_err(|_| Error::BadKey("not a P-256 public key PEM"))?;
        Ok(PublicKey::from_p256(&key))
    }

    fn from_p256(key: &p256::PublicKey) -> PublicKey {
        let mut compressed = [0u8; 33];
        compressed.copy_from_slice(key.to_encoded_point(true).as_bytes());
        let mut uncompressed = [0u8; 65];
        uncompressed.copy_from_slice(key.to_encoded_point(false).as_bytes());
        let digest = Sha256::digest(compressed);
        let mut kid = [0u8; KEY_ID_LEN];
        kid.copy_from_slice(&digest[..KEY_ID_LEN]);
        PublicKey {
            compressed,
            uncompressed,
            kid: KeyId(kid),
        }
    }

    /// The PEM `PUBLIC KEY` form.
    ///
    /// # Errors
    /// [`Error::BadKey`] if encoding fails (it does not for a valid key).
    pub fn to_pem(&self) -> Result<String> {
        let key = p256::PublicKey::from_sec1_bytes(&self.compressed)
            .map_err(|_| Error::BadKey("not a P-256 public key"))?;
        key.to_public_key_pem(p256::pkcs8::LineEnding::LF)
            .map_err(|_| Error::BadKey("cannot encode public key"))
    }

    /// The compressed SEC1 form (33 bytes), as carried in certificates.
    pub fn to_compressed(&self) -> [u8; 33] {
        self.compressed
    }

    /// This key's id.
    pub fn kid(&self) -> KeyId {
        self.kid
    }

    /// Verifies an ES256 signature (64-byte r‖s) over `message`.
    pub fn verify_es256(&self, message: &[u8], signature: &[u8]) -> bool {
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::ECDSA_P256_SHA256_FIXED,
            &self.uncompressed,
        )
        .verify(message, signature)
        .is_ok()
    }
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey(kid {})", self.kid)
    }
}

/// Something that signs with ES256: a software key, or an HSM behind PKCS#11.
pub trait Es256Signer {
    /// The public half, whose kid goes into the protected header.
    fn public_key(&self) -> &PublicKey;

    /// Signs a SHA-256 digest, returning the 64-byte r‖s signature.
    ///
    /// # Errors
    /// [`Error::Signing`] when the signer is unavailable (an HSM session lost, say).
    fn sign_digest(&self, digest: &[u8; 32]) -> Result<[u8; 64]>;
}

/// A P-256 private key held in memory, signing deterministically (RFC 6979).
///
/// Its `Debug` shows only the key id.
pub struct SoftwareKey {
    key: p256::ecdsa::SigningKey,
    public: PublicKey,
}

impl SoftwareKey {
    /// A new random key from the operating system's generator.
    pub fn generate() -> SoftwareKey {
        SoftwareKey::from_signing_key(p256::ecdsa::SigningKey::random(&mut rand_core::OsRng))
    }

    /// The key for a 32-byte big-endian scalar.
    ///
    /// # Errors
    /// [`Error::BadKey`] when the scalar is zero or not below the group order.
    pub fn from_scalar(scalar: &[u8; 32]) -> Result<SoftwareKey> {
        let key = p256::ecdsa::SigningKey::from_bytes(scalar.into())
            .map_err(|_| Error::BadKey("scalar out of range"))?;
        Ok(SoftwareKey::from_signing_key(key))
    }

    /// Parses a PEM `PRIVATE KEY` (PKCS#8, RFC 5958).
    ///
    /// # Errors
    /// [`Error::BadKey`] when the PEM is not a P-256 private key.
    pub fn from_pkcs8_pem(pem: &str) -> Result<SoftwareKey> {
        let key = p256::ecdsa::SigningKey::from_pkcs8_pem(pem)
            .map_err(|_| Error::BadKey("not a P-256 PKCS#8 private key PEM"))?;
        Ok(SoftwareKey::from_signing_key(key))
    }

    /// The PEM `PRIVATE KEY` (PKCS#8) form. Write it only to a file with mode 0600.
    ///
    /// # Errors
    /// [`Error::BadKey`] if encoding fails (it does not for a valid key).
    pub fn to_pkcs8_pem(&self) -> Result<String> {
        self.key
            .to_pkcs8_pem(p256::pkcs8::LineEnding::LF)
            .map(|pem| pem.to_string())
            .map_err(|_| Error::BadKey("cannot encode private key"))
    }

    fn from_signing_key(key: p256::ecdsa::SigningKey) -> SoftwareKey {
        let public = PublicKey::from_p256(&p256::PublicKey::from(key.verifying_key()));
        SoftwareKey { key, public }
    }
}

impl Es256Signer for SoftwareKey {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn sign_digest(&self, digest: &[u8; 32]) -> Result<[u8; 64]> {
        let signature: p256::ecdsa::Signature = self
            .key
            .sign_prehash(digest)
            .map_err(|_| Error::Signing("p256 refused the digest".into()))?;
        Ok(signature.to_bytes().into())
    }
}

impl std::fmt::Debug for SoftwareKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SoftwareKey(kid {})", self.public.kid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_pem_round_trip_keeps_kid() {
        let key = SoftwareKey::generate();
        let pem = key.to_pkcs8_pem().unwrap();
        let again = SoftwareKey::from_pkcs8_pem(&pem).unwrap();
        assert_eq!(again.public_key().kid(), key.public_key().kid());
        let public = PublicKey::from_pem(&key.public_key().to_pem().unwrap()).unwrap();
        assert_eq!(&public, key.public_key());
    }

    #[test]
    fn signature_from_p256_verifies_with_ring() {
        let key = SoftwareKey::from_scalar(&[7u8; 32]).unwrap();
        let digest: [u8; 32] = Sha256::digest(b"message").into();
        let sig = key.sign_digest(&digest).unwrap();
        assert!(key.public_key().verify_es256(b"message", &sig));
        assert!(!key.public_key().verify_es256(b"messagf", &sig));
    }

    #[test]
    fn debug_hides_private_key() {
        let key = SoftwareKey::from_scalar(&[7u8; 32]).unwrap();
        let shown = format!("{key:?}");
        assert!(shown.starts_with("SoftwareKey(kid "), "{shown}");
        assert!(!shown.contains("0707"), "{shown}");
    }
}

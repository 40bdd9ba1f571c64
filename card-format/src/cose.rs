//! The signed envelope: a tagged COSE_Sign1 (RFC 9052 §4.2) with ES256 (RFC 9053 §2.1).
//!
//! Every signed object of this format (card, certificate, trust bundle) uses the same envelope,
//! and this module enforces its rules before anything looks at the payload:
//!
//! ```cddl
//! signed = #6.18([                  ; tag 18 is required
//!   protected: bstr .cbor {
//!     1 => -7,                      ; alg: ES256, and only ES256
//!     4 => bstr .size 8,            ; kid: only here, never unprotected
//!   },
//!   unprotected: {
//!     ? -65537 => bstr,             ; a root-signed certificate of the signer, optional
//!   },
//!   payload: bstr,                  ; never detached (nil)
//!   signature: bstr .size 64,       ; r || s; DER is refused with its own error
//! ])
//! ```
//!
//! The whole structure must be in the one encoding this module produces (definite lengths,
//! shortest integers, no extra headers, the protected header exactly `a2 01 26 04 48 <kid>`,
//! a low-S signature), so a card has exactly one byte string.
//! Signing hashes the `Sig_structure` (RFC 9052 §4.4) with SHA-256 and hands the digest to an
//! [`Es256Signer`]; verification uses `ring`. Payload meaning belongs to [`crate::card`] and
//! [`crate::trust`].

use coset::{
    iana, CoseError, CoseSign1, CoseSign1Builder, HeaderBuilder, Label, TaggedCborSerializable,
};
use sha2::{Digest, Sha256};

use crate::error::Object;
use crate::keys::{Es256Signer, KeyId, PublicKey};
use crate::{Error, Result};

/// Unprotected header label for a root-signed certificate of the signing key (private use,
/// RFC 9052 §3.1: labels below -65536).
pub const CERTIFICATE_LABEL: i64 = -65537;

/// Largest signed object this crate will parse (64 KiB; a card is well under 4 KiB, and a
/// trust bundle has its own, larger limit).
pub const MAX_SIGNED_LEN: usize = 64 * 1024;

/// A COSE_Sign1 whose envelope rules have been checked, but whose signature has not.
#[derive(Debug)]
pub(crate) struct Envelope {
    sign1: CoseSign1,
    /// The kid from the protected header.
    pub kid: KeyId,
    /// The certificate from the unprotected header, when present.
    pub certificate: Option<Vec<u8>>,
}

impl Envelope {
    /// The payload bytes. Only call after [`Envelope::verify`] succeeded, unless the caller
    /// needs nothing from the payload but its length.
    pub fn payload(&self) -> &[u8] {
        self.sign1.payload.as_deref().unwrap_or_default()
    }

    /// Checks the signature with `key`.
    ///
    /// # Errors
    /// [`Error::BadSignature`] when it does not verify.
    pub fn verify(&self, key: &PublicKey, object: Object) -> Result<()> {
        let tbs = self.sign1.tbs_data(&[]);
        if key.verify_es256(&tbs, &self.sign1.signature) {
            Ok(())
        } else {
            Err(Error::BadSignature { object })
        }
    }
}

/// Signs `payload` into a tagged COSE_Sign1, with `certificate` in the unprotected header.
///
/// # Errors
/// [`Error::Signing`] when the signer fails, [`Error::Malformed`] if encoding fails.
pub fn sign(
    signer: &dyn Es256Signer,
    payload: Vec<u8>,
    certificate: Option<&[u8]>,
    object: Object,
) -> Result<Vec<u8>> {
    let protected = HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES256)
        .key_id(signer.public_key().kid().0.to_vec())
        .build();
    let mut unprotected = HeaderBuilder::new();
    if let Some(cert) = certificate {
        unprotected =
            unprotected.value(CERTIFICATE_LABEL, coset::cbor::Value::Bytes(cert.to_vec()));
    }
    let sign1 = CoseSign1Builder::new()
        .protected(protected)
        .unprotected(unprotected.build())
        .payload(payload)
        .try_create_signature(&[], |tbs| {
            let digest: [u8; 32] = Sha256::digest(tbs).into();
            normalise_low_s(signer.sign_digest(&digest)?).map(|sig| sig.to_vec())
        })?
        .build();
    sign1
        .to_tagged_vec()
        .map_err(|e| Error::malformed(object, format!("cannot encode: {e}")))
}

/// Parses `bytes` as the envelope and checks every header rule; does not check the signature.
///
/// # Errors
/// [`Error::Malformed`], [`Error::NonCanonical`], [`Error::UnsupportedAlgorithm`],
/// [`Error::BadHeader`], [`Error::DerSignature`] or [`Error::TooLarge`].
pub(crate) fn parse(bytes: &[u8], object: Object, max_len: usize) -> Result<Envelope> {
    if bytes.len() > max_len {
        return Err(Error::TooLarge {
            what: "signed object",
            limit: max_len,
        });
    }
    if bytes.first() != Some(&0xd2) {
        return Err(Error::malformed(object, "not a COSE_Sign1 with tag 18"));
    }
    let sign1 = CoseSign1::from_tagged_slice(bytes).map_err(|e| match e {
        CoseError::ExtraneousData => Error::malformed(object, "trailing bytes after the object"),
        CoseError::DecodeFailed(_) => Error::malformed(object, "truncated or invalid cbor"),
        _ => Error::malformed(object, "not a COSE_Sign1 structure"),
    })?;
    let protected = &sign1.protected.header;
    if protected.alg
        != Some(coset::RegisteredLabelWithPrivate::Assigned(
            iana::Algorithm::ES256,
        ))
    {
        return Err(Error::UnsupportedAlgorithm { object });
    }
    let unprotected = &sign1.unprotected;
    if !unprotected.key_id.is_empty() {
        return Err(Error::BadHeader {
            object,
            detail: "kid in the unprotected header",
        });
    }
    if protected.key_id.is_empty() {
        return Err(Error::BadHeader {
            object,
            detail: "no kid in the protected header",
        });
    }
    let kid = KeyId::from_bytes(&protected.key_id).map_err(|_| Error::BadHeader {
        object,
        detail: "kid is not 8 bytes",
    })?;
    let protected_extra = !protected.crit.is_empty()
        || protected.content_type.is_some()
        || !protected.iv.is_empty()
        || !protected.partial_iv.is_empty()
        || !protected.counter_signatures.is_empty()
        || !protected.rest.is_empty();
    if protected_extra {
        return Err(Error::BadHeader {
            object,
            detail: "unexpected protected header parameter",
        });
    }
    // The protected header is signed as received, so its bytes must be exactly the one
    // encoding this format allows: {1: -7, 4: h'<8 bytes>'}.
    let expected = protected_header_bytes(kid);
    if sign1.protected.original_data.as_deref() != Some(expected.as_slice()) {
        return Err(Error::NonCanonical { object });
    }
    let certificate = unprotected_certificate(unprotected, object)?;
    if sign1.payload.is_none() {
        return Err(Error::malformed(object, "detached payload"));
    }
    check_signature_form(&sign1.signature, object)?;
    // One card, one encoding: re-encoding must give back exactly the input.
    let again = encode_parts(
        &expected,
        certificate.as_deref(),
        sign1.payload.as_deref().unwrap_or_default(),
        &sign1.signature,
    )
    .map_err(|_| Error::malformed(object, "cannot re-encode"))?;
    if again != bytes {
        return Err(Error::NonCanonical { object });
    }
    Ok(Envelope {
        sign1,
        kid,
        certificate,
    })
}

fn unprotected_certificate(header: &coset::Header, object: Object) -> Result<Option<Vec<u8>>> {
    let bad = |detail| Error::BadHeader { object, detail };
    let extra = header.alg.is_some()
        || !header.crit.is_empty()
        || header.content_type.is_some()
        || !header.iv.is_empty()
        || !header.partial_iv.is_empty()
        || !header.counter_signatures.is_empty();
    if extra {
        return Err(bad("unexpected unprotected header parameter"));
    }
    match header.rest.as_slice() {
        [] => Ok(None),
        [(Label::Int(CERTIFICATE_LABEL), coset::cbor::Value::Bytes(cert))] => {
            Ok(Some(cert.clone()))
        }
        [(Label::Int(CERTIFICATE_LABEL), _)] => Err(bad("certificate is not a byte string")),
        _ => Err(bad("unexpected unprotected header parameter")),
    }
}

/// The deterministic encoding of an envelope from its parts (what [`sign`] emits).
fn encode_parts(
    protected: &[u8],
    certificate: Option<&[u8]>,
    payload: &[u8],
    signature: &[u8],
) -> Result<Vec<u8>, minicbor::encode::Error<std::convert::Infallible>> {
    let len = protected.len() + certificate.map_or(0, <[u8]>::len) + payload.len() + 96;
    let mut e = minicbor::Encoder::new(Vec::with_capacity(len));
    e.tag(minicbor::data::Tag::new(18))?
        .array(4)?
        .bytes(protected)?;
    match certificate {
        Some(cert) => e.map(1)?.i64(CERTIFICATE_LABEL)?.bytes(cert)?,
        None => e.map(0)?,
    };
    e.bytes(payload)?.bytes(signature)?;
    Ok(e.into_writer())
}

/// The only protected header this format allows, for `kid`.
fn protected_header_bytes(kid: KeyId) -> Vec<u8> {
    let mut bytes = vec![
        0xa2, // map(2)
        0x01, 0x26, // 1 (alg) => -7 (ES256)
        0x04, 0x48, // 4 (kid) => bstr(8)
    ];
    bytes.extend_from_slice(&kid.0);
    bytes
}

/// Rewrites (r, s) with s > n/2 as (r, n - s): both verify, and allowing only the low form
/// makes the signature, and so the whole card, a unique byte string.
fn normalise_low_s(signature: [u8; 64]) -> Result<[u8; 64]> {
    let sig = p256::ecdsa::Signature::from_slice(&signature)
        .map_err(|_| Error::Signing("signer returned an invalid signature".into()))?;
    Ok(sig
        .normalize_s()
        .map_or(signature, |low| low.to_bytes().into()))
}

fn is_high_s(signature: &[u8]) -> bool {
    p256::ecdsa::Signature::from_slice(signature)
        .map(|sig| sig.normalize_s().is_some())
        .unwrap_or(false)
}

fn check_signature_form(signature: &[u8], object: Object) -> Result<()> {
    match signature.len() {
        64 if is_high_s(signature) => Err(Error::NonCanonical { object }),
        64 => Ok(()),
        // An ASN.1 SEQUENCE of two INTEGERs: what OpenSSL and many HSM wrappers emit.
        8..=72 if signature[0] == 0x30 && usize::from(signature[1]) + 2 == signature.len() => {
            Err(Error::DerSignature { object })
        }
        _ => Err(Error::malformed(object, "signature is not 64 bytes")),
    }
}

/// The same signed object with `certificate` in its unprotected header, or with none: the
/// signature covers neither header, so this needs no key. The registry stores cards without
/// a certificate and adds it for smart cards, which must verify with the root key alone.
///
/// # Errors
/// The envelope errors (`malformed`, `non_canonical`, `bad_header`, ...) for bytes that are
/// not a valid envelope.
pub fn set_certificate(
    bytes: &[u8],
    certificate: Option<&[u8]>,
    object: Object,
) -> Result<Vec<u8>> {
    let envelope = parse(bytes, object, MAX_SIGNED_LEN)?;
    encode_parts(
        &protected_header_bytes(envelope.kid),
        certificate,
        envelope.payload(),
        &envelope.sign1.signature,
    )
    .map_err(|_| Error::malformed(object, "cannot re-encode"))
}

/// Decodes a minicbor payload and insists it re-encodes to the same bytes (RFC 8949 §4.2
/// deterministic encoding; also refuses unknown and duplicate keys).
pub(crate) fn decode_canonical<T>(bytes: &[u8], object: Object) -> Result<T>
where
    T: for<'b> minicbor::Decode<'b, ()> + minicbor::Encode<()>,
{
    let value: T = minicbor::decode(bytes)
        .map_err(|_| Error::malformed(object, "payload does not match the schema"))?;
    let again =
        minicbor::to_vec(&value).map_err(|_| Error::malformed(object, "cannot re-encode"))?;
    if again != bytes {
        return Err(Error::NonCanonical { object });
    }
    Ok(value)
}

#[cfg(test)]
mod tests;

//! The ES256 COSE_Sign1 example of RFC 9052 Appendix C.2.1 ("Single ECDSA Signature").
//!
//! Source: RFC 9052 Appendix C.2.1 (unchanged from RFC 8152 C.2.1); the signing key is the
//! P-256 key with kid "11" of the COSE WG examples (RFC 9052 Appendix C.7, repository
//! cose-wg/Examples, e.g. `sign1-tests/sign-pass-01.json`).
//!
//! The signature layer (coset's Sig_structure + `PublicKey::verify_es256`) must accept it.
//! Our strict envelope must refuse it: the example carries its kid in the *unprotected*
//! header, which this format forbids (see `card_format::cose`), and the public entry points
//! that parse an envelope (`TrustStore::verify_card`, `Certificate::verify`,
//! `TrustStore::from_bundle`) all say `bad_header` before looking at any signature.

// Test helpers outside `#[test]` functions build fixed, valid inputs; a failure there is a
// failing test, so `expect` with a message is right (clippy.toml allows it only inside tests).

use card_format::error::Object;
use card_format::keys::Es256Signer;
use card_format::{Certificate, Error, Policy, PublicKey, SoftwareKey, TrustStore};
use coset::{iana, CborSerializable, CoseSign1, TaggedCborSerializable};

/// RFC 9052 Appendix C.2.1, one CBOR item per line.
const C21_HEX: &str = concat!(
    "d2",                                       // tag(18): COSE_Sign1
    "84",                                       // array(4)
    "43",                                       // bstr(3): protected header, serialized
    "a10126",                                   // {1: -7}: alg ES256
    "a1",                                       // map(1): unprotected header
    "04",                                       // label 4: kid
    "423131",                                   // bstr(2): '11'
    "54",                                       // bstr(20): payload
    "546869732069732074686520636f6e74656e742e", // 'This is the content.'
    "5840",                                     // bstr(64): signature r || s
    "8eb33e4ca31d1c465ab05aac34cc6b23",         // r, bytes 0-15
    "d58fef5c083106c4d25a91aef0b0117e",         // r, bytes 16-31
    "2af9a291aa32e14ab834dc56ed2a2234",         // s, bytes 0-15
    "44547e01f11d3b0916e5a4c345cacb36",         // s, bytes 16-31
);

/// The Sig_structure the example signs (RFC 9052 §4.4), as given with the example.
const C21_TO_BE_SIGNED_HEX: &str = concat!(
    "84",                                       // array(4)
    "6a",                                       // tstr(10)
    "5369676e617475726531",                     // "Signature1"
    "43",                                       // bstr(3): body_protected
    "a10126",                                   // {1: -7}
    "40",                                       // bstr(0): external_aad
    "54",                                       // bstr(20): payload
    "546869732069732074686520636f6e74656e742e", // 'This is the content.'
);

/// Key "11" of the COSE WG examples: uncompressed SEC1, 0x04 || x || y.
const KEY_11_HEX: &str = concat!(
    "04",                               // uncompressed point
    "bac5b11cad8f99f9c72b05cf4b9e26d2", // x, bytes 0-15
    "44dc189f745228255a219a86d6a09eff", // x, bytes 16-31
    "20138bf82dc1b6d562be0fa54ab7804a", // y, bytes 0-15
    "3a64b6d72ccfed6b6fb6ed28bbfc117e", // y, bytes 16-31
);

/// Byte ranges of the example covered by the signature: protected header contents, payload,
/// and the signature itself.
const PROTECTED: std::ops::Range<usize> = 3..6;
const UNPROTECTED_KID: std::ops::Range<usize> = 9..11;
const PAYLOAD: std::ops::Range<usize> = 12..32;
const SIGNATURE: std::ops::Range<usize> = 34..98;

fn c21() -> Vec<u8> {
    hex::decode(C21_HEX).expect("hex")
}

fn key_11() -> PublicKey {
    PublicKey::from_sec1(&hex::decode(KEY_11_HEX).expect("hex")).expect("key 11 is on P-256")
}

/// Parses with coset and checks the signature with our ring-backed verifier.
fn coset_verify(bytes: &[u8], key: &PublicKey) -> Result<CoseSign1, &'static str> {
    let sign1 = CoseSign1::from_tagged_slice(bytes).map_err(|_| "coset refused the bytes")?;
    sign1.verify_signature(&[], |sig, data| {
        if key.verify_es256(data, sig) {
            Ok(())
        } else {
            Err("bad signature")
        }
    })?;
    Ok(sign1)
}

#[test]
fn rfc9052_c21_layout_matches_the_ranges() {
    let bytes = c21();
    assert_eq!(bytes.len(), 98);
    assert_eq!(bytes[PROTECTED], [0xa1, 0x01, 0x26]);
    assert_eq!(&bytes[UNPROTECTED_KID], b"11");
    assert_eq!(&bytes[PAYLOAD], b"This is the content.");
    assert_eq!(bytes[SIGNATURE.start - 2..SIGNATURE.start], [0x58, 0x40]);
    assert_eq!(SIGNATURE.end, bytes.len());
}

#[test]
fn rfc9052_c21_signature_verifies_with_coset_and_ring() {
    let bytes = c21();
    let key = key_11();
    let sign1 = coset_verify(&bytes, &key).expect("RFC 9052 C.2.1 must verify");
    assert_eq!(
        sign1.protected.header.alg,
        Some(coset::RegisteredLabelWithPrivate::Assigned(
            iana::Algorithm::ES256
        ))
    );
    assert!(sign1.protected.header.key_id.is_empty());
    assert_eq!(sign1.unprotected.key_id, b"11");
    assert_eq!(sign1.payload.as_deref(), Some(&b"This is the content."[..]));
    assert_eq!(
        hex::encode(sign1.tbs_data(&[])),
        C21_TO_BE_SIGNED_HEX,
        "Sig_structure"
    );
    // coset re-encodes the example to the same bytes: it is in the one canonical form.
    assert_eq!(sign1.to_tagged_vec().expect("encode"), bytes);
    // And the untagged form is the same array without the tag byte.
    assert_eq!(
        CoseSign1::from_slice(&bytes[1..])
            .expect("untagged")
            .signature,
        &bytes[SIGNATURE]
    );
}

#[test]
fn rfc9052_c21_fails_with_another_key() {
    let other = SoftwareKey::from_scalar(&[0x11; 32]).expect("key");
    assert_eq!(
        coset_verify(&c21(), other.public_key()).unwrap_err(),
        "bad signature"
    );
}

#[test]
fn rfc9052_c21_any_flipped_signed_bit_fails() {
    let bytes = c21();
    let key = key_11();
    let mut flipped = 0;
    for range in [PROTECTED, PAYLOAD, SIGNATURE] {
        for i in range {
            for bit in 0..8 {
                let mut damaged = bytes.clone();
                damaged[i] ^= 1 << bit;
                assert!(
                    coset_verify(&damaged, &key).is_err(),
                    "flipping bit {bit} of byte {i} still verifies"
                );
                flipped += 1;
            }
        }
    }
    assert_eq!(flipped, (3 + 20 + 64) * 8);
}

/// Why this format forbids an unprotected kid: nothing signs it, so it can be changed at will
/// and the signature still verifies.
#[test]
fn rfc9052_c21_unprotected_kid_is_not_signed() {
    let mut bytes = c21();
    bytes[UNPROTECTED_KID.start] ^= 0x01; // kid '11' becomes '01'
    let sign1 = coset_verify(&bytes, &key_11()).expect("still verifies");
    assert_eq!(sign1.unprotected.key_id, b"01");
}

fn assert_bad_header(result: Result<impl std::fmt::Debug, Error>, object: Object) {
    match result {
        Err(Error::BadHeader {
            object: got,
            detail,
        }) => {
            assert_eq!(got, object);
            assert_eq!(detail, "kid in the unprotected header");
        }
        other => panic!("expected bad_header for {object}, got {other:?}"),
    }
}

#[test]
fn rfc9052_c21_refused_by_strict_envelope_as_bad_header() {
    let bytes = c21();
    let key = key_11();
    // Even with key "11" pinned as the root, the envelope rules refuse it before any
    // signature is checked.
    let store = TrustStore::new(key.clone());
    let err = store
        .verify_card(&bytes, 1_770_000_000, &Policy::default())
        .unwrap_err();
    assert_eq!(err.code(), "bad_header");
    assert_bad_header(
        store.verify_card(&bytes, 1_770_000_000, &Policy::default()),
        Object::Card,
    );
    assert_bad_header(Certificate::verify(&bytes, &key), Object::Certificate);
    assert_bad_header(
        TrustStore::from_bundle(key, &bytes, card_format::trust::MAX_BUNDLE_LEN),
        Object::TrustBundle,
    );
}

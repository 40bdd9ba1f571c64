use super::*;
use crate::keys::SoftwareKey;

fn key() -> SoftwareKey {
    SoftwareKey::from_scalar(&[0x11; 32]).unwrap()
}

fn signed(payload: &[u8]) -> Vec<u8> {
    sign(&key(), payload.to_vec(), None, Object::Card).unwrap()
}

/// Re-signs a hand-built structure so only the rule under test is broken.
fn with_signature(protected: &[u8], unprotected: &[u8], payload: &[u8], sig: &[u8]) -> Vec<u8> {
    let mut out = vec![0xd2, 0x84];
    push_bstr(&mut out, protected);
    out.extend_from_slice(unprotected);
    push_bstr(&mut out, payload);
    push_bstr(&mut out, sig);
    out
}

fn push_bstr(out: &mut Vec<u8>, bytes: &[u8]) {
    match bytes.len() {
        n @ 0..=23 => out.push(0x40 | n as u8),
        n @ 24..=255 => out.extend_from_slice(&[0x58, n as u8]),
        n => out.extend_from_slice(&[0x59, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(bytes);
}

fn protected_with_kid(kid: &[u8]) -> Vec<u8> {
    let mut p = vec![
        0xa2, // map(2)
        0x01, 0x26, // 1 (alg) => -7 (ES256)
        0x04, // 4 (kid) =>
    ];
    push_bstr(&mut p, kid);
    p
}

/// (r, n - s): verifies like (r, s), but is not the one allowed form.
fn high_s(sig: &[u8]) -> Vec<u8> {
    let low = p256::ecdsa::Signature::from_slice(sig).unwrap();
    let (r, s) = low.split_scalars();
    let high = p256::ecdsa::Signature::from_scalars(r, -*s).unwrap();
    high.to_bytes().to_vec()
}

#[test]
fn sign_produces_the_specified_layout() {
    let bytes = signed(b"\xa0");
    let kid = key().public_key().kid().0;
    let mut expected = vec![
        0xd2, // tag 18: COSE_Sign1
        0x84, // array(4)
        0x4d, // bstr(13): protected header
        0xa2, 0x01, 0x26, 0x04, 0x48, // {1: -7, 4: h'..8 bytes..'}
    ];
    expected.extend_from_slice(&kid);
    expected.extend_from_slice(&[
        0xa0, // unprotected: {}
        0x41, 0xa0, // payload: bstr(1) containing an empty map
        0x58, 0x40, // signature: bstr(64)
    ]);
    assert_eq!(&bytes[..expected.len()], &expected[..]);
    assert_eq!(bytes.len(), expected.len() + 64);
}

#[test]
fn sign_is_deterministic() {
    assert_eq!(signed(b"\xa1\x01\x02"), signed(b"\xa1\x01\x02"));
}

#[test]
fn parse_then_verify_accepts_own_output() {
    let bytes = signed(b"\xa1\x01\x02");
    let env = parse(&bytes, Object::Card, MAX_SIGNED_LEN).unwrap();
    assert_eq!(env.kid, key().public_key().kid());
    env.verify(key().public_key(), Object::Card).unwrap();
    assert_eq!(env.payload(), b"\xa1\x01\x02");
}

#[test]
fn parse_refuses_each_broken_rule() {
    let good = signed(b"\xa0");
    let kid = key().public_key().kid().0;
    let sig = &good[good.len() - 64..];
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("untagged", good[1..].to_vec(), "malformed"),
        (
            "trailing byte",
            [good.as_slice(), &[0x00]].concat(),
            "malformed",
        ),
        ("truncated", good[..good.len() - 1].to_vec(), "malformed"),
        (
            "alg ES384 (-35)",
            with_signature(
                &[[0xa2, 0x01, 0x38, 0x22, 0x04, 0x48].as_slice(), &kid].concat(),
                &[0xa0],
                b"\xa0",
                sig,
            ),
            "unsupported_algorithm",
        ),
        (
            "no alg",
            with_signature(
                &[[0xa1, 0x04, 0x48].as_slice(), &kid].concat(),
                &[0xa0],
                b"\xa0",
                sig,
            ),
            "unsupported_algorithm",
        ),
        (
            "no kid",
            with_signature(&[0xa1, 0x01, 0x26], &[0xa0], b"\xa0", sig),
            "bad_header",
        ),
        (
            "kid in unprotected",
            with_signature(
                &[0xa1, 0x01, 0x26],
                &[[0xa1, 0x04, 0x48].as_slice(), &kid].concat(),
                b"\xa0",
                sig,
            ),
            "bad_header",
        ),
        (
            "kid of 4 bytes",
            with_signature(&protected_with_kid(&kid[..4]), &[0xa0], b"\xa0", sig),
            "bad_header",
        ),
        (
            "content type in protected",
            with_signature(
                &[[0xa3, 0x01, 0x26, 0x03, 0x00, 0x04, 0x48].as_slice(), &kid].concat(),
                &[0xa0],
                b"\xa0",
                sig,
            ),
            "bad_header",
        ),
        (
            "unknown unprotected label",
            with_signature(
                &protected_with_kid(&kid),
                &[0xa1, 0x18, 0x63, 0x00],
                b"\xa0",
                sig,
            ),
            "bad_header",
        ),
        (
            "detached payload",
            {
                let mut v = vec![0xd2, 0x84];
                push_bstr(&mut v, &protected_with_kid(&kid));
                v.extend_from_slice(&[0xa0, 0xf6]); // {} nil
                push_bstr(&mut v, sig);
                v
            },
            "malformed",
        ),
        (
            "DER signature",
            {
                let mut der = vec![0x30, 0x44, 0x02, 0x20];
                der.extend_from_slice(&sig[..32]);
                der.extend_from_slice(&[0x02, 0x20]);
                der.extend_from_slice(&sig[32..]);
                with_signature(&protected_with_kid(&kid), &[0xa0], b"\xa0", &der)
            },
            "der_signature",
        ),
        (
            "protected header keys out of order",
            with_signature(
                &[[0xa2, 0x04, 0x48].as_slice(), &kid, &[0x01, 0x26]].concat(),
                &[0xa0],
                b"\xa0",
                sig,
            ),
            "non_canonical",
        ),
        (
            "high-S form of the same signature",
            with_signature(&protected_with_kid(&kid), &[0xa0], b"\xa0", &high_s(sig)),
            "non_canonical",
        ),
        (
            "63-byte signature",
            with_signature(&protected_with_kid(&kid), &[0xa0], b"\xa0", &sig[..63]),
            "malformed",
        ),
        (
            "payload length in two bytes (non-canonical)",
            {
                let mut v = vec![0xd2, 0x84];
                push_bstr(&mut v, &protected_with_kid(&kid));
                v.extend_from_slice(&[0xa0, 0x58, 0x01, 0xa0]);
                push_bstr(&mut v, sig);
                v
            },
            "non_canonical",
        ),
    ];
    for (i, (name, bytes, code)) in cases.iter().enumerate() {
        let err = parse(bytes, Object::Card, MAX_SIGNED_LEN).unwrap_err();
        assert_eq!(err.code(), *code, "case {i} ({name}): {err}");
    }
}

#[test]
fn verify_refuses_other_key_and_flipped_signature() {
    let bytes = signed(b"\xa0");
    let env = parse(&bytes, Object::Card, MAX_SIGNED_LEN).unwrap();
    let other = SoftwareKey::from_scalar(&[0x22; 32]).unwrap();
    assert_eq!(
        env.verify(other.public_key(), Object::Card)
            .unwrap_err()
            .code(),
        "bad_signature"
    );
    let mut flipped = bytes.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    let env = parse(&flipped, Object::Card, MAX_SIGNED_LEN).unwrap();
    assert!(env.verify(key().public_key(), Object::Card).is_err());
}

#[test]
fn sign_always_emits_low_s() {
    for i in 0u8..32 {
        let bytes = signed(&[0xa1, 0x01, i]);
        let sig = p256::ecdsa::Signature::from_slice(&bytes[bytes.len() - 64..]).unwrap();
        assert!(
            sig.normalize_s().is_none(),
            "payload {i} signed with high s"
        );
    }
}

#[test]
fn parse_refuses_oversize_input_before_decoding() {
    let big = vec![0xd2; MAX_SIGNED_LEN + 1];
    assert_eq!(
        parse(&big, Object::Card, MAX_SIGNED_LEN)
            .unwrap_err()
            .code(),
        "too_large"
    );
}

#[test]
fn set_certificate_adds_and_removes_without_resigning() {
    let bytes = signed(b"\xa0");
    let with = set_certificate(&bytes, Some(b"cert"), Object::Card).unwrap();
    let env = parse(&with, Object::Card, MAX_SIGNED_LEN).unwrap();
    assert_eq!(env.certificate.as_deref(), Some(&b"cert"[..]));
    env.verify(key().public_key(), Object::Card).unwrap();
    assert_eq!(set_certificate(&with, None, Object::Card).unwrap(), bytes);
}

//! Builds every test key, certificate and vector under fixtures/, byte for byte.
//!
//! Nothing here is random: keys come from SHA-256 of a label, serials likewise, signatures are
//! RFC 6979 and CBOR is deterministic, so running the generator twice gives the same files.
//! `cargo run -p card-format --example vectors` writes them; `tests/format/vectors.rs` regenerates them
//! in memory and checks the committed files are identical.
//!
//! Shared by the example and the test through `#[path]`, so it lives outside src/.

use std::collections::BTreeMap;

use card_format::keys::Es256Signer;
use card_format::model::{CardPayload, CardSummary};
use card_format::trust::{RevocationReason, RevokedCard};
use card_format::{qr, CardSerial, Certificate, SoftwareKey, TrustBundle, Usage};
use coset::{iana, CoseSign1Builder, HeaderBuilder, TaggedCborSerializable};
use sha2::{Digest, Sha256};

/// 2025-01-01T00:00:00Z: certificates start here.
pub const CERT_START: u64 = 1_735_689_600;
/// 2028-01-01: end of the issuer keys' signing period.
pub const ISSUER_END: u64 = 1_830_297_600;
/// 2030-01-01: end of the list-signing key's period.
pub const LIST_END: u64 = 1_893_456_000;
/// 2026-01-15: when the sample cards were issued.
pub const IAT: u64 = 1_768_435_200;
/// IAT + 1,826 days (five years).
pub const EXP: u64 = 1_926_201_600;
/// 2026-05-30: when the trust bundle was issued.
pub const BUNDLE_AT: u64 = 1_780_099_200;
/// 2026-06-01: the verification time of every vector unless it says otherwise.
pub const NOW: u64 = 1_780_272_000;
const DAY: u64 = 86_400;

/// The sample summaries, by name, as JSON.
pub const SUMMARIES: [(&str, &str); 3] = [
    (
        "adult",
        include_str!("../../../fixtures/summaries/adult.json"),
    ),
    (
        "paediatric",
        include_str!("../../../fixtures/summaries/paediatric.json"),
    ),
    (
        "several-tumours",
        include_str!("../../../fixtures/summaries/several-tumours.json"),
    ),
];

/// Files to write, by path relative to fixtures/.
pub type Files = BTreeMap<String, Vec<u8>>;

/// A test-only key derived from a label. NEVER use such a key outside tests.
pub fn test_key(name: &str) -> SoftwareKey {
    let scalar: [u8; 32] = Sha256::digest(format!("card-format TEST ONLY key: {name}")).into();
    SoftwareKey::from_scalar(&scalar).expect("a SHA-256 output is a valid P-256 scalar")
}

fn serial(name: &str) -> CardSerial {
    let digest = Sha256::digest(format!("card-format test serial: {name}"));
    CardSerial::from_bytes(&digest[..10]).expect("10 bytes")
}

fn summary(name: &str) -> CardSummary {
    let json = SUMMARIES
        .iter()
        .find(|(n, _)| *n == name)
        .expect("known sample")
        .1;
    serde_json::from_str(json).expect("sample summaries are valid JSON")
}

fn payload(name: &str, sample: &str) -> CardPayload {
    CardPayload {
        issuer: "LY-BEN-PED".into(),
        issued_at: IAT,
        expires_at: EXP,
        serial: serial(name),
        summary: summary(sample),
    }
}

fn cert(
    key: &SoftwareKey,
    issuer_id: &str,
    region: &str,
    period: (u64, u64),
    usage: Usage,
) -> Certificate {
    Certificate {
        public_key: key.public_key().clone(),
        issuer_id: issuer_id.into(),
        region: region.into(),
        not_before: period.0,
        not_after: period.1,
        usage,
    }
}

/// Signs a payload without validating it, to build vectors that a registry would never issue.
fn sign_raw(key: &SoftwareKey, payload: Vec<u8>, certificate: Option<&[u8]>) -> Vec<u8> {
    card_format::cose::sign(key, payload, certificate, card_format::error::Object::Card)
        .expect("signing with a software key")
}

fn sign_with_headers(
    key: &SoftwareKey,
    protected: coset::Header,
    unprotected: coset::Header,
    payload: Vec<u8>,
) -> Vec<u8> {
    CoseSign1Builder::new()
        .protected(protected)
        .unprotected(unprotected)
        .payload(payload)
        .create_signature(&[], |tbs| {
            let digest: [u8; 32] = Sha256::digest(tbs).into();
            key.sign_digest(&digest).expect("software key").to_vec()
        })
        .build()
        .to_tagged_vec()
        .expect("encoding")
}

fn hex(bytes: &[u8]) -> Vec<u8> {
    let mut text = ::hex::encode(bytes).into_bytes();
    text.push(b'\n');
    text
}

fn pem(text: String) -> Vec<u8> {
    text.into_bytes()
}

/// One manifest entry.
struct Vector {
    name: &'static str,
    description: &'static str,
    input: Input,
    trust: Trust,
    now: u64,
    policy: Option<serde_json::Value>,
    expect: serde_json::Value,
}

enum Input {
    Qr(String),
    Cose(Vec<u8>),
}

enum Trust {
    Bundle,
    RootOnly,
    OtherBundle(&'static str),
    /// This bundle offered to a verifier that holds the standard one (§7.9).
    Replacing(&'static str),
}

fn valid(warnings: &[&str], sample: &str, serial: CardSerial) -> serde_json::Value {
    serde_json::json!({
        "result": "valid",
        "warnings": warnings,
        "summary": format!("summaries/{sample}.json"),
        "serial": serial.to_string(),
    })
}

fn error(code: &str) -> serde_json::Value {
    serde_json::json!({ "result": "error", "code": code })
}

/// Generates every file. Panics only on a bug in this generator.
pub fn generate() -> Files {
    let mut files = Files::new();
    let root = test_key("root");
    let list = test_key("list-signer");
    let ben = test_key("issuer-benghazi");
    let revoked_issuer = test_key("issuer-revoked");
    let expired_issuer = test_key("issuer-expired-certificate");
    let rogue = test_key("rogue-issuer");
    let rogue_root = test_key("rogue-root");

    let list_cert = cert(
        &list,
        "LY-MOH-LIST",
        "national",
        (CERT_START, LIST_END),
        Usage::TRUST_LISTS,
    )
    .sign(&root)
    .expect("sign");
    let ben_cert = cert(
        &ben,
        "LY-BEN-PED",
        "east",
        (CERT_START, ISSUER_END),
        Usage::CARDS,
    )
    .sign(&root)
    .expect("sign");
    let revoked_cert = cert(
        &revoked_issuer,
        "LY-TRP-ONC",
        "west",
        (CERT_START, ISSUER_END),
        Usage::CARDS,
    )
    .sign(&root)
    .expect("sign");
    let expired_cert = cert(
        &expired_issuer,
        "LY-SEB-ONC",
        "south",
        (1_577_836_800, 1_609_459_200),
        Usage::CARDS,
    )
    .sign(&root)
    .expect("sign");
    let rogue_cert = cert(
        &rogue,
        "LY-BEN-PED",
        "east",
        (CERT_START, ISSUER_END),
        Usage::CARDS,
    )
    .sign(&rogue_root)
    .expect("sign");

    for (name, key) in [
        ("root", &root),
        ("list-signer", &list),
        ("issuer-benghazi", &ben),
    ] {
        files.insert(
            format!("keys/{name}.key.pem"),
            pem(key.to_pkcs8_pem().expect("pem")),
        );
        files.insert(
            format!("keys/{name}.pub.pem"),
            pem(key.public_key().to_pem().expect("pem")),
        );
    }
    files.insert("trust/list-signer.cert.hex".into(), hex(&list_cert));
    files.insert("trust/issuer-benghazi.cert.hex".into(), hex(&ben_cert));

    let mut bundle = TrustBundle {
        sequence: 42,
        issued_at: BUNDLE_AT,
        issuer_certificates: vec![ben_cert.clone(), revoked_cert.clone(), expired_cert.clone()],
        revoked_issuers: vec![revoked_issuer.public_key().kid()],
        revoked_cards: vec![RevokedCard {
            serial: serial("revoked"),
            reason: RevocationReason::Lost,
            revoked_at: BUNDLE_AT - DAY,
        }],
        superseded: vec![serial("superseded")],
    };
    bundle.normalise();
    let bundle_bytes = bundle.sign(&list, &list_cert).expect("sign bundle");
    files.insert(
        "vectors/root.pub.pem".into(),
        pem(root.public_key().to_pem().expect("pem")),
    );
    files.insert("vectors/trust-bundle.cose.hex".into(), hex(&bundle_bytes));

    let mut vectors = Vec::new();
    let mut card =
        |name: &'static str, description: &'static str, input: Input, expect: serde_json::Value| {
            vectors.push(Vector {
                name,
                description,
                input,
                trust: Trust::Bundle,
                now: NOW,
                policy: None,
                expect,
            });
        };

    // Valid cards.
    for (name, sample, description) in [
        (
            "valid-adult",
            "adult",
            "typical adult: 2 tumours, 3 treatments, 6 medicines, 2 allergies",
        ),
        (
            "valid-paediatric",
            "paediatric",
            "child with leukaemia, Toronto staging, family-book id",
        ),
        (
            "valid-several-tumours",
            "several-tumours",
            "three primary tumours, passport id",
        ),
    ] {
        let p = payload(name, sample);
        let cose = card_format::sign_card(&ben, &p, None).expect("valid sample");
        card(
            name,
            description,
            Input::Qr(qr::encode(&cose)),
            valid(&[], sample, p.serial),
        );
    }
    let adult = payload("valid-adult", "adult");
    let adult_cose = card_format::sign_card(&ben, &adult, None).expect("valid");
    card(
        "valid-adult-raw-cose",
        "the valid-adult card as raw COSE bytes, as read from a smart card",
        Input::Cose(adult_cose.clone()),
        valid(&[], "adult", adult.serial),
    );

    // Envelope and text errors.
    card(
        "not-a-card",
        "an EU DCC prefix",
        Input::Qr(
            "HC1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDEMWK4MI6UOS03CR83KLBKAVN".into(),
        ),
        error("not_a_card"),
    );
    card(
        "unsupported-version",
        "a card of a future format version 2",
        Input::Qr("LYOC2:6BFOXN*TS0BI".into()),
        error("unsupported_version"),
    );
    card(
        "bad-base45",
        "lowercase letters are not Base45",
        Input::Qr("LYOC1:abcdef".into()),
        error("bad_base45"),
    );
    card(
        "qr-text-too-long",
        "4,301 characters: more than a version-40 QR holds",
        Input::Qr(format!("LYOC1:{}", "0".repeat(4_295))),
        error("too_large"),
    );
    let bomb = miniz_oxide::deflate::compress_to_vec_zlib(&[0xd2; 9_000], 9);
    card(
        "zlib-bomb",
        "inflates past the 8 KiB card limit",
        Input::Qr(format!("LYOC1:{}", base45::encode(&bomb))),
        error("too_large"),
    );
    card(
        "bad-zlib",
        "zlib header then garbage",
        Input::Qr(format!(
            "LYOC1:{}",
            base45::encode([0x78, 0xda, 0xff, 0x00, 0x13, 0x37])
        )),
        error("bad_compression"),
    );
    card(
        "not-cose",
        "body starts with neither 0x78 nor 0xD2",
        Input::Qr(format!("LYOC1:{}", base45::encode([0xa1, 0x01, 0x02]))),
        error("malformed"),
    );
    card(
        "truncated",
        "the valid-adult card less its last byte",
        Input::Cose(adult_cose[..adult_cose.len() - 1].to_vec()),
        error("malformed"),
    );
    card(
        "trailing-byte",
        "the valid-adult card plus one byte",
        Input::Cose([adult_cose.as_slice(), &[0x00]].concat()),
        error("malformed"),
    );
    card(
        "untagged",
        "the valid-adult card without tag 18",
        Input::Cose(adult_cose[1..].to_vec()),
        error("malformed"),
    );
    let long_sig = {
        // Same card, signature length written in two bytes (0x59 0x0040): not deterministic.
        let n = adult_cose.len();
        let mut v = adult_cose[..n - 66].to_vec();
        v.extend_from_slice(&[0x59, 0x00, 0x40]);
        v.extend_from_slice(&adult_cose[n - 64..]);
        v
    };
    let high_s = {
        let n = adult_cose.len();
        let low = p256::ecdsa::Signature::from_slice(&adult_cose[n - 64..]).expect("signature");
        let (r, s) = low.split_scalars();
        let high = p256::ecdsa::Signature::from_scalars(r, -*s).expect("scalars");
        [&adult_cose[..n - 64], &high.to_bytes()[..]].concat()
    };
    card(
        "high-s-signature",
        "the valid-adult signature as (r, n - s): it verifies, but is not the one allowed form",
        Input::Cose(high_s),
        error("non_canonical"),
    );
    card(
        "non-canonical-envelope",
        "signature length in a longer form than needed",
        Input::Cose(long_sig),
        error("non_canonical"),
    );
    let unordered = {
        // iat (6) before exp (4): a valid CBOR map, but not in deterministic key order.
        let mut e = minicbor::Encoder::new(Vec::new());
        e.map(5)
            .and_then(|e| {
                e.u8(1)?
                    .str(&adult.issuer)?
                    .u8(6)?
                    .u64(adult.issued_at)?
                    .u8(4)?
                    .u64(adult.expires_at)?
                    .u8(7)?
                    .bytes(&adult.serial.0)?
                    .i64(-65537)
            })
            .expect("memory");
        let mut bytes = e.into_writer();
        bytes.extend(minicbor::to_vec(&adult.summary).expect("memory"));
        bytes
    };
    card(
        "non-canonical-payload",
        "correctly signed claims with keys out of order",
        Input::Cose(sign_raw(&ben, unordered, None)),
        error("non_canonical"),
    );
    let es384 = HeaderBuilder::new()
        .algorithm(iana::Algorithm::ES384)
        .key_id(ben.public_key().kid().0.to_vec())
        .build();
    card(
        "alg-es384",
        "protected alg is ES384 (-35)",
        Input::Cose(sign_with_headers(
            &ben,
            es384,
            HeaderBuilder::new().build(),
            adult.to_cbor().expect("cbor"),
        )),
        error("unsupported_algorithm"),
    );
    let kid_outside = (
        HeaderBuilder::new()
            .algorithm(iana::Algorithm::ES256)
            .build(),
        HeaderBuilder::new()
            .key_id(ben.public_key().kid().0.to_vec())
            .build(),
    );
    card(
        "kid-unprotected",
        "kid only in the unprotected header",
        Input::Cose(sign_with_headers(
            &ben,
            kid_outside.0,
            kid_outside.1,
            adult.to_cbor().expect("cbor"),
        )),
        error("bad_header"),
    );
    let der = {
        let n = adult_cose.len();
        let sig = &adult_cose[n - 64..];
        let der_int = |x: &[u8]| {
            let mut v = vec![0x02];
            let x: Vec<u8> = if x[0] & 0x80 != 0 {
                [&[0u8][..], x].concat()
            } else {
                x.to_vec()
            };
            v.push(x.len() as u8);
            v.extend(x);
            v
        };
        let body = [der_int(&sig[..32]), der_int(&sig[32..])].concat();
        let der = [vec![0x30, body.len() as u8], body].concat();
        let mut v = adult_cose[..n - 66].to_vec();
        v.extend_from_slice(&[0x58, der.len() as u8]);
        v.extend(der);
        v
    };
    card(
        "der-signature",
        "the valid-adult signature in DER form",
        Input::Cose(der),
        error("der_signature"),
    );
    let mut flipped = adult_cose.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x01;
    card(
        "bad-signature",
        "the valid-adult card with one signature bit flipped",
        Input::Cose(flipped),
        error("bad_signature"),
    );

    // Trust errors.
    let p = payload("unknown-kid", "adult");
    card(
        "unknown-kid",
        "signed by a key the bundle does not know, no certificate",
        Input::Qr(qr::encode(
            &card_format::sign_card(&rogue, &p, None).expect("sign"),
        )),
        error("unknown_kid"),
    );
    card(
        "rogue-certificate",
        "carries a certificate signed by another root",
        Input::Qr(qr::encode(
            &card_format::sign_card(&rogue, &p, Some(&rogue_cert)).expect("sign"),
        )),
        error("issuer_not_certified"),
    );
    let p = payload("expired-certificate", "adult");
    card(
        "certificate-not-valid",
        "issuer certificate ended in 2021, card issued in 2026",
        Input::Qr(qr::encode(
            &card_format::sign_card(
                &expired_issuer,
                &CardPayload {
                    issuer: "LY-SEB-ONC".into(),
                    ..p
                },
                None,
            )
            .expect("sign"),
        )),
        error("certificate_not_valid_at"),
    );
    let p = payload("list-signer-card", "adult");
    card(
        "list-key-signs-card",
        "signed by the list-signing key (usage 2), its certificate attached",
        Input::Qr(qr::encode(
            &card_format::sign_card(
                &list,
                &CardPayload {
                    issuer: "LY-MOH-LIST".into(),
                    ..p
                },
                Some(&list_cert),
            )
            .expect("sign"),
        )),
        error("usage_not_permitted"),
    );
    let p = payload("issuer-mismatch", "adult");
    card(
        "issuer-mismatch",
        "iss says LY-TRP-ONC, key certified for LY-BEN-PED",
        Input::Qr(qr::encode(
            &card_format::sign_card(
                &ben,
                &CardPayload {
                    issuer: "LY-TRP-ONC".into(),
                    ..p
                },
                None,
            )
            .expect("sign"),
        )),
        error("issuer_mismatch"),
    );
    let p = payload("issuer-revoked", "adult");
    card(
        "issuer-revoked",
        "signed by an issuer key the ministry revoked",
        Input::Qr(qr::encode(
            &card_format::sign_card(
                &revoked_issuer,
                &CardPayload {
                    issuer: "LY-TRP-ONC".into(),
                    ..p
                },
                None,
            )
            .expect("sign"),
        )),
        error("issuer_revoked"),
    );
    let p = payload("expired", "adult");
    card(
        "expired",
        "issued 2025-02-01, expired 2026-02-01",
        Input::Qr(qr::encode(
            &card_format::sign_card(
                &ben,
                &CardPayload {
                    issued_at: 1_738_368_000,
                    expires_at: 1_769_904_000,
                    ..p
                },
                None,
            )
            .expect("sign"),
        )),
        error("expired"),
    );
    let p = payload("not-yet-valid", "adult");
    card(
        "not-yet-valid",
        "issued two days after the verification time",
        Input::Qr(qr::encode(
            &card_format::sign_card(
                &ben,
                &CardPayload {
                    issued_at: NOW + 2 * DAY,
                    ..p
                },
                None,
            )
            .expect("sign"),
        )),
        error("not_yet_valid"),
    );
    let p = payload("revoked", "adult");
    card(
        "revoked",
        "serial revoked (lost) in the bundle",
        Input::Qr(qr::encode(
            &card_format::sign_card(&ben, &p, None).expect("sign"),
        )),
        error("revoked"),
    );
    let mut bad_field = payload("invalid-field", "adult");
    bad_field.summary.tumours[0].morphology = 7000;
    card(
        "invalid-field",
        "correctly signed, but a morphology of 7000",
        Input::Cose(sign_raw(&ben, bad_field.to_cbor().expect("cbor"), None)),
        error("invalid_field"),
    );
    let mut bidi = payload("invalid-text-bidi", "adult");
    bidi.summary.allergies[0].substance = "Penicillin\u{202E}nilicinep".into();
    card(
        "invalid-text-bidi",
        "correctly signed, but an allergy's substance holds a right-to-left override (U+202E)",
        Input::Cose(sign_raw(&ben, bidi.to_cbor().expect("cbor"), None)),
        error("invalid_field"),
    );

    let superseded = payload("superseded", "adult");
    let superseded_qr = qr::encode(&card_format::sign_card(&ben, &superseded, None).expect("sign"));
    vectors.push(Vector {
        name: "superseded-warns",
        description: "superseded serial: valid with a warning by default",
        input: Input::Qr(superseded_qr.clone()),
        trust: Trust::Bundle,
        now: NOW,
        policy: None,
        expect: valid(&["superseded"], "adult", superseded.serial),
    });
    vectors.push(Vector {
        name: "superseded-strict",
        description: "superseded serial under reject_superseded",
        input: Input::Qr(superseded_qr),
        trust: Trust::Bundle,
        now: NOW,
        policy: Some(serde_json::json!({ "reject_superseded": true })),
        expect: error("superseded"),
    });
    let adult_qr = qr::encode(&adult_cose);
    vectors.push(Vector {
        name: "old-bundle-warns",
        description: "bundle 30 days old: still valid, with a warning",
        input: Input::Qr(adult_qr.clone()),
        trust: Trust::Bundle,
        now: BUNDLE_AT + 30 * DAY,
        policy: None,
        expect: valid(&["bundle_old"], "adult", adult.serial),
    });
    vectors.push(Vector {
        name: "bundle-too-old",
        description: "site limit of 1 day on bundle age; bundle is 2 days old",
        input: Input::Qr(adult_qr.clone()),
        trust: Trust::Bundle,
        now: NOW,
        policy: Some(serde_json::json!({ "bundle_max_age_seconds": DAY })),
        expect: error("bundle_too_old"),
    });
    let with_cert = payload("valid-with-certificate", "adult");
    vectors.push(Vector {
        name: "valid-root-only",
        description: "card carries its issuer certificate; verifier has only the root key",
        input: Input::Qr(qr::encode(
            &card_format::sign_card(&ben, &with_cert, Some(&ben_cert)).expect("sign"),
        )),
        trust: Trust::RootOnly,
        now: NOW,
        policy: None,
        expect: valid(&["no_revocation_data"], "adult", with_cert.serial),
    });
    vectors.push(Vector {
        name: "root-only-no-certificate",
        description: "root key only, and the card has no certificate",
        input: Input::Qr(adult_qr.clone()),
        trust: Trust::RootOnly,
        now: NOW,
        policy: None,
        expect: error("unknown_kid"),
    });

    // Bundle errors: the bundle itself is refused.
    let issuer_signed_bundle = bundle.sign(&ben, &ben_cert).expect("sign");
    files.insert(
        "vectors/bundle-signed-by-issuer.cose.hex".into(),
        hex(&issuer_signed_bundle),
    );
    vectors.push(Vector {
        name: "bundle-signed-by-issuer",
        description: "bundle signed by an issuer key (usage 1)",
        input: Input::Qr(adult_qr.clone()),
        trust: Trust::OtherBundle("bundle-signed-by-issuer.cose.hex"),
        now: NOW,
        policy: None,
        expect: error("usage_not_permitted"),
    });
    let mut tampered = bundle_bytes.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x80;
    files.insert(
        "vectors/bundle-bad-signature.cose.hex".into(),
        hex(&tampered),
    );
    vectors.push(Vector {
        name: "bundle-bad-signature",
        description: "bundle with one signature bit flipped",
        input: Input::Qr(adult_qr.clone()),
        trust: Trust::OtherBundle("bundle-bad-signature.cose.hex"),
        now: NOW,
        policy: None,
        expect: error("bad_signature"),
    });
    let rogue_list_cert = cert(
        &list,
        "LY-MOH-LIST",
        "national",
        (CERT_START, LIST_END),
        Usage::TRUST_LISTS,
    )
    .sign(&rogue_root)
    .expect("sign");
    let rogue_bundle = bundle.sign(&list, &rogue_list_cert).expect("sign");
    files.insert(
        "vectors/bundle-rogue-root.cose.hex".into(),
        hex(&rogue_bundle),
    );
    vectors.push(Vector {
        name: "bundle-rogue-root",
        description: "list-signer certificate signed by another root",
        input: Input::Qr(adult_qr),
        trust: Trust::OtherBundle("bundle-rogue-root.cose.hex"),
        now: NOW,
        policy: None,
        expect: error("issuer_not_certified"),
    });

    // The bundle never goes back (§7.9): each vector offers, to a verifier holding the
    // standard bundle (number 42), a correctly signed bundle without the lost card's
    // revocation, and verifies that card: a verifier that skips the check finds it valid.
    let revoked_qr = qr::encode(
        &card_format::sign_card(&ben, &payload("revoked", "adult"), None).expect("sign"),
    );
    for (name, description, sequence) in [
        (
            "bundle-rollback",
            "bundle number 41, without a revocation, offered to a verifier holding number 42",
            41,
        ),
        (
            "bundle-same-sequence",
            "a second bundle numbered 42, without a revocation, offered to a verifier holding 42",
            42,
        ),
    ] {
        let older = TrustBundle {
            sequence,
            revoked_cards: Vec::new(),
            ..bundle.clone()
        };
        let file: &'static str = if sequence == 41 {
            "bundle-rollback.cose.hex"
        } else {
            "bundle-same-sequence.cose.hex"
        };
        files.insert(
            format!("vectors/{file}"),
            hex(&older.sign(&list, &list_cert).expect("sign")),
        );
        vectors.push(Vector {
            name,
            description,
            input: Input::Qr(revoked_qr.clone()),
            trust: Trust::Replacing(file),
            now: NOW,
            policy: None,
            expect: error("bundle_rollback"),
        });
    }

    let mut entries = Vec::new();
    for v in vectors {
        let (file, kind) = match &v.input {
            Input::Qr(text) => {
                let file = format!("{}.qr.txt", v.name);
                files.insert(format!("vectors/{file}"), format!("{text}\n").into_bytes());
                (file, "qr")
            }
            Input::Cose(bytes) => {
                let file = format!("{}.cose.hex", v.name);
                files.insert(format!("vectors/{file}"), hex(bytes));
                (file, "cose_hex")
            }
        };
        let trust = match v.trust {
            Trust::Bundle => {
                serde_json::json!({ "root": "root.pub.pem", "bundle": "trust-bundle.cose.hex" })
            }
            Trust::RootOnly => serde_json::json!({ "root": "root.pub.pem" }),
            Trust::OtherBundle(b) => serde_json::json!({ "root": "root.pub.pem", "bundle": b }),
            Trust::Replacing(b) => serde_json::json!({
                "root": "root.pub.pem",
                "bundle": b,
                "held_bundle": "trust-bundle.cose.hex",
            }),
        };
        let mut entry = serde_json::json!({
            "name": v.name,
            "description": v.description,
            "input": file,
            "input_kind": kind,
            "trust": trust,
            "now": v.now,
            "expect": v.expect,
        });
        if let Some(policy) = v.policy {
            entry["policy"] = policy;
        }
        entries.push(entry);
    }
    let manifest = serde_json::json!({
        "about": "Test vectors for the LYOC1 card format (docs/card-format.md). TEST KEYS ONLY.",
        "generator": "cargo run -p card-format --example vectors",
        "vectors": entries,
    });
    let mut text = serde_json::to_vec_pretty(&manifest).expect("json");
    text.push(b'\n');
    files.insert("vectors/manifest.json".into(), text);
    files
}

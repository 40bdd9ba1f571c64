//! Card throughput: signing, verifying, QR text, and the raw ES256 verifies underneath.
//!
//! Run with `scripts/bench.sh` (which also measures OpenSSL on the same machine and compares)
//! or `cargo bench -p card-format --bench card -- --noplot`. Figures and their meaning:
//! docs/benchmarks.md.
//!
//! | group               | what one element is                                                  |
//! |---------------------|----------------------------------------------------------------------|
//! | `sign`              | `sign_card` of the adult sample, issuer certificate embedded         |
//! | `verify`            | `TrustStore::verify_card` on those bytes (a smart card's), bundle store |
//! | `qr_encode`         | `qr::encode` (zlib + Base45) of those bytes                          |
//! | `qr_decode`         | `qr::decode` of the printed card's text (no certificate, the default) |
//! | `decode_and_verify` | `qr::decode` + `verify_card` of that text: what a pharmacy scanner does |
//! | `verify_ring_raw`   | `PublicKey::verify_es256` (ring) over a 32-byte message              |
//! | `verify_p256_raw`   | `p256::ecdsa::VerifyingKey::verify` over the same message            |

// The fixtures are fixed, valid constants: if building them fails the bench has nothing to
// measure, and a panic with a message is the right way to stop (clippy.toml allows
// unwrap/expect only in tests, hence the explicit allowance here).
#![allow(clippy::expect_used)]

use std::hint::black_box;

use card_format::keys::Es256Signer;
use card_format::model::{CardPayload, CardSummary};
use card_format::trust::MAX_BUNDLE_LEN;
use card_format::{
    qr, sign_card, CardSerial, Certificate, Policy, SoftwareKey, TrustBundle, TrustStore, Usage,
};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use p256::ecdsa::signature::Verifier;
use sha2::{Digest, Sha256};

const ADULT: &str = include_str!("../../fixtures/summaries/adult.json");

const ROOT_SCALAR: [u8; 32] = [0x11; 32];
const ISSUER_SCALAR: [u8; 32] = [0x22; 32];
const LIST_SIGNER_SCALAR: [u8; 32] = [0x33; 32];

const NOT_BEFORE: u64 = 1_700_000_000;
const NOT_AFTER: u64 = 1_900_000_000;
const ISSUED_AT: u64 = 1_760_000_000;
const EXPIRES_AT: u64 = 1_860_000_000;
const BUNDLE_ISSUED_AT: u64 = 1_770_000_000;
/// One hour after the bundle: no warnings, so the happy path is what is measured.
const NOW: u64 = BUNDLE_ISSUED_AT + 3_600;

struct Fixture {
    issuer: SoftwareKey,
    issuer_certificate: Vec<u8>,
    payload: CardPayload,
    cose: Vec<u8>,
    text: String,
    store: TrustStore,
}

fn certificate(key: &SoftwareKey, issuer_id: &str, usage: Usage, root: &SoftwareKey) -> Vec<u8> {
    Certificate {
        public_key: key.public_key().clone(),
        issuer_id: issuer_id.into(),
        region: "east".into(),
        not_before: NOT_BEFORE,
        not_after: NOT_AFTER,
        usage,
    }
    .sign(root)
    .expect("certificate signs")
}

fn fixture() -> Fixture {
    let root = SoftwareKey::from_scalar(&ROOT_SCALAR).expect("root scalar");
    let issuer = SoftwareKey::from_scalar(&ISSUER_SCALAR).expect("issuer scalar");
    let list_signer = SoftwareKey::from_scalar(&LIST_SIGNER_SCALAR).expect("list scalar");

    let issuer_certificate = certificate(&issuer, "LY-BEN-ONC", Usage::CARDS, &root);
    let list_certificate = certificate(&list_signer, "LY-REGISTRY", Usage::TRUST_LISTS, &root);

    let bundle = TrustBundle {
        sequence: 1,
        issued_at: BUNDLE_ISSUED_AT,
        issuer_certificates: vec![issuer_certificate.clone()],
        ..TrustBundle::default()
    }
    .sign(&list_signer, &list_certificate)
    .expect("bundle signs");
    // Issuer certificates are checked here, once, not per card.
    let store = TrustStore::from_bundle(root.public_key().clone(), &bundle, MAX_BUNDLE_LEN)
        .expect("bundle verifies");

    let summary: CardSummary = serde_json::from_str(ADULT).expect("adult.json parses");
    let payload = CardPayload {
        issuer: "LY-BEN-ONC".into(),
        issued_at: ISSUED_AT,
        expires_at: EXPIRES_AT,
        serial: CardSerial([0x5a; 10]),
        summary,
    };
    // The smart card carries the issuer certificate; the printed QR, by default, does not.
    let cose = sign_card(&issuer, &payload, Some(&issuer_certificate)).expect("card signs");
    let printed = sign_card(&issuer, &payload, None).expect("card signs");
    let text = qr::encode(&printed);

    // Make sure every benchmark measures the success path.
    let verified = store
        .verify_card(&cose, NOW, &Policy::default())
        .expect("card verifies");
    assert!(verified.warnings().is_empty(), "{:?}", verified.warnings());
    assert_eq!(qr::decode(&text).expect("qr text decodes"), printed);

    Fixture {
        issuer,
        issuer_certificate,
        payload,
        cose,
        text,
        store,
    }
}

fn benches(c: &mut Criterion) {
    let f = fixture();
    let policy = Policy::default();

    let mut group = c.benchmark_group("sign");
    group.throughput(Throughput::Elements(1));
    group.bench_function("adult", |b| {
        b.iter(|| {
            sign_card(
                &f.issuer,
                black_box(&f.payload),
                Some(black_box(&f.issuer_certificate)),
            )
        })
    });
    group.finish();

    let mut group = c.benchmark_group("verify");
    group.throughput(Throughput::Elements(1));
    group.bench_function("adult", |b| {
        b.iter(|| {
            f.store
                .verify_card(black_box(&f.cose), NOW, &policy)
                .is_ok()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("qr_encode");
    group.throughput(Throughput::Elements(1));
    group.bench_function("adult", |b| b.iter(|| qr::encode(black_box(&f.cose))));
    group.finish();

    let mut group = c.benchmark_group("qr_decode");
    group.throughput(Throughput::Elements(1));
    group.bench_function("adult", |b| b.iter(|| qr::decode(black_box(&f.text))));
    group.finish();

    let mut group = c.benchmark_group("decode_and_verify");
    group.throughput(Throughput::Elements(1));
    group.bench_function("adult", |b| {
        b.iter(|| {
            qr::decode(black_box(&f.text))
                .and_then(|bytes| f.store.verify_card(&bytes, NOW, &policy))
                .is_ok()
        })
    });
    group.finish();

    // The raw signature checks, for reference against `openssl speed ecdsap256`.
    let message = [0x42u8; 32];
    let digest: [u8; 32] = Sha256::digest(message).into();
    let signature = f.issuer.sign_digest(&digest).expect("raw signature");
    let public = f.issuer.public_key().clone();
    assert!(public.verify_es256(&message, &signature));

    let mut group = c.benchmark_group("verify_ring_raw");
    group.throughput(Throughput::Elements(1));
    group.bench_function("es256", |b| {
        b.iter(|| public.verify_es256(black_box(&message), black_box(&signature)))
    });
    group.finish();

    let p256_key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&public.to_compressed())
        .expect("p256 public key");
    let p256_signature = p256::ecdsa::Signature::from_slice(&signature).expect("p256 signature");
    assert!(p256_key.verify(&message, &p256_signature).is_ok());

    let mut group = c.benchmark_group("verify_p256_raw");
    group.throughput(Throughput::Elements(1));
    group.bench_function("es256", |b| {
        b.iter(|| {
            p256_key
                .verify(black_box(&message), black_box(&p256_signature))
                .is_ok()
        })
    });
    group.finish();
}

criterion_group!(card, benches);
criterion_main!(card);

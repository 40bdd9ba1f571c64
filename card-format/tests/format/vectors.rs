//! The committed test vectors (fixtures/vectors/manifest.json): each one gives the expected
//! outcome, and the generator reproduces every file byte for byte.

#[path = "../../examples/vectors/generate.rs"]
#[allow(dead_code)]
mod generate;

use std::path::{Path, PathBuf};

use card_format::model::CardSummary;
use card_format::trust::MAX_BUNDLE_LEN;
use card_format::{qr, Policy, PublicKey, TrustStore};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn read_hex(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    hex::decode(text.trim()).unwrap()
}

#[test]
fn vectors_regenerate_byte_for_byte() {
    let generated = generate::generate();
    for (name, bytes) in &generated {
        let on_disk = std::fs::read(fixtures().join(name)).unwrap_or_else(|e| {
            panic!("{name}: {e}; run `cargo run -p card-format --example vectors`")
        });
        assert!(
            &on_disk == bytes,
            "{name} differs from the generator's output; run `cargo run -p card-format --example vectors`"
        );
    }
    for entry in std::fs::read_dir(fixtures().join("vectors")).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            file == "README.md" || generated.contains_key(&format!("vectors/{file}")),
            "fixtures/vectors/{file} is not produced by the generator"
        );
    }
}

fn policy(entry: &Value) -> Policy {
    let mut policy = Policy::default();
    if let Some(p) = entry.get("policy") {
        if let Some(v) = p.get("reject_superseded") {
            policy.reject_superseded = v.as_bool().unwrap();
        }
        if let Some(v) = p.get("bundle_max_age_seconds") {
            policy.bundle_max_age = Some(v.as_u64().unwrap());
        }
    }
    policy
}

/// Runs one vector; returns the outcome as the manifest spells it.
fn run(
    dir: &Path,
    entry: &Value,
) -> Result<(Vec<String>, card_format::model::CardPayload), String> {
    let trust = &entry["trust"];
    let root = PublicKey::from_pem(
        &std::fs::read_to_string(dir.join(trust["root"].as_str().unwrap())).unwrap(),
    )
    .unwrap();
    let store = match trust.get("bundle") {
        Some(file) => {
            let bytes = read_hex(&dir.join(file.as_str().unwrap()));
            TrustStore::from_bundle(root.clone(), &bytes, MAX_BUNDLE_LEN)
                .map_err(|e| e.code().to_string())?
        }
        None => TrustStore::new(root.clone()),
    };
    // The bundle a verifier already holds: the offered one must come after it (§7.9).
    if let Some(file) = trust.get("held_bundle") {
        let bytes = read_hex(&dir.join(file.as_str().unwrap()));
        let held = TrustStore::from_bundle(root, &bytes, MAX_BUNDLE_LEN).unwrap();
        store
            .check_replaces(&held)
            .map_err(|e| e.code().to_string())?;
    }
    let input = dir.join(entry["input"].as_str().unwrap());
    let cose = match entry["input_kind"].as_str().unwrap() {
        "qr" => qr::decode(&std::fs::read_to_string(&input).unwrap())
            .map_err(|e| e.code().to_string())?,
        "cose_hex" => read_hex(&input),
        other => panic!("unknown input kind {other}"),
    };
    let now = entry["now"].as_u64().unwrap();
    let verified = store.verify_card(&cose, now, &policy(entry));
    check_authenticate(&store, &cose, &verified, entry["name"].as_str().unwrap());
    let verified = verified.map_err(|e| e.code().to_string())?;
    let warnings = verified
        .warnings()
        .iter()
        .map(|w| w.code().to_string())
        .collect();
    Ok((warnings, verified.into_value()))
}

/// `authenticate_card` gives the same payload as `verify_card` where that accepts the card,
/// the authentic payload where it refuses only for the card's time or status, and the same
/// error otherwise.
fn check_authenticate(
    store: &TrustStore,
    cose: &[u8],
    verified: &card_format::Result<card_format::Verified<card_format::model::CardPayload>>,
    name: &str,
) {
    let authentic = store.authenticate_card(cose);
    match verified {
        Ok(v) => assert_eq!(
            authentic.unwrap().value(),
            v.value(),
            "{name}: authenticate_card differs"
        ),
        Err(e)
            if matches!(
                e.code(),
                "expired" | "not_yet_valid" | "revoked" | "superseded" | "bundle_too_old"
            ) =>
        {
            let payload = authentic
                .unwrap_or_else(|a| panic!("{name}: refused for {e} but not authentic: {a}"));
            assert!(
                payload.warnings().is_empty(),
                "{name}: warnings without checks"
            );
        }
        Err(e) => assert_eq!(
            authentic.map(|_| ()).unwrap_err().code(),
            e.code(),
            "{name}: authenticate_card accepts what verify_card refuses for {e}"
        ),
    }
}

#[test]
fn vectors_give_their_expected_outcome() {
    let dir = fixtures().join("vectors");
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let vectors = manifest["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 30, "only {} vectors", vectors.len());
    for (i, entry) in vectors.iter().enumerate() {
        let name = entry["name"].as_str().unwrap();
        let expect = &entry["expect"];
        match (expect["result"].as_str().unwrap(), run(&dir, entry)) {
            ("valid", Ok((warnings, payload))) => {
                let want: Vec<&str> = expect["warnings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|w| w.as_str().unwrap())
                    .collect();
                assert_eq!(warnings, want, "vector {i} ({name}) warnings");
                let summary: CardSummary = serde_json::from_str(
                    &std::fs::read_to_string(fixtures().join(expect["summary"].as_str().unwrap()))
                        .unwrap(),
                )
                .unwrap();
                assert_eq!(payload.summary, summary, "vector {i} ({name}) summary");
                assert_eq!(
                    payload.serial.to_string(),
                    expect["serial"].as_str().unwrap()
                );
            }
            ("error", Err(code)) => {
                assert_eq!(
                    code,
                    expect["code"].as_str().unwrap(),
                    "vector {i} ({name})"
                );
            }
            (want, got) => panic!("vector {i} ({name}): expected {want}, got {got:?}"),
        }
    }
}

#[test]
fn vectors_cover_every_error_reachable_from_bytes() {
    let manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("vectors/manifest.json")).unwrap(),
    )
    .unwrap();
    let codes: Vec<&str> = manifest["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["expect"]["code"].as_str())
        .collect();
    // Every Error::code() except bad_key and signing_failed, which come from keys and
    // signers, never from a card's bytes.
    for code in [
        "not_a_card",
        "unsupported_version",
        "bad_base45",
        "too_large",
        "bad_compression",
        "malformed",
        "non_canonical",
        "unsupported_algorithm",
        "bad_header",
        "unknown_kid",
        "issuer_not_certified",
        "certificate_not_valid_at",
        "usage_not_permitted",
        "issuer_mismatch",
        "issuer_revoked",
        "der_signature",
        "bad_signature",
        "expired",
        "not_yet_valid",
        "revoked",
        "superseded",
        "bundle_too_old",
        "bundle_rollback",
        "invalid_field",
    ] {
        assert!(codes.contains(&code), "no vector expects {code}");
    }
}

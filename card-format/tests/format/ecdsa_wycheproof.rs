//! ES256 verification against Project Wycheproof's ECDSA vectors.
//!
//! Source: Project Wycheproof (C2SP), `testvectors_v1/ecdsa_secp256r1_sha256_p1363_test.json`:
//! ECDSA on P-256 with SHA-256, signatures in the IEEE P1363 form (r‖s, 64 bytes), which is the
//! form COSE ES256 uses (RFC 9053 §2.1). The vectors come packaged in the `wycheproof` crate,
//! test set `ecdsa::TestName::EcdsaSecp256r1Sha256P1363`.
//!
//! Each vector goes through the public API a verifier uses: `PublicKey::from_sec1` on the
//! group's uncompressed key, then `PublicKey::verify_es256` (ring underneath).

use card_format::PublicKey;
use wycheproof::ecdsa::{TestGroupTypeId, TestName, TestSet};
use wycheproof::TestResult;

#[derive(Debug, Default)]
struct Counts {
    valid: usize,
    invalid: usize,
    acceptable: usize,
    acceptable_verified: usize,
    key_rejected: usize,
}

#[test]
fn wycheproof_ecdsa_p256_sha256_p1363() {
    let set = TestSet::load(TestName::EcdsaSecp256r1Sha256P1363).expect("wycheproof test set");
    let mut counts = Counts::default();
    let mut failures = Vec::new();
    for group in &set.test_groups {
        assert_eq!(group.test_type, TestGroupTypeId::EcdsaP1363, "group type");
        let key = PublicKey::from_sec1(&group.key.key);
        for test in &group.tests {
            match test.result {
                TestResult::Valid => counts.valid += 1,
                TestResult::Invalid => counts.invalid += 1,
                TestResult::Acceptable => counts.acceptable += 1,
            }
            let Ok(key) = &key else {
                // A key we refuse to parse may only carry vectors that must fail.
                counts.key_rejected += 1;
                if test.result != TestResult::Invalid {
                    failures.push(format!(
                        "tcId {}: key refused but result is {:?} ({})",
                        test.tc_id, test.result, test.comment
                    ));
                }
                continue;
            };
            let verified = key.verify_es256(&test.msg, &test.sig);
            let ok = match test.result {
                TestResult::Valid => verified,
                TestResult::Invalid => !verified,
                TestResult::Acceptable => {
                    counts.acceptable_verified += usize::from(verified);
                    true
                }
            };
            if !ok {
                failures.push(format!(
                    "tcId {}: expected {:?}, verify_es256 returned {verified} ({}; flags {:?})",
                    test.tc_id, test.result, test.comment, test.flags
                ));
            }
        }
    }
    let total = counts.valid + counts.invalid + counts.acceptable;
    println!("wycheproof ecdsa_secp256r1_sha256_p1363: {total} tests, {counts:?}");
    assert!(
        failures.is_empty(),
        "failing vectors:\n{}",
        failures.join("\n")
    );
    assert!(total > 0, "no vectors ran");
    assert_eq!(total, set.number_of_tests, "every vector of the file ran");
    assert!(counts.valid > 0 && counts.invalid > 0, "{counts:?}");
}

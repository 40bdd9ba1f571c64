//! Arbitrary bytes → `TrustStore::from_bundle`: what a verifier syncs from the network or a
//! USB stick.
//!
//! Only checks that nothing panics (and that libFuzzer's limits on time and memory hold).

#![no_main]

use std::sync::OnceLock;

use card_format::keys::Es256Signer;
use card_format::trust::MAX_BUNDLE_LEN;
use card_format::{PublicKey, SoftwareKey, TrustStore};
use libfuzzer_sys::fuzz_target;

/// The pinned root (the root scalar of the crate's property tests).
const ROOT_SCALAR: [u8; 32] = [0x11; 32];

fn root() -> &'static PublicKey {
    static ROOT: OnceLock<PublicKey> = OnceLock::new();
    ROOT.get_or_init(|| {
        SoftwareKey::from_scalar(&ROOT_SCALAR)
            .expect("fixed root scalar")
            .public_key()
            .clone()
    })
}

fuzz_target!(|bytes: &[u8]| {
    let _ = TrustStore::from_bundle(root().clone(), bytes, MAX_BUNDLE_LEN);
});

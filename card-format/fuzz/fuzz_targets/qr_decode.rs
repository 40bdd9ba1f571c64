//! QR text → `qr::decode` → `TrustStore::verify_card`: what a scanner at a pharmacy feeds in.
//!
//! Only checks that nothing panics (and that libFuzzer's limits on time and memory hold).

#![no_main]

use std::sync::OnceLock;

use card_format::keys::Es256Signer;
use card_format::{qr, Policy, SoftwareKey, TrustStore};
use libfuzzer_sys::fuzz_target;

/// The pinned root of the fixed store (the root scalar of the crate's property tests).
const ROOT_SCALAR: [u8; 32] = [0x11; 32];
/// Verification time: inside the validity of the test cards.
const NOW: u64 = 1_770_000_000;

fn store() -> &'static TrustStore {
    static STORE: OnceLock<TrustStore> = OnceLock::new();
    STORE.get_or_init(|| {
        let root = SoftwareKey::from_scalar(&ROOT_SCALAR).expect("fixed root scalar");
        TrustStore::new(root.public_key().clone())
    })
}

fuzz_target!(|text: &str| {
    if let Ok(bytes) = qr::decode(text) {
        let _ = store().verify_card(&bytes, NOW, &Policy::default());
    }
});

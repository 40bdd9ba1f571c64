//! Bytes → `CardPayload::from_cbor`: the claims decoder on its own, past the signature check
//! that normally shields it, so its deterministic-encoding and validation paths get explored.
//!
//! Only checks that nothing panics.

#![no_main]

use card_format::model::CardPayload;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let _ = CardPayload::from_cbor(bytes);
});

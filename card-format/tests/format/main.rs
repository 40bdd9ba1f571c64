//! card-format's integration tests, in one test binary.

#![allow(clippy::unwrap_used, clippy::expect_used)]

/// Wycheproof's ECDSA P-256 vectors.
mod ecdsa_wycheproof;
/// Property tests: model ⇄ CBOR, sign → verify, any flipped byte breaks verification, QR
/// text ⇄ bytes.
mod properties;
/// The RFC 9052 appendix C COSE_Sign1 examples.
mod rfc9052;
/// The committed vectors: each outcome, and the generator reproducing every file.
mod vectors;

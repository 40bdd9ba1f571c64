//! The card-agent's integration tests, in one test binary: the real binary as a child,
//! through the real pcscd with the project's own virtual card, against a real
//! registry-server, and in headless Chromium for the desk's bridge.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

/// The desk's record page writing and reading the smart card through `card-agent serve`.
mod desk_browser;
/// The pharmacy and the insurer, end to end against a registry on SQLite and PostgreSQL.
mod e2e;
/// The pharmacy offline on a full disk: refused before the hand-over, the queue kept.
mod offline_disk;
/// `card-agent print`: PDF cards that zbarimg reads back.
mod print_cli;
/// A real registry-server child for these tests.
mod registry;
/// `card-agent serve`: the loopback bridge's checks and card operations.
mod serve;
/// Writing and reading smart cards through pcscd.
mod smartcard;
/// What the tests share: temporary directories, vpcd slots, APDUs.
mod support;
/// `card-agent trust sync` against the registry.
mod trust_sync;
/// `card-agent verify` of QR text, photos and vectors.
mod verify;
/// `card-agent verify-batch` of insurers' claim files.
mod verify_batch;
/// The virtual card through pcscd: commands, power, removal mid-write.
mod virtual_card;

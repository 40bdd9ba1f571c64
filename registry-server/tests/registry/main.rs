//! The registry's integration tests, in one test binary (one link of the server, not one per
//! file): the router in process on SQLite and PostgreSQL, and the real binary as a child
//! where a real socket, TLS, an HSM or a browser matters.

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

/// A second admin approves what reaches patient data.
mod admins;
/// The API on every backend: patients, clinical records, cards, dispensing, trust bundle.
mod api;
/// docs/api.md's shell blocks, run against the real binaries.
mod api_walkthrough;
/// Backups and restores on every backend.
mod backup;
/// The web desk's journeys in headless Chromium.
mod browser;
/// Two instances on one PostgreSQL: dispensing and issuing races.
mod concurrency;
/// The web desk's pages in process: sign-in, sessions, CSRF, roles, forms, audit.
mod desk;
/// Faults survived: PostgreSQL stopped and started under the registry.
mod faults;
/// The issuing key in SoftHSM2 through PKCS#11.
mod hsm_server;
/// Existing records brought in: dry run, idempotent import, CanReg5, XLSX.
mod import;
/// The layers: no SQL outside db/, no door imported by the domain or the other door.
mod layers;
/// One patient, one record: duplicate search, review queue, merge and unmerge.
mod linkage;
/// The OpenAPI document against the real answers; HTTPS; logs.
mod openapi;
/// Population denominators imported, replaced, refused.
mod population;
/// Every route with every role.
mod roles;
/// The security review's loose ends: search limits, media types, problem documents.
mod security;
/// The statistics on every backend: full, suppressed, CSV, what each report counted.
mod statistics;
/// Medicines in stock: receipts, counts, adjustments, transfers, draws, stock-outs.
mod stock;
/// A registry in process on a fresh database.
mod support;

//! The oncology patient registry: patients, tumours, treatments, authorised medicines, signed
//! cards, revocations, dispensings and the trust bundle, over HTTP.
//!
//! # Layout
//! One domain behind two doors:
//! - [`domain`]: the registry's operations (patients, clinical records, cards, dispensing,
//!   trust bundle, access, audit): each checks the caller's role, applies the rules, writes
//!   the audit entries; it knows nothing of HTTP, forms or templates;
//! - [`http`]: the JSON API, one module per resource, problem-details errors;
//! - [`desk`]: the web desk, server-rendered pages under `/desk/` (Arabic and English);
//! - [`server`]: both doors on one listener, with the layers every request goes through;
//! - [`db`]: every SQL statement, one module per table family, SQLite or PostgreSQL through
//!   `AnyPool`;
//! - [`auth`]: roles, API tokens, the authenticated [`auth::Caller`];
//! - [`patient`], [`names`]: identity normalisation, Arabic/Latin name search keys;
//! - [`signing`], [`keys`], [`hsm`]: issuing keys, the key ceremony, PKCS#11;
//! - [`metrics`]: the Prometheus counters;
//! - [`import`], [`backup`]: the `import`, `backup` and `restore` commands;
//! - [`config`], [`app`]: flags and environment; start-up (connect, migrate, load keys,
//!   first admin) used by `main` and tests.

pub mod app;
pub mod auth;
pub mod backup;
pub mod config;
pub mod db;
pub mod desk;
pub mod domain;
pub mod hsm;
pub mod http;
pub mod import;
pub mod keys;
pub mod metrics;
pub mod names;
pub mod patient;
pub mod server;
pub mod signing;

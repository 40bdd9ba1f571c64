//! The oncology patient registry: patients, tumours, treatments, authorised medicines, signed
//! cards, revocations, dispensings and the trust bundle, over HTTP.
//!
//! # Layout
//! - [`config`]: flags and environment (clap);
//! - [`db`]: all SQL, one module per table family, SQLite or PostgreSQL through `AnyPool`;
//! - [`http`]: the router, one module per resource, problem-details errors;
//! - [`auth`]: roles, API tokens, the authenticated [`auth::Caller`];
//! - [`patient`], [`names`]: identity normalisation, Arabic/Latin name search keys;
//! - [`issuance`], [`dispensing`]: the two rules-heavy operations;
//! - [`signing`], [`keys`]: issuing keys, the key ceremony;
//! - [`desk`]: the web desk, server-rendered pages under `/desk/` (Arabic and English);
//! - [`app`]: start-up (connect, migrate, load keys, first admin) used by `main` and tests.

pub mod app;
pub mod auth;
pub mod config;
pub mod db;
pub mod desk;
pub mod dispensing;
pub mod hsm;
pub mod http;
pub mod issuance;
pub mod keys;
pub mod names;
pub mod patient;
pub mod signing;

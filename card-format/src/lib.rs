//! The signed oncology health-card format shared by the registry and the card agent.
//!
//! A card is one signed object: a tagged COSE_Sign1 (RFC 9052) signed with ES256 by an issuing
//! site's key, whose payload is a CWT claims set (RFC 8392) carrying the patient summary in
//! deterministic CBOR (RFC 8949 §4.2). The same bytes go onto a smart card or, as Base45 text
//! (RFC 9285), into a printed QR code. Anyone holding the ministry's root public key can verify
//! a card offline. The byte-level specification is docs/card-format.md.
//!
//! ```
//! use card_format::{model::*, qr, sign_card, CardSerial, Certificate, Policy, SoftwareKey,
//!                   TrustStore, Usage, keys::Es256Signer};
//!
//! # fn main() -> card_format::Result<()> {
//! // The ministry certifies a site's issuing key.
//! let root = SoftwareKey::generate();
//! let issuer = SoftwareKey::generate();
//! let certificate = Certificate {
//!     public_key: issuer.public_key().clone(),
//!     issuer_id: "LY-BEN-PED".into(),
//!     region: "east".into(),
//!     not_before: 1_700_000_000,
//!     not_after: 1_900_000_000,
//!     usage: Usage::CARDS,
//! }
//! .sign(&root)?;
//!
//! // The registry signs a card, with the certificate inside it.
//! let payload = CardPayload {
//!     issuer: "LY-BEN-PED".into(),
//!     issued_at: 1_760_000_000,
//!     expires_at: 1_860_000_000,
//!     serial: CardSerial::random(),
//!     summary: CardSummary {
//!         patient: Patient {
//!             id: PatientId { kind: IdType::National, value: "119870123456".into() },
//!             name_ar: vec!["سالم".into(), "علي".into()],
//!             name_latin: vec!["Salem".into(), "Ali".into()],
//!             sex: Sex::Male,
//!             birth_date: Date::parse("birth_date", "2015-03-02")?,
//!             blood_group: Some(BloodGroup::OPos),
//!         },
//!         tumours: vec![],
//!         treatments: vec![],
//!         medicines: vec![],
//!         allergies: vec![],
//!         insurance: None,
//!     },
//! };
//! let cose = sign_card(&issuer, &payload, Some(&certificate))?;
//! let text = qr::encode(&cose);
//! assert!(text.starts_with("LYOC1:"));
//!
//! // A pharmacy, offline, pinning only the root key.
//! let store = TrustStore::new(root.public_key().clone());
//! let verified = store.verify_card(&qr::decode(&text)?, 1_770_000_000, &Policy::default())?;
//! assert_eq!(verified.value().summary.patient.name_latin[0], "Salem");
//! # Ok(())
//! # }
//! ```
//!
//! # Layout
//! - [`model`]: the summary and claims types, their CBOR form and validation;
//! - [`cose`]: the COSE_Sign1 / ES256 envelope rules shared by every signed object;
//! - [`card`]: the card claims set and [`sign_card`];
//! - [`trust`]: certificates, trust bundles, [`TrustStore::verify_card`];
//! - [`qr`]: signed bytes ⇄ QR text;
//! - [`keys`]: key ids, public keys, software signing keys and the [`keys::Es256Signer`] trait;
//! - [`serial`]: random card serials;
//! - [`error`]: the [`Error`] enum, one variant per way a card can be refused.
//!
//! This crate is pure: no files, network, database or card readers. It never logs.

#![warn(missing_docs)]

pub mod card;
pub mod cose;
pub mod error;
pub mod keys;
pub mod model;
pub mod qr;
pub mod serial;
pub mod trust;

pub use card::sign_card;
pub use error::{Error, Result};
pub use keys::{KeyId, PublicKey, SoftwareKey};
pub use serial::CardSerial;
pub use trust::{Certificate, Policy, TrustBundle, TrustStore, Usage, Verified, Warning};

//! The one error type of this crate.
//!
//! Every way a card, a certificate or a trust bundle can be refused has its own variant, so a
//! caller (a pharmacy screen, an insurer's batch report) can say precisely why. Each variant
//! also has a stable snake_case [`Error::code`], used by the test-vector manifest
//! (`fixtures/vectors/manifest.json`) and by the agents' `--json` output.
//!
//! Messages are lowercase, carry no patient data and no key material.

/// What kind of signed object an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Object {
    /// A patient card (COSE_Sign1 over the card claims).
    Card,
    /// An issuer or list-signer certificate signed by the ministry root.
    Certificate,
    /// A trust bundle signed by a list-signing key.
    TrustBundle,
}

impl std::fmt::Display for Object {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Object::Card => "card",
            Object::Certificate => "certificate",
            Object::TrustBundle => "trust bundle",
        })
    }
}

/// Why a card, certificate or trust bundle was refused, or why a summary is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The text does not start with the card prefix (`LYOC1:`): not a card of ours.
    #[error("not an oncology card: the text does not start with {expected:?}")]
    NotACard {
        /// The prefix we expected.
        expected: &'static str,
    },
    /// The text is a card of another format version (`LYOC2:`...), which this verifier
    /// does not understand: update the software.
    #[error("card format version {version} is not supported by this verifier")]
    UnsupportedVersion {
        /// The version number in the prefix.
        version: u32,
    },
    /// The text after the prefix is not valid Base45 (RFC 9285).
    #[error("bad base45 text after the card prefix")]
    BadBase45,
    /// An input, or the result of decompressing it, is larger than the configured limit.
    #[error("{what} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// What was too large (`"qr text"`, `"decompressed card"`, ...).
        what: &'static str,
        /// The limit in bytes.
        limit: usize,
    },
    /// The zlib stream is damaged or truncated.
    #[error("damaged zlib compression")]
    BadCompression,
    /// The bytes are not the CBOR / COSE structure the specification requires.
    #[error("malformed {object}: {detail}")]
    Malformed {
        /// Which object.
        object: Object,
        /// What is wrong, without any payload content.
        detail: String,
    },
    /// The payload is valid CBOR but not in the deterministic encoding (RFC 8949 §4.2),
    /// or carries unknown or duplicate keys.
    #[error("{object} payload is not in deterministic cbor encoding")]
    NonCanonical {
        /// Which object.
        object: Object,
    },
    /// The protected header names an algorithm other than ES256 (-7), or none.
    #[error("unsupported algorithm in {object}: only ES256 (-7) is accepted")]
    UnsupportedAlgorithm {
        /// Which object.
        object: Object,
    },
    /// A header is misplaced or unknown: no kid in the protected header, a kid in the
    /// unprotected header, or an unexpected header parameter.
    #[error("bad header in {object}: {detail}")]
    BadHeader {
        /// Which object.
        object: Object,
        /// Which rule was broken.
        detail: &'static str,
    },
    /// No trusted key has this key identifier.
    #[error("unknown key id {kid} for {object}")]
    UnknownKeyId {
        /// Which object.
        object: Object,
        /// The kid, in hex (key ids are public).
        kid: String,
    },
    /// The issuer's certificate does not chain to the pinned ministry root.
    #[error("issuer certificate is not signed by the ministry root")]
    IssuerNotCertified,
    /// The issuer's certificate was not valid at the time the card or bundle was signed.
    #[error("issuer certificate {kid} was not valid when the {object} was signed")]
    CertificateNotValidAt {
        /// Which object the certificate was used for.
        object: Object,
        /// The certificate's kid, in hex.
        kid: String,
    },
    /// The certificate does not permit this use (an issuer key signing a bundle, say).
    #[error("certificate {kid} does not permit signing a {object}")]
    UsageNotPermitted {
        /// What it was used to sign.
        object: Object,
        /// The certificate's kid, in hex.
        kid: String,
    },
    /// The card's `iss` claim differs from the issuer named in its certificate.
    #[error("card issuer does not match its certificate")]
    IssuerMismatch,
    /// The issuing key has been revoked by the ministry.
    #[error("issuer key {kid} has been revoked")]
    IssuerRevoked {
        /// The revoked kid, in hex.
        kid: String,
    },
    /// The signature is DER-encoded; COSE (RFC 9053 §2.1) requires the 64-byte r‖s form.
    #[error("signature of {object} is DER-encoded; ES256 requires 64-byte r||s")]
    DerSignature {
        /// Which object.
        object: Object,
    },
    /// The signature does not verify with the issuer's key.
    #[error("bad signature on {object}")]
    BadSignature {
        /// Which object.
        object: Object,
    },
    /// The card expired (`exp` is in the past).
    #[error("card expired")]
    Expired,
    /// The card's `iat` is in the future (beyond the allowed clock skew).
    #[error("card is not yet valid")]
    NotYetValid,
    /// The card serial has been revoked.
    #[error("card revoked ({reason})")]
    Revoked {
        /// Why the registry revoked it.
        reason: crate::trust::RevocationReason,
    },
    /// The card has been replaced by a newer card (refused only under a strict policy).
    #[error("card superseded by a newer card")]
    Superseded,
    /// The trust bundle is older than the hard limit configured by the site.
    #[error("trust bundle is older than the configured limit of {max_age_days} days")]
    BundleTooOld {
        /// The configured limit.
        max_age_days: u64,
    },
    /// An offered trust bundle does not come after the one held: a lower sequence number, or
    /// the same number with other content (docs/card-format.md §7.9). The held one is kept.
    #[error(
        "trust bundle number {offered} does not come after the held number {held}; refused \
         (a rollback would hide revocations)"
    )]
    BundleRollback {
        /// The held bundle's sequence number.
        held: u64,
        /// The offered bundle's.
        offered: u64,
    },
    /// A field of a summary is invalid; names the field, never its value.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        /// Path of the field, e.g. `tumours[1].morphology`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A key could not be parsed or used.
    #[error("bad key: {0}")]
    BadKey(&'static str),
    /// The signer (software key or HSM) failed to produce a signature.
    #[error("signing failed: {0}")]
    Signing(String),
}

impl Error {
    /// A stable, machine-readable code for this error (`bad_signature`, `expired`, ...).
    ///
    /// These codes appear in `fixtures/vectors/manifest.json` and docs/card-format.md §9.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NotACard { .. } => "not_a_card",
            Error::UnsupportedVersion { .. } => "unsupported_version",
            Error::BadBase45 => "bad_base45",
            Error::TooLarge { .. } => "too_large",
            Error::BadCompression => "bad_compression",
            Error::Malformed { .. } => "malformed",
            Error::NonCanonical { .. } => "non_canonical",
            Error::UnsupportedAlgorithm { .. } => "unsupported_algorithm",
            Error::BadHeader { .. } => "bad_header",
            Error::UnknownKeyId { .. } => "unknown_kid",
            Error::IssuerNotCertified => "issuer_not_certified",
            Error::CertificateNotValidAt { .. } => "certificate_not_valid_at",
            Error::UsageNotPermitted { .. } => "usage_not_permitted",
            Error::IssuerMismatch => "issuer_mismatch",
            Error::IssuerRevoked { .. } => "issuer_revoked",
            Error::DerSignature { .. } => "der_signature",
            Error::BadSignature { .. } => "bad_signature",
            Error::Expired => "expired",
            Error::NotYetValid => "not_yet_valid",
            Error::Revoked { .. } => "revoked",
            Error::Superseded => "superseded",
            Error::BundleTooOld { .. } => "bundle_too_old",
            Error::BundleRollback { .. } => "bundle_rollback",
            Error::InvalidField { .. } => "invalid_field",
            Error::BadKey(_) => "bad_key",
            Error::Signing(_) => "signing_failed",
        }
    }

    pub(crate) fn malformed(object: Object, detail: impl Into<String>) -> Self {
        Error::Malformed {
            object,
            detail: detail.into(),
        }
    }

    pub(crate) fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidField {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// `Result` with this crate's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

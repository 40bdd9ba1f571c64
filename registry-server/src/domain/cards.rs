//! Cards: issue (the summary is built from the registry, signed with the site's issuing key,
//! stored, and the patient's previous card superseded, all in one transaction), read
//! (metadata, signed bytes, QR text), status for insurers and pharmacies, revoke.

use card_format::model::{CardPayload, CardSummary};
use card_format::{qr, sign_card, CardSerial};
use serde::{Deserialize, Serialize};

use super::audit::actor;
use super::{Error, Registry, Result};
use crate::auth::{Caller, Role};
use crate::db::status::{CardState, RecordStatus};
use crate::db::{self, cards::CardRow};

/// Who issues, reads and revokes cards.
pub const ISSUERS: &[Role] = &[Role::Registrar];

/// Who checks a card's status.
pub const STATUS_READERS: &[Role] = &[Role::Insurer, Role::Pharmacist, Role::Registrar];

/// What the registrar gets back.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IssuedCard {
    /// The new card's serial, `XXXX-XXXX-XXXX-XXXX`.
    pub serial: String,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// The QR text to print.
    pub qr: String,
    /// The card this one replaces, if any.
    pub supersedes: Option<String>,
}

/// Builds the card summary of a patient from what the registry holds now: active tumours,
/// treatments and allergies, and authorisations still valid today.
///
/// # Errors
/// [`Error::NotFound`] for an unknown patient; [`Error::Conflict`] when the record
/// holds more than a card can carry.
pub async fn summary(registry: &Registry, patient_id: &str) -> Result<CardSummary, Error> {
    let row = db::patients::get(&registry.db, patient_id)
        .await?
        .ok_or(Error::NotFound { what: "patient" })?;
    let data = row.data()?;
    let today = i64::from(registry.clock.today().0);
    let tumours = db::clinical::tumours(&registry.db, patient_id).await?;
    let treatments = db::clinical::treatments(&registry.db, patient_id).await?;
    let allergies = db::clinical::allergies(&registry.db, patient_id).await?;
    let medicines = db::clinical::medicines(&registry.db, patient_id).await?;
    let summary = CardSummary {
        patient: data.to_card_patient(),
        tumours: tumours
            .iter()
            .filter(|t| t.status == RecordStatus::Active)
            .map(|t| t.tumour())
            .collect::<Result<_, _>>()?,
        treatments: treatments
            .iter()
            .filter(|t| t.status == RecordStatus::Active)
            .map(|t| t.treatment())
            .collect::<Result<_, _>>()?,
        medicines: medicines
            .iter()
            .filter(|m| m.status == RecordStatus::Active && m.valid_until >= today)
            .map(|m| m.medicine())
            .collect::<Result<_, _>>()?,
        allergies: allergies
            .iter()
            .filter(|a| a.status == RecordStatus::Active)
            .map(|a| a.allergy())
            .collect::<Result<_, _>>()?,
        insurance: data.insurance,
    };
    summary.validate().map_err(|e| match e {
        card_format::Error::InvalidField { field, reason } if reason.starts_with("at most") => {
            Error::conflict("card_too_full", format!("{field}: {reason} fit on a card"))
        }
        other => other.into(),
    })?;
    Ok(summary)
}

/// Issues a new card for a patient and supersedes the previous one (`card.issue`); none
/// for a patient recorded dead ([`super::follow_up`]). Registrars.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::NotFound`], [`Error::Conflict`] (`patient_deceased`, a card too full, or another registrar
/// issuing for the same patient at the same moment), database and signing errors.
pub async fn issue(
    registry: &Registry,
    caller: &Caller,
    patient_id: &str,
) -> Result<IssuedCard, Error> {
    caller.require(ISSUERS)?;
    super::patients::live_row(registry, patient_id).await?;
    if super::follow_up::is_deceased(registry, patient_id).await? {
        return Err(Error::conflict(
            "patient_deceased",
            "the patient is recorded dead: no card is issued",
        ));
    }
    let summary = summary(registry, patient_id).await?;
    let now = registry.clock.now();
    let expires = now.saturating_add(
        i64::try_from(registry.settings.card_validity_days * 86_400).unwrap_or(i64::MAX),
    );
    let payload = CardPayload {
        issuer: registry.signing.issuer_info.issuer_id.clone(),
        issued_at: u64::try_from(now).unwrap_or(0),
        expires_at: u64::try_from(expires).unwrap_or(0),
        serial: CardSerial::random(),
        summary,
    };
    let cose = sign_card(registry.signing.issuer.as_ref(), &payload, None)?;
    let serial = payload.serial.to_compact();
    let row = CardRow {
        serial: serial.clone(),
        patient_id: patient_id.to_string(),
        issuer_kid: registry.signing.issuer_info.kid().to_hex(),
        issued_at: now,
        expires_at: expires,
        cose: cose.clone(),
        status: CardState::Active,
        superseded_by: None,
        revoked_reason: None,
        revoked_at: None,
        issued_by: caller.user_id.clone(),
    };
    let mut tx = registry.db.pool.begin().await?;
    let previous = db::cards::active_serial_in(&mut tx, patient_id).await?;
    let superseded = db::cards::supersede_active(&mut tx, patient_id, &serial).await?;
    db::cards::insert(&mut tx, &row).await.map_err(|e| {
        if db::is_unique_violation(&e) {
            Error::conflict(
                "concurrent_issue",
                "another card was issued for this patient at the same moment; retry",
            )
        } else {
            e.into()
        }
    })?;
    if superseded > 0 {
        db::trust::bump_sequence(&mut tx, now).await?;
    }
    db::audit::append(&mut tx, now, &actor(caller), "card.issue", "card", &serial).await?;
    tx.commit().await?;
    registry.metrics.cards_issued.inc();
    Ok(IssuedCard {
        serial: payload.serial.to_string(),
        issued_at: now,
        expires_at: expires,
        qr: qr::encode(&cose),
        supersedes: previous
            .and_then(|s| CardSerial::parse(&s).ok())
            .map(|s| s.to_string()),
    })
}

async fn load(registry: &Registry, serial: &str) -> Result<CardRow, Error> {
    let serial = CardSerial::parse(serial).map_err(|_| Error::NotFound { what: "card" })?;
    db::cards::get(&registry.db, &serial.to_compact())
        .await?
        .ok_or(Error::NotFound { what: "card" })
}

/// Loads a card for `caller` and records the read in the audit log (cards lead to patients).
async fn load_audited(
    registry: &Registry,
    caller: &Caller,
    serial: &str,
    action: &str,
) -> Result<CardRow, Error> {
    let c = load(registry, serial).await?;
    super::audit::read_by(registry, caller, action, "card", &c.serial).await?;
    Ok(c)
}

/// A card's metadata.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CardView {
    /// Serial.
    pub serial: String,
    /// Patient id.
    pub patient_id: String,
    /// Issuing key id, hex.
    pub issuer_kid: String,
    /// `active`, `superseded` or `revoked`.
    pub status: String,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// The card that replaced it.
    pub superseded_by: Option<String>,
    /// Why it was revoked.
    pub revoked_reason: Option<String>,
    /// Unix seconds.
    pub revoked_at: Option<i64>,
}

/// A stored compact serial as people read it (`XXXX-XXXX-XXXX-XXXX`).
pub fn display_serial(compact: &str) -> String {
    CardSerial::parse(compact).map_or_else(|_| compact.to_string(), |s| s.to_string())
}

/// A card's metadata; the read is audited (`card.read`). Registrars.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::NotFound`], database errors.
pub async fn metadata(registry: &Registry, caller: &Caller, serial: &str) -> Result<CardView> {
    caller.require(ISSUERS)?;
    let c = load_audited(registry, caller, serial, "card.read").await?;
    Ok(CardView {
        serial: display_serial(&c.serial),
        patient_id: c.patient_id,
        issuer_kid: c.issuer_kid,
        status: c.status.to_string(),
        issued_at: c.issued_at,
        expires_at: c.expires_at,
        superseded_by: c.superseded_by.as_deref().map(display_serial),
        revoked_reason: c.revoked_reason,
        revoked_at: c.revoked_at,
    })
}

/// A card's QR text (`LYOC1:` and Base45), to print; the read is audited (`card.read`).
/// Registrars.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::NotFound`], database errors.
pub async fn qr_text(registry: &Registry, caller: &Caller, serial: &str) -> Result<String> {
    caller.require(ISSUERS)?;
    let c = load_audited(registry, caller, serial, "card.read").await?;
    Ok(card_format::qr::encode(&c.cose))
}

/// A card's signed bytes, with the issuer certificate in the unprotected header when
/// `certificate` is true and the registry's own key signed it; the read is audited
/// (`card.read`). Registrars.
///
/// # Errors
/// [`Error::NotFound`], database errors.
pub async fn signed_card(
    registry: &Registry,
    caller: &Caller,
    serial: &str,
    certificate: bool,
) -> Result<Vec<u8>, Error> {
    caller.require(ISSUERS)?;
    let c = load_audited(registry, caller, serial, "card.read").await?;
    let certificate = certificate
        .then_some(registry.signing.issuer_certificate.as_slice())
        .filter(|_| c.issuer_kid == registry.signing.issuer_info.kid().to_hex());
    card_format::cose::set_certificate(&c.cose, certificate, card_format::error::Object::Card)
        .map_err(|e| Error::Internal(format!("stored card does not parse: {e}")))
}

/// A card's status, for insurers and pharmacies: no patient data.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CardStatus {
    /// Serial.
    pub serial: String,
    /// `valid`, `revoked`, `superseded` or `expired`.
    pub status: &'static str,
    /// Why it was revoked.
    pub revoked_reason: Option<String>,
    /// The card that replaced it.
    pub superseded_by: Option<String>,
    /// Unix seconds.
    pub expires_at: i64,
}

/// A card's status (no patient data); the read is audited (`card.status`). Insurers,
/// pharmacists and registrars.
///
/// # Errors
/// [`Error::NotFound`], database errors.
pub async fn status_of(
    registry: &Registry,
    caller: &Caller,
    serial: &str,
) -> Result<CardStatus, Error> {
    caller.require(STATUS_READERS)?;
    let c = load_audited(registry, caller, serial, "card.status").await?;
    let now = registry.clock.now();
    let status = match c.status {
        CardState::Revoked => "revoked",
        CardState::Superseded => "superseded",
        CardState::Active if c.expires_at <= now => "expired",
        CardState::Active => "valid",
    };
    Ok(CardStatus {
        serial: display_serial(&c.serial),
        status,
        revoked_reason: c.revoked_reason,
        superseded_by: c.superseded_by.as_deref().map(display_serial),
        expires_at: c.expires_at,
    })
}

/// A revocation.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    /// `lost`, `stolen`, `deceased` or `error`.
    pub reason: String,
}

/// Revokes a card (`lost`, `stolen`, `deceased` or `error`) and bumps the trust bundle, with
/// its audit entry (`card.revoke`). Registrars.
///
/// # Errors
/// [`Error::Validation`] for another reason, [`Error::NotFound`],
/// [`Error::Conflict`] (`already_revoked`), database errors.
pub async fn revoke_card(
    registry: &Registry,
    caller: &Caller,
    serial: &str,
    reason: &str,
) -> Result<CardStatus, Error> {
    caller.require(ISSUERS)?;
    if !["lost", "stolen", "deceased", "error"].contains(&reason) {
        return Err(Error::invalid("reason", "lost, stolen, deceased or error"));
    }
    let c = load(registry, serial).await?;
    let now = registry.clock.now();
    let mut tx = registry.db.pool.begin().await?;
    if !db::cards::revoke(&mut tx, &c.serial, reason, now).await? {
        return Err(Error::conflict(
            "already_revoked",
            "the card is already revoked",
        ));
    }
    db::trust::bump_sequence(&mut tx, now).await?;
    db::audit::append(
        &mut tx,
        now,
        &actor(caller),
        "card.revoke",
        "card",
        &c.serial,
    )
    .await?;
    tx.commit().await?;
    Ok(CardStatus {
        serial: display_serial(&c.serial),
        status: "revoked",
        revoked_reason: Some(reason.to_string()),
        superseded_by: c.superseded_by.as_deref().map(display_serial),
        expires_at: c.expires_at,
    })
}

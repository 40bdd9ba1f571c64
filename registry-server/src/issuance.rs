//! Issuing a card: the summary is built from the registry, signed with the site's issuing key,
//! stored, and the patient's previous card is superseded, all in one transaction.

use card_format::model::{CardPayload, CardSummary};
use card_format::{qr, sign_card, CardSerial};
use serde::Serialize;

use crate::auth::Caller;
use crate::db::{self, cards::CardRow};
use crate::http::admin::actor;
use crate::http::{ApiError, AppState};

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
/// [`ApiError::NotFound`] for an unknown patient; [`ApiError::Conflict`] when the record
/// holds more than a card can carry.
pub async fn summary(state: &AppState, patient_id: &str) -> Result<CardSummary, ApiError> {
    let row = db::patients::get(&state.db, patient_id)
        .await?
        .ok_or(ApiError::NotFound { what: "patient" })?;
    let data = row.data()?;
    let today = i64::from(state.clock.today().0);
    let tumours = db::clinical::tumours(&state.db, patient_id).await?;
    let treatments = db::clinical::treatments(&state.db, patient_id).await?;
    let allergies = db::clinical::allergies(&state.db, patient_id).await?;
    let medicines = db::clinical::medicines(&state.db, patient_id).await?;
    let summary = CardSummary {
        patient: data.to_card_patient(),
        tumours: tumours
            .iter()
            .filter(|t| t.status == "active")
            .map(|t| t.tumour())
            .collect::<Result<_, _>>()?,
        treatments: treatments
            .iter()
            .filter(|t| t.status == "active")
            .map(|t| t.treatment())
            .collect::<Result<_, _>>()?,
        medicines: medicines
            .iter()
            .filter(|m| m.status == "active" && m.valid_until >= today)
            .map(|m| m.medicine())
            .collect::<Result<_, _>>()?,
        allergies: allergies
            .iter()
            .filter(|a| a.status == "active")
            .map(|a| a.allergy())
            .collect::<Result<_, _>>()?,
        insurance: data.insurance,
    };
    summary.validate().map_err(|e| match e {
        card_format::Error::InvalidField { field, reason } if reason.starts_with("at most") => {
            ApiError::conflict("card_too_full", format!("{field}: {reason} fit on a card"))
        }
        other => other.into(),
    })?;
    Ok(summary)
}

/// Issues a new card for a patient and supersedes the previous one.
///
/// # Errors
/// [`ApiError::NotFound`], [`ApiError::Conflict`] (a card too full, or another registrar
/// issuing for the same patient at the same moment), database and signing errors.
pub async fn issue(
    state: &AppState,
    caller: &Caller,
    patient_id: &str,
) -> Result<IssuedCard, ApiError> {
    let summary = summary(state, patient_id).await?;
    let now = state.clock.now();
    let expires = now.saturating_add(
        i64::try_from(state.settings.card_validity_days * 86_400).unwrap_or(i64::MAX),
    );
    let payload = CardPayload {
        issuer: state.signing.issuer_info.issuer_id.clone(),
        issued_at: u64::try_from(now).unwrap_or(0),
        expires_at: u64::try_from(expires).unwrap_or(0),
        serial: CardSerial::random(),
        summary,
    };
    let cose = sign_card(state.signing.issuer.as_ref(), &payload, None)?;
    let serial = payload.serial.to_compact();
    let row = CardRow {
        serial: serial.clone(),
        patient_id: patient_id.to_string(),
        issuer_kid: state.signing.issuer_info.kid().to_hex(),
        issued_at: now,
        expires_at: expires,
        cose: cose.clone(),
        status: "active".into(),
        superseded_by: None,
        revoked_reason: None,
        revoked_at: None,
        issued_by: caller.user_id.clone(),
    };
    let mut tx = state.db.pool.begin().await?;
    let previous: Option<(String,)> =
        sqlx::query_as("SELECT serial FROM cards WHERE patient_id = $1 AND status = 'active'")
            .bind(patient_id)
            .fetch_optional(&mut *tx)
            .await?;
    let superseded = db::cards::supersede_active(&mut tx, patient_id, &serial).await?;
    db::cards::insert(&mut tx, &row).await.map_err(|e| {
        if db::is_unique_violation(&e) {
            ApiError::conflict(
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
    Ok(IssuedCard {
        serial: payload.serial.to_string(),
        issued_at: now,
        expires_at: expires,
        qr: qr::encode(&cose),
        supersedes: previous
            .and_then(|(s,)| CardSerial::parse(&s).ok())
            .map(|s| s.to_string()),
    })
}

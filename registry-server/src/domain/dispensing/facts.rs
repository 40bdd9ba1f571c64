//! The rulebook's view of the registry's rows: a card and an authorisation as
//! [`registry_api::dispensing::rules`] judges them.

use registry_api::dispensing::rules::{Authorisation, Card, Revoked, Since};
use registry_api::dispensing::NotAuthorised;

use super::super::Result;
use crate::db::status::{CardState, RecordStatus};
use crate::db::{cards::CardRow, clinical::MedicineRow};

/// The rulebook's view of a card row. `superseded_since` is when its successor was issued
/// (None: judged as superseded at any time).
pub(super) fn card_facts(card: &CardRow, superseded_since: Option<i64>) -> Card {
    let revoked = (card.status == CardState::Revoked).then(|| Revoked {
        since: card.revoked_at.map_or(Since::Unrecorded, Since::At),
        reason: card.revoked_reason.clone(),
    });
    let superseded = (card.status == CardState::Superseded || card.superseded_by.is_some())
        .then(|| superseded_since.map_or(Since::Unrecorded, Since::At));
    Card {
        issued_at: Some(card.issued_at),
        expires_at: card.expires_at,
        revoked,
        superseded,
    }
}

/// The rulebook's view of an authorisation row, if it is this patient's and active.
///
/// # Errors
/// A stored value out of range.
pub(super) fn authorisation_facts(
    auth: Option<&MedicineRow>,
    patient_id: &str,
) -> Result<std::result::Result<Authorisation, NotAuthorised>> {
    let Some(a) = auth else {
        return Ok(Err(NotAuthorised::NotThisPatients));
    };
    if a.patient_id != patient_id || a.status != RecordStatus::Active {
        return Ok(Err(NotAuthorised::NotThisPatients));
    }
    let m = a.medicine()?;
    Ok(Ok(Authorisation {
        // Looked up for an offline dispensing only (`offline`); one now is after it.
        authorised_at: None,
        quantity: m.quantity,
        dispensings: a.dispensings,
        interval_days: a.interval_days,
        valid_until: m.valid_until,
    }))
}

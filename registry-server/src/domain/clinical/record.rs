//! The whole record as registrars and clinicians read it: identity, the four kinds of
//! clinical record with their versions, and the cards.

use card_format::model::{Allergy, MedicineAuthorisation, Treatment, Tumour};
use serde::Serialize;

use super::super::patients::{self, PatientView, READERS};
use super::super::{Registry, Result};
use super::{Draft, Kind, MedicineInput};
use crate::auth::Caller;
use crate::db;

/// A record id with its version and status, beside the record's own fields.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Versioned<T> {
    /// Id.
    pub id: String,
    /// Version.
    pub version: i64,
    /// `active` or `withdrawn`.
    pub status: String,
    /// The record.
    #[serde(flatten)]
    pub record: T,
}

/// An authorisation with its dispensing counters.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MedicineView {
    /// Version.
    pub version: i64,
    /// `active` or `withdrawn`.
    pub status: String,
    /// The authorisation.
    #[serde(flatten)]
    pub medicine: MedicineAuthorisation,
    /// Prescriber's user id.
    pub prescriber: Option<String>,
    /// Prescribing facility.
    pub facility_code: Option<String>,
    /// Dispensings recorded.
    pub dispensed_count: i64,
    /// Unix seconds of the last dispensing.
    pub last_dispensed_at: Option<i64>,
}

/// A card as listed in a record (without its bytes).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CardSummaryView {
    /// Serial.
    pub serial: String,
    /// `active`, `superseded` or `revoked`.
    pub status: String,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// Why it was revoked.
    pub revoked_reason: Option<String>,
}

/// The whole record.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Record {
    /// Identity.
    pub patient: PatientView,
    /// Tumours.
    pub tumours: Vec<Versioned<Tumour>>,
    /// Treatments.
    pub treatments: Vec<Versioned<Treatment>>,
    /// Allergies.
    pub allergies: Vec<Versioned<Allergy>>,
    /// Medicine authorisations.
    pub medicines: Vec<MedicineView>,
    /// Cards, newest first.
    pub cards: Vec<CardSummaryView>,
    /// The multiple-primary decision of each tumour's current version.
    pub primaries: Vec<super::primary::StoredPrimary>,
    /// The record checks confirmed for each tumour's current version, with who and when.
    pub confirmations: Vec<db::confirmations::ConfirmationRow>,
}

impl Record {
    /// The version and current data of one of its records, as a draft (what a correction
    /// starts from).
    pub fn draft(&self, kind: Kind, id: &str) -> Option<(i64, Draft)> {
        match kind {
            Kind::Tumour => self
                .tumours
                .iter()
                .find(|t| t.id == id)
                .map(|t| (t.version, Draft::Tumour(t.record.clone()))),
            Kind::Treatment => self
                .treatments
                .iter()
                .find(|t| t.id == id)
                .map(|t| (t.version, Draft::Treatment(t.record.clone()))),
            Kind::Allergy => self
                .allergies
                .iter()
                .find(|a| a.id == id)
                .map(|a| (a.version, Draft::Allergy(a.record.clone()))),
            Kind::Medicine => self
                .medicines
                .iter()
                .find(|m| m.medicine.id.to_string() == id)
                .map(|m| (m.version, Draft::Medicine(MedicineInput::from(&m.medicine)))),
        }
    }
}

fn versioned<R, T>(
    rows: Vec<R>,
    parts: impl Fn(&R) -> (&str, i64, &str),
    data: impl Fn(&R) -> std::result::Result<T, sqlx::Error>,
) -> Result<Vec<Versioned<T>>> {
    rows.iter()
        .map(|r| {
            let (id, version, status) = parts(r);
            Ok(Versioned {
                id: id.to_string(),
                version,
                status: status.to_string(),
                record: data(r)?,
            })
        })
        .collect()
}

/// A patient's whole record with its cards; the read is audited (`patient.read`). Only
/// indexed reads by patient id. Registrars and clinicians.
///
/// # Errors
/// [`super::super::Error::Forbidden`], [`super::super::Error::NotFound`], database errors.
pub async fn record(registry: &Registry, caller: &Caller, id: &str) -> Result<Record> {
    caller.require(READERS)?;
    let row = patients::row(registry, id).await?;
    let db = &registry.db;
    let record = Record {
        patient: PatientView::from_row(&row)?,
        tumours: versioned(
            db::clinical::tumours(db, id).await?,
            |t| (&t.id, t.version, t.status.as_str()),
            db::clinical::TumourRow::tumour,
        )?,
        treatments: versioned(
            db::clinical::treatments(db, id).await?,
            |t| (&t.id, t.version, t.status.as_str()),
            db::clinical::TreatmentRow::treatment,
        )?,
        allergies: versioned(
            db::clinical::allergies(db, id).await?,
            |a| (&a.id, a.version, a.status.as_str()),
            db::clinical::AllergyRow::allergy,
        )?,
        medicines: db::clinical::medicines(db, id)
            .await?
            .iter()
            .map(|m| {
                Ok(MedicineView {
                    version: m.version,
                    status: m.status.to_string(),
                    medicine: m.medicine()?,
                    prescriber: m.prescriber.clone(),
                    facility_code: m.facility_code.clone(),
                    dispensed_count: m.dispensed_count,
                    last_dispensed_at: m.last_dispensed_at,
                })
            })
            .collect::<Result<_>>()?,
        cards: db::cards::for_patient(db, id)
            .await?
            .into_iter()
            .map(|c| CardSummaryView {
                serial: super::super::cards::display_serial(&c.serial),
                status: c.status.to_string(),
                issued_at: c.issued_at,
                expires_at: c.expires_at,
                revoked_reason: c.revoked_reason,
            })
            .collect(),
        primaries: super::primary::of_patient(registry, id).await?,
        confirmations: db::confirmations::of_patient(db, id).await?,
    };
    super::super::audit::read_by(registry, caller, "patient.read", "patient", id).await?;
    Ok(record)
}

//! A patient's clinical record: tumours, treatments, allergies and medicine authorisations
//! (clinicians write them), and the whole record with its cards (registrars and clinicians
//! read it).
//!
//! The four kinds share one path: [`create`], [`correct`] (with the version it corrects and
//! a reason; the previous version is kept in the history), [`withdraw`] (marked withdrawn,
//! never deleted) and [`history`]. What differs between kinds is the [`Draft`] they carry:
//! its validation here, its columns in [`crate::db::clinical`].

use card_format::model::{Allergy, Date, DoseForm, MedicineAuthorisation, Treatment, Tumour};
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};

use super::audit::actor;
use super::patients::{self, check_reason, Correction, HISTORY_READERS};
use super::{Error, Registry, Result};
use crate::auth::{self, Caller, Role};
use crate::db::{self, patients::HistoryRow};

pub use crate::db::clinical::Kind;

pub(crate) mod checked;
pub mod derived;
pub mod primary;
mod record;

pub use record::{record, CardSummaryView, MedicineView, Record, Versioned};

/// Who writes clinical records.
pub const WRITERS: &[Role] = &[Role::Clinician];

/// What a clinician sends to authorise a medicine; the registry assigns the id and records
/// the clinician as prescriber.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MedicineInput {
    /// WHO ATC code (level 5).
    pub atc: String,
    /// Medicine name (INN).
    pub name: String,
    /// Strength.
    pub strength: String,
    /// Dose form.
    pub form: DoseForm,
    /// Quantity per dispensing.
    pub quantity: u32,
    /// Number of dispensings.
    pub dispensings: u16,
    /// Minimum days between dispensings.
    pub interval_days: u16,
    /// Last valid day.
    pub valid_until: Date,
}

impl MedicineInput {
    /// The authorisation with its id.
    pub fn with_id(&self, id: u64) -> MedicineAuthorisation {
        MedicineAuthorisation {
            id,
            atc: self.atc.clone(),
            name: self.name.clone(),
            strength: self.strength.clone(),
            form: self.form,
            quantity: self.quantity,
            dispensings: self.dispensings,
            interval_days: self.interval_days,
            valid_until: self.valid_until,
        }
    }
}

impl From<&MedicineAuthorisation> for MedicineInput {
    fn from(m: &MedicineAuthorisation) -> Self {
        MedicineInput {
            atc: m.atc.clone(),
            name: m.name.clone(),
            strength: m.strength.clone(),
            form: m.form,
            quantity: m.quantity,
            dispensings: m.dispensings,
            interval_days: m.interval_days,
            valid_until: m.valid_until,
        }
    }
}

/// One clinical record's data as a clinician writes it: what [`create`] and [`correct`]
/// take, whichever door it came through.
#[derive(Debug, Clone, PartialEq)]
pub enum Draft {
    /// A tumour.
    Tumour(Tumour),
    /// A treatment.
    Treatment(Treatment),
    /// An allergy.
    Allergy(Allergy),
    /// A medicine authorisation.
    Medicine(MedicineInput),
}

impl Draft {
    /// Its kind.
    pub fn kind(&self) -> Kind {
        match self {
            Draft::Tumour(_) => Kind::Tumour,
            Draft::Treatment(_) => Kind::Treatment,
            Draft::Allergy(_) => Kind::Allergy,
            Draft::Medicine(_) => Kind::Medicine,
        }
    }

    /// Fills the derived fields, then checks the data; errors name fields under `at`. A
    /// tumour is checked against the patient's birth date, which only it needs (so only it
    /// looks the patient up first), and gets its ICCC-3 subgroup ([`derived`]).
    fn validate(&mut self, at: &str, birth_date: Option<Date>, id: &str) -> Result<()> {
        match self {
            Draft::Tumour(t) => {
                let birth = birth_date.unwrap_or(Date(i32::MIN));
                derived::derive_iccc(t, birth, at)?;
                t.validate(at, birth)?;
            }
            Draft::Treatment(t) => t.validate(at)?,
            Draft::Allergy(a) => a.validate(at)?,
            Draft::Medicine(m) => m.with_id(medicine_id(id)?).validate(at)?,
        }
        Ok(())
    }
}

/// The audit log's entity name of a record kind.
pub fn entity_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Tumour => "tumour",
        Kind::Treatment => "treatment",
        Kind::Allergy => "allergy",
        Kind::Medicine => "authorisation",
    }
}

/// The audit action of a new record (medicines say `medicine.create`, as they always have).
fn create_action(kind: Kind) -> &'static str {
    match kind {
        Kind::Tumour => "tumour.create",
        Kind::Treatment => "treatment.create",
        Kind::Allergy => "allergy.create",
        Kind::Medicine => "medicine.create",
    }
}

/// The record kind named in a path (`tumours`, `treatments`, `allergies`, `medicines`).
///
/// # Errors
/// [`Error::NotFound`] for another name.
pub fn kind_from_path(kind: &str) -> Result<Kind> {
    match kind {
        "tumours" => Ok(Kind::Tumour),
        "treatments" => Ok(Kind::Treatment),
        "allergies" => Ok(Kind::Allergy),
        "medicines" => Ok(Kind::Medicine),
        _ => Err(Error::NotFound {
            what: "record kind",
        }),
    }
}

/// The numeric id of a medicine authorisation (the number on the card).
fn medicine_id(id: &str) -> Result<u64> {
    id.parse().map_err(|_| Error::NotFound { what: "record" })
}

/// A new authorisation id: random, positive, below 2^53 so JSON clients keep it exact.
fn new_medicine_id() -> u64 {
    (OsRng.next_u64() >> 11).max(1)
}

/// The id and version of a record just written.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Written {
    /// Record id.
    pub id: String,
    /// Its version now.
    pub version: i64,
    /// For a tumour: what the multiple-primary rules decided against the patient's other
    /// tumours (stored with this version).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary: Option<primary::Primary>,
}

/// The patient a clinical record belongs to (a record id is no patient data: not audited).
///
/// # Errors
/// [`Error::NotFound`], database errors.
pub async fn patient_of(registry: &Registry, kind: Kind, id: &str) -> Result<String> {
    let (patient_id, _) = db::clinical::owner(&registry.db, kind, id)
        .await?
        .ok_or(Error::NotFound { what: "record" })?;
    Ok(patient_id)
}

/// The patient's birth date, or [`Error::NotFound`].
async fn birth_date(registry: &Registry, patient_id: &str) -> Result<Date> {
    Ok(patients::live_row(registry, patient_id)
        .await?
        .data()?
        .birth_date)
}

fn stale() -> Error {
    Error::conflict(
        "stale_version",
        "the record changed since it was read, or is withdrawn; read it again",
    )
}

/// Validates and records a new clinical record at version 1 (`tumour.create`,
/// `treatment.create`, `allergy.create`, `medicine.create`). A medicine authorisation gets a
/// new number and the caller as prescriber at the caller's facility. Clinicians.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::Validation`] (fields under `tumour.`, `treatment.`,
/// `allergy.`, `medicine.`), [`Error::NotFound`], database errors.
pub async fn create(
    registry: &Registry,
    caller: &Caller,
    patient_id: &str,
    mut draft: Draft,
    confirmed: &[String],
) -> Result<Written> {
    caller.require(WRITERS)?;
    let kind = draft.kind();
    let id = match kind {
        Kind::Medicine => new_medicine_id().to_string(),
        _ => auth::new_id(),
    };
    let (at, patient) = match &draft {
        Draft::Tumour(_) => (
            "tumour",
            Some(checked::patient(registry, patient_id).await?),
        ),
        Draft::Treatment(_) => ("treatment", None),
        Draft::Allergy(_) => ("allergy", None),
        Draft::Medicine(_) => ("medicine", None),
    };
    let birth = patient.map(|p| p.birth);
    draft.validate(at, birth, &id)?;
    let confirmations = checked::findings_of(&draft, patient.as_ref(), confirmed, at)?;
    if let Draft::Medicine(m) = &draft {
        if m.valid_until < registry.clock.today() {
            return Err(Error::invalid("valid_until", "already past"));
        }
    }
    if patient.is_none() {
        birth_date(registry, patient_id).await?;
    }
    let judged = match &draft {
        Draft::Tumour(t) => Some(primary::judge(registry, patient_id, t, None).await?),
        _ => None,
    };
    let now = registry.clock.now();
    let mut tx = registry.db.pool.begin().await?;
    let written = db::clinical::put(&mut tx, &id, patient_id, &draft, caller, None, now).await?;
    if !written {
        return Err(stale());
    }
    checked::store(&mut tx, kind, &id, 1, &confirmations, caller, now).await?;
    if let Some(p) = &judged {
        primary::store(&mut tx, &id, 1, p, now).await?;
    }
    let entity = entity_name(kind);
    db::audit::append(
        &mut tx,
        now,
        &actor(caller),
        create_action(kind),
        entity,
        &id,
    )
    .await?;
    tx.commit().await?;
    Ok(Written {
        id,
        version: 1,
        primary: judged,
    })
}

/// Applies a correction of record `id`, keeping the previous version in the history
/// (`tumour.correct`, `treatment.correct`, `allergy.correct`, `authorisation.correct`).
/// Clinicians.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::Validation`] (fields under `data.`), [`Error::NotFound`],
/// [`Error::Conflict`] (`stale_version`), database errors.
pub async fn correct(
    registry: &Registry,
    caller: &Caller,
    id: &str,
    mut body: Correction<Draft>,
    confirmed: &[String],
) -> Result<Written> {
    caller.require(WRITERS)?;
    let kind = body.data.kind();
    let patient = match &body.data {
        Draft::Tumour(_) => {
            let (patient_id, _) = db::clinical::owner(&registry.db, kind, id)
                .await?
                .ok_or(Error::NotFound { what: "record" })?;
            Some(checked::patient(registry, &patient_id).await?)
        }
        _ => None,
    };
    body.data.validate("data", patient.map(|p| p.birth), id)?;
    let confirmations = checked::findings_of(&body.data, patient.as_ref(), confirmed, "data")?;
    check_reason(&body.reason)?;
    let (patient_id, current) = db::clinical::owner(&registry.db, kind, id)
        .await?
        .ok_or(Error::NotFound { what: "record" })?;
    if current != body.version {
        return Err(stale());
    }
    let previous = db::clinical::current_json(&registry.db, kind, &patient_id, id)
        .await?
        .ok_or(Error::NotFound { what: "record" })?;
    let judged = match &body.data {
        Draft::Tumour(t) => Some(primary::judge(registry, &patient_id, t, Some(id)).await?),
        _ => None,
    };
    let now = registry.clock.now();
    let mut tx = registry.db.pool.begin().await?;
    db::patients::insert_history(
        &mut tx,
        kind.table(),
        id,
        body.version,
        &previous,
        &body.reason,
        now,
        &caller.user_id,
    )
    .await
    .map_err(|e| {
        if db::is_unique_violation(&e) {
            stale()
        } else {
            e.into()
        }
    })?;
    let done = db::clinical::put(
        &mut tx,
        id,
        &patient_id,
        &body.data,
        caller,
        Some(body.version),
        now,
    )
    .await?;
    if !done {
        return Err(stale());
    }
    let version = body.version + 1;
    checked::store(&mut tx, kind, id, version, &confirmations, caller, now).await?;
    if let Some(p) = &judged {
        primary::store(&mut tx, id, version, p, now).await?;
    }
    let action = format!("{}.correct", entity_name(kind));
    db::audit::append(&mut tx, now, &actor(caller), &action, entity_name(kind), id).await?;
    tx.commit().await?;
    Ok(Written {
        id: id.to_string(),
        version: body.version + 1,
        primary: judged,
    })
}

/// A withdrawal.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    /// The version being withdrawn.
    pub version: i64,
    /// Why.
    pub reason: String,
}

/// Withdraws record `id` of `kind`: kept, marked withdrawn (`tumour.withdraw`, ...).
/// Clinicians.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::Validation`] (`reason`), [`Error::NotFound`],
/// [`Error::Conflict`] (`stale_version`), database errors.
pub async fn withdraw(
    registry: &Registry,
    caller: &Caller,
    kind: Kind,
    id: &str,
    body: &Withdrawal,
) -> Result<Written> {
    caller.require(WRITERS)?;
    check_reason(&body.reason)?;
    db::clinical::owner(&registry.db, kind, id)
        .await?
        .ok_or(Error::NotFound { what: "record" })?;
    let now = registry.clock.now();
    let mut tx = registry.db.pool.begin().await?;
    let at = (now, caller.user_id.as_str());
    if !db::clinical::withdraw(&mut tx, kind, id, body.version, &body.reason, at).await? {
        return Err(stale());
    }
    let action = format!("{}.withdraw", entity_name(kind));
    db::audit::append(&mut tx, now, &actor(caller), &action, entity_name(kind), id).await?;
    tx.commit().await?;
    Ok(Written {
        id: id.to_string(),
        version: body.version + 1,
        primary: None,
    })
}

/// The earlier versions of a clinical record; the read is audited (`record.history`).
/// Registrars, clinicians and auditors.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::NotFound`], database errors.
pub async fn history(
    registry: &Registry,
    caller: &Caller,
    kind: Kind,
    id: &str,
) -> Result<Vec<HistoryRow>> {
    caller.require(HISTORY_READERS)?;
    db::clinical::owner(&registry.db, kind, id)
        .await?
        .ok_or(Error::NotFound { what: "record" })?;
    let rows = db::patients::history(&registry.db, kind.table(), id).await?;
    super::audit::read_by(registry, caller, "record.history", entity_name(kind), id).await?;
    Ok(rows)
}

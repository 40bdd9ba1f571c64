//! SQL for a patient's clinical records: tumours, treatments, allergies and medicine
//! authorisations. A correction bumps `version` and keeps the previous data in
//! `record_history`; withdrawing a record sets its status, it is never deleted.

use card_format::model::{Allergy, Treatment, Tumour};
use sqlx::AnyConnection;

mod rows;

pub use rows::{AllergyRow, MedicineRow, TreatmentRow, TumourRow};

use super::patients::{enum_name, insert_history};
use super::Db;
use crate::auth::Caller;
use crate::domain::clinical::{Draft, MedicineInput};

/// Which kind of clinical record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `tumours`.
    Tumour,
    /// `treatments`.
    Treatment,
    /// `allergies`.
    Allergy,
    /// `medicine_authorisations`.
    Medicine,
}

impl Kind {
    /// The table name (also the `record_history.table_name`).
    pub fn table(self) -> &'static str {
        match self {
            Kind::Tumour => "tumours",
            Kind::Treatment => "treatments",
            Kind::Allergy => "allergies",
            Kind::Medicine => "medicine_authorisations",
        }
    }
}

macro_rules! tumour_columns {
    () => {
        "id, patient_id, icd10, topography, morphology, behaviour, grade, basis, \
    incidence, stage_scheme, stage_t, stage_n, stage_m, stage_group, iccc, status, version"
    };
}
macro_rules! treatment_columns {
    () => {
        "id, patient_id, kind, regimen, cycles, start_date, end_date, status, version"
    };
}
macro_rules! allergy_columns {
    () => {
        "id, patient_id, substance, severity, kind, status, version"
    };
}
macro_rules! medicine_columns {
    () => {
        "id, patient_id, atc, name, strength, form, quantity, dispensings, \
    interval_days, valid_until, prescriber, facility_code, status, dispensed_count, \
    last_dispensed_at, version"
    };
}

mod sql;

use sql::*;
pub(crate) use sql::{statements_per_kind, INSERT_TUMOUR, STATEMENTS};

/// A statement with some of its parameters bound.
type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds a tumour's own columns, after `id` and `patient_id`.
///
/// # Errors
/// A stage scheme that has no stored name.
pub(crate) fn tumour_fields<'q>(query: Query<'q>, t: &'q Tumour) -> Result<Query<'q>, sqlx::Error> {
    let stage = t.stage.as_ref();
    Ok(query
        .bind(t.icd10.as_str())
        .bind(t.topography.as_str())
        .bind(i64::from(t.morphology))
        .bind(i64::from(t.behaviour))
        .bind(t.grade.map(i64::from))
        .bind(i64::from(t.basis))
        .bind(i64::from(t.incidence.0))
        .bind(stage.map(|s| enum_name(&s.scheme)).transpose()?)
        .bind(stage.and_then(|s| s.t.clone()))
        .bind(stage.and_then(|s| s.n.clone()))
        .bind(stage.and_then(|s| s.m.clone()))
        .bind(stage.map(|s| s.group.clone()))
        .bind(t.iccc.as_deref()))
}

/// Binds a treatment's own columns.
///
/// # Errors
/// A kind that has no stored name.
fn treatment_fields<'q>(query: Query<'q>, t: &'q Treatment) -> Result<Query<'q>, sqlx::Error> {
    Ok(query
        .bind(enum_name(&t.kind)?)
        .bind(t.regimen.as_deref())
        .bind(t.cycles.map(i64::from))
        .bind(i64::from(t.start.0))
        .bind(t.end.map(|d| i64::from(d.0))))
}

/// Binds an allergy's own columns.
///
/// # Errors
/// A severity or kind that has no stored name.
fn allergy_fields<'q>(query: Query<'q>, a: &'q Allergy) -> Result<Query<'q>, sqlx::Error> {
    Ok(query
        .bind(a.substance.as_str())
        .bind(enum_name(&a.severity)?)
        .bind(a.kind.as_ref().map(enum_name).transpose()?))
}

/// Binds a medicine authorisation's own columns and its prescriber (user, facility).
///
/// # Errors
/// A dose form that has no stored name.
fn medicine_fields<'q>(
    query: Query<'q>,
    m: &'q MedicineInput,
    prescriber: (&'q str, &'q str),
) -> Result<Query<'q>, sqlx::Error> {
    Ok(query
        .bind(m.atc.as_str())
        .bind(m.name.as_str())
        .bind(m.strength.as_str())
        .bind(enum_name(&m.form)?)
        .bind(i64::from(m.quantity))
        .bind(i64::from(m.dispensings))
        .bind(i64::from(m.interval_days))
        .bind(i64::from(m.valid_until.0))
        .bind(prescriber.0)
        .bind(prescriber.1))
}

/// Sets a record's status to `withdrawn` if it is at `version`; keeps the old version.
///
/// # Errors
/// Database errors.
pub async fn withdraw(
    conn: &mut AnyConnection,
    kind: Kind,
    id: &str,
    version: i64,
    reason: &str,
    at: (i64, &str),
) -> Result<bool, sqlx::Error> {
    let table = kind.table();
    let result = sqlx::query(&withdraw_sql(kind))
        .bind(id)
        .bind(at.0)
        .bind(at.1)
        .bind(version)
        .execute(&mut *conn)
        .await?;
    if result.rows_affected() != 1 {
        return Ok(false);
    }
    let note = serde_json::json!({ "status": "active", "withdrawn_reason": reason }).to_string();
    insert_history(conn, table, id, version, &note, reason, at.0, at.1).await?;
    Ok(true)
}

/// The tumours of a patient (active first, then withdrawn), oldest first.
///
/// # Errors
/// Database errors.
pub async fn tumours(db: &Db, patient_id: &str) -> Result<Vec<TumourRow>, sqlx::Error> {
    sqlx::query_as::<_, TumourRow>(TUMOURS)
        .bind(patient_id)
        .fetch_all(db.reader())
        .await
}

/// The treatments of a patient.
///
/// # Errors
/// Database errors.
pub async fn treatments(db: &Db, patient_id: &str) -> Result<Vec<TreatmentRow>, sqlx::Error> {
    sqlx::query_as::<_, TreatmentRow>(TREATMENTS)
        .bind(patient_id)
        .fetch_all(db.reader())
        .await
}

/// The allergies of a patient.
///
/// # Errors
/// Database errors.
pub async fn allergies(db: &Db, patient_id: &str) -> Result<Vec<AllergyRow>, sqlx::Error> {
    sqlx::query_as::<_, AllergyRow>(ALLERGIES)
        .bind(patient_id)
        .fetch_all(db.reader())
        .await
}

/// The medicine authorisations of a patient.
///
/// # Errors
/// Database errors.
pub async fn medicines(db: &Db, patient_id: &str) -> Result<Vec<MedicineRow>, sqlx::Error> {
    sqlx::query_as::<_, MedicineRow>(MEDICINES)
        .bind(patient_id)
        .fetch_all(db.reader())
        .await
}

/// One medicine authorisation.
///
/// # Errors
/// Database errors.
pub async fn medicine(db: &Db, id: i64) -> Result<Option<MedicineRow>, sqlx::Error> {
    sqlx::query_as::<_, MedicineRow>(MEDICINE)
        .bind(id)
        .fetch_optional(db.reader())
        .await
}

/// One medicine authorisation, inside a transaction.
///
/// # Errors
/// Database errors.
pub async fn medicine_in(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<MedicineRow>, sqlx::Error> {
    sqlx::query_as::<_, MedicineRow>(MEDICINE_IN)
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// When the authorisation was made (its `medicine.create` audit entry), if the registry
/// recorded it.
///
/// # Errors
/// Database errors.
pub async fn authorised_at(conn: &mut AnyConnection, id: i64) -> Result<Option<i64>, sqlx::Error> {
    let (at,): (Option<i64>,) = sqlx::query_as(sql::AUTHORISED_AT)
        .bind(id.to_string())
        .fetch_one(conn)
        .await?;
    Ok(at)
}

/// Writes a clinical record: a new row at version 1 when `version` is None, else a
/// correction of that version. A medicine authorisation's `id` is its number, and the
/// caller is recorded as its prescriber. Returns false when the expected version is not the
/// current one.
///
/// # Errors
/// Database errors; a medicine id that is not a number.
pub async fn put(
    conn: &mut AnyConnection,
    id: &str,
    patient_id: &str,
    draft: &Draft,
    caller: &Caller,
    version: Option<i64>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let sql = match (draft, version) {
        (Draft::Tumour(_), None) => INSERT_TUMOUR,
        (Draft::Tumour(_), Some(_)) => UPDATE_TUMOUR,
        (Draft::Treatment(_), None) => INSERT_TREATMENT,
        (Draft::Treatment(_), Some(_)) => UPDATE_TREATMENT,
        (Draft::Allergy(_), None) => INSERT_ALLERGY,
        (Draft::Allergy(_), Some(_)) => UPDATE_ALLERGY,
        (Draft::Medicine(_), None) => INSERT_MEDICINE,
        (Draft::Medicine(_), Some(_)) => UPDATE_MEDICINE,
    };
    let query = sqlx::query(sql);
    let query = match draft {
        Draft::Tumour(t) => tumour_fields(query.bind(id).bind(patient_id), t)?,
        Draft::Treatment(t) => treatment_fields(query.bind(id).bind(patient_id), t)?,
        Draft::Allergy(a) => allergy_fields(query.bind(id).bind(patient_id), a)?,
        Draft::Medicine(m) => {
            let number: u64 = id.parse().map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            let number = i64::try_from(number).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
            let prescriber = (caller.user_id.as_str(), caller.facility_code.as_str());
            medicine_fields(query.bind(number).bind(patient_id), m, prescriber)?
        }
    };
    let mut query = query.bind(now).bind(caller.user_id.as_str());
    if let Some(v) = version {
        query = query.bind(v);
    }
    Ok(query.execute(conn).await?.rows_affected() == 1)
}

/// The current data of a record as JSON, for the history; None when the patient has no
/// such record. Read before a correction's transaction: the update's version check makes it
/// consistent (a concurrent change fails the update).
///
/// # Errors
/// Database errors, a stored value that does not parse.
pub async fn current_json(
    db: &Db,
    kind: Kind,
    patient_id: &str,
    id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let json =
        |v: Result<String, serde_json::Error>| v.map_err(|e| sqlx::Error::Decode(Box::new(e)));
    Ok(match kind {
        Kind::Tumour => match tumours(db, patient_id)
            .await?
            .into_iter()
            .find(|r| r.id == id)
        {
            Some(r) => Some(json(serde_json::to_string(&r.tumour()?))?),
            None => None,
        },
        Kind::Treatment => {
            match treatments(db, patient_id)
                .await?
                .into_iter()
                .find(|r| r.id == id)
            {
                Some(r) => Some(json(serde_json::to_string(&r.treatment()?))?),
                None => None,
            }
        }
        Kind::Allergy => match allergies(db, patient_id)
            .await?
            .into_iter()
            .find(|r| r.id == id)
        {
            Some(r) => Some(json(serde_json::to_string(&r.allergy()?))?),
            None => None,
        },
        Kind::Medicine => {
            let rows = medicines(db, patient_id).await?;
            match rows.into_iter().find(|r| r.id.to_string() == id) {
                Some(r) => Some(json(serde_json::to_string(&r.medicine()?))?),
                None => None,
            }
        }
    })
}

/// The patient a record belongs to, if the record exists.
///
/// # Errors
/// Database errors.
pub async fn owner(db: &Db, kind: Kind, id: &str) -> Result<Option<(String, i64)>, sqlx::Error> {
    sqlx::query_as(&owner_sql(kind))
        .bind(id)
        .fetch_optional(db.reader())
        .await
}

//! The IARC/IACR record checks ([`crate::domain::checks`]) applied to a tumour as it is
//! entered or corrected: an invalid record is refused; a query or a rare combination is kept
//! only once a person confirms each such check by its code, and the confirmations are stored
//! with who and when ([`crate::db::confirmations`]) and audited (`tumour.confirm`).

use card_format::model::{Date, Sex, Tumour};
use sqlx::AnyConnection;

use super::Draft;
use crate::auth::Caller;
use crate::db::{self, clinical::Kind};
use crate::domain::audit::actor;
use crate::domain::checks::{self, Check, Finding, Outcome, Subject};
use crate::domain::{patients, Error, Registry, Result};

/// What the checks need to know of the patient.
#[derive(Debug, Clone, Copy)]
pub struct Patient {
    /// Sex.
    pub sex: Sex,
    /// Date of birth.
    pub birth: Date,
    /// Last known alive, from the latest follow-up.
    pub last_contact: Option<Date>,
    /// Date of death, from the latest follow-up.
    pub death: Option<Date>,
}

/// The patient's sex, birth date and latest follow-up.
///
/// # Errors
/// [`Error::NotFound`], database errors, a stored value that does not parse.
pub async fn patient(registry: &Registry, patient_id: &str) -> Result<Patient> {
    let data = patients::live_row(registry, patient_id).await?.data()?;
    patient_of(&registry.db, patient_id, &data).await
}

/// What the checks need of patient `patient_id`, whose data the caller holds.
///
/// # Errors
/// Database errors, a stored value that does not parse.
pub async fn patient_of(
    db: &db::Db,
    patient_id: &str,
    data: &crate::patient::PatientData,
) -> Result<Patient> {
    let latest = db::follow_up::latest(db, patient_id).await?;
    let day = |d: i64| i32::try_from(d).ok().map(Date);
    Ok(Patient {
        sex: data.sex,
        birth: data.birth_date,
        last_contact: latest.as_ref().and_then(|f| day(f.last_contact)),
        death: latest.as_ref().and_then(|f| f.death_date.and_then(day)),
    })
}

/// A death-certificate-only registration (basis 0) is of a patient recorded dead, and its
/// incidence date is the date of death (ENCR recommendations for coding the incidence date;
/// IARC Technical Report 42 treats basis 0 as DCO).
///
/// # Errors
/// [`Error::Validation`] on `{at}.basis` when no death is recorded, on `{at}.incidence` when
/// it is not the date of death.
fn death_certificate_only(tumour: &Tumour, patient: &Patient, at: &str) -> Result<()> {
    if tumour.basis != 0 {
        return Ok(());
    }
    match patient.death {
        None => Err(Error::invalid(
            format!("{at}.basis"),
            "0 (death certificate only) needs the patient's death recorded first (follow-up)",
        )),
        Some(death) if death != tumour.incidence => Err(Error::invalid(
            format!("{at}.incidence"),
            format!(
                "a death-certificate-only tumour's incidence date is the date of death, {death}"
            ),
        )),
        Some(_) => Ok(()),
    }
}

/// Runs the checks on the tumour. Returns the query and rare findings, all of which
/// `confirmed` names (to be stored with the record).
///
/// # Errors
/// [`Error::Validation`] on `confirm` for a code that names no check; [`Error::Checks`]:
/// `record_invalid` with the invalid findings, or `needs_confirmation` with the query and
/// rare findings when one of them is not confirmed.
pub fn apply(
    tumour: &Tumour,
    patient: &Patient,
    confirmed: &[String],
    at: &str,
) -> Result<Vec<Finding>> {
    if let Some(unknown) = confirmed.iter().find(|c| Check::from_code(c).is_none()) {
        return Err(Error::invalid(
            "confirm",
            format!("{unknown:?} is not a record check"),
        ));
    }
    death_certificate_only(tumour, patient, at)?;
    let report = checks::check(&Subject {
        sex: patient.sex,
        birth: Some(patient.birth),
        incidence: tumour.incidence,
        last_contact: patient.last_contact,
        death: patient.death,
        topography: &tumour.topography,
        morphology: tumour.morphology,
        behaviour: tumour.behaviour,
        grade: tumour.grade,
        basis: tumour.basis,
    });
    if report.refused() {
        return Err(Error::Checks {
            code: "record_invalid",
            findings: only(report.findings, &[Outcome::Invalid]),
        });
    }
    let asking = only(report.findings, &[Outcome::Query, Outcome::Rare]);
    let all_confirmed = asking
        .iter()
        .all(|f| confirmed.iter().any(|c| c == f.check.code()));
    if all_confirmed {
        Ok(asking)
    } else {
        Err(Error::Checks {
            code: "needs_confirmation",
            findings: asking,
        })
    }
}

fn only(findings: Vec<Finding>, outcomes: &[Outcome]) -> Vec<Finding> {
    findings
        .into_iter()
        .filter(|f| outcomes.contains(&f.outcome))
        .collect()
}

/// The findings to confirm of a draft: a tumour's ([`apply`]); none for the other kinds.
///
/// # Errors
/// As [`apply`].
pub fn findings_of(
    draft: &Draft,
    patient: Option<&Patient>,
    confirmed: &[String],
    at: &str,
) -> Result<Vec<Finding>> {
    match (draft, patient) {
        (Draft::Tumour(t), Some(p)) => apply(t, p, confirmed, at),
        _ if confirmed.is_empty() => Ok(Vec::new()),
        _ => Err(Error::invalid("confirm", "only tumours have record checks")),
    }
}

/// Stores the confirmed findings of version `version` of record `id`, with one audit entry
/// (`tumour.confirm`) when there are any; in the caller's transaction.
///
/// # Errors
/// Database errors.
pub async fn store(
    conn: &mut AnyConnection,
    kind: Kind,
    id: &str,
    version: i64,
    findings: &[Finding],
    caller: &Caller,
    now: i64,
) -> Result<()> {
    if findings.is_empty() {
        return Ok(());
    }
    let rows: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f.check.code(), f.outcome.code()))
        .collect();
    db::confirmations::insert(conn, kind.table(), id, version, &rows, &caller.user_id, now).await?;
    let entity = super::entity_name(kind);
    let action = format!("{entity}.confirm");
    db::audit::append(conn, now, &actor(caller), &action, entity, id).await?;
    Ok(())
}

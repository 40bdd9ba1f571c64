//! The whole registry in the CanReg5 layout ([`crate::domain::stats::export`]), for a
//! submission to IARC: one line per primary tumour of every live record, no name and no
//! national identifier, streamed from the database to the writer one patient at a time (the
//! memory it takes does not grow with the registry). A registrar's export is audited
//! (`statistics.export`); a tumour the multiple-primary rules judged a duplicate is not
//! written.

use futures_util::TryStreamExt;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::super::audit::actor;
use super::super::clinical::derived::age_in_years;
use super::super::stats::export::{self, ExportRecord, VitalStatus};
use super::super::{Registry, Result};
use crate::auth::{Caller, Role};
use crate::db::{self, audit::Actor, stats::CaseRow, Db};

/// Who may export: registrars (the file holds one line per tumour, pseudonymised).
pub const EXPORTERS: &[Role] = &[Role::Registrar];

/// Bytes gathered before each write to the sink.
const CHUNK: usize = 64 * 1024;

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Exported {
    /// Lines written (tumours).
    pub tumours: u64,
    /// Patients.
    pub patients: u64,
    /// Tumours left out as duplicates of another.
    pub duplicates: u64,
}

/// Checks the caller may export, and audits the export as theirs.
///
/// # Errors
/// [`super::Error::Forbidden`] for other roles; database errors.
pub async fn admit(registry: &Registry, caller: &Caller) -> Result<()> {
    caller.require(EXPORTERS)?;
    audit(&registry.db, registry.clock.now(), &actor(caller)).await
}

/// Audits an export by `actor` (a registrar admitted by [`admit`], or the command run on
/// the server).
///
/// # Errors
/// Database errors.
pub async fn audit(db: &Db, now: i64, actor: &Actor<'_>) -> Result<()> {
    db::audit::append_alone(db, now, actor, "statistics.export", "registry", "canreg5").await?;
    Ok(())
}

/// Writes the header and every primary tumour to `sink`. Call [`admit`] or [`audit`] first.
///
/// # Errors
/// Database errors, a stored value that does not parse, the sink's errors.
pub async fn write(db: &Db, sink: &mut (impl AsyncWrite + Unpin)) -> Result<Exported> {
    let mut buffer = Vec::with_capacity(CHUNK * 2);
    export::write_header(&mut buffer).map_err(io)?;
    let mut done = Exported::default();
    let mut patient: Vec<CaseRow> = Vec::new();
    let mut rows = db::stats::every_case(db);
    while let Some(row) = rows.try_next().await? {
        if row.decision.as_deref() == Some("duplicate") {
            done.duplicates += 1;
            continue;
        }
        if patient
            .first()
            .is_some_and(|p| p.patient_id != row.patient_id)
        {
            write_patient(&mut buffer, &patient, &mut done)?;
            patient.clear();
            if buffer.len() >= CHUNK {
                sink.write_all(&buffer).await.map_err(io)?;
                buffer.clear();
            }
        }
        patient.push(row);
    }
    write_patient(&mut buffer, &patient, &mut done)?;
    sink.write_all(&buffer).await.map_err(io)?;
    sink.flush().await.map_err(io)?;
    Ok(done)
}

/// One patient's primaries, numbered in order of incidence.
fn write_patient(out: &mut Vec<u8>, tumours: &[CaseRow], done: &mut Exported) -> Result<()> {
    if tumours.is_empty() {
        return Ok(());
    }
    done.patients += 1;
    let total = u32::try_from(tumours.len()).unwrap_or(u32::MAX);
    for (i, t) in tumours.iter().enumerate() {
        let case = super::case_of(t, None)?;
        let day = |d: i64| db::patients::date_from(d);
        let birth = day(t.birth_date)?;
        let incidence = day(t.incidence)?;
        let death = t.death_date.map(day).transpose()?;
        let last_contact = t.last_contact.map(day).transpose()?;
        let vital_status = match (death, last_contact) {
            (Some(_), _) => Some(VitalStatus::Dead),
            (None, Some(_)) => Some(VitalStatus::Alive),
            (None, None) => None,
        };
        let record = ExportRecord {
            tumour_key: &t.tumour_id,
            patient_key: &t.patient_id,
            sex: case.sex,
            birth_date: Some(birth),
            incidence,
            age: age_in_years(birth, incidence).and_then(|a| u32::try_from(a).ok()),
            topography: &t.topography,
            morphology: case.morphology,
            behaviour: case.behaviour,
            grade: t.grade.and_then(|g| u8::try_from(g).ok()),
            basis: case.basis,
            icd10: &t.icd10,
            iccc: t.iccc.as_deref(),
            stage: t.stage_group.as_deref(),
            region: t.region.as_deref(),
            sequence: u32::try_from(i + 1).unwrap_or(u32::MAX),
            total_primaries: total,
            vital_status,
            last_contact,
            death_date: death,
        };
        export::write_record(out, &record).map_err(io)?;
        done.tumours += 1;
    }
    Ok(())
}

fn io(e: std::io::Error) -> super::super::Error {
    super::super::Error::Internal(format!("writing the export: {e}"))
}

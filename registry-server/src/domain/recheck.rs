//! Re-checking what is already stored: every active tumour through the record checks
//! ([`super::checks`]), as if it were entered today, listing those that would be refused or
//! need a confirmation nobody gave, by the facility that last wrote them. For the records
//! entered before the checks existed.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use super::audit::actor;
use super::checks::{self, Finding, Outcome, Subject};
use super::{Registry, Result};
use crate::auth::{Caller, Role};
use crate::db::{self, audit::Actor, Db};

/// Who may see the re-check: registrars (to correct) and auditors.
pub const REVIEWERS: &[Role] = &[Role::Registrar, Role::Auditor];

/// [`run`] for a signed-in reviewer.
///
/// # Errors
/// [`super::Error::Forbidden`], as [`run`].
pub async fn review(registry: &Registry, caller: &Caller) -> Result<Recheck> {
    caller.require(REVIEWERS)?;
    run(&registry.db, registry.clock.now(), &actor(caller)).await
}

/// A stored tumour that fails its checks now.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// The facility of the user who last wrote it (empty when unknown).
    pub facility: String,
    /// Tumour id.
    pub tumour_id: String,
    /// Patient id.
    pub patient_id: String,
    /// The tumour's current version.
    pub version: i64,
    /// The invalid findings, and the query and rare ones not confirmed for this version.
    pub findings: Vec<Finding>,
}

/// What a re-check found.
#[derive(Debug, Clone, Serialize)]
pub struct Recheck {
    /// Active tumours checked.
    pub checked: usize,
    /// Those that fail, by facility, patient and tumour.
    pub failures: Vec<Failure>,
}

/// Runs every check over every active tumour; the run is audited (`registry.recheck`) as
/// `actor`, since it reads every record.
///
/// # Errors
/// Database errors, a stored value that does not parse.
pub async fn run(db: &Db, now: i64, actor: &Actor<'_>) -> Result<Recheck> {
    let tumours = db::recheck::tumours(db).await?;
    let follow_ups: HashMap<String, (i64, Option<i64>)> = db::recheck::latest_follow_ups(db)
        .await?
        .into_iter()
        .map(|(patient, last, death)| (patient, (last, death)))
        .collect();
    let confirmed: HashSet<(String, i64, String)> =
        db::recheck::confirmed(db).await?.into_iter().collect();
    let day = |d: i64| db::patients::date_from(d);
    let mut failures = Vec::new();
    for t in &tumours {
        let follow_up = follow_ups.get(&t.patient_id);
        let report = checks::check(&Subject {
            sex: db::patients::enum_from(&t.sex)?,
            birth: Some(day(t.birth_date)?),
            incidence: day(t.incidence)?,
            last_contact: follow_up.map(|f| day(f.0)).transpose()?,
            death: follow_up.and_then(|f| f.1).map(day).transpose()?,
            topography: &t.topography,
            morphology: small(t.morphology)?,
            behaviour: small(t.behaviour)?,
            grade: t.grade.map(small).transpose()?,
            basis: small(t.basis)?,
        });
        let findings: Vec<Finding> = report
            .findings
            .into_iter()
            .filter(|f| match f.outcome {
                Outcome::Invalid => true,
                Outcome::Query | Outcome::Rare => {
                    let key = (t.id.clone(), t.version, f.check.code().to_string());
                    !confirmed.contains(&key)
                }
                Outcome::Ok | Outcome::Missing => false,
            })
            .collect();
        if !findings.is_empty() {
            failures.push(Failure {
                facility: t.facility_code.clone(),
                tumour_id: t.id.clone(),
                patient_id: t.patient_id.clone(),
                version: t.version,
                findings,
            });
        }
    }
    db::audit::append_alone(db, now, actor, "registry.recheck", "registry", "tumours").await?;
    Ok(Recheck {
        checked: tumours.len(),
        failures,
    })
}

/// A stored code as the small integer the checks take.
fn small<T: TryFrom<i64>>(value: i64) -> Result<T> {
    T::try_from(value).map_err(|_| super::Error::stored("tumour code", value))
}

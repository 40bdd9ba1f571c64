//! Patients: register, find, read, correct, and the earlier versions of an identity. Every
//! read of patient data is audited.

use serde::{Deserialize, Serialize};

use super::audit::actor;
use super::{Error, Registry, Result};
use crate::auth::{self, Caller, Role};
use crate::db::{self, patients::HistoryRow, patients::PatientRow};
use crate::names;
use crate::patient::{ascii_digits, PatientData, PatientInput};

/// Who registers patients and corrects their identity.
pub const REGISTRARS: &[Role] = &[Role::Registrar];

/// Who may read patient records.
pub const READERS: &[Role] = &[Role::Registrar, Role::Clinician];

/// Who may read the earlier versions of a record.
pub const HISTORY_READERS: &[Role] = &[Role::Registrar, Role::Clinician, Role::Auditor];

/// A patient as the registry shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PatientView {
    /// Registry id.
    pub id: String,
    /// Version; send it back with a correction.
    pub version: i64,
    /// The data.
    #[serde(flatten)]
    pub data: PatientData,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// The record this one was merged into ([`super::linkage`]); absent for a live record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<String>,
}

impl PatientView {
    /// From a row.
    ///
    /// # Errors
    /// A row that does not parse.
    pub fn from_row(row: &PatientRow) -> Result<PatientView> {
        Ok(PatientView {
            id: row.id.clone(),
            version: row.version,
            data: row.data()?,
            created_at: row.created_at,
            updated_at: row.updated_at,
            merged_into: row.merged_into.clone(),
        })
    }
}

/// A patient with the registrar's warnings.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Registered {
    /// The patient.
    pub patient: PatientView,
    /// Cross-check warnings (never rejections).
    pub warnings: Vec<String>,
    /// At a registration: registered patients that may be the same person
    /// ([`super::linkage`]), best first; each pair is queued for review.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub possible_duplicates: Vec<super::linkage::CandidateView>,
}

/// A correction: the version it corrects, why, and the new data.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Correction<T> {
    /// The version being corrected (from the last read).
    pub version: i64,
    /// Why (kept in the history).
    pub reason: String,
    /// The corrected data.
    pub data: T,
}

/// Checks a correction's reason.
///
/// # Errors
/// [`Error::Validation`] for an empty or overlong reason, or one with a hidden character
/// ([`super::text`]).
pub fn check_reason(reason: &str) -> Result<()> {
    super::text::check("reason", reason, 200)
}

/// The name search keys of a patient's names.
pub(crate) fn search_keys(data: &PatientData) -> Vec<String> {
    let mut keys = names::search_keys(&data.name_ar);
    keys.extend(names::search_keys(&data.name_latin));
    keys
}

fn duplicate(e: sqlx::Error) -> Error {
    if db::is_unique_violation(&e) {
        Error::conflict(
            "duplicate_identifier",
            "a patient with this identifier is registered",
        )
    } else {
        e.into()
    }
}

/// A registration or correction refused with `duplicate_identifier` tells the caller that
/// someone with this identifier is in the registry: a read of that patient, audited as
/// `patient.exists` on the patient who holds it, before the refusal is returned.
async fn refused(
    registry: &Registry,
    caller: &Caller,
    data: &PatientData,
    e: sqlx::Error,
) -> Error {
    let refusal = duplicate(e);
    if !matches!(
        &refusal,
        Error::Conflict {
            code: "duplicate_identifier",
            ..
        }
    ) {
        return refusal;
    }
    let holder = match db::patients::enum_name(&data.id.kind) {
        Ok(kind) => db::patients::find_by_identifier(&registry.db, &kind, &data.id.value).await,
        Err(e) => Err(e),
    };
    match holder {
        Ok(Some(holder)) => {
            match super::audit::read_by(registry, caller, "patient.exists", "patient", &holder.id)
                .await
            {
                Ok(()) => refusal,
                Err(e) => e,
            }
        }
        // Gone between the insert and this read (a merge, say): nothing was shown of it.
        Ok(None) => refusal,
        Err(e) => e.into(),
    }
}

/// The patient's row, or [`Error::NotFound`].
pub(crate) async fn row(registry: &Registry, id: &str) -> Result<PatientRow> {
    db::patients::get(&registry.db, id)
        .await?
        .ok_or(Error::NotFound { what: "patient" })
}

/// The patient's row if it is a live record: [`Error::NotFound`], or [`Error::Conflict`]
/// `patient_merged` for a record merged into another (nothing more is written to it).
pub(crate) async fn live_row(registry: &Registry, id: &str) -> Result<PatientRow> {
    let row = row(registry, id).await?;
    if row.merged_into.is_some() {
        return Err(Error::conflict(
            "patient_merged",
            "this record was merged into another: write to that record",
        ));
    }
    Ok(row)
}

/// Validates and registers a patient, with its audit entry (`patient.create`). Registrars.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::Validation`] naming the field, [`Error::Conflict`]
/// (`duplicate_identifier`), database errors.
pub async fn register(
    registry: &Registry,
    caller: &Caller,
    input: PatientInput,
) -> Result<Registered> {
    caller.require(REGISTRARS)?;
    let (data, warnings) = input.validate(registry.clock.today())?;
    let id = auth::new_id();
    let found =
        super::linkage::candidates(registry, &super::duplicates::Person::from(&data), None).await?;
    let now = registry.clock.now();
    let mut tx = registry.db.pool.begin().await?;
    if let Err(e) = db::patients::insert(
        &mut tx,
        &id,
        &data,
        &search_keys(&data),
        now,
        &caller.user_id,
    )
    .await
    {
        drop(tx);
        return Err(refused(registry, caller, &data, e).await);
    }
    db::audit::append(
        &mut tx,
        now,
        &actor(caller),
        "patient.create",
        "patient",
        &id,
    )
    .await?;
    super::linkage::queue_found(&mut tx, &id, &found, now).await?;
    tx.commit().await?;
    Ok(Registered {
        patient: PatientView::from_row(&row(registry, &id).await?)?,
        warnings,
        possible_duplicates: super::linkage::shown(registry, caller, &found).await?,
    })
}

/// Search parameters: an identifier, or a name; paginated by id.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Identifier scheme, with `identifier`.
    pub id_type: Option<String>,
    /// Identifier value (any digit script).
    pub identifier: Option<String>,
    /// Name words, Arabic or Latin.
    pub name: Option<String>,
    /// Cursor: the last id of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 100 (default 20).
    pub limit: Option<i64>,
}

/// One page of results.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page {
    /// The patients.
    pub patients: Vec<PatientView>,
    /// Cursor for the next page, when there may be one.
    pub next: Option<String>,
}

/// Most names a name search takes: each is one join of the search's statement, and a long
/// Arabic name with its lineage ("محمد بن عبد الله بن ...") has fewer than this.
pub const MAX_NAME_QUERY_KEYS: usize = 12;
/// Longest name query, characters.
pub const MAX_NAME_QUERY_CHARS: usize = 300;

/// Finds patients by identifier or by name; every patient shown is an audited read
/// (`patient.search`). Registrars and clinicians.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::Validation`] for a bad query (more
/// than [`MAX_NAME_QUERY_KEYS`] names, say), database errors.
pub async fn find(registry: &Registry, caller: &Caller, q: &SearchQuery) -> Result<Page> {
    caller.require(READERS)?;
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(Error::invalid("limit", "1 to 100"));
    }
    let rows = match (&q.identifier, &q.name) {
        (Some(identifier), None) => {
            let id_type = q.id_type.as_deref().unwrap_or("national");
            if !["national", "passport", "family_book", "registry"].contains(&id_type) {
                return Err(Error::invalid(
                    "id_type",
                    "national, passport, family_book or registry",
                ));
            }
            let mut value = ascii_digits(identifier.trim());
            if id_type == "national" {
                value.retain(|c| c != ' ' && c != '-');
            } else {
                value = value.to_uppercase();
            }
            db::patients::find_by_identifier(&registry.db, id_type, &value)
                .await?
                .into_iter()
                .collect()
        }
        (None, Some(name)) => {
            if name.split_whitespace().count() > MAX_NAME_QUERY_KEYS {
                return Err(Error::invalid(
                    "name",
                    format!("at most {MAX_NAME_QUERY_KEYS} names"),
                ));
            }
            if name.chars().count() > MAX_NAME_QUERY_CHARS {
                return Err(Error::invalid(
                    "name",
                    format!("at most {MAX_NAME_QUERY_CHARS} characters"),
                ));
            }
            let keys = names::query_keys(name);
            if keys.is_empty() {
                return Err(Error::invalid("name", "give at least one name"));
            }
            // Compound names add a joined key beside their words.
            if keys.len() > 2 * MAX_NAME_QUERY_KEYS {
                return Err(Error::invalid(
                    "name",
                    format!("at most {MAX_NAME_QUERY_KEYS} names"),
                ));
            }
            db::patients::search(
                &registry.db,
                &keys,
                q.after.as_deref().unwrap_or(""),
                limit + 1,
            )
            .await?
        }
        _ => {
            return Err(Error::invalid(
                "identifier",
                "give either identifier or name",
            ))
        }
    };
    let more = rows.len() as i64 > limit;
    let rows: Vec<&PatientRow> = rows
        .iter()
        .take(usize::try_from(limit).unwrap_or(20))
        .collect();
    let now = registry.clock.now();
    let shown: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    db::audit::append_reads(
        &registry.db,
        now,
        &actor(caller),
        "patient.search",
        "patient",
        &shown,
    )
    .await?;
    Ok(Page {
        next: more.then(|| rows.last().map(|r| r.id.clone())).flatten(),
        patients: rows
            .into_iter()
            .map(PatientView::from_row)
            .collect::<Result<_>>()?,
    })
}

/// A patient's identity; the read is audited (`patient.read`). Registrars and clinicians.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::NotFound`], database errors.
pub async fn read(registry: &Registry, caller: &Caller, id: &str) -> Result<PatientView> {
    caller.require(READERS)?;
    let row = row(registry, id).await?;
    super::audit::read_by(registry, caller, "patient.read", "patient", id).await?;
    PatientView::from_row(&row)
}

/// Corrects a patient's identity, keeping the previous version (`patient.correct`).
/// Registrars.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::Validation`], [`Error::NotFound`], [`Error::Conflict`]
/// (`stale_version`, `duplicate_identifier`), database errors.
pub async fn correct(
    registry: &Registry,
    caller: &Caller,
    id: &str,
    body: Correction<PatientInput>,
) -> Result<Registered> {
    caller.require(REGISTRARS)?;
    check_reason(&body.reason)?;
    let (data, warnings) = body.data.validate(registry.clock.today())?;
    live_row(registry, id).await?;
    let now = registry.clock.now();
    let mut tx = registry.db.pool.begin().await?;
    let keys = search_keys(&data);
    let done = match db::patients::update(
        &mut tx,
        id,
        body.version,
        &data,
        &keys,
        &body.reason,
        now,
        &caller.user_id,
    )
    .await
    {
        Ok(done) => done,
        Err(e) => {
            drop(tx);
            return Err(refused(registry, caller, &data, e).await);
        }
    };
    if !done {
        return Err(Error::conflict(
            "stale_version",
            "the record changed since it was read; read it again and reapply the correction",
        ));
    }
    db::audit::append(
        &mut tx,
        now,
        &actor(caller),
        "patient.correct",
        "patient",
        id,
    )
    .await?;
    tx.commit().await?;
    Ok(Registered {
        patient: PatientView::from_row(&row(registry, id).await?)?,
        warnings,
        possible_duplicates: Vec::new(),
    })
}

/// The earlier versions of a patient's identity; the read is audited (`patient.history`).
/// Registrars, clinicians and auditors.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::NotFound`], database errors.
pub async fn history(registry: &Registry, caller: &Caller, id: &str) -> Result<Vec<HistoryRow>> {
    caller.require(HISTORY_READERS)?;
    row(registry, id).await?;
    let rows = db::patients::history(&registry.db, "patients", id).await?;
    super::audit::read_by(registry, caller, "patient.history", "patient", id).await?;
    Ok(rows)
}

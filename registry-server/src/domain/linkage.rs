//! One patient, one record, on the registry: the duplicate search (before a registration,
//! at it, and for any registered patient), the review queue of candidate pairs, and a
//! registrar's decision on a pair: two people ("distinct") or one ([`merge`]). The score and
//! the blocking rules are the pure [`super::duplicates`]; merging and undoing a merge are in
//! [`merge`].
//!
//! Every list of candidates names patients, so showing one is audited as a read of each
//! patient shown (`patient.duplicates`), as the name search is.

pub mod merge;

use card_format::model::{IdType, Sex};
use serde::Serialize;

use super::audit::actor;
use super::duplicates::{self, Candidate, Person, Reason};
use super::patients::{self, PatientView};
use super::{Error, Registry, Result};
use crate::auth::{Caller, Role};
use crate::db::{self, linkage::BlockRow, linkage::PairRow, patients::enum_from, Db};
use crate::patient::PatientInput;

/// Who searches for duplicates and decides pairs.
pub const REGISTRARS: &[Role] = &[Role::Registrar];

/// Who reads the review queue and the merges.
pub const QUEUE_READERS: &[Role] = &[Role::Registrar, Role::Auditor];

/// One reason of a score, as the API and the desk show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ReasonView {
    /// Stable code (`same_identifier`, `arabic_names`, `birth_date_swapped`...).
    pub code: String,
    /// The points it adds (negative: takes).
    pub points: i32,
    /// In English.
    pub message_en: String,
    /// In Arabic.
    pub message_ar: String,
}

impl ReasonView {
    fn of(r: Reason) -> ReasonView {
        let code = match r {
            Reason::SameIdentifier => "same_identifier",
            Reason::IdentifierTypo => "identifier_typo",
            Reason::ArabicNames(_) => "arabic_names",
            Reason::LatinNames(_) => "latin_names",
            Reason::SameBirthDate => "same_birth_date",
            Reason::BirthDateDayOff => "birth_date_day_off",
            Reason::BirthDateSwapped => "birth_date_swapped",
            Reason::BirthDateClose => "birth_date_close",
            Reason::SameBirthYear => "same_birth_year",
            Reason::SexDiffers => "sex_differs",
        };
        ReasonView {
            code: code.into(),
            points: r.points(),
            message_en: r.en(),
            message_ar: r.ar(),
        }
    }
}

/// A registered patient found alike.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CandidateView {
    /// The patient found.
    pub patient: PatientView,
    /// The score (at least [`duplicates::THRESHOLD`]).
    pub score: i32,
    /// Why, strongest first.
    pub reasons: Vec<ReasonView>,
}

fn reasons_of(c: &Candidate) -> Vec<ReasonView> {
    c.score
        .reasons
        .iter()
        .copied()
        .map(ReasonView::of)
        .collect()
}

fn reasons_json(reasons: &[ReasonView]) -> Result<String> {
    serde_json::to_string(reasons).map_err(|e| Error::Internal(e.to_string()))
}

/// The candidates for `person` among the live records (never `exclude` itself): the block
/// of [`duplicates::birth_dates_near`] and [`duplicates::identifier_variants`], ranked.
/// Not audited: the callers show them and audit what they show.
///
/// # Errors
/// Database errors, a stored row that does not parse.
pub async fn candidates(
    registry: &Registry,
    person: &Person,
    exclude: Option<&str>,
) -> Result<Vec<Candidate>> {
    candidates_in(&registry.db, person, exclude).await
}

fn person_of(r: &BlockRow) -> Result<Person> {
    let decode = |e: serde_json::Error| Error::Db(sqlx::Error::Decode(Box::new(e)));
    Ok(Person {
        id: card_format::model::PatientId {
            kind: enum_from(&r.id_type)?,
            value: r.id_value.clone(),
        },
        name_ar: serde_json::from_str(&r.name_ar).map_err(decode)?,
        name_latin: serde_json::from_str(&r.name_latin).map_err(decode)?,
        sex: enum_from(&r.sex)?,
        birth: db::patients::date_from(r.birth_date)?,
    })
}

/// [`candidates`] on a database.
///
/// # Errors
/// Database errors, a stored row that does not parse.
pub async fn candidates_in(
    db: &Db,
    person: &Person,
    exclude: Option<&str>,
) -> Result<Vec<Candidate>> {
    block_search(db, person, exclude, None).await
}

/// Name keys of registry patients by id, kept across the searches of a bulk run.
pub type KeyCache = std::sync::Mutex<std::collections::HashMap<String, duplicates::Keys>>;

/// [`candidates_in`], keeping each registry patient's name keys in `cache`: an import meets
/// the same patients in many blocks.
///
/// # Errors
/// Database errors, a stored row that does not parse.
pub async fn candidates_cached(
    db: &Db,
    person: &Person,
    cache: &KeyCache,
) -> Result<Vec<Candidate>> {
    block_search(db, person, None, Some(cache)).await
}

async fn block_search(
    db: &Db,
    person: &Person,
    exclude: Option<&str>,
    cache: Option<&KeyCache>,
) -> Result<Vec<Candidate>> {
    let dates: Vec<i64> = duplicates::birth_dates_near(person.birth)
        .iter()
        .map(|d| i64::from(d.0))
        .collect();
    let mut values = vec![person.id.value.clone()];
    if person.id.kind != IdType::Registry {
        values.extend(duplicates::identifier_variants(&person.id.value));
    }
    let id_type = db::patients::enum_name(&person.id.kind)?;
    // Of the patients born close, only those of the same sex (or of a sex not recorded): one
    // of the other sex cannot reach the threshold on the birth date and the names alone
    // (duplicates::OTHER_SEX_OUT_OF_REACH), and the identifier's arm of the block still
    // brings those whose identifier is close.
    let sexes = match person.sex {
        Sex::Male => ["male", "male", "not_known", "not_applicable"],
        Sex::Female => ["female", "female", "not_known", "not_applicable"],
        _ => ["male", "female", "not_known", "not_applicable"],
    };
    let rows = db::linkage::block(db, &dates, sexes, &id_type, &values).await?;
    let mut block = Vec::with_capacity(rows.len());
    for r in &rows {
        block.push((r.id.as_str(), person_of(r)?));
    }
    let Some(cache) = cache else {
        return Ok(duplicates::rank(
            person,
            exclude,
            block.iter().map(|(id, p)| (*id, p)),
        ));
    };
    let keys: Vec<duplicates::Keys> = {
        let mut held = cache
            .lock()
            .map_err(|_| Error::Internal("the name key cache".into()))?;
        block
            .iter()
            .map(|(id, p)| {
                held.entry((*id).to_string())
                    .or_insert_with(|| duplicates::Keys::of(p))
                    .clone()
            })
            .collect()
    };
    Ok(duplicates::rank_keyed(
        person,
        exclude,
        block
            .iter()
            .zip(&keys)
            .map(|((id, p), k)| (*id, p, Some(k))),
    ))
}

/// The candidates as shown, each read audited (`patient.duplicates`).
pub(crate) async fn shown(
    registry: &Registry,
    caller: &Caller,
    found: &[Candidate],
) -> Result<Vec<CandidateView>> {
    let mut views = Vec::with_capacity(found.len());
    for c in found {
        views.push(CandidateView {
            patient: PatientView::from_row(&patients::row(registry, &c.patient_id).await?)?,
            score: c.score.total,
            reasons: reasons_of(c),
        });
    }
    let ids: Vec<&str> = found.iter().map(|c| c.patient_id.as_str()).collect();
    audit_shown(registry, caller, &ids).await?;
    Ok(views)
}

/// One `patient.duplicates` read per patient shown.
async fn audit_shown(registry: &Registry, caller: &Caller, ids: &[&str]) -> Result<()> {
    db::audit::append_reads(
        &registry.db,
        registry.clock.now(),
        &actor(caller),
        "patient.duplicates",
        "patient",
        ids,
    )
    .await?;
    Ok(())
}

/// The registered patients that may be the one about to be registered (validated as a
/// registration is). Registrars.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::Validation`], database errors.
pub async fn search(
    registry: &Registry,
    caller: &Caller,
    input: PatientInput,
) -> Result<Vec<CandidateView>> {
    caller.require(REGISTRARS)?;
    let (data, _) = input.validate(registry.clock.today())?;
    let found = candidates(registry, &Person::from(&data), None).await?;
    shown(registry, caller, &found).await
}

/// The candidates for a registered patient; each is also queued as an open pair (unless
/// that pair was decided before). Registrars.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::NotFound`], database errors.
pub async fn of_patient(
    registry: &Registry,
    caller: &Caller,
    patient_id: &str,
) -> Result<Vec<CandidateView>> {
    caller.require(REGISTRARS)?;
    let data = patients::row(registry, patient_id).await?.data()?;
    let found = candidates(registry, &Person::from(&data), Some(patient_id)).await?;
    let mut tx = registry.db.pool.begin().await?;
    queue_found(&mut tx, patient_id, &found, registry.clock.now()).await?;
    tx.commit().await?;
    shown(registry, caller, &found).await
}

/// Queues each candidate of `patient_id` as an open pair, in the caller's transaction.
pub(crate) async fn queue_found(
    conn: &mut sqlx::AnyConnection,
    patient_id: &str,
    found: &[Candidate],
    now: i64,
) -> Result<()> {
    for c in found {
        let reasons = reasons_json(&reasons_of(c))?;
        db::linkage::add_open(
            conn,
            patient_id,
            &c.patient_id,
            i64::from(c.score.total),
            &reasons,
            now,
        )
        .await?;
    }
    Ok(())
}

/// A pair of the review queue, with both patients.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PairView {
    /// The patient whose id sorts first.
    pub a: PatientView,
    /// The other.
    pub b: PatientView,
    /// The score when found.
    pub score: i64,
    /// Its reasons.
    pub reasons: Vec<ReasonView>,
    /// `open`, `distinct` or `merged`.
    pub status: String,
    /// Unix seconds.
    pub found_at: i64,
    /// Unix seconds, once decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<i64>,
    /// Who decided.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
}

async fn pair_view(registry: &Registry, row: PairRow) -> Result<PairView> {
    let reasons = serde_json::from_str(&row.reasons)
        .map_err(|e| Error::Db(sqlx::Error::Decode(Box::new(e))))?;
    Ok(PairView {
        a: PatientView::from_row(&patients::row(registry, &row.patient_a).await?)?,
        b: PatientView::from_row(&patients::row(registry, &row.patient_b).await?)?,
        score: row.score,
        reasons,
        status: row.status,
        found_at: row.found_at,
        decided_at: row.decided_at,
        decided_by: row.decided_by,
    })
}

/// Pairs shown per page of the queue.
pub const PAGE: i64 = 50;

/// The review queue: pairs with `status` (`open`, `distinct`, `merged`), highest score
/// first, page `page` (from 0) of [`PAGE`]; each patient shown is audited as read.
/// Registrars and auditors.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::Validation`] for an unknown status, database errors.
pub async fn queue(
    registry: &Registry,
    caller: &Caller,
    status: &str,
    page: u32,
) -> Result<Vec<PairView>> {
    caller.require(QUEUE_READERS)?;
    if !["open", "distinct", "merged"].contains(&status) {
        return Err(Error::invalid("status", "open, distinct or merged"));
    }
    let rows = db::linkage::pairs(&registry.db, status, PAGE, i64::from(page) * PAGE).await?;
    let mut views = Vec::with_capacity(rows.len());
    let mut shown = Vec::new();
    for row in rows {
        shown.push(row.patient_a.clone());
        shown.push(row.patient_b.clone());
        views.push(pair_view(registry, row).await?);
    }
    let ids: Vec<&str> = shown.iter().map(String::as_str).collect();
    audit_shown(registry, caller, &ids).await?;
    Ok(views)
}

/// The open pairs a patient is in (for the record page; the caller audits the record read).
///
/// # Errors
/// Database errors.
pub async fn open_pairs_of(registry: &Registry, patient_id: &str) -> Result<Vec<PairRow>> {
    Ok(db::linkage::open_pairs_of(&registry.db, patient_id).await?)
}

/// The score of a pair now, with its reasons as stored, for the decision on it.
pub(crate) struct Rescored {
    score: i64,
    reasons: String,
}

/// The score of two registered patients now.
pub(crate) async fn rescore(registry: &Registry, x: &str, y: &str) -> Result<Rescored> {
    let a = patients::row(registry, x).await?.data()?;
    let b = patients::row(registry, y).await?.data()?;
    let s = duplicates::score(&Person::from(&a), &Person::from(&b));
    let reasons: Vec<ReasonView> = s.reasons.iter().copied().map(ReasonView::of).collect();
    Ok(Rescored {
        score: i64::from(s.total),
        reasons: reasons_json(&reasons)?,
    })
}

impl Rescored {
    /// Records the decision `status` on the pair, in the caller's transaction.
    pub(crate) async fn decide(
        &self,
        conn: &mut sqlx::AnyConnection,
        (x, y): (&str, &str),
        status: &str,
        now: i64,
        caller: &Caller,
    ) -> Result<()> {
        db::linkage::decide(
            conn,
            x,
            y,
            self.score,
            &self.reasons,
            status,
            now,
            &caller.user_id,
        )
        .await?;
        Ok(())
    }
}

/// Records that two patients are different people (`patient.distinct`, on the pair
/// `a+b`): the pair is not proposed again. Registrars.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::Validation`] (the same patient twice), [`Error::NotFound`],
/// database errors.
pub async fn distinct(registry: &Registry, caller: &Caller, x: &str, y: &str) -> Result<()> {
    caller.require(REGISTRARS)?;
    if x == y {
        return Err(Error::invalid("other", "another patient"));
    }
    let scored = rescore(registry, x, y).await?;
    let now = registry.clock.now();
    let (a, b) = db::linkage::ordered(x, y);
    let mut tx = registry.db.pool.begin().await?;
    scored
        .decide(&mut tx, (a, b), "distinct", now, caller)
        .await?;
    db::audit::append(
        &mut tx,
        now,
        &actor(caller),
        "patient.distinct",
        "pair",
        &format!("{a}+{b}"),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What a scan of the whole registry found.
#[derive(Debug, Serialize)]
pub struct Scan {
    /// Live records scanned.
    pub patients: usize,
    /// Candidate pairs found (each pair once; those decided before are not asked again).
    pub pairs: usize,
}

/// Runs the duplicate search for every live record and queues the pairs found: the
/// on-demand check of the whole registry (`registry-server duplicates`; audited as
/// `registry.duplicate_scan` by `actor`).
///
/// # Errors
/// Database errors, a stored row that does not parse.
pub async fn scan(db: &Db, now: i64, actor: &db::audit::Actor<'_>) -> Result<Scan> {
    let mut after = String::new();
    let (mut patients, mut pairs) = (0, std::collections::BTreeSet::new());
    loop {
        let page = db::linkage::live_after(db, &after, 500).await?;
        let Some(last) = page.last() else { break };
        after = last.id.clone();
        let mut tx = db.pool.begin().await?;
        for row in &page {
            let found = candidates_in(db, &person_of(row)?, Some(&row.id)).await?;
            for c in &found {
                let (a, b) = db::linkage::ordered(&row.id, &c.patient_id);
                pairs.insert((a.to_string(), b.to_string()));
            }
            queue_found(&mut tx, &row.id, &found, now).await?;
        }
        tx.commit().await?;
        patients += page.len();
    }
    let mut tx = db.pool.begin().await?;
    db::audit::append(
        &mut tx,
        now,
        actor,
        "registry.duplicate_scan",
        "registry",
        "patients",
    )
    .await?;
    tx.commit().await?;
    Ok(Scan {
        patients,
        pairs: pairs.len(),
    })
}

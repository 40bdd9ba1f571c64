//! SQL for the registry's statistics: the tumours of a period with what the reports need of
//! their patients (no name, no identifier), the deaths of a period, the population of the
//! period and the whole registry for the CanReg5 export.

use futures_util::stream::BoxStream;
use sqlx::FromRow;

use super::Db;

/// A tumour as the statistics read it.
#[derive(Debug, Clone, FromRow)]
pub struct CaseRow {
    /// Tumour id.
    pub tumour_id: String,
    /// Patient id.
    pub patient_id: String,
    /// The tumour's current version.
    pub version: i64,
    /// Sex name.
    pub sex: String,
    /// Days since 1970-01-01.
    pub birth_date: i64,
    /// Region of residence.
    pub region: Option<String>,
    /// Days since 1970-01-01.
    pub incidence: i64,
    /// ICD-10.
    pub icd10: String,
    /// ICD-O-3 topography.
    pub topography: String,
    /// ICD-O-3 morphology.
    pub morphology: i64,
    /// ICD-O-3 behaviour.
    pub behaviour: i64,
    /// Grade.
    pub grade: Option<i64>,
    /// Basis of diagnosis.
    pub basis: i64,
    /// ICCC-3 subgroup as derived at entry.
    pub iccc: Option<String>,
    /// Stage group.
    pub stage_group: Option<String>,
    /// Multiple-primary decision of the current version.
    pub decision: Option<String>,
    /// The facility of the user who last wrote the tumour.
    pub facility_code: String,
    /// The earliest recorded date of death.
    pub death_date: Option<i64>,
    /// The latest date of last contact.
    pub last_contact: Option<i64>,
}

macro_rules! case_select {
    () => {
        "SELECT t.id AS tumour_id, t.patient_id, t.version, p.sex, p.birth_date, p.region, \
         t.incidence, t.icd10, t.topography, t.morphology, t.behaviour, t.grade, t.basis, \
         t.iccc, t.stage_group, tp.decision, COALESCE(u.facility_code, '') AS facility_code, \
         (SELECT MIN(f.death_date) FROM follow_ups f WHERE f.patient_id = t.patient_id \
            AND f.vital_status = 'dead') AS death_date, \
         (SELECT MAX(f.last_contact) FROM follow_ups f WHERE f.patient_id = t.patient_id) \
            AS last_contact \
         FROM tumours t JOIN patients p ON p.id = t.patient_id \
         LEFT JOIN tumour_primaries tp ON tp.tumour_id = t.id AND tp.version = t.version \
         LEFT JOIN users u ON u.id = t.updated_by \
         WHERE t.status = 'active' AND p.merged_into IS NULL "
    };
}

/// A tumour as the incidence, childhood and survival reports read it: only the columns they
/// count by (the quality report and the export read [`CaseRow`]).
#[derive(Debug, Clone, FromRow)]
pub struct FactRow {
    /// Sex name.
    pub sex: String,
    /// Days since 1970-01-01.
    pub birth_date: i64,
    /// Days since 1970-01-01.
    pub incidence: i64,
    /// ICD-10.
    pub icd10: String,
    /// ICD-O-3 topography.
    pub topography: String,
    /// ICD-O-3 morphology.
    pub morphology: i64,
    /// ICD-O-3 behaviour.
    pub behaviour: i64,
    /// Basis of diagnosis.
    pub basis: i64,
    /// Stage group.
    pub stage_group: Option<String>,
    /// Multiple-primary decision of the current version.
    pub decision: Option<String>,
    /// The earliest recorded date of death (read only with the outcome).
    pub death_date: Option<i64>,
    /// The latest date of last contact (read only with the outcome).
    pub last_contact: Option<i64>,
}

/// Which patients' tumours [`facts`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area<'a> {
    /// Every patient.
    Country,
    /// The patients living in this region.
    Region(&'a str),
    /// The patients whose region is not recorded.
    Unplaced,
}

/// The tumours of the period (days `from` to `to`) in `area`, with the follow-up outcome
/// (death, last contact) when `outcome` (the survival report), without otherwise.
///
/// # Errors
/// Database errors.
pub async fn facts(
    db: &Db,
    from: i64,
    to: i64,
    area: Area<'_>,
    outcome: bool,
) -> Result<Vec<FactRow>, sqlx::Error> {
    let sql = match (area, outcome) {
        (Area::Country, false) => FACTS,
        (Area::Country, true) => FACTS_OUTCOME,
        (Area::Region(_), false) => FACTS_IN,
        (Area::Region(_), true) => FACTS_OUTCOME_IN,
        (Area::Unplaced, false) => FACTS_UNPLACED,
        (Area::Unplaced, true) => FACTS_OUTCOME_UNPLACED,
    };
    let query = sqlx::query_as(sql).bind(from).bind(to);
    match area {
        Area::Region(region) => query.bind(region),
        _ => query,
    }
    .fetch_all(db.reader())
    .await
}

/// The active tumours of live records with incidence from day `from` to day `to`
/// (inclusive), of patients living in `region` (`None`: anywhere, or nowhere recorded).
///
/// # Errors
/// Database errors.
pub async fn cases(
    db: &Db,
    from: i64,
    to: i64,
    region: Option<&str>,
) -> Result<Vec<CaseRow>, sqlx::Error> {
    match region {
        None => sqlx::query_as(CASES).bind(from).bind(to),
        Some(region) => sqlx::query_as(CASES_IN).bind(from).bind(to).bind(region),
    }
    .fetch_all(db.reader())
    .await
}

/// How many active tumours of live records of the period have no region recorded (a
/// regional report counts them as not placed).
///
/// # Errors
/// Database errors.
pub async fn unplaced(db: &Db, from: i64, to: i64) -> Result<Vec<CaseRow>, sqlx::Error> {
    sqlx::query_as(CASES_UNPLACED)
        .bind(from)
        .bind(to)
        .fetch_all(db.reader())
        .await
}

/// The active tumours of the patients whose recorded death falls from day `from` to day
/// `to`, with the date of death (for the mortality:incidence ratio).
///
/// # Errors
/// Database errors.
pub async fn deaths(db: &Db, from: i64, to: i64) -> Result<Vec<CaseRow>, sqlx::Error> {
    sqlx::query_as(DEATHS)
        .bind(from)
        .bind(to)
        .fetch_all(db.reader())
        .await
}

/// Every active tumour of the live records, by patient and date of incidence (the CanReg5
/// export), as a stream.
pub fn every_case(db: &Db) -> BoxStream<'_, Result<CaseRow, sqlx::Error>> {
    sqlx::query_as(EVERY_CASE).fetch(db.reader())
}

/// One cell of the population.
#[derive(Debug, Clone, FromRow)]
pub struct PopulationRow {
    /// Calendar year.
    pub year: i64,
    /// Area.
    pub area: String,
    /// `male` or `female`.
    pub sex: String,
    /// 0 for 0-4 ... 17 for 85+.
    pub age_group: i64,
    /// Mid-year population.
    pub population: i64,
}

/// The population cells of the years `from` to `to`.
///
/// # Errors
/// Database errors.
pub async fn population(db: &Db, from: i64, to: i64) -> Result<Vec<PopulationRow>, sqlx::Error> {
    sqlx::query_as(POPULATION)
        .bind(from)
        .bind(to)
        .fetch_all(db.reader())
        .await
}

/// The areas of the population file, in order.
///
/// # Errors
/// Database errors.
pub async fn areas(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(AREAS).fetch_all(db.reader()).await
}

macro_rules! facts_select {
    ($outcome:expr) => {
        concat!(
            "SELECT p.sex, p.birth_date, t.incidence, t.icd10, t.topography, t.morphology, \
             t.behaviour, t.basis, t.stage_group, tp.decision, ",
            $outcome,
            " FROM tumours t JOIN patients p ON p.id = t.patient_id \
             LEFT JOIN tumour_primaries tp ON tp.tumour_id = t.id AND tp.version = t.version \
             WHERE t.status = 'active' AND p.merged_into IS NULL \
             AND t.incidence BETWEEN $1 AND $2 "
        )
    };
}
macro_rules! no_outcome {
    () => {
        "CAST(NULL AS BIGINT) AS death_date, CAST(NULL AS BIGINT) AS last_contact"
    };
}
macro_rules! outcome {
    () => {
        "(SELECT MIN(f.death_date) FROM follow_ups f WHERE f.patient_id = t.patient_id \
            AND f.vital_status = 'dead') AS death_date, \
         (SELECT MAX(f.last_contact) FROM follow_ups f WHERE f.patient_id = t.patient_id) \
            AS last_contact"
    };
}
/// `facts`, the country, no outcome.
const FACTS: &str = facts_select!(no_outcome!());
/// `facts`, the country, with the outcome.
const FACTS_OUTCOME: &str = facts_select!(outcome!());
/// `facts`, a region.
const FACTS_IN: &str = concat!(facts_select!(no_outcome!()), "AND p.region = $3");
/// `facts`, a region, with the outcome.
const FACTS_OUTCOME_IN: &str = concat!(facts_select!(outcome!()), "AND p.region = $3");
/// `facts`, no region recorded.
const FACTS_UNPLACED: &str = concat!(facts_select!(no_outcome!()), "AND p.region IS NULL");
/// `facts`, no region recorded, with the outcome.
const FACTS_OUTCOME_UNPLACED: &str = concat!(facts_select!(outcome!()), "AND p.region IS NULL");

/// `cases`.
const CASES: &str = concat!(case_select!(), "AND t.incidence BETWEEN $1 AND $2");
/// `cases` in a region.
const CASES_IN: &str = concat!(
    case_select!(),
    "AND t.incidence BETWEEN $1 AND $2 AND p.region = $3"
);
/// `unplaced`.
const CASES_UNPLACED: &str = concat!(
    case_select!(),
    "AND t.incidence BETWEEN $1 AND $2 AND p.region IS NULL"
);
/// `deaths`: the same columns, for the tumours of patients who died in the period.
const DEATHS: &str = concat!(
    case_select!(),
    "AND t.patient_id IN (SELECT g.patient_id FROM follow_ups g \
     WHERE g.vital_status = 'dead' AND g.death_date BETWEEN $1 AND $2)"
);
/// `every_case`.
const EVERY_CASE: &str = concat!(case_select!(), "ORDER BY t.patient_id, t.incidence, t.id");
/// `population`.
const POPULATION: &str = "SELECT year, area, sex, age_group, population FROM population \
    WHERE year BETWEEN $1 AND $2 ORDER BY year, area, sex, age_group";

/// `areas`.
const AREAS: &str = "SELECT DISTINCT area FROM population ORDER BY area";

/// Every statement of this module, by name, for the test that prepares them all.
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("db/stats.rs:facts", FACTS),
    ("db/stats.rs:facts_outcome", FACTS_OUTCOME),
    ("db/stats.rs:facts_in", FACTS_IN),
    ("db/stats.rs:facts_outcome_in", FACTS_OUTCOME_IN),
    ("db/stats.rs:facts_unplaced", FACTS_UNPLACED),
    ("db/stats.rs:facts_outcome_unplaced", FACTS_OUTCOME_UNPLACED),
    ("db/stats.rs:cases", CASES),
    ("db/stats.rs:cases_in", CASES_IN),
    ("db/stats.rs:cases_unplaced", CASES_UNPLACED),
    ("db/stats.rs:deaths", DEATHS),
    ("db/stats.rs:every_case", EVERY_CASE),
    ("db/stats.rs:population", POPULATION),
    ("db/stats.rs:areas", AREAS),
];

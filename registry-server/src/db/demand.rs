//! SQL for the demand report (issue #14): the active authorisations and where they are
//! served, the new cases of the past year by the facility that recorded them, the past
//! consumption and stock-out days per facility × medicine, and the stock on hand.
//! Aggregates and counts only: no name, identifier or patient id leaves these queries.

use sqlx::FromRow;

use super::Db;

/// An active authorisation with dispensings left, and the facility that serves it.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ActiveRow {
    /// WHO ATC code.
    pub atc: String,
    /// Strength as written on the authorisation.
    pub strength: String,
    /// Dose form.
    pub form: String,
    /// Units per dispensing.
    pub quantity: i64,
    /// Dispensings left.
    pub left_count: i64,
    /// Minimum days between dispensings.
    pub interval_days: i64,
    /// Last valid day, days since 1970-01-01.
    pub valid_until: i64,
    /// Last dispensing or administration, Unix seconds.
    pub last_dispensed_at: Option<i64>,
    /// Where it was last dispensed or administered, else the prescribing facility; none
    /// when neither is known.
    pub facility_code: Option<String>,
}

/// An authorisation handed out before a day `from`: its schedule as it stood on `from` and
/// what was handed out on it from then until `to` (the follow-through's window).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct PastRow {
    /// WHO ATC code.
    pub atc: String,
    /// Strength as written on the authorisation.
    pub strength: String,
    /// Dose form.
    pub form: String,
    /// Units per dispensing.
    pub quantity: i64,
    /// Dispensings left on `from`.
    pub left_count: i64,
    /// Minimum days between dispensings.
    pub interval_days: i64,
    /// Last valid day, days since 1970-01-01.
    pub valid_until: i64,
    /// The last hand-out before `from`, Unix seconds.
    pub last_before: i64,
    /// Units handed out from `from` until `to`.
    pub units_after: i64,
}

/// New cases of one kind recorded at one facility.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct NewCasesRow {
    /// The facility of the user who recorded the tumour.
    pub facility_code: String,
    /// ICD-10.
    pub icd10: String,
    /// ICD-O-3 morphology.
    pub morphology: i64,
    /// Stage group.
    pub stage_group: Option<String>,
    /// How many.
    pub cases: i64,
}

/// Units of one item handed out on one day at one facility.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct UsedRow {
    /// The facility.
    pub facility_code: String,
    /// WHO ATC code.
    pub atc: String,
    /// Strength as written.
    pub strength: String,
    /// Dose form.
    pub form: String,
    /// Day, days since 1970-01-01.
    pub day: i64,
    /// Units (for a stock-out day: 0).
    pub units: i64,
}

/// Stock on hand of one item.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct OnHandRow {
    /// The facility.
    pub facility_code: String,
    /// WHO ATC code.
    pub atc: String,
    /// Strength.
    pub strength: String,
    /// Dose form.
    pub form: String,
    /// On hand.
    pub on_hand: i64,
}

/// The active authorisations with dispensings left and valid on `today` (day number), of
/// patients with no death recorded (a recorded death stops dispensing).
///
/// # Errors
/// Database errors.
pub async fn active(db: &Db, today: i64) -> Result<Vec<ActiveRow>, sqlx::Error> {
    sqlx::query_as::<_, ActiveRow>(ACTIVE)
        .bind(today)
        .fetch_all(db.reader())
        .await
}

/// The authorisations handed out in the year before `from` (Unix seconds) and valid on it,
/// not withdrawn before it (a withdrawn one's `updated_at` is its withdrawal or later),
/// of patients whose death was not recorded before it,
/// each with its dispensings left and its last hand-out as they stood on `from`, and the
/// units handed out on it in `[from, to)`. The dispensings left then are those left now
/// plus the hand-outs since `from` (both doors count against `dispensed_count`).
///
/// Only the hand-outs since `from` are read by time; the last one before it is the
/// authorisation's `last_dispensed_at` when none came since (it is the latest of both
/// doors), else an index lookup on the authorisation (migration 0011).
///
/// # Errors
/// Database errors.
pub async fn past(db: &Db, from: i64, to: i64) -> Result<Vec<PastRow>, sqlx::Error> {
    let year_before = from - 365 * 86_400;
    let rows = sqlx::query_as::<_, PastQueryRow>(PAST)
        .bind(from)
        .bind(to)
        .bind(year_before)
        .bind(from.div_euclid(86_400))
        .fetch_all(db.reader())
        .await?;
    // The later of the two doors, and only authorisations handed out in the year before:
    // combined here, since a SQL wrapper made PostgreSQL evaluate each lookup three times.
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let last_before = r.d_before.max(r.a_before)?;
            (last_before >= year_before).then_some(PastRow {
                atc: r.atc,
                strength: r.strength,
                form: r.form,
                quantity: r.quantity,
                left_count: r.left_count,
                interval_days: r.interval_days,
                valid_until: r.valid_until,
                last_before,
                units_after: r.units_after,
            })
        })
        .collect())
}

/// A row of [`PAST`]: the last hand-out before `from` at each door.
#[derive(Debug, FromRow)]
struct PastQueryRow {
    atc: String,
    strength: String,
    form: String,
    quantity: i64,
    left_count: i64,
    interval_days: i64,
    valid_until: i64,
    d_before: Option<i64>,
    a_before: Option<i64>,
    units_after: i64,
}

/// Invasive primary tumours with incidence in `[from, to)` (day numbers), by recording
/// facility, site, morphology and stage.
///
/// # Errors
/// Database errors.
pub async fn new_cases(db: &Db, from: i64, to: i64) -> Result<Vec<NewCasesRow>, sqlx::Error> {
    sqlx::query_as::<_, NewCasesRow>(NEW_CASES)
        .bind(from)
        .bind(to)
        .fetch_all(db.reader())
        .await
}

/// Units dispensed and administered per facility × item × day in `[from, to)` (Unix
/// seconds).
///
/// # Errors
/// Database errors.
pub async fn used(db: &Db, from: i64, to: i64) -> Result<Vec<UsedRow>, sqlx::Error> {
    sqlx::query_as::<_, UsedRow>(USED)
        .bind(from)
        .bind(to)
        .fetch_all(db.reader())
        .await
}

/// The days with a recorded stock-out per facility × item in `[from, to)` (Unix seconds).
///
/// # Errors
/// Database errors.
pub async fn stockout_days(db: &Db, from: i64, to: i64) -> Result<Vec<UsedRow>, sqlx::Error> {
    sqlx::query_as::<_, UsedRow>(STOCKOUT_DAYS)
        .bind(from)
        .bind(to)
        .fetch_all(db.reader())
        .await
}

/// Stock on hand of every item at every facility.
///
/// # Errors
/// Database errors.
pub async fn on_hand(db: &Db) -> Result<Vec<OnHandRow>, sqlx::Error> {
    sqlx::query_as::<_, OnHandRow>(ON_HAND)
        .fetch_all(db.reader())
        .await
}

/// The facilities that keep stock in the registry.
///
/// # Errors
/// Database errors.
pub async fn keepers(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as(KEEPERS).fetch_all(db.reader()).await?;
    Ok(rows.into_iter().map(|(f,)| f).collect())
}

/// `keepers`.
const KEEPERS: &str = "SELECT facility_code FROM stock_facilities";
/// `active`.
const ACTIVE: &str = "SELECT m.atc, m.strength, m.form, m.quantity, \
     m.dispensings - m.dispensed_count AS left_count, m.interval_days, m.valid_until, \
     m.last_dispensed_at, COALESCE(\
       (SELECT d.facility_code FROM dispensings d WHERE d.authorisation_id = m.id \
        ORDER BY d.dispensed_at DESC, d.id DESC LIMIT 1), \
       (SELECT a.facility_code FROM administrations a WHERE a.authorisation_id = m.id \
        ORDER BY a.given_at DESC, a.id DESC LIMIT 1), \
       m.facility_code) AS facility_code \
     FROM medicine_authorisations m \
     WHERE m.status = 'active' AND m.dispensed_count < m.dispensings AND m.valid_until >= $1 \
     AND NOT EXISTS (SELECT 1 FROM follow_ups f WHERE f.patient_id = m.patient_id \
                     AND f.vital_status = 'dead')";
/// `past`.
const PAST: &str = "SELECT m.atc, m.strength, m.form, m.quantity, \
     m.dispensings - m.dispensed_count + COALESCE(h.count_after, 0) AS left_count, \
     m.interval_days, m.valid_until, \
     CASE WHEN h.authorisation_id IS NULL THEN m.last_dispensed_at ELSE \
       (SELECT MAX(d.dispensed_at) FROM dispensings d \
        WHERE d.authorisation_id = m.id AND d.dispensed_at < $1) END AS d_before, \
     CASE WHEN h.authorisation_id IS NULL THEN NULL ELSE \
       (SELECT MAX(a.given_at) FROM administrations a \
        WHERE a.authorisation_id = m.id AND a.given_at < $1) END AS a_before, \
     COALESCE(h.units_after, 0) AS units_after \
     FROM medicine_authorisations m LEFT JOIN (\
       SELECT authorisation_id, CAST(COUNT(*) AS BIGINT) AS count_after, \
       CAST(SUM(CASE WHEN at < $2 THEN units ELSE 0 END) AS BIGINT) AS units_after \
       FROM (SELECT authorisation_id, dispensed_at AS at, quantity AS units \
             FROM dispensings WHERE dispensed_at >= $1 \
             UNION ALL SELECT authorisation_id, given_at, quantity FROM administrations \
             WHERE given_at >= $1) x \
       GROUP BY authorisation_id) h ON h.authorisation_id = m.id \
     WHERE m.last_dispensed_at >= $3 AND m.valid_until >= $4 \
     AND (m.status = 'active' OR m.updated_at >= $1) \
     AND NOT EXISTS (SELECT 1 FROM follow_ups f WHERE f.patient_id = m.patient_id \
                     AND f.vital_status = 'dead' AND f.recorded_at < $1)";
/// `new_cases`: the current version's multiple-primary decision must not be `duplicate`.
const NEW_CASES: &str = "SELECT u.facility_code, t.icd10, t.morphology, t.stage_group, \
     COUNT(*) AS cases FROM tumours t JOIN users u ON u.id = t.updated_by \
     JOIN patients p ON p.id = t.patient_id \
     LEFT JOIN tumour_primaries r ON r.tumour_id = t.id AND r.version = t.version \
     WHERE t.status = 'active' AND p.merged_into IS NULL AND t.behaviour = 3 \
     AND t.incidence >= $1 AND t.incidence < $2 \
     AND (r.decision IS NULL OR r.decision <> 'duplicate') \
     GROUP BY u.facility_code, t.icd10, t.morphology, t.stage_group";
/// `used`.
const USED: &str = "SELECT facility_code, atc, strength, form, day, \
     CAST(SUM(units) AS BIGINT) AS units FROM (\
       SELECT d.facility_code, m.atc, m.strength, m.form, d.dispensed_at / 86400 AS day, \
       d.quantity AS units FROM dispensings d \
       JOIN medicine_authorisations m ON m.id = d.authorisation_id \
       WHERE d.dispensed_at >= $1 AND d.dispensed_at < $2 \
       UNION ALL \
       SELECT a.facility_code, m.atc, m.strength, m.form, a.given_at / 86400 AS day, \
       a.quantity AS units FROM administrations a \
       JOIN medicine_authorisations m ON m.id = a.authorisation_id \
       WHERE a.given_at >= $1 AND a.given_at < $2) u \
     GROUP BY facility_code, atc, strength, form, day";
/// `stockout_days`.
const STOCKOUT_DAYS: &str = "SELECT facility_code, atc, strength, form, at / 86400 AS day, \
     CAST(0 AS BIGINT) AS units FROM stock_outs WHERE at >= $1 AND at < $2 \
     GROUP BY facility_code, atc, strength, form, at / 86400";
/// `on_hand`.
const ON_HAND: &str = "SELECT facility_code, atc, strength, form, on_hand FROM stock_items";

/// Every fixed statement of this module, by name, for the test that prepares them all.
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("db/demand.rs:active", ACTIVE),
    ("db/demand.rs:past", PAST),
    ("db/demand.rs:new_cases", NEW_CASES),
    ("db/demand.rs:used", USED),
    ("db/demand.rs:stockout_days", STOCKOUT_DAYS),
    ("db/demand.rs:on_hand", ON_HAND),
    ("db/demand.rs:keepers", KEEPERS),
];

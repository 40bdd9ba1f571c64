//! SQL for the watch on unjustified disbursement (issue #14). Each query returns the ids an
//! inspector needs to follow a row to its records and audit entries: dispensing,
//! authorisation and facility ids, never a name or an identifier.

use sqlx::FromRow;

use super::Db;

/// Two dispensings of one patient's medicine (same ATC code) at two facilities, the second
/// less than the interval after the first.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct TwoPharmaciesRow {
    /// WHO ATC code.
    pub atc: String,
    /// The first dispensing.
    pub first_id: String,
    /// Its authorisation.
    pub first_authorisation: i64,
    /// Its facility.
    pub first_facility: String,
    /// When, Unix seconds.
    pub first_at: i64,
    /// The second dispensing.
    pub second_id: String,
    /// Its authorisation.
    pub second_authorisation: i64,
    /// Its facility.
    pub second_facility: String,
    /// When.
    pub second_at: i64,
}

/// A facility × medicine that handed out more than it took in.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct OverdrawnRow {
    /// The facility.
    pub facility_code: String,
    /// WHO ATC code.
    pub atc: String,
    /// Strength.
    pub strength: String,
    /// Dose form.
    pub form: String,
    /// Units received: receipts, transfers in, stock found by counts and adjustments.
    pub taken_in: i64,
    /// Units dispensed and administered, drawn or short.
    pub handed_out: i64,
    /// Of those, units not on the books (offline dispensings synced short).
    pub short: i64,
}

/// A dispensing dated before the card it was made on was issued.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct BeforeCardRow {
    /// The dispensing.
    pub id: String,
    /// Its authorisation.
    pub authorisation_id: i64,
    /// The facility.
    pub facility_code: String,
    /// When it says it was handed out.
    pub dispensed_at: i64,
    /// When the card was issued.
    pub card_issued_at: i64,
    /// When the authorisation was first recorded (its first version), if it is later.
    pub authorised_at: Option<i64>,
}

/// A facility's dispensings and those recorded offline in conflict with a rule.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct OverrideRow {
    /// The facility.
    pub facility_code: String,
    /// Dispensings recorded.
    pub dispensings: i64,
    /// Of those, offline dispensings recorded in conflict with a rule.
    pub conflicts: i64,
    /// Dispensings and administrations refused `out_of_stock`.
    pub stock_refusals: i64,
}

/// A facility's dispensings refused online, by the audit entries of the refusals.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct RefusalRow {
    /// The facility of the pharmacist refused.
    pub facility_code: String,
    /// Refusals.
    pub refusals: i64,
}

/// A correction of an authorisation followed by a dispensing of it within the window: the
/// version corrected and the one after it, as stored.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct RaisedRow {
    /// The authorisation.
    pub authorisation_id: i64,
    /// The version corrected.
    pub version: i64,
    /// Its data (JSON), as `record_history` keeps it.
    pub before: String,
    /// The next version's data, when it was corrected again (else the current row is it).
    pub after: Option<String>,
    /// The current row's quantity per dispensing.
    pub quantity: i64,
    /// The current row's number of dispensings.
    pub dispensings: i64,
    /// When corrected, Unix seconds.
    pub corrected_at: i64,
    /// By whom (user id).
    pub corrected_by: String,
    /// The dispensing that followed.
    pub dispensing_id: String,
    /// Where.
    pub facility_code: String,
    /// When, Unix seconds.
    pub dispensed_at: i64,
}

/// An audit entry behind a row.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct AuditRef {
    /// Its authorisation.
    pub entity_id: String,
    /// The entry's number in the chain.
    pub seq: i64,
    /// What it records.
    pub action: String,
}

/// Pairs of [`TwoPharmaciesRow`] since `since`, at most `interval` seconds apart.
///
/// # Errors
/// Database errors.
pub async fn two_pharmacies(
    db: &Db,
    since: i64,
    interval: i64,
) -> Result<Vec<TwoPharmaciesRow>, sqlx::Error> {
    sqlx::query_as::<_, TwoPharmaciesRow>(TWO_PHARMACIES)
        .bind(since)
        .bind(interval)
        .fetch_all(db.reader())
        .await
}

/// Facilities that keep stock and handed out more of a medicine than they took in.
///
/// # Errors
/// Database errors.
pub async fn overdrawn(db: &Db) -> Result<Vec<OverdrawnRow>, sqlx::Error> {
    sqlx::query_as::<_, OverdrawnRow>(OVERDRAWN)
        .fetch_all(db.reader())
        .await
}

/// Dispensings since `since` dated before their card's issue.
///
/// # Errors
/// Database errors.
pub async fn before_card(db: &Db, since: i64) -> Result<Vec<BeforeCardRow>, sqlx::Error> {
    sqlx::query_as::<_, BeforeCardRow>(BEFORE_CARD)
        .bind(since)
        .fetch_all(db.reader())
        .await
}

/// Each facility's dispensings, conflicts and stock refusals since `since`.
///
/// # Errors
/// Database errors.
pub async fn overrides(db: &Db, since: i64) -> Result<Vec<OverrideRow>, sqlx::Error> {
    sqlx::query_as::<_, OverrideRow>(OVERRIDES)
        .bind(since)
        .fetch_all(db.reader())
        .await
}

/// Each facility's dispensings refused online since `since` (`dispensing.refused.*`).
///
/// # Errors
/// Database errors.
pub async fn refusals(db: &Db, since: i64) -> Result<Vec<RefusalRow>, sqlx::Error> {
    sqlx::query_as::<_, RefusalRow>(REFUSALS)
        .bind(since)
        .fetch_all(db.reader())
        .await
}

/// Corrections of authorisations since `since` followed within `window` seconds by a
/// dispensing of the authorisation.
///
/// # Errors
/// Database errors.
pub async fn raised(db: &Db, since: i64, window: i64) -> Result<Vec<RaisedRow>, sqlx::Error> {
    sqlx::query_as::<_, RaisedRow>(RAISED)
        .bind(since)
        .bind(window)
        .fetch_all(db.reader())
        .await
}

/// The dispensing, administration and correction audit entries of the authorisations `ids` since
/// `since` (ids joined by commas, as the audit log keeps them: text).
///
/// # Errors
/// Database errors.
pub async fn audit_of(db: &Db, ids: &[String], since: i64) -> Result<Vec<AuditRef>, sqlx::Error> {
    let mut out = Vec::new();
    for chunk in ids.chunks(200) {
        let list = chunk.join(",");
        let rows = sqlx::query_as::<_, AuditRef>(AUDIT_OF)
            .bind(list)
            .bind(since)
            .fetch_all(db.reader())
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// `two_pharmacies`.
const TWO_PHARMACIES: &str = "SELECT m1.atc, d1.id AS first_id, \
     d1.authorisation_id AS first_authorisation, d1.facility_code AS first_facility, \
     d1.dispensed_at AS first_at, d2.id AS second_id, \
     d2.authorisation_id AS second_authorisation, d2.facility_code AS second_facility, \
     d2.dispensed_at AS second_at \
     FROM dispensings d1 \
     JOIN medicine_authorisations m1 ON m1.id = d1.authorisation_id \
     JOIN medicine_authorisations m2 ON m2.patient_id = m1.patient_id AND m2.atc = m1.atc \
     JOIN dispensings d2 ON d2.authorisation_id = m2.id \
       AND d2.facility_code <> d1.facility_code \
       AND (d2.dispensed_at > d1.dispensed_at \
            OR (d2.dispensed_at = d1.dispensed_at AND d2.id > d1.id)) \
       AND d2.dispensed_at < d1.dispensed_at + $2 \
     WHERE d1.dispensed_at >= $1 \
     ORDER BY d1.dispensed_at DESC, d1.id LIMIT 1000";
/// `overdrawn`: from the ledger of the facilities that keep stock.
const OVERDRAWN: &str = "SELECT l.facility_code, l.atc, l.strength, l.form, \
     CAST(SUM(CASE WHEN l.quantity > 0 AND l.movement IN ('receipt', 'transfer_in', 'count', \
       'adjustment') THEN l.quantity ELSE 0 END) AS BIGINT) AS taken_in, \
     CAST(SUM(CASE WHEN l.movement IN ('dispensing', 'administration') THEN -l.quantity \
       ELSE 0 END) + COALESCE((SELECT SUM(s.wanted - s.available) FROM stock_outs s \
       WHERE s.facility_code = l.facility_code AND s.atc = l.atc \
       AND s.strength = l.strength AND s.form = l.form AND s.kind = 'shortfall'), 0) \
       AS BIGINT) AS handed_out, \
     CAST(COALESCE((SELECT SUM(s.wanted - s.available) FROM stock_outs s \
       WHERE s.facility_code = l.facility_code AND s.atc = l.atc \
       AND s.strength = l.strength AND s.form = l.form AND s.kind = 'shortfall'), 0) \
       AS BIGINT) AS short \
     FROM stock_ledger l GROUP BY l.facility_code, l.atc, l.strength, l.form";
/// `before_card`.
const BEFORE_CARD: &str = "SELECT d.id, d.authorisation_id, d.facility_code, d.dispensed_at, \
     c.issued_at AS card_issued_at, \
     CASE WHEN m.version = 1 AND m.updated_at > d.dispensed_at THEN m.updated_at END \
       AS authorised_at \
     FROM dispensings d JOIN cards c ON c.serial = d.card_serial \
     JOIN medicine_authorisations m ON m.id = d.authorisation_id \
     WHERE d.dispensed_at >= $1 AND (d.dispensed_at < c.issued_at \
       OR (m.version = 1 AND d.dispensed_at < m.updated_at)) \
     ORDER BY d.dispensed_at DESC LIMIT 1000";
/// `overrides`.
const OVERRIDES: &str = "SELECT f.code AS facility_code, \
     (SELECT COUNT(*) FROM dispensings d WHERE d.facility_code = f.code \
       AND d.received_at >= $1) AS dispensings, \
     (SELECT COUNT(*) FROM dispensings d WHERE d.facility_code = f.code \
       AND d.received_at >= $1 AND d.conflict IS NOT NULL) AS conflicts, \
     (SELECT COUNT(*) FROM stock_outs s WHERE s.facility_code = f.code AND s.at >= $1 \
       AND s.kind = 'refused') AS stock_refusals \
     FROM facilities f ORDER BY f.code";
/// `refusals`: one pass over the audit log since `since`.
const REFUSALS: &str = "SELECT facility_code, COUNT(*) AS refusals FROM audit_log \
     WHERE at >= $1 AND action LIKE 'dispensing.refused.%' GROUP BY facility_code";
/// `raised`: a withdrawal's history row has no quantity and is skipped by the caller.
const RAISED: &str = "SELECT m.id AS authorisation_id, h.version, h.data AS before, \
     n.data AS after, m.quantity, m.dispensings, h.changed_at AS corrected_at, \
     h.changed_by AS corrected_by, d.id AS dispensing_id, d.facility_code, d.dispensed_at \
     FROM record_history h \
     JOIN medicine_authorisations m ON CAST(m.id AS TEXT) = h.record_id \
     LEFT JOIN record_history n ON n.table_name = h.table_name \
       AND n.record_id = h.record_id AND n.version = h.version + 1 \
     JOIN dispensings d ON d.authorisation_id = m.id AND d.dispensed_at >= h.changed_at \
       AND d.dispensed_at < h.changed_at + $2 \
     WHERE h.table_name = 'medicine_authorisations' AND h.changed_at >= $1 \
     ORDER BY h.changed_at DESC, d.dispensed_at, d.id LIMIT 1000";
/// `audit_of`: the ids are matched as a comma-separated list.
const AUDIT_OF: &str = "SELECT entity_id, seq, action FROM audit_log \
     WHERE entity_type = 'authorisation' AND at >= $2 \
     AND (action LIKE 'dispensing.record%' OR action = 'administration.record' \
       OR action = 'authorisation.correct') \
     AND (',' || $1 || ',') LIKE ('%,' || entity_id || ',%') ORDER BY seq";

/// Every fixed statement of this module, by name, for the test that prepares them all.
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("db/watch.rs:two_pharmacies", TWO_PHARMACIES),
    ("db/watch.rs:overdrawn", OVERDRAWN),
    ("db/watch.rs:before_card", BEFORE_CARD),
    ("db/watch.rs:overrides", OVERRIDES),
    ("db/watch.rs:refusals", REFUSALS),
    ("db/watch.rs:raised", RAISED),
    ("db/watch.rs:audit_of", AUDIT_OF),
];

//! SQL for patients, their name search keys, and the history of corrections.

use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::{AnyConnection, FromRow};

use super::Db;
use crate::patient::PatientData;

/// A patient row.
#[derive(Debug, Clone, FromRow)]
pub struct PatientRow {
    /// Registry id.
    pub id: String,
    /// Identifier scheme (`national`, `passport`...).
    pub id_type: String,
    /// Identifier value.
    pub id_value: String,
    /// JSON array of Arabic name parts.
    pub name_ar: String,
    /// JSON array of Latin name parts.
    pub name_latin: String,
    /// Sex name.
    pub sex: String,
    /// Days since 1970-01-01.
    pub birth_date: i64,
    /// Blood group label.
    pub blood_group: Option<String>,
    /// Municipality.
    pub municipality: Option<String>,
    /// Region of residence.
    pub region: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Insurance scheme code.
    pub insurance_scheme: Option<String>,
    /// Insurance member id.
    pub insurance_member_id: Option<String>,
    /// Version, from 1; each correction adds one.
    pub version: i64,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
    /// User id of the last change.
    pub updated_by: String,
    /// The patient this record was merged into, if it was.
    pub merged_into: Option<String>,
}

macro_rules! columns {
    () => {
        "id, id_type, id_value, name_ar, name_latin, sex, birth_date, blood_group, \
    municipality, phone, insurance_scheme, insurance_member_id, version, created_at, updated_at, \
    updated_by, merged_into, region"
    };
}

/// A serde enum's name (`"national"`, `"A+"`).
pub(crate) fn enum_name<T: Serialize + std::fmt::Debug>(value: &T) -> Result<String, sqlx::Error> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        _ => Err(sqlx::Error::Encode(
            format!("{value:?} has no stored name").into(),
        )),
    }
}

/// A stored day number (days since 1970-01-01) as a date; out of range is an error, never a
/// default.
pub(crate) fn date_from(days: i64) -> Result<card_format::model::Date, sqlx::Error> {
    i32::try_from(days)
        .map(card_format::model::Date)
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// The enum for a stored name.
pub(crate) fn enum_from<T: DeserializeOwned>(name: &str) -> Result<T, sqlx::Error> {
    serde_json::from_value(serde_json::Value::String(name.to_string()))
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

impl PatientRow {
    /// The stored data, parsed back.
    ///
    /// # Errors
    /// A row that does not parse ([`sqlx::Error::Decode`]).
    pub fn data(&self) -> Result<PatientData, sqlx::Error> {
        let decode = |e: serde_json::Error| sqlx::Error::Decode(Box::new(e));
        Ok(PatientData {
            id: card_format::model::PatientId {
                kind: enum_from(&self.id_type)?,
                value: self.id_value.clone(),
            },
            name_ar: serde_json::from_str(&self.name_ar).map_err(decode)?,
            name_latin: serde_json::from_str(&self.name_latin).map_err(decode)?,
            sex: enum_from(&self.sex)?,
            birth_date: date_from(self.birth_date)?,
            blood_group: self.blood_group.as_deref().map(enum_from).transpose()?,
            municipality: self.municipality.clone(),
            region: self.region.clone(),
            phone: self.phone.clone(),
            insurance: match (&self.insurance_scheme, &self.insurance_member_id) {
                (Some(scheme), Some(member_id)) => Some(card_format::model::Insurance {
                    scheme: scheme.clone(),
                    member_id: member_id.clone(),
                }),
                _ => None,
            },
        })
    }
}

/// Binds the patient's data, in the order of the table's data columns (`id_type` to
/// `insurance_member_id`, then `region`), after whatever `query` has bound already.
pub(crate) fn bind_data<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    d: &'q PatientData,
) -> Result<sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>, sqlx::Error> {
    Ok(query
        .bind(enum_name(&d.id.kind)?)
        .bind(&d.id.value)
        .bind(json(&d.name_ar)?)
        .bind(json(&d.name_latin)?)
        .bind(enum_name(&d.sex)?)
        .bind(i64::from(d.birth_date.0))
        .bind(d.blood_group.as_ref().map(enum_name).transpose()?)
        .bind(d.municipality.as_deref())
        .bind(d.phone.as_deref())
        .bind(d.insurance.as_ref().map(|i| i.scheme.clone()))
        .bind(d.insurance.as_ref().map(|i| i.member_id.clone()))
        .bind(d.region.as_deref()))
}

fn json(parts: &[String]) -> Result<String, sqlx::Error> {
    serde_json::to_string(parts).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}

/// Inserts a patient (version 1) and its name keys.
///
/// # Errors
/// A duplicate identifier (unique violation) or other database errors.
pub async fn insert(
    conn: &mut AnyConnection,
    id: &str,
    d: &PatientData,
    keys: &[String],
    now: i64,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    bind_data(sqlx::query(INSERT).bind(id), d)?
        .bind(now)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    replace_keys(conn, id, keys).await
}

async fn replace_keys(
    conn: &mut AnyConnection,
    id: &str,
    keys: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query(REPLACE_KEYS)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let mut unique: Vec<&String> = keys.iter().collect();
    unique.sort();
    unique.dedup();
    for key in unique {
        sqlx::query(REPLACE_KEYS_2)
            .bind(key)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Replaces a patient's data if it is still at `expected_version`, keeping the previous
/// version in `record_history`. Returns false when the version moved on (a concurrent edit).
///
/// # Errors
/// A duplicate identifier (unique violation) or other database errors.
#[allow(clippy::too_many_arguments)]
pub async fn update(
    conn: &mut AnyConnection,
    id: &str,
    expected_version: i64,
    d: &PatientData,
    keys: &[String],
    reason: &str,
    now: i64,
    user_id: &str,
) -> Result<bool, sqlx::Error> {
    let Some(old) = get_in(&mut *conn, id).await? else {
        return Ok(false);
    };
    if old.version != expected_version {
        return Ok(false);
    }
    let snapshot =
        serde_json::to_string(&old.data()?).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    insert_history(
        &mut *conn,
        "patients",
        id,
        old.version,
        &snapshot,
        reason,
        now,
        user_id,
    )
    .await?;
    let done = bind_data(sqlx::query(UPDATE), d)?
        .bind(now)
        .bind(user_id)
        .bind(id)
        .bind(expected_version)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    replace_keys(conn, id, keys).await?;
    Ok(true)
}

/// Records the previous version of a row before it changes.
///
/// # Errors
/// A version already recorded (unique violation) or other database errors.
#[allow(clippy::too_many_arguments)]
pub async fn insert_history(
    conn: &mut AnyConnection,
    table: &str,
    record_id: &str,
    version: i64,
    data_json: &str,
    reason: &str,
    now: i64,
    user_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(INSERT_HISTORY)
        .bind(table)
        .bind(record_id)
        .bind(version)
        .bind(data_json)
        .bind(reason)
        .bind(now)
        .bind(user_id)
        .execute(conn)
        .await
        .map(|_| ())
}

/// One entry of a record's history.
#[derive(Debug, Clone, FromRow, Serialize, utoipa::ToSchema)]
pub struct HistoryRow {
    /// The version this data was.
    pub version: i64,
    /// JSON of the record at that version.
    pub data: String,
    /// Why it was changed.
    pub reason: Option<String>,
    /// When it was replaced.
    pub changed_at: i64,
    /// Who replaced it.
    pub changed_by: String,
}

/// The earlier versions of a record, oldest first.
///
/// # Errors
/// Database errors.
pub async fn history(
    db: &Db,
    table: &str,
    record_id: &str,
) -> Result<Vec<HistoryRow>, sqlx::Error> {
    sqlx::query_as::<_, HistoryRow>(HISTORY)
        .bind(table)
        .bind(record_id)
        .fetch_all(db.reader())
        .await
}

async fn get_in(conn: &mut AnyConnection, id: &str) -> Result<Option<PatientRow>, sqlx::Error> {
    sqlx::query_as::<_, PatientRow>(GET_IN)
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// A patient by registry id.
///
/// # Errors
/// Database errors.
pub async fn get(db: &Db, id: &str) -> Result<Option<PatientRow>, sqlx::Error> {
    sqlx::query_as::<_, PatientRow>(GET)
        .bind(id)
        .fetch_optional(db.reader())
        .await
}

/// A patient by identifier (scheme and ASCII value).
///
/// # Errors
/// Database errors.
pub async fn find_by_identifier(
    db: &Db,
    id_type: &str,
    id_value: &str,
) -> Result<Option<PatientRow>, sqlx::Error> {
    sqlx::query_as::<_, PatientRow>(FIND_BY_IDENTIFIER)
        .bind(id_type)
        .bind(id_value)
        .fetch_optional(db.reader())
        .await
}

/// The patients whose identifier is of scheme `id_type` and one of `values` (through the
/// unique identifier index), at most `db::MANY_ROWS` values per statement.
///
/// # Errors
/// Database errors.
pub async fn find_by_values(
    db: &Db,
    id_type: &str,
    values: &[&str],
) -> Result<Vec<PatientRow>, sqlx::Error> {
    let mut out = Vec::new();
    for chunk in values.chunks(super::MANY_ROWS) {
        let sql = find_by_values_sql(chunk.len());
        let mut query = sqlx::query_as::<_, PatientRow>(&sql).bind(id_type);
        for v in chunk {
            query = query.bind(*v);
        }
        out.extend(query.fetch_all(db.reader()).await?);
    }
    Ok(out)
}

/// `find_by_values` for `n` values.
pub(crate) fn find_by_values_sql(n: usize) -> String {
    let marks: Vec<String> = (2..=n.max(1) + 1).map(|i| format!("${i}")).collect();
    format!(
        concat!(
            "SELECT ",
            columns!(),
            " FROM patients WHERE id_type = $1 AND id_value IN ({})"
        ),
        marks.join(", ")
    )
}

/// Patients having every one of `keys` (merged records left out), by id, after the cursor `after`, at most `limit`.
///
/// The longest key drives the join: longer names are rarer, so the scan stays short even when
/// another key is "محمد".
///
/// # Errors
/// Database errors.
pub async fn search(
    db: &Db,
    keys: &[String],
    after: &str,
    limit: i64,
) -> Result<Vec<PatientRow>, sqlx::Error> {
    let mut keys: Vec<&String> = keys.iter().collect();
    keys.sort_by_key(|k| std::cmp::Reverse(k.chars().count()));
    keys.dedup();
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let sql = search_sql(keys.len());
    let mut query = sqlx::query_as::<_, PatientRow>(&sql);
    for key in &keys {
        query = query.bind(key.as_str());
    }
    query.bind(after).bind(limit).fetch_all(db.reader()).await
}

/// `insert`.
pub(crate) const INSERT: &str =
    "INSERT INTO patients (id, id_type, id_value, name_ar, name_latin, sex, birth_date, \
         blood_group, municipality, phone, insurance_scheme, insurance_member_id, region, \
         version, created_at, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 1, $14, $14, $15)";
/// `replace_keys`.
const REPLACE_KEYS: &str = "DELETE FROM patient_name_keys WHERE patient_id = $1";
/// `replace_keys`.
pub(crate) const REPLACE_KEYS_2: &str =
    "INSERT INTO patient_name_keys (name_key, patient_id) VALUES ($1, $2)";
/// `update`.
const UPDATE: &str =
    "UPDATE patients SET id_type = $1, id_value = $2, name_ar = $3, name_latin = $4, \
         sex = $5, birth_date = $6, blood_group = $7, municipality = $8, phone = $9, \
         insurance_scheme = $10, insurance_member_id = $11, region = $12, version = version + 1, \
         updated_at = $13, updated_by = $14 WHERE id = $15 AND version = $16";
/// `insert_history`.
const INSERT_HISTORY: &str =
    "INSERT INTO record_history (table_name, record_id, version, data, reason, changed_at, \
         changed_by) VALUES ($1, $2, $3, $4, $5, $6, $7)";
/// `history`.
const HISTORY: &str = "SELECT version, data, reason, changed_at, changed_by FROM record_history \
         WHERE table_name = $1 AND record_id = $2 ORDER BY version";

/// `get_in`.
const GET_IN: &str = concat!("SELECT ", columns!(), " FROM patients WHERE id = $1");
/// `get`.
const GET: &str = concat!("SELECT ", columns!(), " FROM patients WHERE id = $1");
/// `find_by_identifier`.
const FIND_BY_IDENTIFIER: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM patients WHERE id_type = $1 AND id_value = $2"
);

/// The name search for `n` keys (one join per key after the first).
fn search_sql(n: usize) -> String {
    let mut sql = String::from(
        "SELECT p.id, p.id_type, p.id_value, p.name_ar, p.name_latin, p.sex, \
        p.birth_date, p.blood_group, p.municipality, p.phone, p.insurance_scheme, \
        p.insurance_member_id, p.version, p.created_at, p.updated_at, p.updated_by, \
        p.merged_into, p.region FROM patient_name_keys k0",
    );
    for i in 1..n {
        sql.push_str(&format!(
            " JOIN patient_name_keys k{i} ON k{i}.patient_id = k0.patient_id AND k{i}.name_key = ${}",
            i + 1
        ));
    }
    sql.push_str(&format!(
        " JOIN patients p ON p.id = k0.patient_id WHERE k0.name_key = $1 AND k0.patient_id > ${} \
         AND p.merged_into IS NULL ORDER BY k0.patient_id LIMIT ${}",
        n + 1,
        n + 2
    ));
    sql
}

/// The name searches of one and of three keys, for the test that prepares every statement.
pub(crate) fn search_statements() -> Vec<(String, String)> {
    [1, 3]
        .into_iter()
        .map(|n| (format!("db/patients.rs:search of {n} keys"), search_sql(n)))
        .collect()
}

/// Every fixed statement of this module, by name, for the test that prepares them all.
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("db/patients.rs:get_in", GET_IN),
    ("db/patients.rs:get", GET),
    ("db/patients.rs:find_by_identifier", FIND_BY_IDENTIFIER),
    ("db/patients.rs:insert", INSERT),
    ("db/patients.rs:replace_keys", REPLACE_KEYS),
    ("db/patients.rs:replace_keys", REPLACE_KEYS_2),
    ("db/patients.rs:update", UPDATE),
    ("db/patients.rs:insert_history", INSERT_HISTORY),
    ("db/patients.rs:history", HISTORY),
];

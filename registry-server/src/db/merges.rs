//! SQL for merges of two records of one patient (`patient_merges`), the rows a merge moves
//! and an unmerge moves back, and the merged record's mark (`patients.merged_into`).

use sqlx::{AnyConnection, FromRow};

use super::Db;

/// A merge as stored.
#[derive(Debug, Clone, FromRow)]
pub struct MergeRow {
    /// Merge id.
    pub id: String,
    /// The record kept.
    pub survivor_id: String,
    /// The record merged into it.
    pub merged_id: String,
    /// Why (the registrar's words).
    pub reason: String,
    /// JSON object: table name to the keys of the rows moved.
    pub moved: String,
    /// Unix seconds.
    pub merged_at: i64,
    /// User id.
    pub merged_by: String,
    /// Unix seconds, once undone.
    pub unmerged_at: Option<i64>,
    /// User id of the auditor who undid it.
    pub unmerged_by: Option<String>,
    /// Why it was undone.
    pub unmerge_reason: Option<String>,
}

/// Stores a merge.
///
/// # Errors
/// Database errors.
pub async fn insert_merge(conn: &mut AnyConnection, m: &MergeRow) -> Result<(), sqlx::Error> {
    sqlx::query(INSERT_MERGE)
        .bind(&m.id)
        .bind(&m.survivor_id)
        .bind(&m.merged_id)
        .bind(&m.reason)
        .bind(&m.moved)
        .bind(m.merged_at)
        .bind(&m.merged_by)
        .execute(conn)
        .await?;
    Ok(())
}

/// A merge by id, in the caller's transaction.
///
/// # Errors
/// Database errors.
pub async fn merge_in(conn: &mut AnyConnection, id: &str) -> Result<Option<MergeRow>, sqlx::Error> {
    sqlx::query_as(MERGE).bind(id).fetch_optional(conn).await
}

/// A merge by id.
///
/// # Errors
/// Database errors.
pub async fn merge(db: &Db, id: &str) -> Result<Option<MergeRow>, sqlx::Error> {
    sqlx::query_as(MERGE)
        .bind(id)
        .fetch_optional(db.reader())
        .await
}

/// The latest merges, newest first, at most `limit`.
///
/// # Errors
/// Database errors.
pub async fn merges(db: &Db, limit: i64) -> Result<Vec<MergeRow>, sqlx::Error> {
    sqlx::query_as(MERGES)
        .bind(limit)
        .fetch_all(db.reader())
        .await
}

/// The merges a patient took part in (as survivor or as merged), newest first.
///
/// # Errors
/// Database errors.
pub async fn merges_of(db: &Db, patient_id: &str) -> Result<Vec<MergeRow>, sqlx::Error> {
    sqlx::query_as(MERGES_OF)
        .bind(patient_id)
        .fetch_all(db.reader())
        .await
}

/// Marks a merge undone; false if it already was.
///
/// # Errors
/// Database errors.
pub async fn mark_unmerged(
    conn: &mut AnyConnection,
    id: &str,
    now: i64,
    user_id: &str,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(MARK_UNMERGED)
        .bind(now)
        .bind(user_id)
        .bind(reason)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets (or, with `None`, clears) the record a patient was merged into, if it is still
/// `expected`; false otherwise (a concurrent merge).
///
/// # Errors
/// Database errors.
pub async fn set_merged_into(
    conn: &mut AnyConnection,
    patient_id: &str,
    merged_into: Option<&str>,
    expected: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(SET_MERGED_INTO)
        .bind(merged_into)
        .bind(patient_id)
        .bind(expected)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// A table whose rows belong to a patient, and which a merge moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Movable {
    /// The table's name (the key of [`MergeRow::moved`]).
    pub table: &'static str,
    keys: &'static str,
    move_one: &'static str,
    integer_key: bool,
}

/// Every table a merge moves, in the order it moves them.
pub const MOVABLE: &[Movable] = &[
    Movable {
        table: "tumours",
        keys: "SELECT id FROM tumours WHERE patient_id = $1 ORDER BY id",
        move_one: "UPDATE tumours SET patient_id = $1 WHERE id = $2 AND patient_id = $3",
        integer_key: false,
    },
    Movable {
        table: "treatments",
        keys: "SELECT id FROM treatments WHERE patient_id = $1 ORDER BY id",
        move_one: "UPDATE treatments SET patient_id = $1 WHERE id = $2 AND patient_id = $3",
        integer_key: false,
    },
    Movable {
        table: "allergies",
        keys: "SELECT id FROM allergies WHERE patient_id = $1 ORDER BY id",
        move_one: "UPDATE allergies SET patient_id = $1 WHERE id = $2 AND patient_id = $3",
        integer_key: false,
    },
    Movable {
        table: "medicine_authorisations",
        keys: "SELECT id FROM medicine_authorisations WHERE patient_id = $1 ORDER BY id",
        move_one: "UPDATE medicine_authorisations SET patient_id = $1 WHERE id = $2 \
                   AND patient_id = $3",
        integer_key: true,
    },
    Movable {
        table: "follow_ups",
        keys: "SELECT seq FROM follow_ups WHERE patient_id = $1 ORDER BY seq",
        move_one: "UPDATE follow_ups SET patient_id = $1 WHERE seq = $2 AND patient_id = $3",
        integer_key: true,
    },
    Movable {
        table: "cards",
        keys: "SELECT serial FROM cards WHERE patient_id = $1 ORDER BY serial",
        move_one: "UPDATE cards SET patient_id = $1 WHERE serial = $2 AND patient_id = $3",
        integer_key: false,
    },
];

impl Movable {
    /// The keys of the patient's rows in this table.
    ///
    /// # Errors
    /// Database errors.
    pub async fn keys_of(
        &self,
        conn: &mut AnyConnection,
        patient_id: &str,
    ) -> Result<Vec<String>, sqlx::Error> {
        if self.integer_key {
            let keys: Vec<i64> = sqlx::query_scalar(self.keys)
                .bind(patient_id)
                .fetch_all(conn)
                .await?;
            Ok(keys.into_iter().map(|k| k.to_string()).collect())
        } else {
            sqlx::query_scalar(self.keys)
                .bind(patient_id)
                .fetch_all(conn)
                .await
        }
    }

    /// Moves the row `key` from patient `from` to patient `to`; false if it is no longer
    /// `from`'s.
    ///
    /// # Errors
    /// A key that is not a number in a table of numbered rows ([`sqlx::Error::Decode`]),
    /// database errors.
    pub async fn move_row(
        &self,
        conn: &mut AnyConnection,
        key: &str,
        from: &str,
        to: &str,
    ) -> Result<bool, sqlx::Error> {
        let query = sqlx::query(self.move_one).bind(to);
        let query = if self.integer_key {
            let key: i64 = key
                .parse()
                .map_err(|e: std::num::ParseIntError| sqlx::Error::Decode(Box::new(e)))?;
            query.bind(key)
        } else {
            query.bind(key.to_string())
        };
        let done = query.bind(from).execute(conn).await?;
        Ok(done.rows_affected() == 1)
    }
}

/// Supersedes a card still active (a merged record's card); false if it was not active.
///
/// # Errors
/// Database errors.
pub async fn supersede_card(conn: &mut AnyConnection, serial: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(SUPERSEDE_CARD)
        .bind(serial)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// `insert_merge`.
const INSERT_MERGE: &str = "INSERT INTO patient_merges (id, survivor_id, merged_id, reason, \
     moved, merged_at, merged_by) VALUES ($1, $2, $3, $4, $5, $6, $7)";
/// The columns of `patient_merges`.
macro_rules! merge_columns {
    () => {
        "SELECT id, survivor_id, merged_id, reason, moved, merged_at, merged_by, unmerged_at, \
         unmerged_by, unmerge_reason FROM patient_merges "
    };
}
/// `merge_in`.
const MERGE: &str = concat!(merge_columns!(), "WHERE id = $1");
/// `merges`.
const MERGES: &str = concat!(merge_columns!(), "ORDER BY merged_at DESC, id LIMIT $1");
/// `merges_of`.
const MERGES_OF: &str = concat!(
    merge_columns!(),
    "WHERE survivor_id = $1 OR merged_id = $1 ORDER BY merged_at DESC, id"
);
/// `mark_unmerged`.
const MARK_UNMERGED: &str = "UPDATE patient_merges SET unmerged_at = $1, unmerged_by = $2, \
     unmerge_reason = $3 WHERE id = $4 AND unmerged_at IS NULL";
/// `set_merged_into`: `expected` NULL matches a NULL column.
const SET_MERGED_INTO: &str = "UPDATE patients SET merged_into = $1 WHERE id = $2 \
     AND (merged_into = $3 OR (merged_into IS NULL AND $3 IS NULL))";
/// `supersede_card`.
const SUPERSEDE_CARD: &str =
    "UPDATE cards SET status = 'superseded' WHERE serial = $1 AND status = 'active'";

/// Every fixed statement of this module, by name, for the test that prepares them all.
pub(crate) fn statements() -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = [
        ("insert_merge", INSERT_MERGE),
        ("merge_in", MERGE),
        ("merges", MERGES),
        ("merges_of", MERGES_OF),
        ("mark_unmerged", MARK_UNMERGED),
        ("set_merged_into", SET_MERGED_INTO),
        ("supersede_card", SUPERSEDE_CARD),
    ]
    .into_iter()
    .map(|(name, sql)| (format!("db/merges.rs:{name}"), sql.to_string()))
    .collect();
    for m in MOVABLE {
        all.push((format!("db/merges.rs:keys of {}", m.table), m.keys.into()));
        all.push((
            format!("db/merges.rs:move in {}", m.table),
            m.move_one.into(),
        ));
    }
    all
}

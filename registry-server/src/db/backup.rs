//! SQL for backups and restores (`crate::backup`): SQLite's consistent online copy, the
//! list of the registry's tables, a content digest of each, and the bundle sequence a
//! restore moves past what was published after the backup.

use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{Column, Row};

use super::{Backend, Db};

/// One table's content: its rows and an order-independent digest of them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableDigest {
    /// The table's name.
    pub table: String,
    /// How many rows it holds.
    pub rows: i64,
    /// Hex of the wrapping sum, over its rows, of the first 16 bytes of each row's SHA-256
    /// (the row's values in column order, each typed and length-prefixed), so the same rows
    /// in any order give the same digest.
    pub digest: String,
}

/// Writes a transactionally consistent copy of the SQLite database into `file`, which must
/// not exist or be empty. Writers of other connections go on meanwhile (WAL).
///
/// # Errors
/// Database or file errors.
pub async fn sqlite_copy_into(db: &Db, file: &str) -> Result<(), sqlx::Error> {
    sqlx::query(SQLITE_VACUUM_INTO)
        .bind(file)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The registry's tables (SQLite's internal ones and sqlx's record of the migrations
/// aside; with PostgreSQL, the base tables of the connection's schema), by name.
///
/// # Errors
/// Database errors.
pub async fn tables(db: &Db) -> Result<Vec<String>, sqlx::Error> {
    let sql = match db.backend {
        Backend::Sqlite => SQLITE_TABLES,
        Backend::Postgres => POSTGRES_TABLES,
    };
    let names: Vec<(String,)> = sqlx::query_as(sql).fetch_all(db.reader()).await?;
    Ok(names.into_iter().map(|(n,)| n).collect())
}

/// The digest of every table of [`tables`].
///
/// # Errors
/// Database errors, or a column of a type the digest does not know.
pub async fn digests(db: &Db) -> Result<Vec<TableDigest>, sqlx::Error> {
    use futures_util::TryStreamExt;
    let mut all = Vec::new();
    for table in tables(db).await? {
        // The name comes from the database's own catalogue and is checked again before
        // it is spliced in.
        super::check_identifier(&table)?;
        let sql = format!("SELECT * FROM {table}");
        let mut rows = sqlx::query(&sql).fetch(db.reader());
        let mut count = 0i64;
        let mut sum = 0u128;
        while let Some(row) = rows.try_next().await? {
            count += 1;
            sum = sum.wrapping_add(row_hash(&row)?);
        }
        all.push(TableDigest {
            table,
            rows: count,
            digest: format!("{sum:032x}"),
        });
    }
    Ok(all)
}

/// The first 16 bytes of the SHA-256 of a row's values.
fn row_hash(row: &AnyRow) -> Result<u128, sqlx::Error> {
    let mut h = Sha256::new();
    for (i, column) in row.columns().iter().enumerate() {
        h.update(column.name().as_bytes());
        h.update([0]);
        if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
            match v {
                None => h.update([0]),
                Some(v) => {
                    h.update([1]);
                    h.update(v.to_be_bytes());
                }
            }
        } else if let Ok(Some(v)) = row.try_get::<Option<f64>, _>(i) {
            h.update([2]);
            h.update(v.to_be_bytes());
        } else if let Ok(Some(v)) = row.try_get::<Option<bool>, _>(i) {
            h.update([3, u8::from(v)]);
        } else if let Ok(Some(v)) = row.try_get::<Option<String>, _>(i) {
            h.update([4]);
            h.update((v.len() as u64).to_be_bytes());
            h.update(v.as_bytes());
        } else if let Ok(Some(v)) = row.try_get::<Option<Vec<u8>>, _>(i) {
            h.update([5]);
            h.update((v.len() as u64).to_be_bytes());
            h.update(&v);
        } else {
            return Err(sqlx::Error::ColumnDecode {
                index: column.name().to_string(),
                source: "a column type the backup digest does not know".into(),
            });
        }
    }
    let digest = h.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    Ok(u128::from_be_bytes(first))
}

/// Sets the trust bundle's sequence (a restore, past every bundle published since the
/// backup), inside the caller's transaction.
///
/// # Errors
/// Database errors.
pub async fn set_bundle_sequence(
    conn: &mut sqlx::AnyConnection,
    sequence: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(SET_BUNDLE_SEQUENCE)
        .bind(sequence)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// PostgreSQL: makes `schema` (which may not exist yet) the connection's schema.
///
/// # Errors
/// A name that is not a plain identifier; database errors.
pub async fn use_schema(conn: &mut sqlx::AnyConnection, schema: &str) -> Result<(), sqlx::Error> {
    use sqlx::Executor;
    super::check_identifier(schema)?;
    conn.execute(format!("SET search_path TO {schema}").as_str())
        .await?;
    Ok(())
}

/// PostgreSQL: how many relations (tables, indexes, sequences, views) and functions the
/// connection's schema holds.
///
/// # Errors
/// Database errors.
pub async fn postgres_objects(conn: &mut sqlx::AnyConnection) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as(POSTGRES_OBJECTS).fetch_one(conn).await?;
    Ok(n)
}

/// PostgreSQL: drops every table and function of the connection's schema (a restore
/// undone; it held none before).
///
/// # Errors
/// Database errors.
pub async fn postgres_clear(conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    use sqlx::Executor;
    let tables: Vec<(String,)> = sqlx::query_as(POSTGRES_EVERY_TABLE)
        .fetch_all(&mut *conn)
        .await?;
    for (table,) in tables {
        super::check_identifier(&table)?;
        conn.execute(format!("DROP TABLE IF EXISTS {table} CASCADE").as_str())
            .await?;
    }
    // Signatures as PostgreSQL prints them (`regprocedure`), quoted where they need it.
    let functions: Vec<(String,)> = sqlx::query_as(POSTGRES_FUNCTIONS)
        .fetch_all(&mut *conn)
        .await?;
    for (function,) in functions {
        conn.execute(format!("DROP FUNCTION IF EXISTS {function} CASCADE").as_str())
            .await?;
    }
    Ok(())
}

/// `sqlite_copy_into` (SQLite only).
const SQLITE_VACUUM_INTO: &str = "VACUUM INTO $1";
/// `tables` on SQLite.
const SQLITE_TABLES: &str = "SELECT name FROM sqlite_schema WHERE type = 'table' \
     AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name";
/// `tables` on PostgreSQL.
const POSTGRES_TABLES: &str = "SELECT CAST(table_name AS TEXT) FROM information_schema.tables \
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' \
     AND table_name <> '_sqlx_migrations' ORDER BY 1";
/// `postgres_objects` (PostgreSQL only).
const POSTGRES_OBJECTS: &str = "SELECT \
     (SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
      WHERE n.nspname = current_schema()) + \
     (SELECT COUNT(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
      WHERE n.nspname = current_schema())";
/// `postgres_clear` (PostgreSQL only).
const POSTGRES_EVERY_TABLE: &str = "SELECT CAST(table_name AS TEXT) \
     FROM information_schema.tables WHERE table_schema = current_schema() \
     AND table_type = 'BASE TABLE'";
/// `postgres_clear` (PostgreSQL only).
const POSTGRES_FUNCTIONS: &str = "SELECT CAST(CAST(p.oid AS regprocedure) AS TEXT) \
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
     WHERE n.nspname = current_schema()";
/// `set_bundle_sequence`.
const SET_BUNDLE_SEQUENCE: &str =
    "UPDATE trust_state SET sequence = $1, changed_at = $2 WHERE id = 1";

/// Every statement of this module that runs on both backends, for the test that prepares
/// them all (the catalogue reads are each one backend's own, and run in the backup test).
pub(crate) const STATEMENTS: &[(&str, &str)] =
    &[("db/backup.rs:set_bundle_sequence", SET_BUNDLE_SEQUENCE)];

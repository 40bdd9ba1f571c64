//! SQL for the population denominators (`population`, `population_imports`).

use sqlx::{AnyConnection, FromRow};

use super::Db;

/// One cell to store.
#[derive(Debug, Clone, Copy)]
pub struct Cell<'a> {
    /// Region or municipality.
    pub area: &'a str,
    /// `male` or `female`.
    pub sex: &'static str,
    /// 0 for 0-4 ... 17 for 85+.
    pub age_group: i64,
    /// Mid-year population.
    pub population: i64,
}

/// A year as imported.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct ImportRow {
    /// Calendar year.
    pub year: i64,
    /// From 1; each re-import adds one.
    pub version: i64,
    /// Cells stored for the year.
    pub cells: i64,
    /// Hex SHA-256 of the file.
    pub sha256: String,
    /// Unix seconds.
    pub imported_at: i64,
    /// Who imported it.
    pub imported_by: String,
}

/// Replaces every cell of `year` with `cells` and records the import; returns the year's new
/// version. In the caller's transaction.
///
/// # Errors
/// Database errors.
pub async fn replace_year(
    conn: &mut AnyConnection,
    year: i64,
    cells: &[Cell<'_>],
    sha256: &str,
    now: i64,
    user_id: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query(DELETE_YEAR)
        .bind(year)
        .execute(&mut *conn)
        .await?;
    for c in cells {
        sqlx::query(INSERT_CELL)
            .bind(year)
            .bind(c.area)
            .bind(c.sex)
            .bind(c.age_group)
            .bind(c.population)
            .execute(&mut *conn)
            .await?;
    }
    let cells = i64::try_from(cells.len()).unwrap_or(i64::MAX);
    sqlx::query(UPSERT_IMPORT)
        .bind(year)
        .bind(cells)
        .bind(sha256)
        .bind(now)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query_scalar(IMPORT_VERSION)
        .bind(year)
        .fetch_one(conn)
        .await
}

/// Every year imported, oldest first.
///
/// # Errors
/// Database errors.
pub async fn imports(db: &Db) -> Result<Vec<ImportRow>, sqlx::Error> {
    sqlx::query_as(IMPORTS).fetch_all(db.reader()).await
}

/// The population of one cell, if stored.
///
/// # Errors
/// Database errors.
pub async fn cell(
    db: &Db,
    year: i64,
    area: &str,
    sex: &str,
    age_group: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(CELL)
        .bind(year)
        .bind(area)
        .bind(sex)
        .bind(age_group)
        .fetch_optional(db.reader())
        .await
}

/// `replace_year`.
const DELETE_YEAR: &str = "DELETE FROM population WHERE year = $1";
/// `replace_year`.
const INSERT_CELL: &str = "INSERT INTO population (year, area, sex, age_group, population) \
     VALUES ($1, $2, $3, $4, $5)";
/// `replace_year`.
const UPSERT_IMPORT: &str = "INSERT INTO population_imports (year, version, cells, sha256, \
     imported_at, imported_by) VALUES ($1, 1, $2, $3, $4, $5) ON CONFLICT (year) DO UPDATE \
     SET version = population_imports.version + 1, cells = excluded.cells, \
     sha256 = excluded.sha256, imported_at = excluded.imported_at, \
     imported_by = excluded.imported_by";
/// `replace_year`.
const IMPORT_VERSION: &str = "SELECT version FROM population_imports WHERE year = $1";
/// `imports`.
const IMPORTS: &str = "SELECT year, version, cells, sha256, imported_at, imported_by \
     FROM population_imports ORDER BY year";
/// `cell`.
const CELL: &str = "SELECT population FROM population WHERE year = $1 AND area = $2 \
     AND sex = $3 AND age_group = $4";

/// Every fixed statement of this module, by name, for the test that prepares them all.
pub(crate) const STATEMENTS: &[(&str, &str)] = &[
    ("db/population.rs:replace_year", DELETE_YEAR),
    ("db/population.rs:replace_year", INSERT_CELL),
    ("db/population.rs:replace_year", UPSERT_IMPORT),
    ("db/population.rs:replace_year", IMPORT_VERSION),
    ("db/population.rs:imports", IMPORTS),
    ("db/population.rs:cell", CELL),
];

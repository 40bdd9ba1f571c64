//! Importing the population denominators: the statistics bureau's CSV file
//! ([`super::stats::population`]) checked whole, then each year it holds replaces that year's
//! cells in one transaction, with its version moved on and an audit entry
//! (`population.import`, on the year). A refused file changes nothing.

use std::collections::BTreeMap;

use card_format::model::Sex;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::stats::population::{self, PopulationRow, Refused};
use super::Result;
use crate::db::{self, audit::Actor, population::Cell, Db};

/// What an import stored, per year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Imported {
    /// Calendar year.
    pub year: u16,
    /// The year's version after this import (1 the first time).
    pub version: i64,
    /// Cells stored.
    pub cells: usize,
    /// Areas in the year.
    pub areas: usize,
    /// The population of the year, all areas.
    pub total: u64,
}

/// Imports a denominators file as `actor` (the `registry-server population` command).
/// `Ok(Err(refused))` is a file refused with its errors; nothing was stored.
///
/// # Errors
/// Database errors (nothing stored either).
pub async fn import(
    db: &Db,
    now: i64,
    actor: &Actor<'_>,
    bytes: &[u8],
) -> Result<std::result::Result<Vec<Imported>, Refused>> {
    let rows = match population::parse(bytes) {
        Ok(rows) => rows,
        Err(refused) => return Ok(Err(refused)),
    };
    let sha = data_encoding::HEXLOWER.encode(&Sha256::digest(bytes));
    let mut years: BTreeMap<u16, Vec<&PopulationRow>> = BTreeMap::new();
    for row in &rows {
        years.entry(row.year).or_default().push(row);
    }
    let mut out = Vec::new();
    let mut tx = db.pool.begin().await?;
    for (year, rows) in &years {
        let cells: Vec<Cell<'_>> = rows
            .iter()
            .map(|r| Cell {
                area: &r.area,
                sex: if r.sex == Sex::Male { "male" } else { "female" },
                age_group: i64::try_from(r.group.index()).unwrap_or(0),
                population: i64::try_from(r.population).unwrap_or(i64::MAX),
            })
            .collect();
        let version = db::population::replace_year(
            &mut tx,
            i64::from(*year),
            &cells,
            &sha,
            now,
            actor.user_id,
        )
        .await?;
        db::audit::append(
            &mut tx,
            now,
            actor,
            "population.import",
            "population",
            &year.to_string(),
        )
        .await?;
        let areas: std::collections::BTreeSet<&str> =
            rows.iter().map(|r| r.area.as_str()).collect();
        out.push(Imported {
            year: *year,
            version,
            cells: cells.len(),
            areas: areas.len(),
            total: rows.iter().map(|r| r.population).sum(),
        });
    }
    tx.commit().await?;
    Ok(Ok(out))
}

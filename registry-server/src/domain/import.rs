//! Bringing existing records in: a file of patients and tumours (the registry's template, or
//! a CanReg5 export; [`layout`]) checked row by row as the desk checks a registration and a
//! new tumour ([`row`], then the record checks and the multiple-primary rules against the
//! patient's other tumours), with duplicate candidates searched in the registry and in the
//! file itself. A dry run reports every row and writes nothing; an import writes the rows
//! that pass, in transactions of [`BATCH`] rows, and is idempotent: each row is kept under its
//! source and key (`import_records`), so running the same file again changes nothing, and
//! a run stopped midway (a dead database, a killed process) is finished by running it again.
//!
//! Rows of one identifier are one patient: the first row that passes registers them, the
//! others must agree with it and add their tumours. A patient already in the registry (by
//! identifier) gets the tumours; the registry's identity data is kept. A row whose tumour
//! asks the record checks to be confirmed is held back unless the import is told to confirm
//! them (the confirmations are then stored as the importer's, as at the desk). The report
//! names rows by line and key, fields by column, patients by registry id: never a value.
//!
//! Audited as the importing registrar: `patient.create` and `tumour.create` for each record
//! written, as at the desk, and `import.run` on the source at the end of a run that wrote.

pub mod layout;
pub mod row;
mod run;

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Error, Result};
use crate::auth::{Caller, Role};
use crate::db::Db;
use layout::Layout;
use row::Problem;

/// Who imports records.
pub const IMPORTERS: &[Role] = &[Role::Registrar];

/// Rows written per transaction.
pub const BATCH: usize = 2_000;

/// What became of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Written by this run.
    Imported,
    /// A dry run: would be written.
    WouldImport,
    /// Imported by an earlier run, with the same fields: nothing to do.
    Unchanged,
    /// Imported by an earlier run with other fields: not applied (correct the record in the
    /// registry, with a reason).
    Changed,
    /// A CanReg5 record marked deleted or obsolete: not read.
    Skipped,
    /// The record checks ask a person to confirm (the codes are listed).
    NeedsConfirmation,
    /// Refused (the problems say why).
    Refused,
}

impl Outcome {
    /// Its code.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Imported => "imported",
            Outcome::WouldImport => "would_import",
            Outcome::Unchanged => "unchanged",
            Outcome::Changed => "changed",
            Outcome::Skipped => "skipped",
            Outcome::NeedsConfirmation => "needs_confirmation",
            Outcome::Refused => "refused",
        }
    }
}

/// One row's report.
#[derive(Debug, Clone, Serialize)]
pub struct RowReport {
    /// Line in the file (row of the sheet).
    pub line: usize,
    /// The source's key of the row (empty when it had none).
    pub record: String,
    /// What became of it.
    pub outcome: Outcome,
    /// The registry id of its patient: registered by this row or an earlier one, or already
    /// in the registry. Empty for a refused row and, on a dry run, for a new patient.
    pub patient: String,
    /// What is wrong (refused), or what to know (the registry's identity kept).
    pub problems: Vec<Problem>,
    /// The record checks to confirm, by code.
    pub checks: Vec<String>,
    /// The multiple-primary decision when it is not `new_primary` (`duplicate:rule`).
    pub primary: String,
    /// Possible duplicates of a new patient: registry ids, or `line N` for a row of the file.
    pub duplicates: Vec<String>,
}

/// A run's report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The source label.
    pub source: String,
    /// The layout read.
    pub layout: Layout,
    /// Whether nothing was written.
    pub dry_run: bool,
    /// The file's columns not read.
    pub ignored_columns: Vec<String>,
    /// Rows per outcome.
    pub counts: BTreeMap<&'static str, usize>,
    /// Patients registered (or, on a dry run, that would be).
    pub patients: usize,
    /// Tumours recorded (or that would be).
    pub tumours: usize,
    /// Every row, in file order.
    pub rows: Vec<RowReport>,
}

/// How to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The source's name (`benghazi-canreg5`): keys are unique within it, and a re-run
    /// must give the same name.
    pub source: String,
    /// Report only.
    pub dry_run: bool,
    /// Confirm the record checks that ask for it, as the importing registrar.
    pub confirm_checks: bool,
    /// Force a layout instead of telling it from the header.
    pub layout: Option<Layout>,
}

/// Checks the source's name: 1 to 60 of `A-Z a-z 0-9 . _ -`.
///
/// # Errors
/// [`Error::Validation`] on `source`.
pub fn check_source(source: &str) -> Result<()> {
    let ok = (1..=60).contains(&source.len())
        && source
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "source",
            "1 to 60 letters, digits, dots, underscores or hyphens",
        ))
    }
}

/// Runs an import (or a dry run) of `bytes` as `caller`, calling `progress(done, total)`
/// after each row.
///
/// # Errors
/// [`Error::Forbidden`]; [`Error::Validation`] on `source`, or on `file` for a file that
/// cannot be read at all; database errors (the batches committed before stay, and a re-run
/// finishes the file).
pub async fn run(
    db: &Db,
    now: i64,
    caller: &Caller,
    bytes: &[u8],
    options: &Options,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Report> {
    caller.require(IMPORTERS)?;
    check_source(&options.source)?;
    let table =
        layout::read(bytes, options.layout).map_err(|e| Error::invalid("file", e.to_string()))?;
    let done = run::Run::start(db, now, caller, options, table.layout)
        .await?
        .all(&table.rows, progress)
        .await?;
    let mut counts = BTreeMap::new();
    for r in &done.rows {
        *counts.entry(r.outcome.code()).or_insert(0) += 1;
    }
    Ok(Report {
        source: options.source.clone(),
        layout: table.layout,
        dry_run: options.dry_run,
        ignored_columns: table.ignored,
        counts,
        patients: done.patients,
        tumours: done.tumours,
        rows: done.rows,
    })
}

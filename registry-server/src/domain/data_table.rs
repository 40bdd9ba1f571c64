//! The error of an embedded data table (the ICCC-3 conversion, the multiple-primary tables):
//! which file, which line, what is wrong.

/// A defect of an embedded table: which file, which line, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file} line {line}: {message}")]
pub struct TableError {
    /// The data file, relative to the crate (`data/iarc-mp/organs.tsv`).
    pub file: &'static str,
    /// The 1-based line (0 when the defect is of the file as a whole).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

//! Small-cell suppression: a published table hides the cells with a few cases (1 to
//! threshold − 1), which could point to a patient; a cell of 0 is shown, since it points to
//! no one. The registry's threshold is [`THRESHOLD`] (5): cells of 1 to 4 cases are hidden.

#[cfg(test)]
mod tests;

/// The registry's threshold: a cell of 1 to 4 cases is suppressed.
pub const THRESHOLD: u64 = 5;

/// The note printed under a table suppressed at [`THRESHOLD`].
pub const NOTE: &str = "cells of fewer than 5 cases are not shown";

/// A table cell, shown or suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cell {
    /// The count, shown as it is.
    Shown(u64),
    /// A count of 1 to threshold − 1, not shown.
    Suppressed,
}

impl Cell {
    /// The count, if shown.
    pub fn shown(self) -> Option<u64> {
        match self {
            Cell::Shown(count) => Some(count),
            Cell::Suppressed => None,
        }
    }
}

/// Whether a cell of `count` cases is shown with `threshold`: suppressed when it is at least 1
/// and below `threshold`; 0 is always shown (a threshold of 0 or 1 suppresses nothing).
pub fn suppress(count: u64, threshold: u64) -> Cell {
    if count > 0 && count < threshold {
        Cell::Suppressed
    } else {
        Cell::Shown(count)
    }
}

/// The note under a table suppressed at `threshold` ([`NOTE`] at the registry's 5); None when
/// the threshold suppresses nothing (0 or 1).
pub fn note(threshold: u64) -> Option<String> {
    (threshold > 1).then(|| format!("cells of fewer than {threshold} cases are not shown"))
}

//! `print`: gathers and verifies the cards, then renders them with [`crate::print`].

use std::path::Path;

use crate::cli::PrintArgs;
use crate::{Class, Outcome};

/// `print`.
///
/// # Errors
/// Not wired yet.
pub fn run(_args: &PrintArgs, _home: Option<&Path>) -> anyhow::Result<Outcome> {
    Err(Class::Usage.err("printing is not wired yet"))
}

//! The virtual ISO 7816-4 card.

use crate::cli::VirtualCardArgs;

/// Runs the virtual card in the vpcd reader until it is removed.
///
/// # Errors
/// Not built yet.
pub fn run(_args: &VirtualCardArgs) -> anyhow::Result<()> {
    Err(crate::Class::Usage.err("the virtual card is not built yet"))
}

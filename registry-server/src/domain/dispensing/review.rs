//! The review list of offline dispensings recorded in conflict with a rule.

use super::CONFLICT_REVIEWERS;
use crate::auth::Caller;
use crate::db::{self, dispensings::ConflictRow};
use crate::domain::audit::actor;
use crate::domain::{Error, Registry, Result};

/// Offline dispensings recorded although they broke a rule, newest recorded first, a page
/// of `limit` (1 to 1000) after the flagged dispensing `before`. Each authorisation shown is
/// an audited read (`dispensing.conflicts.read`). Clinicians and auditors.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::Validation`] (`limit`, `before`), database errors.
pub async fn conflicts(
    registry: &Registry,
    caller: &Caller,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<ConflictRow>> {
    caller.require(CONFLICT_REVIEWERS)?;
    if !(1..=1000).contains(&limit) {
        return Err(Error::invalid("limit", "1 to 1000"));
    }
    let before = match before {
        None => None,
        Some(id) => Some(
            db::dispensings::conflict_position(&registry.db, id)
                .await?
                .ok_or_else(|| Error::invalid("before", "not a flagged dispensing's id"))?,
        ),
    };
    let rows = db::dispensings::conflicts(&registry.db, before, limit).await?;
    // One audited read per authorisation shown (its card serial and dispensings are
    // patient-related), as a search audits each patient it returns.
    let mut shown: Vec<String> = rows
        .iter()
        .map(|r| r.authorisation_id.to_string())
        .collect();
    shown.sort_unstable();
    shown.dedup();
    let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
    db::audit::append_reads(
        &registry.db,
        registry.clock.now(),
        &actor(caller),
        "dispensing.conflicts.read",
        "authorisation",
        &shown,
    )
    .await?;
    Ok(rows)
}

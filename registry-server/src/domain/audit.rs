//! The audit log: who the caller is to it, and reading and verifying the hash-chained log
//! (auditors). The entries themselves are written by each operation, in the transaction of
//! what they record ([`crate::db::audit`]).

use super::{Registry, Result};
use crate::auth::{Caller, Role};
use crate::db::{self, audit::Actor, audit::ChainReport, audit::Entry, audit::Filter};

/// Who reads and verifies the audit log.
pub const AUDITORS: &[Role] = &[Role::Auditor];

/// The audit log's view of a caller.
pub fn actor(caller: &Caller) -> Actor<'_> {
    Actor {
        user_id: &caller.user_id,
        role: caller.role.as_str(),
        facility_code: &caller.facility_code,
    }
}

/// Records that `caller` read `entity_type` `entity_id` (`action`: `patient.read`,
/// `card.status`...), in a transaction of its own: every read of patient data on the
/// registry leaves one.
///
/// # Errors
/// Database errors.
pub async fn read_by(
    registry: &Registry,
    caller: &Caller,
    action: &str,
    entity_type: &str,
    entity_id: &str,
) -> Result<()> {
    let now = registry.clock.now();
    let who = actor(caller);
    db::audit::append_alone(&registry.db, now, &who, action, entity_type, entity_id).await?;
    Ok(())
}

/// The entries matching `filter`, in chain order; the read is itself audited
/// (`audit.read`), also when there is no filter to run (`None`: a form with errors).
/// Auditors.
///
/// # Errors
/// [`super::Error::Forbidden`], database errors.
pub async fn read(
    registry: &Registry,
    caller: &Caller,
    filter: Option<&Filter>,
) -> Result<Vec<Entry>> {
    caller.require(AUDITORS)?;
    let entries = match filter {
        Some(f) => db::audit::query(&registry.db, f).await?,
        None => Vec::new(),
    };
    read_by(registry, caller, "audit.read", "audit", "log").await?;
    Ok(entries)
}

/// Recomputes the whole chain. Auditors.
///
/// # Errors
/// [`super::Error::Forbidden`], database errors.
pub async fn verify(registry: &Registry, caller: &Caller) -> Result<ChainReport> {
    caller.require(AUDITORS)?;
    Ok(db::audit::verify_chain(&registry.db).await?)
}

/// Reads of patients by users of another facility than the one that registered them, in
/// `[from, until)` (Unix seconds), latest first, at most 1,000 rows: the auditor's check on
/// the registry's national reading rule (docs/registry-server.md, "Who sees what"). The
/// report is itself audited (`audit.read` on `elsewhere`). Auditors.
///
/// # Errors
/// [`super::Error::Forbidden`], [`super::Error::Validation`] for `until` before `from`,
/// database errors.
pub async fn read_elsewhere(
    registry: &Registry,
    caller: &Caller,
    from: i64,
    until: i64,
) -> Result<Vec<db::audit::ReadElsewhere>> {
    caller.require(AUDITORS)?;
    if until < from {
        return Err(super::Error::invalid("until", "before from"));
    }
    let rows = db::audit::read_elsewhere(&registry.db, from, until, 1_000).await?;
    read_by(registry, caller, "audit.read", "audit", "elsewhere").await?;
    Ok(rows)
}

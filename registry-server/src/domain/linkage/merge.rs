//! Merging two records of one patient, and an auditor undoing it.
//!
//! A merge keeps the surviving record and marks the other `merged_into` it, in one
//! transaction:
//! - the merged record's active card is superseded (`card.supersede`) and the trust bundle's
//!   sequence is bumped, so verifiers learn at their next `trust sync` that the card is no
//!   longer current;
//! - its tumours, treatments, allergies, medicine authorisations (and with them their
//!   dispensings), follow-ups and cards move to the survivor; the keys moved are stored with
//!   the merge;
//! - when a death recorded on the merged record is now the survivor's latest follow-up, the
//!   survivor's cards are revoked as `deceased`, as recording the death would have;
//! - the moved tumours are judged again by the multiple-primary rules against the kept
//!   record's tumours (the same tumour registered at two facilities becomes `duplicate`);
//! - the pair is marked `merged` and the merge is audited (`patient.merge`, on the merge).
//!
//! The merged record itself stays, with its history and audit entries; it is no longer found
//! by a name search, written to or given cards (`409 patient_merged`).
//!
//! An unmerge (auditors only) moves exactly the rows the merge moved back, clears
//! `merged_into`, marks the pair `distinct` and is audited (`patient.unmerge`). Cards the merge
//! superseded (or revoked as `deceased`) stay so: the bundle has published that, so the
//! restored record gets a new card. The tumours moved back are judged again among themselves.
//! Rows added to the survivor after the merge stay with it. An unmerge is refused while a row
//! the merge moved is no longer the survivor's (a later merge moved it on): undo that one
//! first.

use std::collections::BTreeMap;

use serde::Serialize;

use super::super::audit::actor;
use super::super::cards::display_serial;
use super::super::clinical::primary::{self, StoredPrimary};
use super::super::patients::{self, check_reason};
use super::super::{Error, Registry, Result};
use super::{rescore, QUEUE_READERS, REGISTRARS};
use crate::auth::{self, Caller, Role};
use crate::db::{self, merges::MergeRow, merges::MOVABLE};

/// Who undoes merges.
pub const UNMERGERS: &[Role] = &[Role::Auditor];

/// A merge as the API and the desk show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MergeView {
    /// Merge id.
    pub id: String,
    /// The record kept.
    pub survivor_id: String,
    /// The record merged into it.
    pub merged_id: String,
    /// Why.
    pub reason: String,
    /// Table name to the keys of the rows moved.
    pub moved: BTreeMap<String, Vec<String>>,
    /// Unix seconds.
    pub merged_at: i64,
    /// Who merged.
    pub merged_by: String,
    /// Unix seconds, once undone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unmerged_at: Option<i64>,
    /// The auditor who undid it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unmerged_by: Option<String>,
    /// Why it was undone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unmerge_reason: Option<String>,
}

impl MergeView {
    fn from_row(row: MergeRow) -> Result<MergeView> {
        let moved = serde_json::from_str(&row.moved)
            .map_err(|e| Error::Db(sqlx::Error::Decode(Box::new(e))))?;
        Ok(MergeView {
            id: row.id,
            survivor_id: row.survivor_id,
            merged_id: row.merged_id,
            reason: row.reason,
            moved,
            merged_at: row.merged_at,
            merged_by: row.merged_by,
            unmerged_at: row.unmerged_at,
            unmerged_by: row.unmerged_by,
            unmerge_reason: row.unmerge_reason,
        })
    }
}

/// What a merge did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Merged {
    /// The merge.
    pub merge: MergeView,
    /// The merged record's card superseded, if it had an active one (display form).
    pub superseded_cards: Vec<String>,
    /// Cards revoked as `deceased` because the merged record's death now applies.
    pub revoked_cards: Vec<String>,
    /// The moved tumours judged again by the multiple-primary rules against the kept
    /// record's tumours (the same tumour entered at two facilities becomes `duplicate`).
    pub primaries: Vec<StoredPrimary>,
}

fn already_merged() -> Error {
    Error::conflict(
        "patient_merged",
        "one of the two records was merged already; merge into the record it was merged into",
    )
}

/// Whether the latest of the two records' follow-ups records a death.
async fn dead_after(registry: &Registry, x: &str, y: &str) -> Result<bool> {
    let mut all = db::follow_up::of_patient(&registry.db, x).await?;
    all.extend(db::follow_up::of_patient(&registry.db, y).await?);
    Ok(all
        .iter()
        .max_by_key(|f| (f.recorded_at, f.seq))
        .is_some_and(|f| f.vital_status == "dead"))
}

/// Merges `merged_id` into `survivor_id` (module docs). Registrars.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::Validation`] (a reason missing, the same record twice),
/// [`Error::NotFound`], [`Error::Conflict`] `patient_merged` (either record was merged
/// already, also by a concurrent merge), database errors.
pub async fn merge(
    registry: &Registry,
    caller: &Caller,
    survivor_id: &str,
    merged_id: &str,
    reason: &str,
) -> Result<Merged> {
    caller.require(REGISTRARS)?;
    check_reason(reason)?;
    if survivor_id == merged_id {
        return Err(Error::invalid(
            "merged_id",
            "another patient than the survivor",
        ));
    }
    for id in [survivor_id, merged_id] {
        if patients::row(registry, id).await?.merged_into.is_some() {
            return Err(already_merged());
        }
    }
    let scored = rescore(registry, survivor_id, merged_id).await?;
    let dead = dead_after(registry, survivor_id, merged_id).await?;
    let kept_tumours = db::clinical::tumours(&registry.db, survivor_id).await?;
    let moved_tumours = db::clinical::tumours(&registry.db, merged_id).await?;
    let now = registry.clock.now();
    let who = actor(caller);
    let merge_id = auth::new_id();
    let mut tx = registry.db.pool.begin().await?;
    // Both guards lock their rows: the survivor must still be live, the merged record too.
    if !db::merges::set_merged_into(&mut tx, survivor_id, None, None).await?
        || !db::merges::set_merged_into(&mut tx, merged_id, Some(survivor_id), None).await?
    {
        return Err(already_merged());
    }
    let mut superseded = Vec::new();
    if let Some(serial) = db::cards::active_serial_in(&mut tx, merged_id).await? {
        if db::merges::supersede_card(&mut tx, &serial).await? {
            db::audit::append(&mut tx, now, &who, "card.supersede", "card", &serial).await?;
            superseded.push(serial);
        }
    }
    let mut moved = BTreeMap::new();
    for table in MOVABLE {
        let keys = table.keys_of(&mut tx, merged_id).await?;
        for key in &keys {
            table.move_row(&mut tx, key, merged_id, survivor_id).await?;
        }
        if !keys.is_empty() {
            moved.insert(table.table.to_string(), keys);
        }
    }
    let primaries = primary::rejudge(&mut tx, &kept_tumours, &moved_tumours, now).await?;
    let mut revoked = Vec::new();
    if dead {
        revoked = db::follow_up::revoke_cards_of_deceased(&mut tx, survivor_id, now).await?;
        for serial in &revoked {
            db::audit::append(&mut tx, now, &who, "card.revoke", "card", serial).await?;
        }
    }
    if !superseded.is_empty() || !revoked.is_empty() {
        db::trust::bump_sequence(&mut tx, now).await?;
    }
    let row = MergeRow {
        id: merge_id.clone(),
        survivor_id: survivor_id.to_string(),
        merged_id: merged_id.to_string(),
        reason: reason.trim().to_string(),
        moved: serde_json::to_string(&moved).map_err(|e| Error::Internal(e.to_string()))?,
        merged_at: now,
        merged_by: caller.user_id.clone(),
        unmerged_at: None,
        unmerged_by: None,
        unmerge_reason: None,
    };
    db::merges::insert_merge(&mut tx, &row).await?;
    scored
        .decide(&mut tx, (survivor_id, merged_id), "merged", now, caller)
        .await?;
    db::audit::append(&mut tx, now, &who, "patient.merge", "merge", &merge_id).await?;
    tx.commit().await?;
    Ok(Merged {
        merge: MergeView::from_row(row)?,
        superseded_cards: superseded.iter().map(|s| display_serial(s)).collect(),
        revoked_cards: revoked.iter().map(|s| display_serial(s)).collect(),
        primaries,
    })
}

/// Undoes a merge (module docs). Auditors.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::Validation`] (no reason), [`Error::NotFound`],
/// [`Error::Conflict`] `already_unmerged`, or `merged_again` when a row the merge moved has
/// moved on since, database errors.
pub async fn unmerge(
    registry: &Registry,
    caller: &Caller,
    merge_id: &str,
    reason: &str,
) -> Result<MergeView> {
    caller.require(UNMERGERS)?;
    check_reason(reason)?;
    let now = registry.clock.now();
    let before = MergeView::from_row(
        db::merges::merge(&registry.db, merge_id)
            .await?
            .ok_or(Error::NotFound { what: "merge" })?,
    )?;
    let moved_tumours = before.moved.get("tumours").cloned().unwrap_or_default();
    let back: Vec<_> = db::clinical::tumours(&registry.db, &before.survivor_id)
        .await?
        .into_iter()
        .filter(|t| moved_tumours.contains(&t.id))
        .collect();
    let mut tx = registry.db.pool.begin().await?;
    let row = db::merges::merge_in(&mut tx, merge_id)
        .await?
        .ok_or(Error::NotFound { what: "merge" })?;
    let merge = MergeView::from_row(row)?;
    if !db::merges::mark_unmerged(&mut tx, merge_id, now, &caller.user_id, reason.trim()).await? {
        return Err(Error::conflict(
            "already_unmerged",
            "this merge was undone already",
        ));
    }
    let moved_on = || {
        Error::conflict(
            "merged_again",
            "rows this merge moved have moved on since (a later merge): undo that merge first",
        )
    };
    for table in MOVABLE {
        for key in merge.moved.get(table.table).into_iter().flatten() {
            if !table
                .move_row(&mut tx, key, &merge.survivor_id, &merge.merged_id)
                .await?
            {
                return Err(moved_on());
            }
        }
    }
    primary::rejudge(&mut tx, &[], &back, now).await?;
    if !db::merges::set_merged_into(
        &mut tx,
        &merge.merged_id,
        None,
        Some(merge.survivor_id.as_str()),
    )
    .await?
    {
        return Err(moved_on());
    }
    rescore(registry, &merge.survivor_id, &merge.merged_id)
        .await?
        .decide(
            &mut tx,
            (&merge.survivor_id, &merge.merged_id),
            "distinct",
            now,
            caller,
        )
        .await?;
    db::audit::append(
        &mut tx,
        now,
        &actor(caller),
        "patient.unmerge",
        "merge",
        merge_id,
    )
    .await?;
    tx.commit().await?;
    let row = db::merges::merge(&registry.db, merge_id)
        .await?
        .ok_or(Error::NotFound { what: "merge" })?;
    MergeView::from_row(row)
}

/// The latest merges, newest first (at most 200), or a patient's. Registrars and auditors.
///
/// # Errors
/// [`Error::Forbidden`], database errors.
pub async fn merges(
    registry: &Registry,
    caller: &Caller,
    patient_id: Option<&str>,
) -> Result<Vec<MergeView>> {
    caller.require(QUEUE_READERS)?;
    let rows = match patient_id {
        Some(id) => db::merges::merges_of(&registry.db, id).await?,
        None => db::merges::merges(&registry.db, 200).await?,
    };
    rows.into_iter().map(MergeView::from_row).collect()
}

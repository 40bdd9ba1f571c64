//! Recording a dispensing: the rules that stop unjustified disbursement.
//!
//! The rules themselves are the shared rulebook, [`registry_api::dispensing::rules`]: the
//! same pure function judges a dispensing here, online and offline, and in the card-agent at
//! the pharmacy. This module gathers the facts it judges from the database, and records.
//!
//! Refusals, each with its own code: `card_unknown`, `card_revoked`, `card_superseded`,
//! `card_expired`, `medicine_not_authorised` (not this patient's, or withdrawn),
//! `authorisation_expired`, `over_quantity`, `over_count` (every authorised dispensing done),
//! `too_soon` (the interval has not passed), `idempotency_key_reused` (same key, different
//! request), and `out_of_stock` when the pharmacy keeps its stock in the registry and its
//! unexpired batches hold too little ([`super::stock::draw()`]; the refusal is recorded as a
//! stock-out event). A retry with the same key and request returns the first result, even if that
//! first request was recorded by another server instance.
//!
//! **Offline dispensings.** A pharmacy without connectivity verifies the signed card offline,
//! hands out the medicine and queues the dispensing; the request then carries `offline_at`,
//! when it happened. The same rules are judged at `offline_at`, but the medicine has already
//! left the pharmacy: refusing would only lose the record. So a breach of
//! [`RECORDED_CONFLICTS`] is recorded, counted, and flagged with the first rule broken
//! (`conflict`) for a person to review. What cannot be recorded against an authorisation
//! still refuses: `card_unknown`, `medicine_not_authorised`, `idempotency_key_reused`, and
//! invalid input.

use registry_api::dispensing::rules::{self, Earlier, Facts};
use registry_api::dispensing::{NotAuthorised, Refusal};
use sha2::{Digest, Sha256};

pub use registry_api::dispensing::{
    DispenseRequest, Dispensed, Dispensing, OFFLINE_MAX_AGE, OFFLINE_MAX_AHEAD, RECORDED_CONFLICTS,
};

use card_format::model::Date;

mod facts;
mod review;

use facts::{authorisation_facts, card_facts};

pub use review::conflicts;

use super::audit::actor;
use super::stock;
use super::{Error, Registry, Result};
use crate::auth::{self, Caller, Role};
use crate::db;
use crate::db::dispensings::DispensingRow;
use crate::db::status::RecordStatus;
use crate::db::stock::Item;

/// Who records dispensings.
pub const DISPENSERS: &[Role] = &[Role::Pharmacist];

/// Who reads an authorisation's dispensings.
pub const READERS: &[Role] = &[Role::Pharmacist, Role::Clinician];

/// Who reviews flagged dispensings: auditors (the ministry's reviewers, who already read the
/// audit log) and clinicians (the prescribing side, who already read an authorisation's
/// dispensings). Not admins: they manage facilities and users and see no patient data.
pub const CONFLICT_REVIEWERS: &[Role] = &[Role::Clinician, Role::Auditor];

fn refused(refusal: Refusal) -> Error {
    refusal.into()
}

/// SHA-256 of what identifies the request. Without `offline_at` exactly as before offline
/// dispensings existed, so retries of requests recorded then still match.
fn request_hash(r: &DispenseRequest, serial: &str) -> Vec<u8> {
    let text = match r.offline_at {
        None => format!("{serial}|{}|{}", r.authorisation_id, r.quantity),
        Some(at) => format!(
            "{serial}|{}|{}|offline_at={at}",
            r.authorisation_id, r.quantity
        ),
    };
    Sha256::digest(text.as_bytes()).to_vec()
}

/// What a validated request asks for, and who asks.
struct Attempt<'a> {
    registry: &'a Registry,
    caller: &'a Caller,
    key: &'a str,
    serial: String,
    auth_id: i64,
    quantity: u32,
    hash: Vec<u8>,
    now: i64,
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Checks and records a dispensing, counted in the metrics (recorded, replayed, flagged,
/// refused by code). Pharmacists.
///
/// # Errors
/// [`Error::Forbidden`]; a refusal ([`Error::Conflict`] with the codes above),
/// [`Error::Validation`] for a malformed request, database errors.
pub async fn dispense(
    registry: &Registry,
    caller: &Caller,
    request: &DispenseRequest,
) -> Result<Dispensed> {
    caller.require(DISPENSERS)?;
    let m = &registry.metrics;
    let result = match judge_and_record(registry, caller, request).await {
        Ok(result) => result,
        Err(e) => {
            if let Error::Conflict { code, .. } = &e {
                m.dispensings_refused.with_label_values(&[*code]).inc();
                // A rule's refusal is kept for the inspectors' refusal rates (the watch);
                // `out_of_stock` is recorded as a stock-out already, and a reused key is
                // the client's mistake, not a refusal.
                if !matches!(*code, "out_of_stock" | "idempotency_key_reused") {
                    crate::db::audit::append_alone(
                        &registry.db,
                        registry.clock.now(),
                        &actor(caller),
                        &format!("dispensing.refused.{code}"),
                        "authorisation",
                        &request.authorisation_id.to_string(),
                    )
                    .await?;
                }
            }
            return Err(e);
        }
    };
    if result.replayed {
        m.dispensings_replayed.inc();
    } else {
        m.dispensings_recorded.inc();
        if let Some(code) = &result.conflict {
            m.dispensings_flagged
                .with_label_values(&[code.as_str()])
                .inc();
        }
    }
    Ok(result)
}

/// Checks and records a dispensing (the rules, the claim, the row, the audit entry).
async fn judge_and_record(
    registry: &Registry,
    caller: &Caller,
    r: &DispenseRequest,
) -> Result<Dispensed> {
    let key_ok = (8..=64).contains(&r.idempotency_key.len())
        && r.idempotency_key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !key_ok {
        return Err(Error::invalid(
            "idempotency_key",
            "8 to 64 of A-Z, a-z, 0-9, '-', '_'",
        ));
    }
    let serial = card_format::CardSerial::parse(&r.card_serial)
        .map_err(|_| Error::invalid("card_serial", "expected 16 Base32 characters"))?
        .to_compact();
    if r.quantity == 0 {
        return Err(Error::invalid("quantity", "at least 1"));
    }
    let offline_at = r
        .offline_at
        .map(i64::try_from)
        .transpose()
        .map_err(|_| Error::invalid("offline_at", "not a plausible time"))?;
    let auth_id = i64::try_from(r.authorisation_id)
        .map_err(|_| refused(Refusal::MedicineNotAuthorised(NotAuthorised::NoSuch)))?;
    let attempt = Attempt {
        registry,
        caller,
        key: &r.idempotency_key,
        hash: request_hash(r, &serial),
        serial,
        auth_id,
        quantity: r.quantity,
        now: registry.clock.now(),
    };

    let mut tx = registry.db.pool.begin().await?;
    if let Some(first) =
        db::dispensings::by_key(&mut tx, &attempt.caller.facility_code, attempt.key).await?
    {
        tx.rollback().await?;
        return replay(registry, first, &attempt.hash).await;
    }
    match offline_at {
        None => online(attempt, tx).await,
        // The time window is checked after the key: a retry of an offline dispensing that was
        // recorded gets its result even once the dispensing is older than the window.
        Some(at) => {
            if at > attempt.now + OFFLINE_MAX_AHEAD {
                return Err(Error::invalid(
                    "offline_at",
                    "more than 5 minutes ahead of the registry's clock",
                ));
            }
            if at < attempt.now - OFFLINE_MAX_AGE {
                return Err(Error::invalid(
                    "offline_at",
                    "more than 90 days ago: this dispensing needs a person",
                ));
            }
            offline(attempt, tx, at).await
        }
    }
}

/// A dispensing now: every rule broken is a refusal.
async fn online(a: Attempt<'_>, mut tx: Tx) -> Result<Dispensed> {
    let now = a.now;
    let Some(card) = db::cards::get_in(&mut tx, &a.serial).await? else {
        return Err(refused(Refusal::CardUnknown));
    };
    let auth = db::clinical::medicine_in(&mut tx, a.auth_id).await?;
    let mut facts = Facts {
        at: now,
        card: Some(card_facts(&card, None)),
        authorisation: authorisation_facts(auth.as_ref(), &card.patient_id)?,
        quantity: a.quantity,
        earlier: Earlier {
            count: auth.as_ref().map_or(0, |m| m.dispensed_count),
            nearest: auth.as_ref().and_then(|m| m.last_dispensed_at),
        },
    };
    if let Some(refusal) = rules::judge(&facts).first() {
        // A count or interval refusal may be this very request's retry, committed by a
        // concurrent copy since (the counters above were read without a lock).
        if matches!(refusal, Refusal::OverCount { .. } | Refusal::TooSoon { .. }) {
            if let Some(first) =
                db::dispensings::by_key(&mut tx, &a.caller.facility_code, a.key).await?
            {
                tx.rollback().await?;
                return replay(a.registry, first, &a.hash).await;
            }
        }
        return Err(refused(refusal.clone()));
    }
    // The count and interval are claimed in one conditional statement, so two instances
    // cannot both take the last dispensing.
    if !db::dispensings::claim(&mut tx, a.auth_id, now).await? {
        // The claim may have waited for a concurrent request with this very key (a retry
        // racing its original): if that one is now committed, answer with its result.
        if let Some(first) =
            db::dispensings::by_key(&mut tx, &a.caller.facility_code, a.key).await?
        {
            tx.rollback().await?;
            return replay(a.registry, first, &a.hash).await;
        }
        // Nothing was changed; judge again what the row holds now (a concurrent dispensing
        // may have moved it since it was read above).
        let (count, last, status) = db::dispensings::counters(&mut tx, a.auth_id).await?;
        if status != RecordStatus::Active {
            return Err(refused(Refusal::MedicineNotAuthorised(
                NotAuthorised::Withdrawn,
            )));
        }
        facts.earlier = Earlier {
            count,
            nearest: last,
        };
        let refusal = rules::judge(&facts).first().cloned().unwrap_or_else(|| {
            // The claim refused what the rules allow: a last dispensing stamped ahead of this
            // instance's clock (an offline one, up to 5 minutes ahead) is too recent.
            Refusal::TooSoon {
                next: rules::next_day(
                    last.unwrap_or(now),
                    facts.authorisation.map_or(0, |x| x.interval_days),
                ),
            }
        });
        return Err(refused(refusal));
    }
    let dispensings = facts.authorisation.map_or(0, |x| x.dispensings);
    let counts = (facts.earlier.count + 1, dispensings);
    let item = auth.as_ref().map(|m| stock::item_of(a.caller, m));
    record(a, tx, now, None, counts, item).await
}

/// A dispensing made offline at `at`, sent now: the rules are judged at `at`, and a breach
/// of one of [`RECORDED_CONFLICTS`] is recorded and flagged instead of refused.
async fn offline(a: Attempt<'_>, mut tx: Tx, at: i64) -> Result<Dispensed> {
    let Some(card) = db::cards::get_in(&mut tx, &a.serial).await? else {
        return Err(refused(Refusal::CardUnknown));
    };
    let since = match &card.superseded_by {
        // Superseded when its successor was issued (same transaction).
        Some(successor) => db::cards::issued_at_in(&mut tx, successor).await?,
        None => None,
    };
    let auth = db::clinical::medicine_in(&mut tx, a.auth_id).await?;
    let mut authorisation = authorisation_facts(auth.as_ref(), &card.patient_id)?;
    if let Ok(terms) = &mut authorisation {
        terms.authorised_at = db::clinical::authorised_at(&mut tx, a.auth_id).await?;
    }
    let mut facts = Facts {
        at,
        card: Some(card_facts(&card, since)),
        authorisation,
        quantity: a.quantity,
        earlier: Earlier::default(),
    };
    // What refuses whatever the counters say refuses before anything is counted.
    rules::judge(&facts).offline().map_err(refused)?;
    // Counted whatever the count says; this locks the authorisation's row until commit, so
    // concurrent offline dispensings of it (on any instance) are judged one after another.
    let taken = db::dispensings::take_offline(&mut tx, a.auth_id, at)
        .await?
        .ok_or_else(|| refused(Refusal::MedicineNotAuthorised(NotAuthorised::Withdrawn)))?;
    // A copy of this very request may have been recorded while we waited for that lock.
    if let Some(first) = db::dispensings::by_key(&mut tx, &a.caller.facility_code, a.key).await? {
        tx.rollback().await?;
        return replay(a.registry, first, &a.hash).await;
    }
    facts.earlier = Earlier {
        count: taken.dispensed_count - 1,
        nearest: db::dispensings::nearest_within(&mut tx, a.auth_id, at, taken.interval_days)
            .await?,
    };
    if let Ok(terms) = &mut facts.authorisation {
        terms.dispensings = taken.dispensings;
        terms.interval_days = taken.interval_days;
    }
    let conflict = rules::judge(&facts).offline().map_err(refused)?;
    let counts = (taken.dispensed_count, taken.dispensings);
    let item = auth.as_ref().map(|m| stock::item_of(a.caller, m));
    record(a, tx, at, Some(conflict.map(|r| r.code())), counts, item).await
}

/// Writes the dispensing handed out at `dispensed_at` and its audit entry, and commits.
/// `offline` is `None` for an online dispensing, otherwise the conflict (if any).
/// `counts` are the authorisation's dispensings recorded (with this one) and authorised.
/// The dispensing draws on `item`'s stock ([`stock::draw()`]): online, too little refuses it
/// `out_of_stock` (recorded as a stock-out event); offline, what is short is recorded.
async fn record(
    a: Attempt<'_>,
    mut tx: Tx,
    dispensed_at: i64,
    offline: Option<Option<&'static str>>,
    counts: (i64, i64),
    item: Option<Item>,
) -> Result<Dispensed> {
    let conflict = offline.flatten();
    let row = DispensingRow {
        request_hash: a.hash.clone(),
        dispensing: Dispensing {
            id: auth::new_id(),
            idempotency_key: a.key.to_string(),
            authorisation_id: a.auth_id,
            card_serial: a.serial.clone(),
            facility_code: a.caller.facility_code.clone(),
            user_id: a.caller.user_id.clone(),
            quantity: i64::from(a.quantity),
            dispensed_at,
            offline: offline.is_some(),
            received_at: a.now,
            conflict: conflict.map(String::from),
        },
    };
    if let Err(e) = db::dispensings::insert(&mut tx, &row).await {
        if db::is_unique_violation(&e) {
            // The same key was recorded concurrently (another instance): undo our claim and
            // answer with the first result.
            tx.rollback().await?;
            let mut conn = a.registry.db.pool.acquire().await?;
            let first = db::dispensings::by_key(&mut conn, &a.caller.facility_code, a.key)
                .await?
                .ok_or_else(|| Error::Internal("idempotency key vanished".into()))?;
            drop(conn);
            return replay(a.registry, first, &a.hash).await;
        }
        return Err(e.into());
    }
    if let Some(item) = &item {
        let d = stock::Draw {
            item,
            quantity: u64::from(a.quantity),
            movement: "dispensing",
            source_id: &row.dispensing.id,
            authorisation_id: a.auth_id,
            short: offline.is_some(),
            on: Date::from_unix_seconds(u64::try_from(dispensed_at).unwrap_or(0)),
        };
        tx = stock::draw_or_refuse(tx, a.registry, a.now, a.caller, d).await?;
    }
    // The audit log has no free-text detail: the conflict code is part of the action
    // (`dispensing.record.offline.over_count`). Codes and ids only, no patient data.
    let action = match (offline, conflict) {
        (None, _) => "dispensing.record".to_string(),
        (Some(_), None) => "dispensing.record.offline".to_string(),
        (Some(_), Some(code)) => format!("dispensing.record.offline.{code}"),
    };
    db::audit::append(
        &mut tx,
        a.now,
        &actor(a.caller),
        &action,
        "authorisation",
        &a.auth_id.to_string(),
    )
    .await?;
    tx.commit().await?;
    Ok(Dispensed {
        offline: row.dispensing.offline,
        conflict: row.dispensing.conflict.clone(),
        dispensing: row.dispensing,
        dispensed_count: counts.0,
        dispensings_authorised: counts.1,
        replayed: false,
    })
}

async fn replay(registry: &Registry, first: DispensingRow, hash: &[u8]) -> Result<Dispensed> {
    if first.request_hash != hash {
        return Err(refused(Refusal::IdempotencyKeyReused));
    }
    let first = first.dispensing;
    let auth = db::clinical::medicine(&registry.db, first.authorisation_id)
        .await?
        .ok_or_else(|| Error::Internal("authorisation of a dispensing vanished".into()))?;
    Ok(Dispensed {
        offline: first.offline,
        conflict: first.conflict.clone(),
        dispensing: first,
        dispensed_count: auth.dispensed_count,
        dispensings_authorised: auth.dispensings,
        replayed: true,
    })
}

/// An authorisation's dispensings, in the order they were handed out; the read is audited
/// (`dispensing.read`). Pharmacists and clinicians.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::NotFound`], database errors.
pub async fn dispensings_of(
    registry: &Registry,
    caller: &Caller,
    id: &str,
) -> Result<Vec<Dispensing>> {
    caller.require(READERS)?;
    let id: i64 = id.parse().map_err(|_| Error::NotFound {
        what: "authorisation",
    })?;
    if db::clinical::medicine(&registry.db, id).await?.is_none() {
        return Err(Error::NotFound {
            what: "authorisation",
        });
    }
    let rows = db::dispensings::for_authorisation(&registry.db, id).await?;
    super::audit::read_by(
        registry,
        caller,
        "dispensing.read",
        "authorisation",
        &id.to_string(),
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.dispensing).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(offline_at: Option<u64>) -> DispenseRequest {
        DispenseRequest {
            idempotency_key: "key-00000001".into(),
            card_serial: "ABCD-EFGH-JKMN-PQRS".into(),
            authorisation_id: 7,
            quantity: 30,
            offline_at,
        }
    }

    #[test]
    fn online_request_hash_is_unchanged_and_offline_time_is_part_of_it() {
        let serial = "ABCDEFGHJKMNPQRS";
        let before = Sha256::digest(format!("{serial}|7|30").as_bytes()).to_vec();
        assert_eq!(request_hash(&request(None), serial), before);
        let offline = request_hash(&request(Some(1_780_000_000)), serial);
        assert_ne!(offline, before);
        assert_ne!(offline, request_hash(&request(Some(1_780_000_001)), serial));
    }

    /// The newest CHECK on `dispensings.conflict` (migration 0013 on both databases) lists
    /// exactly the codes an offline dispensing can be recorded with.
    #[test]
    fn both_migrations_allow_exactly_the_recorded_conflicts() {
        for migration in [
            include_str!("../../migrations/sqlite/0013_dispensing_scope.sql"),
            include_str!("../../migrations/postgres/0013_dispensing_scope.sql"),
        ] {
            let list = migration
                .split_once("conflict IN (")
                .and_then(|(_, rest)| rest.split_once(')'))
                .map(|(list, _)| list)
                .expect("a conflict IN (...) list");
            let mut codes: Vec<&str> = list
                .split(',')
                .map(|c| c.trim().trim_matches('\''))
                .collect();
            codes.sort_unstable();
            let mut expected = RECORDED_CONFLICTS.to_vec();
            expected.sort_unstable();
            assert_eq!(codes, expected, "{list}");
        }
    }
}

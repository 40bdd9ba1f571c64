//! Recording a dispensing: the rules that stop unjustified disbursement.
//!
//! A pharmacist presents the card serial, the authorisation id printed on the card, the
//! quantity and an idempotency key. Refusals, each with its own code:
//! `card_unknown`, `card_revoked`, `card_superseded`, `card_expired`,
//! `medicine_not_authorised` (not this patient's, or withdrawn), `authorisation_expired`,
//! `over_quantity`, `over_count` (every authorised dispensing done), `too_soon` (the interval
//! has not passed), `idempotency_key_reused` (same key, different request).
//! A retry with the same key and request returns the first result, even if that first request
//! was recorded by another server instance.
//!
//! **Offline dispensings.** A pharmacy without connectivity verifies the signed card offline,
//! hands out the medicine and queues the dispensing; the request then carries `offline_at`,
//! when it happened. The same rules are checked, judged at `offline_at`, but the medicine has
//! already left the pharmacy: refusing would only lose the record. So a breach of
//! [`RECORDED_CONFLICTS`] is recorded, counted, and flagged with the first rule broken
//! (`conflict`) for a person to review. What cannot be recorded against an authorisation
//! still refuses: `card_unknown`, `medicine_not_authorised`, `idempotency_key_reused`, and
//! invalid input.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::auth::{self, Caller};
use crate::db::{self, dispensings::DispensingRow};
use crate::http::admin::actor;
use crate::http::{ApiError, AppState};

/// How far `offline_at` may be ahead of the registry's clock, seconds (pharmacy clocks drift).
pub const OFFLINE_MAX_AHEAD: i64 = 5 * 60;

/// How old an offline dispensing may be when it arrives, seconds (90 days).
pub const OFFLINE_MAX_AGE: i64 = 90 * 86_400;

/// The rules an offline dispensing may break and still be recorded (flagged), in the order
/// they are checked: the first one broken is its `conflict`.
pub const RECORDED_CONFLICTS: [&str; 7] = [
    "card_revoked",
    "card_superseded",
    "card_expired",
    "authorisation_expired",
    "over_quantity",
    "over_count",
    "too_soon",
];

/// A dispensing request.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispenseRequest {
    /// Chosen by the client, unique per dispensing (a UUID, say); 8 to 64 characters.
    pub idempotency_key: String,
    /// The card presented (`XXXX-XXXX-XXXX-XXXX`, hyphens optional).
    pub card_serial: String,
    /// The authorisation id printed on the card.
    pub authorisation_id: u64,
    /// Quantity dispensed, at most the authorised quantity per dispensing.
    pub quantity: u32,
    /// Only for a dispensing the pharmacy made while offline and sends now: when it handed
    /// the medicine out, Unix seconds; at most 5 minutes ahead of the registry's clock and at
    /// most 90 days old. The rules are then judged at this time, and a dispensing that breaks
    /// `card_revoked`, `card_superseded`, `card_expired`, `authorisation_expired`,
    /// `over_quantity`, `over_count` or `too_soon` is recorded with that `conflict` instead of
    /// refused. Absent: an ordinary dispensing, now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 0)]
    pub offline_at: Option<u64>,
}

/// A recorded dispensing.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dispensed {
    /// The dispensing.
    pub dispensing: DispensingRow,
    /// Dispensings recorded on this authorisation, including this one.
    pub dispensed_count: i64,
    /// Dispensings authorised.
    pub dispensings_authorised: i64,
    /// True when this is the first request's result returned again for a retry.
    pub replayed: bool,
    /// For an offline dispensing recorded although it broke a rule: the first rule broken,
    /// flagged for review (one of the refusal codes `card_revoked`, `card_superseded`,
    /// `card_expired`, `authorisation_expired`, `over_quantity`, `over_count`, `too_soon`).
    /// Null when none.
    #[schema(required = true)]
    pub conflict: Option<String>,
    /// True when the request carried `offline_at`.
    pub offline: bool,
}

fn refused(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::conflict(code, message)
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
    state: &'a AppState,
    caller: &'a Caller,
    key: &'a str,
    serial: String,
    auth_id: i64,
    quantity: i64,
    hash: Vec<u8>,
    now: i64,
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Checks and records a dispensing.
///
/// # Errors
/// A refusal ([`ApiError::Conflict`] with the codes above), [`ApiError::Validation`] for a
/// malformed request, database errors.
pub async fn dispense(
    state: &AppState,
    caller: &Caller,
    r: &DispenseRequest,
) -> Result<Dispensed, ApiError> {
    let key_ok = (8..=64).contains(&r.idempotency_key.len())
        && r.idempotency_key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !key_ok {
        return Err(ApiError::invalid(
            "idempotency_key",
            "8 to 64 of A-Z, a-z, 0-9, '-', '_'",
        ));
    }
    let serial = card_format::CardSerial::parse(&r.card_serial)
        .map_err(|_| ApiError::invalid("card_serial", "expected 16 Base32 characters"))?
        .to_compact();
    if r.quantity == 0 {
        return Err(ApiError::invalid("quantity", "at least 1"));
    }
    let offline_at = r
        .offline_at
        .map(i64::try_from)
        .transpose()
        .map_err(|_| ApiError::invalid("offline_at", "not a plausible time"))?;
    let auth_id = i64::try_from(r.authorisation_id)
        .map_err(|_| refused("medicine_not_authorised", "no such authorisation"))?;
    let attempt = Attempt {
        state,
        caller,
        key: &r.idempotency_key,
        hash: request_hash(r, &serial),
        serial,
        auth_id,
        quantity: i64::from(r.quantity),
        now: state.clock.now(),
    };

    let mut tx = state.db.pool.begin().await?;
    if let Some(first) = db::dispensings::by_key(&mut tx, attempt.key).await? {
        tx.rollback().await?;
        return replay(state, first, &attempt.hash).await;
    }
    match offline_at {
        None => online(attempt, tx).await,
        // The time window is checked after the key: a retry of an offline dispensing that was
        // recorded gets its result even once the dispensing is older than the window.
        Some(at) => {
            if at > attempt.now + OFFLINE_MAX_AHEAD {
                return Err(ApiError::invalid(
                    "offline_at",
                    "more than 5 minutes ahead of the registry's clock",
                ));
            }
            if at < attempt.now - OFFLINE_MAX_AGE {
                return Err(ApiError::invalid(
                    "offline_at",
                    "more than 90 days ago: this dispensing needs a person",
                ));
            }
            offline(attempt, tx, at).await
        }
    }
}

/// The authorisation, if it is this patient's and active; otherwise the refusal.
async fn authorisation(
    tx: &mut Tx,
    auth_id: i64,
    patient_id: &str,
) -> Result<db::clinical::MedicineRow, ApiError> {
    let auth: Option<db::clinical::MedicineRow> = sqlx::query_as(
        "SELECT id, patient_id, atc, name, strength, form, quantity, dispensings, interval_days, \
         valid_until, prescriber, facility_code, status, dispensed_count, last_dispensed_at, \
         version FROM medicine_authorisations WHERE id = $1",
    )
    .bind(auth_id)
    .fetch_optional(&mut **tx)
    .await?;
    auth.filter(|a| a.patient_id == patient_id && a.status == "active")
        .ok_or_else(|| {
            refused(
                "medicine_not_authorised",
                "this medicine is not authorised for this patient",
            )
        })
}

/// A dispensing now: every rule broken is a refusal.
async fn online(a: Attempt<'_>, mut tx: Tx) -> Result<Dispensed, ApiError> {
    let now = a.now;
    let card = db::cards::get_in(&mut tx, &a.serial)
        .await?
        .ok_or_else(|| refused("card_unknown", "no card with this serial"))?;
    match card.status.as_str() {
        "revoked" => {
            return Err(refused(
                "card_revoked",
                format!(
                    "the card was revoked ({})",
                    card.revoked_reason.as_deref().unwrap_or("other")
                ),
            ))
        }
        "superseded" => {
            return Err(refused(
                "card_superseded",
                "a newer card was issued; ask for it",
            ))
        }
        _ => {}
    }
    if card.expires_at <= now {
        return Err(refused("card_expired", "the card has expired"));
    }
    let auth = authorisation(&mut tx, a.auth_id, &card.patient_id).await?;
    if auth.valid_until < i64::from(a.state.clock.today().0) {
        return Err(refused(
            "authorisation_expired",
            "the authorisation has expired",
        ));
    }
    if a.quantity > auth.quantity {
        return Err(refused(
            "over_quantity",
            format!("at most {} per dispensing", auth.quantity),
        ));
    }
    if !db::dispensings::claim(&mut tx, a.auth_id, now).await? {
        // The claim may have waited for a concurrent request with this very key (a retry
        // racing its original): if that one is now committed, answer with its result.
        if let Some(first) = db::dispensings::by_key(&mut tx, a.key).await? {
            tx.rollback().await?;
            return replay(a.state, first, &a.hash).await;
        }
        // Nothing was changed; say why from what the row holds now (a concurrent dispensing
        // may have moved it since it was read above).
        let now_row = db::dispensings::counters(&mut tx, a.auth_id).await?;
        if now_row.2 != "active" {
            return Err(refused(
                "medicine_not_authorised",
                "the authorisation was withdrawn",
            ));
        }
        let auth = db::clinical::MedicineRow {
            dispensed_count: now_row.0,
            last_dispensed_at: now_row.1,
            ..auth
        };
        let reason = if auth.dispensed_count >= auth.dispensings {
            refused(
                "over_count",
                format!("all {} authorised dispensings are done", auth.dispensings),
            )
        } else {
            let next = auth.last_dispensed_at.unwrap_or(now) + auth.interval_days * 86_400;
            let next_day =
                card_format::model::Date::from_unix_seconds(u64::try_from(next).unwrap_or(0));
            refused(
                "too_soon",
                format!("the next dispensing is allowed from {next_day}"),
            )
        };
        return Err(reason);
    }
    let counts = (auth.dispensed_count + 1, auth.dispensings);
    record(a, tx, now, None, counts).await
}

/// A dispensing made offline at `at`, sent now: the rules are judged at `at`, and a breach
/// of one of [`RECORDED_CONFLICTS`] is recorded and flagged instead of refused.
async fn offline(a: Attempt<'_>, mut tx: Tx, at: i64) -> Result<Dispensed, ApiError> {
    let card = db::cards::get_in(&mut tx, &a.serial)
        .await?
        .ok_or_else(|| refused("card_unknown", "no card with this serial"))?;
    // The first rule broken; later checks still run for the rules that refuse.
    let mut conflict: Option<&'static str> = None;
    if card.status == "revoked" && card.revoked_at.is_none_or(|t| t <= at) {
        conflict = Some("card_revoked");
    }
    if conflict.is_none() {
        if let Some(successor) = &card.superseded_by {
            // Superseded when its successor was issued (same transaction).
            let since = db::cards::issued_at_in(&mut tx, successor).await?;
            if since.is_none_or(|t| t <= at) {
                conflict = Some("card_superseded");
            }
        }
    }
    if conflict.is_none() && card.expires_at <= at {
        conflict = Some("card_expired");
    }
    let auth = authorisation(&mut tx, a.auth_id, &card.patient_id).await?;
    let day = card_format::model::Date::from_unix_seconds(u64::try_from(at).unwrap_or(0));
    if conflict.is_none() && auth.valid_until < i64::from(day.0) {
        conflict = Some("authorisation_expired");
    }
    if conflict.is_none() && a.quantity > auth.quantity {
        conflict = Some("over_quantity");
    }
    // Counted whatever the count says; this locks the authorisation's row until commit, so
    // concurrent offline dispensings of it (on any instance) are judged one after another.
    let taken = db::dispensings::take_offline(&mut tx, a.auth_id, at)
        .await?
        .ok_or_else(|| refused("medicine_not_authorised", "the authorisation was withdrawn"))?;
    // A copy of this very request may have been recorded while we waited for that lock.
    if let Some(first) = db::dispensings::by_key(&mut tx, a.key).await? {
        tx.rollback().await?;
        return replay(a.state, first, &a.hash).await;
    }
    // Over the count when the count with this one exceeds what was authorised.
    if conflict.is_none() && taken.dispensed_count > taken.dispensings {
        conflict = Some("over_count");
    }
    if conflict.is_none()
        && db::dispensings::within_interval(&mut tx, a.auth_id, at, taken.interval_days).await?
    {
        conflict = Some("too_soon");
    }
    let counts = (taken.dispensed_count, taken.dispensings);
    record(a, tx, at, Some(conflict), counts).await
}

/// Writes the dispensing handed out at `dispensed_at` and its audit entry, and commits.
/// `offline` is `None` for an online dispensing, otherwise the conflict (if any).
/// `counts` are the authorisation's dispensings recorded (with this one) and authorised.
async fn record(
    a: Attempt<'_>,
    mut tx: Tx,
    dispensed_at: i64,
    offline: Option<Option<&'static str>>,
    counts: (i64, i64),
) -> Result<Dispensed, ApiError> {
    let conflict = offline.flatten();
    let row = DispensingRow {
        id: auth::new_id(),
        idempotency_key: a.key.to_string(),
        request_hash: a.hash.clone(),
        authorisation_id: a.auth_id,
        card_serial: a.serial.clone(),
        facility_code: a.caller.facility_code.clone(),
        user_id: a.caller.user_id.clone(),
        quantity: a.quantity,
        dispensed_at,
        offline: offline.is_some(),
        received_at: a.now,
        conflict: conflict.map(String::from),
    };
    if let Err(e) = db::dispensings::insert(&mut tx, &row).await {
        if db::is_unique_violation(&e) {
            // The same key was recorded concurrently (another instance): undo our claim and
            // answer with the first result.
            tx.rollback().await?;
            let mut conn = a.state.db.pool.acquire().await?;
            let first = db::dispensings::by_key(&mut conn, a.key)
                .await?
                .ok_or_else(|| ApiError::Internal("idempotency key vanished".into()))?;
            drop(conn);
            return replay(a.state, first, &a.hash).await;
        }
        return Err(e.into());
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
        offline: row.offline,
        conflict: row.conflict.clone(),
        dispensing: row,
        dispensed_count: counts.0,
        dispensings_authorised: counts.1,
        replayed: false,
    })
}

async fn replay(
    state: &AppState,
    first: DispensingRow,
    hash: &[u8],
) -> Result<Dispensed, ApiError> {
    if first.request_hash != hash {
        return Err(refused(
            "idempotency_key_reused",
            "this idempotency key was used for a different dispensing",
        ));
    }
    let auth = db::clinical::medicine(&state.db, first.authorisation_id)
        .await?
        .ok_or_else(|| ApiError::Internal("authorisation of a dispensing vanished".into()))?;
    Ok(Dispensed {
        offline: first.offline,
        conflict: first.conflict.clone(),
        dispensing: first,
        dispensed_count: auth.dispensed_count,
        dispensings_authorised: auth.dispensings,
        replayed: true,
    })
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

    #[test]
    fn both_migrations_allow_exactly_the_recorded_conflicts() {
        for migration in [
            include_str!("../migrations/sqlite/0002_offline_dispensings.sql"),
            include_str!("../migrations/postgres/0002_offline_dispensings.sql"),
        ] {
            let quoted = migration.matches("'").count() / 2;
            assert_eq!(quoted, RECORDED_CONFLICTS.len(), "{migration}");
            for code in RECORDED_CONFLICTS {
                assert!(migration.contains(&format!("'{code}'")), "{code}");
            }
        }
    }

    #[test]
    fn offline_at_is_optional_in_the_body() {
        let body = r#"{"idempotency_key": "key-00000001", "card_serial": "ABCD-EFGH-JKMN-PQRS",
            "authorisation_id": 7, "quantity": 30}"#;
        let r: DispenseRequest = serde_json::from_str(body).unwrap();
        assert_eq!(r.offline_at, None);
        assert!(!serde_json::to_string(&r).unwrap().contains("offline_at"));
    }
}

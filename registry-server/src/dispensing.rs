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

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::auth::{self, Caller};
use crate::db::{self, dispensings::DispensingRow};
use crate::http::admin::actor;
use crate::http::{ApiError, AppState};

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
}

fn refused(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::conflict(code, message)
}

fn request_hash(r: &DispenseRequest, serial: &str) -> Vec<u8> {
    let text = format!("{serial}|{}|{}", r.authorisation_id, r.quantity);
    Sha256::digest(text.as_bytes()).to_vec()
}

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
    let auth_id = i64::try_from(r.authorisation_id)
        .map_err(|_| refused("medicine_not_authorised", "no such authorisation"))?;
    let hash = request_hash(r, &serial);
    let now = state.clock.now();

    let mut tx = state.db.pool.begin().await?;
    if let Some(first) = db::dispensings::by_key(&mut tx, &r.idempotency_key).await? {
        tx.rollback().await?;
        return replay(state, first, &hash).await;
    }
    let card = db::cards::get_in(&mut tx, &serial)
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
    let auth: Option<db::clinical::MedicineRow> = sqlx::query_as(
        "SELECT id, patient_id, atc, name, strength, form, quantity, dispensings, interval_days, \
         valid_until, prescriber, facility_code, status, dispensed_count, last_dispensed_at, \
         version FROM medicine_authorisations WHERE id = $1",
    )
    .bind(auth_id)
    .fetch_optional(&mut *tx)
    .await?;
    let auth = auth
        .filter(|a| a.patient_id == card.patient_id && a.status == "active")
        .ok_or_else(|| {
            refused(
                "medicine_not_authorised",
                "this medicine is not authorised for this patient",
            )
        })?;
    if auth.valid_until < i64::from(state.clock.today().0) {
        return Err(refused(
            "authorisation_expired",
            "the authorisation has expired",
        ));
    }
    if i64::from(r.quantity) > auth.quantity {
        return Err(refused(
            "over_quantity",
            format!("at most {} per dispensing", auth.quantity),
        ));
    }
    if !db::dispensings::claim(&mut tx, auth_id, now).await? {
        // The claim may have waited for a concurrent request with this very key (a retry
        // racing its original): if that one is now committed, answer with its result.
        if let Some(first) = db::dispensings::by_key(&mut tx, &r.idempotency_key).await? {
            tx.rollback().await?;
            return replay(state, first, &hash).await;
        }
        // Nothing was changed; say why from what the row holds now (a concurrent dispensing
        // may have moved it since it was read above).
        let now_row = db::dispensings::counters(&mut tx, auth_id).await?;
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
    let row = DispensingRow {
        id: auth::new_id(),
        idempotency_key: r.idempotency_key.clone(),
        request_hash: hash.clone(),
        authorisation_id: auth_id,
        card_serial: serial,
        facility_code: caller.facility_code.clone(),
        user_id: caller.user_id.clone(),
        quantity: i64::from(r.quantity),
        dispensed_at: now,
    };
    if let Err(e) = db::dispensings::insert(&mut tx, &row).await {
        if db::is_unique_violation(&e) {
            // The same key was recorded concurrently (another instance): undo our claim and
            // answer with the first result.
            tx.rollback().await?;
            let mut conn = state.db.pool.acquire().await?;
            let first = db::dispensings::by_key(&mut conn, &r.idempotency_key)
                .await?
                .ok_or_else(|| ApiError::Internal("idempotency key vanished".into()))?;
            drop(conn);
            return replay(state, first, &hash).await;
        }
        return Err(e.into());
    }
    db::audit::append(
        &mut tx,
        now,
        &actor(caller),
        "dispensing.record",
        "authorisation",
        &auth_id.to_string(),
    )
    .await?;
    tx.commit().await?;
    Ok(Dispensed {
        dispensing: row,
        dispensed_count: auth.dispensed_count + 1,
        dispensings_authorised: auth.dispensings,
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
        dispensing: first,
        dispensed_count: auth.dispensed_count,
        dispensings_authorised: auth.dispensings,
        replayed: true,
    })
}

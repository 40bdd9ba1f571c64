//! Administrations: infusions and injections given in a hospital's day-care unit (issue
//! #14), recorded against the medicine authorisation and the unit's stock, like a
//! dispensing.
//!
//! The authorisation's rules are the dispensing rulebook's
//! ([`registry_api::dispensing::rules`]): it must be this patient's and active, in date,
//! the dose at most the authorised quantity, the count not used up, the interval passed. An
//! administration counts in the authorisation's count as a dispensing does (one cycle, one
//! dispensing), through the same conditional claim, so a cycle cannot be both given at the
//! unit and dispensed at a pharmacy. No card is presented at the unit's chair: the card
//! rules are not judged (the patient is in the hospital that treats them).
//!
//! It draws the dose on the unit's stock ([`super::stock::draw()`]): too little in date
//! refuses it `out_of_stock`, recorded as a stock-out event. Audited as
//! `administration.record` against the authorisation.

use card_format::model::Date;
use registry_api::dispensing::rules::{self, Authorisation, Card, Earlier, Facts};
use registry_api::dispensing::{NotAuthorised, Refusal};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::audit::actor;
use super::stock::{self, input};
use super::{Error, Registry, Result};
use crate::auth::{self, Caller, Role};
use crate::db::administrations::{self as sql, AdministrationRow};
use crate::db::status::RecordStatus;
use crate::db::{self};

/// Who records administrations: the unit's clinicians.
pub const GIVERS: &[Role] = &[Role::Clinician];

/// `POST /api/v1/administrations`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdministrationInput {
    /// Makes a retry safe: the same key and content is recorded once.
    pub idempotency_key: String,
    /// The authorisation (as printed on the card).
    pub authorisation_id: u64,
    /// The cycle given, from 1.
    pub cycle: u32,
    /// The dose given, in units of the authorisation's form.
    pub quantity: u32,
}

/// An administration recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Administered {
    /// Administration id.
    pub id: String,
    /// The authorisation.
    pub authorisation_id: i64,
    /// The unit's facility.
    pub facility_code: String,
    /// The cycle given.
    pub cycle: i64,
    /// The dose.
    pub quantity: i64,
    /// When, Unix seconds.
    pub given_at: i64,
    /// True when this answers a retry and nothing was written.
    pub replayed: bool,
}

impl Administered {
    fn of(r: AdministrationRow, replayed: bool) -> Administered {
        Administered {
            id: r.id,
            authorisation_id: r.authorisation_id,
            facility_code: r.facility_code,
            cycle: r.cycle,
            quantity: r.quantity,
            given_at: r.given_at,
            replayed,
        }
    }
}

fn refused(refusal: Refusal) -> Error {
    refusal.into()
}

/// Records an administration. Clinicians.
///
/// # Errors
/// [`Error::Forbidden`]; the rulebook's refusals (`medicine_not_authorised`,
/// `authorisation_expired`, `over_quantity`, `over_count`, `too_soon`), `out_of_stock`,
/// `idempotency_key_reused`; [`Error::Validation`]; database errors.
pub async fn administer(
    registry: &Registry,
    caller: &Caller,
    input: &AdministrationInput,
) -> Result<Administered> {
    caller.require(GIVERS)?;
    let key = input::key(&input.idempotency_key)?;
    if input.quantity == 0 {
        return Err(Error::invalid("quantity", "at least 1"));
    }
    if !(1..=366).contains(&input.cycle) {
        return Err(Error::invalid("cycle", "1 to 366"));
    }
    let auth_id = i64::try_from(input.authorisation_id)
        .map_err(|_| refused(Refusal::MedicineNotAuthorised(NotAuthorised::NoSuch)))?;
    let text = format!(
        "{}|{}|{}|{}",
        caller.facility_code, auth_id, input.cycle, input.quantity
    );
    let hash = Sha256::digest(text.as_bytes()).to_vec();
    let now = registry.clock.now();

    let mut tx = registry.db.pool.begin().await?;
    if let Some(first) = sql::by_key(&mut tx, &caller.facility_code, key).await? {
        tx.rollback().await?;
        return replay(first, &hash);
    }
    let m = db::clinical::medicine_in(&mut tx, auth_id)
        .await?
        .ok_or_else(|| refused(Refusal::MedicineNotAuthorised(NotAuthorised::NoSuch)))?;
    if m.status != RecordStatus::Active {
        return Err(refused(Refusal::MedicineNotAuthorised(
            NotAuthorised::Withdrawn,
        )));
    }
    let terms = m.medicine()?;
    let facts = |count, nearest| Facts {
        at: now,
        // No card at the chair: judged on the authorisation alone.
        card: Some(Card::active(i64::MAX)),
        // Given now: after the authorisation was recorded.
        authorisation: Ok(Authorisation {
            authorised_at: None,
            quantity: terms.quantity,
            dispensings: m.dispensings,
            interval_days: m.interval_days,
            valid_until: terms.valid_until,
        }),
        quantity: input.quantity,
        earlier: Earlier { count, nearest },
    };
    if let Some(refusal) = rules::judge(&facts(m.dispensed_count, m.last_dispensed_at)).first() {
        return Err(refused(refusal.clone()));
    }
    if !db::dispensings::claim(&mut tx, auth_id, now).await? {
        // Taken meanwhile by a concurrent dispensing or administration: judge again.
        let (count, last, _) = db::dispensings::counters(&mut tx, auth_id).await?;
        let refusal = rules::judge(&facts(count, last))
            .first()
            .cloned()
            .unwrap_or(Refusal::OverCount {
                authorised: m.dispensings,
            });
        return Err(refused(refusal));
    }
    let row = AdministrationRow {
        id: auth::new_id(),
        idempotency_key: key.to_owned(),
        request_hash: hash.clone(),
        authorisation_id: auth_id,
        facility_code: caller.facility_code.clone(),
        user_id: caller.user_id.clone(),
        cycle: i64::from(input.cycle),
        quantity: i64::from(input.quantity),
        given_at: now,
    };
    if let Err(e) = sql::insert(&mut tx, &row).await {
        if db::is_unique_violation(&e) {
            tx.rollback().await?;
            let mut conn = registry.db.pool.acquire().await?;
            let first = sql::by_key(&mut conn, &caller.facility_code, key)
                .await?
                .ok_or_else(|| Error::Internal("an administration's key vanished".into()))?;
            return replay(first, &hash);
        }
        return Err(e.into());
    }
    let item = stock::item_of(caller, &m);
    let d = stock::Draw {
        item: &item,
        quantity: u64::from(input.quantity),
        movement: "administration",
        source_id: &row.id,
        authorisation_id: auth_id,
        short: false,
        on: Date::from_unix_seconds(u64::try_from(now).unwrap_or(0)),
    };
    let mut tx = stock::draw_or_refuse(tx, registry, now, caller, d).await?;
    db::audit::append(
        &mut tx,
        now,
        &actor(caller),
        "administration.record",
        "authorisation",
        &auth_id.to_string(),
    )
    .await?;
    tx.commit().await?;
    Ok(Administered::of(row, false))
}

fn replay(first: AdministrationRow, hash: &[u8]) -> Result<Administered> {
    if first.request_hash != hash {
        return Err(refused(Refusal::IdempotencyKeyReused));
    }
    Ok(Administered::of(first, true))
}

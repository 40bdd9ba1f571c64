//! The watch on unjustified disbursement (issue #14): the reports a ministry inspector can
//! act on, each row with the ids of the records and the audit entries behind it.
//!
//! - `two_pharmacies`: one patient's medicine (same ATC code) dispensed at two facilities
//!   less than `interval_days` apart;
//! - `overdrawn`: a facility that keeps stock and handed out more of a medicine than it took
//!   in (receipts, transfers in, stock found), the excess being offline dispensings synced
//!   short;
//! - `before_card`: dispensings dated before the card they were made on was issued, or
//!   before their authorisation was first recorded;
//! - `raised`: an authorisation corrected upward (more units per dispensing, or more
//!   dispensings) and dispensed less than `interval_days` after the correction, from the
//!   versions `record_history` keeps;
//! - `conflicts`: each facility's offline dispensings recorded in conflict with a rule, its
//!   dispensings refused online (each refusal is audited as `dispensing.refused.<code>`) and
//!   its refusals for stock, as rates, flagged when the conflict or the refusal rate is at
//!   least twice the national one and counts at least 3.
//!
//! Inspectors only. The rows name authorisations, not patients; each authorisation shown
//! is an audited read (`watch.read`), as the conflict list's are.

use serde::Serialize;
use utoipa::ToSchema;

use super::audit::actor;
use super::{Error, Registry, Result};
use crate::auth::{Caller, Role};
use crate::db::{self, watch as sql};

/// Who reads the watch.
pub const READERS: &[Role] = &[Role::Inspector];

/// An audit entry behind a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AuditLink {
    /// The entry's number in the chain (`GET /api/v1/audit`).
    pub seq: i64,
    /// What it records.
    pub action: String,
}

/// One patient served at two pharmacies within the interval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TwoPharmacies {
    /// WHO ATC code.
    pub atc: String,
    /// The first dispensing's id, authorisation, facility and time (Unix seconds).
    pub first: Served,
    /// The second's.
    pub second: Served,
    /// Hours between them.
    pub hours_apart: i64,
    /// The dispensing audit entries of both authorisations.
    pub audit: Vec<AuditLink>,
}

/// A dispensing in a watch row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Served {
    /// Dispensing id.
    pub dispensing_id: String,
    /// Authorisation id.
    pub authorisation_id: i64,
    /// Facility.
    pub facility_code: String,
    /// When, Unix seconds.
    pub at: i64,
}

/// A dispensing dated before its card or authorisation existed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BeforeCard {
    /// The dispensing.
    pub dispensing: Served,
    /// When its card was issued.
    pub card_issued_at: i64,
    /// When its authorisation was first recorded, if after the dispensing.
    pub authorised_at: Option<i64>,
    /// Its audit entries.
    pub audit: Vec<AuditLink>,
}

/// A facility's override and refusal rates.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Overrides {
    /// The facility.
    pub facility_code: String,
    /// Dispensings recorded in the period.
    pub dispensings: i64,
    /// Offline dispensings recorded in conflict with a rule.
    pub conflicts: i64,
    /// `conflicts / dispensings`.
    pub conflict_rate: Option<f64>,
    /// Dispensings refused online by a rule (too soon, used up, card revoked...).
    pub refusals: i64,
    /// `refusals / (dispensings + refusals)`: of the attempts, those refused.
    pub refusal_rate: Option<f64>,
    /// Dispensings and administrations refused `out_of_stock`.
    pub stock_refusals: i64,
    /// The conflict or the refusal rate at least twice the national one, with at least 3
    /// conflicts or refusals.
    pub unusual: bool,
}

/// An authorisation corrected upward shortly before a dispensing of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Raised {
    /// The authorisation.
    pub authorisation_id: i64,
    /// When it was corrected, Unix seconds.
    pub corrected_at: i64,
    /// Who corrected it (user id).
    pub corrected_by: String,
    /// Units per dispensing before the correction.
    pub quantity_before: i64,
    /// Units per dispensing after it.
    pub quantity_after: i64,
    /// Dispensings authorised before the correction.
    pub dispensings_before: i64,
    /// Dispensings authorised after it.
    pub dispensings_after: i64,
    /// The dispensing that followed.
    pub dispensing: Served,
    /// Hours from the correction to the dispensing.
    pub hours_after: i64,
    /// The correction and dispensing audit entries of the authorisation.
    pub audit: Vec<AuditLink>,
}

/// A facility × medicine handed out beyond what it took in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Overdrawn {
    /// The facility.
    pub facility_code: String,
    /// WHO ATC code.
    pub atc: String,
    /// Strength.
    pub strength: String,
    /// Dose form.
    pub form: String,
    /// Units taken in.
    pub taken_in: i64,
    /// Units handed out.
    pub handed_out: i64,
    /// `handed_out − taken_in`.
    pub excess: i64,
}

/// The watch.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Watch {
    /// Days looked back.
    pub days: u32,
    /// The interval of `two_pharmacies`, days.
    pub interval_days: u32,
    /// One patient's medicine at two pharmacies within the interval.
    pub two_pharmacies: Vec<TwoPharmacies>,
    /// Handed out beyond what was taken in.
    pub overdrawn: Vec<Overdrawn>,
    /// Dated before the card or the authorisation.
    pub before_card: Vec<BeforeCard>,
    /// Corrected upward shortly before a dispensing.
    pub raised: Vec<Raised>,
    /// Override and refusal rates per facility (those with dispensings).
    pub conflicts: Vec<Overrides>,
}

fn links(audit: &[sql::AuditRef], ids: &[i64]) -> Vec<AuditLink> {
    audit
        .iter()
        .filter(|a| ids.iter().any(|id| a.entity_id == id.to_string()))
        .map(|a| AuditLink {
            seq: a.seq,
            action: a.action.clone(),
        })
        .collect()
}

/// The watch over the last `days` (1 to 366), pairs `interval_days` (1 to 90) apart.
/// Inspectors.
///
/// # Errors
/// [`Error::Forbidden`], [`Error::Validation`], database errors.
pub async fn watch(
    registry: &Registry,
    caller: &Caller,
    days: u32,
    interval_days: u32,
) -> Result<Watch> {
    caller.require(READERS)?;
    if !(1..=366).contains(&days) {
        return Err(Error::invalid("days", "1 to 366"));
    }
    if !(1..=90).contains(&interval_days) {
        return Err(Error::invalid("interval_days", "1 to 90"));
    }
    let now = registry.clock.now();
    let since = now - i64::from(days) * 86_400;
    let interval = i64::from(interval_days) * 86_400;
    let (pairs, overdrawn, before, overrides, refusals, raised) = tokio::try_join!(
        sql::two_pharmacies(&registry.db, since, interval),
        sql::overdrawn(&registry.db),
        sql::before_card(&registry.db, since),
        sql::overrides(&registry.db, since),
        sql::refusals(&registry.db, since),
        sql::raised(&registry.db, since, interval),
    )?;
    let raised: Vec<Upward> = raised.into_iter().filter_map(upward).collect();
    let mut shown: Vec<i64> = pairs
        .iter()
        .flat_map(|p| [p.first_authorisation, p.second_authorisation])
        .chain(before.iter().map(|b| b.authorisation_id))
        .chain(raised.iter().map(|(r, _, _)| r.authorisation_id))
        .collect();
    shown.sort_unstable();
    shown.dedup();
    let ids: Vec<String> = shown.iter().map(i64::to_string).collect();
    let audit = sql::audit_of(&registry.db, &ids, since).await?;

    let two_pharmacies = pairs
        .into_iter()
        .map(|p| TwoPharmacies {
            audit: links(&audit, &[p.first_authorisation, p.second_authorisation]),
            hours_apart: (p.second_at - p.first_at) / 3600,
            atc: p.atc,
            first: Served {
                dispensing_id: p.first_id,
                authorisation_id: p.first_authorisation,
                facility_code: p.first_facility,
                at: p.first_at,
            },
            second: Served {
                dispensing_id: p.second_id,
                authorisation_id: p.second_authorisation,
                facility_code: p.second_facility,
                at: p.second_at,
            },
        })
        .collect();
    let before_card = before
        .into_iter()
        .map(|b| BeforeCard {
            audit: links(&audit, &[b.authorisation_id]),
            dispensing: Served {
                dispensing_id: b.id,
                authorisation_id: b.authorisation_id,
                facility_code: b.facility_code,
                at: b.dispensed_at,
            },
            card_issued_at: b.card_issued_at,
            authorised_at: b.authorised_at,
        })
        .collect();
    let overdrawn = overdrawn
        .into_iter()
        .filter(|o| o.handed_out > o.taken_in)
        .map(|o| Overdrawn {
            excess: o.handed_out - o.taken_in,
            facility_code: o.facility_code,
            atc: o.atc,
            strength: o.strength,
            form: o.form,
            taken_in: o.taken_in,
            handed_out: o.handed_out,
        })
        .collect();
    let raised = raised
        .into_iter()
        .map(|(r, quantity, dispensings)| Raised {
            audit: links(&audit, &[r.authorisation_id]),
            hours_after: (r.dispensed_at - r.corrected_at) / 3600,
            authorisation_id: r.authorisation_id,
            corrected_at: r.corrected_at,
            corrected_by: r.corrected_by,
            quantity_before: quantity.0,
            quantity_after: quantity.1,
            dispensings_before: dispensings.0,
            dispensings_after: dispensings.1,
            dispensing: Served {
                dispensing_id: r.dispensing_id,
                authorisation_id: r.authorisation_id,
                facility_code: r.facility_code,
                at: r.dispensed_at,
            },
        })
        .collect();
    let conflicts = rates(overrides, &refusals);
    db::audit::append_reads(
        &registry.db,
        now,
        &actor(caller),
        "watch.read",
        "authorisation",
        &ids.iter().map(String::as_str).collect::<Vec<_>>(),
    )
    .await?;
    Ok(Watch {
        days,
        interval_days,
        two_pharmacies,
        overdrawn,
        before_card,
        raised,
        conflicts,
    })
}

/// A correction that raised an authorisation: its row, the units per dispensing before and
/// after, the dispensings before and after.
type Upward = (sql::RaisedRow, (i64, i64), (i64, i64));

/// The units per dispensing and the dispensings before and after a correction, when it
/// raised either (a withdrawal's history row, without them, is none).
fn upward(r: sql::RaisedRow) -> Option<Upward> {
    let numbers = |json: &str| {
        let v: serde_json::Value = serde_json::from_str(json).ok()?;
        Some((
            v.get("quantity")?.as_i64()?,
            v.get("dispensings")?.as_i64()?,
        ))
    };
    let (q0, n0) = numbers(&r.before)?;
    let (q1, n1) = match &r.after {
        Some(after) => numbers(after)?,
        None => (r.quantity, r.dispensings),
    };
    (q1 > q0 || n1 > n0).then_some((r, (q0, q1), (n0, n1)))
}

/// Each facility's rates, flagged against the national ones.
fn rates(overrides: Vec<sql::OverrideRow>, refusals: &[sql::RefusalRow]) -> Vec<Overrides> {
    let refused = |f: &str| {
        refusals
            .iter()
            .find(|r| r.facility_code == f)
            .map_or(0, |r| r.refusals)
    };
    let ratio = |n: i64, d: i64| (d > 0).then(|| n as f64 / d as f64);
    let (all, flagged, refused_all) = overrides.iter().fold((0, 0, 0), |(a, f, r), o| {
        (
            a + o.dispensings,
            f + o.conflicts,
            r + refused(&o.facility_code),
        )
    });
    let national_conflicts = ratio(flagged, all);
    let national_refusals = ratio(refused_all, all + refused_all);
    let high = |count: i64, rate: Option<f64>, national: Option<f64>| {
        count >= 3 && matches!((rate, national), (Some(r), Some(n)) if r >= 2.0 * n)
    };
    overrides
        .into_iter()
        .map(|o| (refused(&o.facility_code), o))
        .filter(|(r, o)| o.dispensings > 0 || o.stock_refusals > 0 || *r > 0)
        .map(|(refusals, o)| {
            let conflict_rate = ratio(o.conflicts, o.dispensings);
            let refusal_rate = ratio(refusals, o.dispensings + refusals);
            Overrides {
                unusual: high(o.conflicts, conflict_rate, national_conflicts)
                    || high(refusals, refusal_rate, national_refusals),
                conflict_rate,
                refusal_rate,
                refusals,
                facility_code: o.facility_code,
                dispensings: o.dispensings,
                conflicts: o.conflicts,
                stock_refusals: o.stock_refusals,
            }
        })
        .collect()
}

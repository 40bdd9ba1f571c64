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
//! - `conflicts`: each facility's offline dispensings recorded in conflict with a rule, and
//!   its refusals for stock, as rates of its dispensings, flagged when the conflict rate is
//!   at least twice the national one and at least 3;
//! - not yet: authorisations corrected upward shortly before a dispensing (their earlier
//!   versions are in `record_history`, not compared yet), and the rate of online refusals
//!   (refusals are counted in the metrics, not stored per facility).
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
    /// Dispensings and administrations refused `out_of_stock`.
    pub stock_refusals: i64,
    /// Conflict rate at least twice the national and at least 3 conflicts.
    pub unusual: bool,
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
    let (pairs, overdrawn, before, overrides) = tokio::try_join!(
        sql::two_pharmacies(&registry.db, since, i64::from(interval_days) * 86_400),
        sql::overdrawn(&registry.db),
        sql::before_card(&registry.db, since),
        sql::overrides(&registry.db, since),
    )?;
    let mut shown: Vec<i64> = pairs
        .iter()
        .flat_map(|p| [p.first_authorisation, p.second_authorisation])
        .chain(before.iter().map(|b| b.authorisation_id))
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
    let (all, flagged) = overrides
        .iter()
        .fold((0, 0), |(a, f), o| (a + o.dispensings, f + o.conflicts));
    let national = (all > 0).then(|| flagged as f64 / all as f64);
    let conflicts = overrides
        .into_iter()
        .filter(|o| o.dispensings > 0 || o.stock_refusals > 0)
        .map(|o| {
            let rate = (o.dispensings > 0).then(|| o.conflicts as f64 / o.dispensings as f64);
            Overrides {
                unusual: o.conflicts >= 3
                    && matches!((rate, national), (Some(r), Some(n)) if r >= 2.0 * n),
                conflict_rate: rate,
                facility_code: o.facility_code,
                dispensings: o.dispensings,
                conflicts: o.conflicts,
                stock_refusals: o.stock_refusals,
            }
        })
        .collect();
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
        conflicts,
    })
}

//! The demand report (issue #14): for each facility × medicine, the months ahead's demand
//! from what only the registry knows (the dispensings due on active authorisations, and the
//! regimens the expected new cases will start), beside the OpenLMIS consumption measures of
//! the same item, the stock on hand, the expected stock-out date and the orders proposed;
//! and the national roll-up by region. The arithmetic is [`super::supply::forecast`].
//!
//! Where demand is placed:
//! - an authorisation is served where it was last dispensed or administered, or, before
//!   its first, at the facility that prescribed it (without either it is counted in
//!   `unplaced` and left out);
//! - a new case starts treatment where its tumour was recorded; the new cases a month are
//!   the invasive primaries (behaviour 3, not a multiple-primary `duplicate`) with
//!   incidence in the 365 days before today, / 12, matched to the regimen table
//!   ([`super::supply::regimens`]);
//! - the units due are scaled by the medicine's follow-through, the share of the units due
//!   on schedule that were collected in the last 91 days
//!   ([`super::supply::follow_through`]);
//! - consumption is what was dispensed and administered in each of the three calendar
//!   months before this one; its stock-out days are the days with a recorded stock-out
//!   (a dispensing refused `out_of_stock`, or an offline one synced short).
//!
//! A facility that keeps no stock in the registry yet has an unknown stock on hand: its
//! lines show `keeps_stock: false`, no stock-out date, and an order of the whole demand.
//!
//! Supply officers read every facility; a pharmacist their own. Quantities of medicines
//! only: no patient appears in it, so it is neither suppressed nor audited as a read.

mod report;

use std::collections::BTreeMap;
use std::sync::Arc;

use card_format::model::Date;

pub use report::{csv_field, DemandLine, DemandMonth, DemandReport, RegionLine};

use super::stock::normalise_strength;
use super::supply::forecast::{forecast, Consumed, Inputs};
use super::supply::regimens::{Regimen, Regimens};
use super::supply::schedule::{month_bounds, Authorised};
use super::supply::{demand, follow_through, SupplyError};
use super::{Error, Registry, Result};
use crate::auth::{Caller, Role};
use crate::db::{self, demand as sql};

/// Who reads demand: supply officers (every facility), pharmacists (their own).
pub const READERS: &[Role] = &[Role::SupplyOfficer, Role::Pharmacist];

/// Months of past consumption the OpenLMIS baseline averages.
pub const PAST_MONTHS: u32 = 3;

/// A facility × medicine: (facility, ATC, strength, form).
type Key = (String, String, String, String);

fn key(facility: &str, atc: &str, strength: &str, form: &str) -> Key {
    (
        facility.to_owned(),
        atc.to_owned(),
        normalise_strength(strength),
        form.to_owned(),
    )
}

fn supply_error(e: SupplyError) -> Error {
    Error::Internal(format!("demand: {e}"))
}

fn date(days: i64) -> Date {
    Date(i32::try_from(days).unwrap_or(i32::MAX))
}

/// The first day of the month `back` months before today's, and of the month after it.
fn past_month(today: Date, back: u32) -> Option<(Date, Date)> {
    let (mut year, mut month, _) = today.to_ymd()?;
    for _ in 0..back {
        (year, month) = if month == 1 {
            (year - 1, 12)
        } else {
            (year, month - 1)
        };
    }
    let (first, last) = month_bounds(year, month)?;
    Some((first, Date(last.0 + 1)))
}

/// The demand report for `facility` (none: every facility the caller may read), `months`
/// ahead (1 to 12) from today's month.
///
/// # Errors
/// [`Error::Forbidden`] (a pharmacist asking for another facility, or for all),
/// [`Error::Validation`] (`months`), database errors.
pub async fn report(
    registry: &Registry,
    caller: &Caller,
    facility: Option<&str>,
    months: u32,
    regimens: &Regimens,
) -> Result<DemandReport> {
    caller.require(READERS)?;
    if caller.role == Role::Pharmacist && facility != Some(caller.facility_code.as_str()) {
        return Err(Error::Forbidden {
            role: caller.role.as_str(),
        });
    }
    if !(1..=12).contains(&months) {
        return Err(Error::invalid("months", "1 to 12"));
    }
    let now = registry.clock.now();
    let today = Date::from_unix_seconds(u64::try_from(now).unwrap_or(0));
    let (oldest, _) =
        past_month(today, PAST_MONTHS).ok_or_else(|| Error::invalid("today", "out of range"))?;
    let (this_month, _) =
        past_month(today, 0).ok_or_else(|| Error::invalid("today", "out of range"))?;
    let day = 86_400_i64;
    let from = i64::from(oldest.0) * day;
    let to = i64::from(this_month.0) * day;
    // The follow-through beside the queries, each one its own error type.
    let (follow, read) = tokio::join!(follow_through_on(registry, today), async {
        tokio::try_join!(
            sql::active(&registry.db, i64::from(today.0)),
            sql::new_cases(&registry.db, i64::from(today.0) - 365, i64::from(today.0)),
            sql::used(&registry.db, from, to),
            sql::stockout_days(&registry.db, from, to),
            sql::on_hand(&registry.db),
            db::users::list_facilities(&registry.db),
            sql::keepers(&registry.db),
        )
    });
    let follow = follow?;
    let (active, cases, used, outs, stock, facilities, keepers) = read?;
    let wanted = |f: &str| facility.is_none_or(|w| w == f);

    // Due on authorisations.
    let mut unplaced = 0_u64;
    let mut authorised: Vec<(Key, Authorised)> = Vec::new();
    for a in &active {
        let Some(f) = a.facility_code.as_deref() else {
            unplaced += 1;
            continue;
        };
        if !wanted(f) {
            continue;
        }
        let stored = |e| Error::stored("medicine_authorisations", e);
        authorised.push((
            key(f, &a.atc, &a.strength, &a.form),
            Authorised {
                quantity: u32::try_from(a.quantity).map_err(stored)?,
                dispensings_left: u32::try_from(a.left_count).map_err(stored)?,
                interval_days: u32::try_from(a.interval_days).map_err(stored)?,
                valid_until: date(a.valid_until),
                last_dispensed: a
                    .last_dispensed_at
                    .map(|t| Date::from_unix_seconds(u64::try_from(t).unwrap_or(0))),
            },
        ));
    }
    let due = demand::by_key(
        authorised.iter().map(|(k, a)| (k.clone(), a)),
        today,
        months,
    );

    // New cases a month, per facility × medicine, with the regimen row each starts.
    let mut new_cases: BTreeMap<Key, Vec<(f64, &Regimen)>> = BTreeMap::new();
    for c in cases.iter().filter(|c| wanted(&c.facility_code)) {
        let morphology = u16::try_from(c.morphology).unwrap_or(0);
        let per_month = c.cases as f64 / 12.0;
        for r in regimens.for_case(&c.icd10, morphology, c.stage_group.as_deref()) {
            new_cases
                .entry(key(&c.facility_code, &r.atc, &r.strength, &r.form))
                .or_default()
                .push((per_month, r));
        }
    }

    // Past consumption per month (oldest first) and stock-out days.
    let mut consumed: BTreeMap<Key, Vec<Consumed>> = BTreeMap::new();
    let mut bounds = Vec::new();
    for back in (1..=PAST_MONTHS).rev() {
        bounds
            .push(past_month(today, back).ok_or_else(|| Error::invalid("today", "out of range"))?);
    }
    let slot = |d: i64| {
        bounds
            .iter()
            .position(|(a, b)| i64::from(a.0) <= d && d < i64::from(b.0))
    };
    let empty = || {
        vec![
            Consumed {
                units: 0,
                stockout_days: 0
            };
            bounds.len()
        ]
    };
    for u in used.iter().filter(|u| wanted(&u.facility_code)) {
        if let Some(i) = slot(u.day) {
            let entry = consumed
                .entry(key(&u.facility_code, &u.atc, &u.strength, &u.form))
                .or_insert_with(empty);
            entry[i].units = entry[i]
                .units
                .saturating_add(u64::try_from(u.units).unwrap_or(0));
        }
    }
    for o in outs.iter().filter(|o| wanted(&o.facility_code)) {
        if let Some(i) = slot(o.day) {
            let entry = consumed
                .entry(key(&o.facility_code, &o.atc, &o.strength, &o.form))
                .or_insert_with(empty);
            entry[i].stockout_days = entry[i].stockout_days.saturating_add(1).min(30);
        }
    }
    let on_hand: BTreeMap<Key, u64> = stock
        .iter()
        .filter(|s| wanted(&s.facility_code))
        .map(|s| {
            (
                key(&s.facility_code, &s.atc, &s.strength, &s.form),
                u64::try_from(s.on_hand).unwrap_or(0),
            )
        })
        .collect();

    let mut keys: Vec<&Key> = due
        .keys()
        .chain(new_cases.keys())
        .chain(consumed.keys())
        .chain(on_hand.keys())
        .collect();
    keys.sort();
    keys.dedup();
    let region: BTreeMap<&str, &str> = facilities
        .iter()
        .map(|f| (f.code.as_str(), f.region.as_str()))
        .collect();
    let mut lines = Vec::with_capacity(keys.len());
    for k in keys {
        let inputs = Inputs {
            today,
            months,
            due: due.get(k).cloned().unwrap_or_default(),
            follow_through: follow.of(&(k.1.clone(), k.2.clone(), k.3.clone())),
            new_cases: new_cases.get(k).cloned().unwrap_or_default(),
            consumed: consumed.get(k).cloned().unwrap_or_else(empty),
            on_hand: on_hand.get(k).copied().unwrap_or(0),
        };
        let mut f = forecast(&inputs).map_err(supply_error)?;
        let keeps = keepers.contains(&k.0);
        if !keeps {
            // Its stock is not in the registry: no date can be told.
            f.stockout = None;
        }
        lines.push(DemandLine::new(
            keeps,
            k,
            region.get(k.0.as_str()).copied().unwrap_or(""),
            &inputs,
            f,
        ));
    }
    Ok(DemandReport::new(today, months, unplaced, lines))
}

/// A medicine as the follow-through keys it: ATC code, strength (normalised), form.
pub type Medicine = (String, String, String);

/// The follow-through of each medicine over the 91 days before `today`, every facility:
/// measured once a day per instance and kept ([`Registry::follow_through`]). The window
/// ends at today's midnight and every count in it is as it stood on its first day, so what
/// is recorded today changes it only through offline dispensings dated inside the window
/// (they count from the next day on).
///
/// # Errors
/// Database errors, a stored value out of range.
async fn follow_through_on(
    registry: &Registry,
    today: Date,
) -> Result<Arc<follow_through::FollowThrough<Medicine>>> {
    let mut cached = registry.follow_through.lock().await;
    if let Some((day, follow)) = cached.as_ref() {
        if *day == today {
            return Ok(Arc::clone(follow));
        }
    }
    let day = 86_400_i64;
    let window_from = Date(today.0 - follow_through::WINDOW_DAYS);
    let past = sql::past(
        &registry.db,
        i64::from(window_from.0) * day,
        i64::from(today.0) * day,
    )
    .await?;
    let mut measured = Vec::with_capacity(past.len());
    for p in &past {
        let stored = |e| Error::stored("medicine_authorisations", e);
        measured.push(follow_through::Past {
            medicine: (
                p.atc.clone(),
                normalise_strength(&p.strength),
                p.form.clone(),
            ),
            authorised: Authorised {
                quantity: u32::try_from(p.quantity).map_err(stored)?,
                dispensings_left: u32::try_from(p.left_count.max(0)).map_err(stored)?,
                interval_days: u32::try_from(p.interval_days).map_err(stored)?,
                valid_until: date(p.valid_until),
                last_dispensed: Some(Date::from_unix_seconds(
                    u64::try_from(p.last_before).unwrap_or(0),
                )),
            },
            handed_out: u64::try_from(p.units_after).unwrap_or(0),
        });
    }
    let follow = Arc::new(follow_through::measure(
        &measured,
        window_from,
        Date(today.0 - 1),
    ));
    *cached = Some((today, Arc::clone(&follow)));
    Ok(follow)
}

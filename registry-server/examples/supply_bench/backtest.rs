//! The back-test: for each cutoff (the first day of a month), the registry holds what had
//! happened before it ([`super::load::until`]), the clock stands at it, and the real
//! `domain::demand::report` forecasts every facility × medicine 3 months ahead; its total
//! over the 3 months, and the OpenLMIS baseline's P × 3 from the same report, are compared
//! with the units actually dispensed and administered in those months.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use anyhow::{bail, Context};
use registry_server::auth::{Caller, Role};
use registry_server::domain::demand::{self, DemandReport};
use registry_server::domain::supply::regimens::Regimens;
use registry_server::domain::Registry;

use super::history::{month_start, History, FACILITIES};
use super::load::{self, Written};
use super::seed::Target;

/// Facility, ATC code, strength, form.
pub type Key = (String, String, String, String);

/// Months forecast.
pub const HORIZON: i32 = 3;

/// One facility × medicine at one cutoff.
#[derive(Debug, Clone)]
pub struct Item {
    pub cutoff: i32,
    pub key: Key,
    pub actual: u64,
    /// Of which to patients with an authorisation of it before the cutoff.
    pub actual_known: u64,
    pub registry: u64,
    /// Of which due on authorisations.
    pub due: u64,
    pub baseline: u64,
}

#[derive(Debug, Clone)]
pub struct Cutoff {
    pub month: i32,
    pub written: Written,
    pub lines: usize,
    pub seconds: f64,
}

/// What the report would say with the whole history in the database (future rows
/// included) and the clock at the first cutoff: (registry total, baseline total).
#[derive(Debug, Clone, Copy)]
pub struct Leak {
    pub month: i32,
    pub honest: (u64, u64),
    pub with_future: (u64, u64),
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub items: Vec<Item>,
    pub cutoffs: Vec<Cutoff>,
    pub leak: Option<Leak>,
}

fn officer() -> Caller {
    Caller {
        user_id: load::OFFICER.into(),
        username: load::OFFICER.into(),
        role: Role::SupplyOfficer,
        facility_code: "LY-MOH".into(),
    }
}

/// (registry, due, baseline) per key: the 3 months' totals and P × 3.
fn forecasts(report: &DemandReport) -> BTreeMap<Key, (u64, u64, u64)> {
    report
        .lines
        .iter()
        .map(|l| {
            let key = (
                l.facility_code.clone(),
                l.atc.clone(),
                l.strength.clone(),
                l.form.clone(),
            );
            let total = l.months.iter().map(|m| m.total).sum();
            let due = l.months.iter().map(|m| m.due).sum();
            let p = l.average_monthly_consumption.unwrap_or(0);
            (key, (total, due, p * HORIZON as u64))
        })
        .collect()
}

/// Units handed out in `[from, to)` (Unix seconds) per key, and of them those to patients
/// holding an authorisation of the medicine created before `from`.
fn actuals(h: &History, from: i64, to: i64) -> BTreeMap<Key, (u64, u64)> {
    let known: BTreeSet<(usize, usize)> = h
        .auths
        .iter()
        .filter(|a| a.created < from)
        .map(|a| (a.patient, a.medicine))
        .collect();
    let mut out: BTreeMap<Key, (u64, u64)> = BTreeMap::new();
    for g in h.given.iter().filter(|g| from <= g.at && g.at < to) {
        let a = &h.auths[g.auth];
        let m = &h.medicines[a.medicine];
        let key = (
            FACILITIES[g.facility].code.to_string(),
            m.atc.clone(),
            m.strength.clone(),
            m.form.clone(),
        );
        let e = out.entry(key).or_default();
        let units = u64::try_from(g.quantity).unwrap_or(0);
        e.0 += units;
        if known.contains(&(a.patient, a.medicine)) {
            e.1 += units;
        }
    }
    out
}

/// Checks that nothing in the database is dated on or after `cutoff`.
async fn check_past(registry: &Registry, cutoff: i64) -> anyhow::Result<()> {
    for (what, sql) in [
        ("authorisations", "SELECT CAST(COALESCE(MAX(updated_at), 0) AS BIGINT) FROM medicine_authorisations"),
        ("last dispensings", "SELECT CAST(COALESCE(MAX(last_dispensed_at), 0) AS BIGINT) FROM medicine_authorisations"),
        ("dispensings", "SELECT CAST(COALESCE(MAX(dispensed_at), 0) AS BIGINT) FROM dispensings"),
        ("administrations", "SELECT CAST(COALESCE(MAX(given_at), 0) AS BIGINT) FROM administrations"),
        ("tumours", "SELECT CAST(COALESCE(MAX(updated_at), 0) AS BIGINT) FROM tumours"),
        ("incidence", "SELECT CAST(COALESCE(MAX(incidence), 0) * 86400 AS BIGINT) FROM tumours"),
        ("deaths", "SELECT CAST(COALESCE(MAX(recorded_at), 0) AS BIGINT) FROM follow_ups"),
    ] {
        let (latest,): (i64,) = sqlx::query_as(sql).fetch_one(&registry.db.pool).await?;
        if latest >= cutoff {
            bail!("{what} dated {latest}, on or after the cutoff {cutoff}");
        }
    }
    Ok(())
}

fn set_clock(registry: &Registry, at: i64) {
    registry.clock.advance(at - registry.clock.now());
}

/// Runs the back-test over the cutoffs `months` (month indices, first day of each).
pub async fn run(
    registry: &Registry,
    target: &mut Target,
    h: &History,
    regimens: &Regimens,
    months: std::ops::RangeInclusive<i32>,
) -> anyhow::Result<Outcome> {
    let caller = officer();
    let mut out = Outcome {
        items: Vec::new(),
        cutoffs: Vec::new(),
        leak: None,
    };
    for month in months {
        let start = Instant::now();
        let cutoff = month_start(month) * 86_400;
        let end = month_start(month + HORIZON) * 86_400;
        load::wipe(target).await?;
        let written = load::until(target, h, cutoff).await?;
        check_past(registry, cutoff).await?;
        set_clock(registry, cutoff);
        let report = demand::report(registry, &caller, None, HORIZON as u32, regimens)
            .await
            .with_context(|| format!("the report at month {month}"))?;
        let f = forecasts(&report);
        let a = actuals(h, cutoff, end);
        let keys: BTreeSet<&Key> = f.keys().chain(a.keys()).collect();
        for key in keys {
            let (registry, due, baseline) = f.get(key).copied().unwrap_or_default();
            let (actual, actual_known) = a.get(key).copied().unwrap_or_default();
            out.items.push(Item {
                cutoff: month,
                key: key.clone(),
                actual,
                actual_known,
                registry,
                due,
                baseline,
            });
        }
        eprintln!(
            "backtest: cutoff {}: {} patients, {} authorisations, {} dispensings, {} administrations written; {} lines; {:.1} s",
            super::history::month_name(month),
            written.patients,
            written.authorisations,
            written.dispensings,
            written.administrations,
            report.lines.len(),
            start.elapsed().as_secs_f64()
        );
        out.cutoffs.push(Cutoff {
            month,
            written,
            lines: report.lines.len(),
            seconds: start.elapsed().as_secs_f64(),
        });
        if out.leak.is_none() {
            // The same report with the whole history written: what the SQL would count of
            // rows dated after today.
            let honest = totals(&f);
            load::wipe(target).await?;
            load::until(target, h, i64::MAX).await?;
            let report = demand::report(registry, &caller, None, HORIZON as u32, regimens).await?;
            out.leak = Some(Leak {
                month,
                honest,
                with_future: totals(&forecasts(&report)),
            });
        }
    }
    Ok(out)
}

fn totals(f: &BTreeMap<Key, (u64, u64, u64)>) -> (u64, u64) {
    f.values().fold((0, 0), |s, v| (s.0 + v.0, s.1 + v.2))
}

/// Errors of a set of items: MAPE over those with actual > 0, WAPE over all.
#[derive(Debug, Clone, Copy, Default)]
pub struct Errors {
    pub items: u64,
    pub zero_actual: u64,
    pub zero_actual_forecast: u64,
    pub actual: u64,
    pub forecast: u64,
    pub mape: f64,
    pub wape: f64,
    pub within_15: u64,
}

pub fn errors<'a>(items: impl Iterator<Item = &'a Item>, pick: fn(&Item) -> u64) -> Errors {
    let mut e = Errors::default();
    let (mut ape, mut abs) = (0.0, 0_u64);
    for i in items {
        let f = pick(i);
        e.actual += i.actual;
        e.forecast += f;
        abs += i.actual.abs_diff(f);
        if i.actual == 0 {
            e.zero_actual += 1;
            e.zero_actual_forecast += f;
            continue;
        }
        e.items += 1;
        let pe = i.actual.abs_diff(f) as f64 / i.actual as f64;
        ape += pe;
        e.within_15 += u64::from(pe <= 0.15);
    }
    e.mape = ape / e.items.max(1) as f64;
    e.wape = abs as f64 / e.actual.max(1) as f64;
    e
}

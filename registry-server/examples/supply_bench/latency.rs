//! The latency bench: a registry whose history ([`super::history`], scaled up, moved to end
//! this month) leaves at least 20,000 patients with active authorisations, with the stock
//! of 7 of the 10 facilities and some stock-outs; the real server as a child process; the
//! national demand report (`GET /api/v1/demand`, a supply officer, every facility, with the
//! roll-up by region) asked for one request at a time.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use axum::http::StatusCode;
use serde_json::Value;

use super::harness::{cpu_seconds, machine_busy, machine_ticks, memory_kib, Api, Monitor};
use super::history::{History, FACILITIES};
use super::load::Written;
use super::seed::{Rows, Target, V};

/// Facilities that keep their stock in the registry (the other 3 do not, yet).
const KEEPERS: usize = 7;

/// The stock of the keepers: a month or two of what each medicine took in the last 3
/// months, one batch each; and a stock-out on about one item in twelve.
pub async fn stock(target: &mut Target, h: &History, now: i64) -> anyhow::Result<u64> {
    let from = now - 92 * 86_400;
    let mut used = std::collections::BTreeMap::<(usize, usize), i64>::new();
    for g in h.given.iter().filter(|g| from <= g.at && g.at < now) {
        *used
            .entry((g.facility, h.auths[g.auth].medicine))
            .or_default() += g.quantity;
    }
    let mut keepers = Rows::new("stock_facilities", &["facility_code", "since"]);
    let mut items = Rows::new(
        "stock_items",
        &[
            "facility_code",
            "atc",
            "strength",
            "form",
            "on_hand",
            "entries",
        ],
    );
    let mut outs = Rows::new(
        "stock_outs",
        &[
            "id",
            "facility_code",
            "atc",
            "strength",
            "form",
            "kind",
            "wanted",
            "available",
            "at",
            "user_id",
        ],
    );
    for f in FACILITIES.iter().take(KEEPERS) {
        keepers.push([V::K(f.code), V::I(from - 365 * 86_400)]);
    }
    let mut n = 0_u64;
    for (&(f, m), &units) in used.iter().filter(|((f, _), _)| *f < KEEPERS) {
        let medicine = &h.medicines[m];
        let on_hand = units * (1 + (f + m) as i64 % 4) / 6;
        items.push([
            V::K(FACILITIES[f].code),
            V::S(medicine.atc.clone()),
            V::S(medicine.strength.clone()),
            V::S(medicine.form.clone()),
            V::I(on_hand),
            V::I(12),
        ]);
        n += 1;
        if (f * 31 + m * 7) % 12 == 0 {
            for k in 0..3_i64 {
                outs.push([
                    V::S(format!("bench-out-{f}-{m}-{k}")),
                    V::K(FACILITIES[f].code),
                    V::S(medicine.atc.clone()),
                    V::S(medicine.strength.clone()),
                    V::S(medicine.form.clone()),
                    V::K("refused"),
                    V::I(30),
                    V::I(0),
                    V::I(from + (10 + 25 * k) * 86_400),
                    V::S(format!("bench-supply-pharmacist-{f}")),
                ]);
            }
        }
    }
    target.execute("BEGIN").await?;
    for rows in [&keepers, &items, &outs] {
        target.write(rows).await?;
    }
    target.execute("COMMIT").await?;
    Ok(n)
}

/// What the database holds, as the report will see it.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub written: Written,
    pub stock_items: u64,
    pub active_patients: u64,
    pub active_authorisations: u64,
    pub medicines: u64,
    pub dispensings_3_months: u64,
    pub db_bytes: u64,
}

/// The measured requests.
#[derive(Debug, Clone, Default)]
pub struct Phase {
    pub path: String,
    pub ok: u64,
    pub failed: u64,
    pub first_error: Option<String>,
    pub first_us: u64,
    /// Microseconds, sorted.
    pub latencies: Vec<u64>,
    pub server_cpu_seconds: f64,
    pub machine_busy: f64,
    pub peak_rss_kib: u64,
    pub start_rss_kib: u64,
    pub hwm_kib: u64,
    pub body_bytes: u64,
    pub lines: u64,
    pub regions: u64,
    pub unplaced: u64,
}

impl Phase {
    pub fn percentile_ms(&self, q: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let rank =
            ((q * self.latencies.len() as f64).ceil() as usize).clamp(1, self.latencies.len());
        self.latencies[rank - 1] as f64 / 1000.0
    }

    pub fn met(&self) -> bool {
        self.failed == 0 && !self.latencies.is_empty() && self.percentile_ms(0.99) < 1000.0
    }
}

/// `requests` timed requests of `path` after `warmup` untimed ones, one at a time.
pub async fn measure(
    api: &Api,
    monitor: &Monitor,
    path: &str,
    token: &str,
    warmup: u64,
    requests: u64,
    max: Duration,
) -> anyhow::Result<Phase> {
    let mut phase = Phase {
        path: path.to_string(),
        start_rss_kib: memory_kib(monitor.pid).0,
        ..Phase::default()
    };
    monitor.reset();
    let cpu = cpu_seconds(monitor.pid);
    let ticks = machine_ticks();
    let began = Instant::now();
    for k in 0..warmup + requests {
        let start = Instant::now();
        let (status, body) = api.get(path, token).await?;
        let us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
        if k == 0 {
            phase.first_us = us;
        }
        if status != StatusCode::OK {
            phase.failed += 1;
            phase.first_error.get_or_insert_with(|| {
                format!(
                    "{status}: {}",
                    String::from_utf8_lossy(&body[..body.len().min(300)])
                )
            });
            continue;
        }
        if k == 0 {
            let v: Value = serde_json::from_slice(&body).context("the answer is not JSON")?;
            let count = |name: &str| v[name].as_array().map_or(0, |a| a.len() as u64);
            phase.lines = count("lines");
            phase.regions = count("regions");
            phase.unplaced = v["unplaced"].as_u64().unwrap_or(0);
            if phase.lines == 0 || phase.regions == 0 {
                bail!(
                    "the report has {} lines and {} regions",
                    phase.lines,
                    phase.regions
                );
            }
        }
        phase.body_bytes = body.len() as u64;
        if k >= warmup {
            phase.ok += 1;
            phase.latencies.push(us);
        }
        if began.elapsed() > max {
            eprintln!("measure: stopped after {} s", max.as_secs());
            break;
        }
    }
    phase.latencies.sort_unstable();
    phase.server_cpu_seconds = cpu_seconds(monitor.pid) - cpu;
    phase.machine_busy = machine_busy(ticks);
    phase.peak_rss_kib = monitor.peak_kib();
    phase.hwm_kib = memory_kib(monitor.pid).1;
    Ok(phase)
}

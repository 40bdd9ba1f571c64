//! The markdown the bench prints on stdout.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::backtest::{errors, Errors, Item, Outcome};
use super::history::{month_name, History, BEFORE, MONTHS, NOISE};
use super::latency::{Facts, Phase};

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn bias(e: &Errors) -> String {
    let b = e.forecast as f64 / e.actual.max(1) as f64 - 1.0;
    format!("{}{}", if b >= 0.0 { "+" } else { "" }, pct(b))
}

fn registry(i: &Item) -> u64 {
    i.registry
}

fn baseline(i: &Item) -> u64 {
    i.baseline
}

/// The noise as generated.
pub fn history(h: &History) -> String {
    let c = &h.counts;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "History ({} to {}): {} patients, {} authorisations, {} dispensings and administrations, {} medicines. \
         Visits {}: {} late by 4-21 days ({}), {} missed ({}), {} at another facility of the region ({}); \
         {} cases referred to their region's main centre; patients who stopped before the end of a course: \
         {} died, {} stopped a medicine (toxicity, progression; {} authorisations withdrawn), {} left the system; {} moved facility.",
        month_name(h.origin - BEFORE),
        month_name(h.origin + MONTHS - 1),
        thousands(h.patients.len() as u64),
        thousands(h.auths.len() as u64),
        thousands(h.given.len() as u64),
        h.medicines.len(),
        thousands(c.visits),
        thousands(c.late),
        pct(NOISE.late),
        thousands(c.missed),
        pct(NOISE.missed),
        thousands(c.elsewhere),
        pct(NOISE.elsewhere),
        thousands(c.referred),
        thousands(c.died),
        thousands(c.stopped),
        thousands(c.withdrawn),
        thousands(c.left),
        thousands(c.moved),
    );
    out
}

fn row(out: &mut String, name: &str, e: &Errors) {
    let _ = writeln!(
        out,
        "| {name} | {} | **{}** | {} | {} | {} | {} | {} ({} units) |",
        thousands(e.items),
        pct(e.mape),
        pct(e.wape),
        bias(e),
        pct(e.within_15 as f64 / e.items.max(1) as f64),
        thousands(e.actual),
        thousands(e.zero_actual),
        thousands(e.zero_actual_forecast),
    );
}

/// The back-test's tables.
pub fn backtest(label: &str, h: &History, o: &Outcome, seconds: f64) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### Back-test, {label}\n");
    let _ = writeln!(out, "{}", history(h));
    let reg = errors(o.items.iter(), registry);
    let base = errors(o.items.iter(), baseline);
    let _ = writeln!(
        out,
        "{} cutoffs ({} to {}), 3 months ahead each, {:.0} s in all.\n",
        o.cutoffs.len(),
        o.cutoffs
            .first()
            .map_or(String::new(), |c| month_name(c.month)),
        o.cutoffs
            .last()
            .map_or(String::new(), |c| month_name(c.month)),
        seconds
    );
    let _ = writeln!(out, "| forecast | items (actual > 0) | MAPE | WAPE | bias | items within 15% | actual units | items with actual 0 (forecast) |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|");
    row(&mut out, "registry (due + new cases)", &reg);
    row(&mut out, "OpenLMIS baseline (P × 3)", &base);
    let met = reg.mape <= 0.15 && reg.mape < base.mape;
    let _ = writeln!(
        out,
        "\nTarget (registry MAPE ≤ 15% and below the baseline's): **{}** ({} vs {}).\n",
        if met { "met" } else { "missed" },
        pct(reg.mape),
        pct(base.mape)
    );

    let _ = writeln!(out, "Per cutoff:\n");
    let _ = writeln!(out, "| cutoff | patients | authorisations | dispensings | administrations | lines | items | registry MAPE | baseline MAPE | registry WAPE | baseline WAPE | seconds |");
    let _ = writeln!(
        out,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for c in &o.cutoffs {
        let these = || o.items.iter().filter(|i| i.cutoff == c.month);
        let (r, b) = (errors(these(), registry), errors(these(), baseline));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} |",
            month_name(c.month),
            thousands(c.written.patients),
            thousands(c.written.authorisations),
            thousands(c.written.dispensings),
            thousands(c.written.administrations),
            c.lines,
            r.items,
            pct(r.mape),
            pct(b.mape),
            pct(r.wape),
            pct(b.wape),
            c.seconds,
        );
    }

    // The registry's two terms against what they stand for.
    let due: u64 = o.items.iter().map(|i| i.due).sum();
    let known: u64 = o.items.iter().map(|i| i.actual_known).sum();
    let new: u64 = o.items.iter().map(|i| i.registry - i.due).sum();
    let rest: u64 = o.items.iter().map(|i| i.actual - i.actual_known).sum();
    let _ = writeln!(
        out,
        "\nThe registry's terms, all items and cutoffs: due on authorisations {} units against {} handed out to patients \
         who held an authorisation of the medicine at the cutoff ({}); new cases {} units against {} to the others ({}).\n",
        thousands(due),
        thousands(known),
        ratio(due, known),
        thousands(new),
        thousands(rest),
        ratio(new, rest),
    );

    for (title, group) in [("facility", 0_usize), ("medicine", 1_usize)] {
        let mut by: BTreeMap<String, Vec<&Item>> = BTreeMap::new();
        for i in &o.items {
            let k = if group == 0 {
                i.key.0.clone()
            } else {
                format!("{} {} {}", i.key.1, i.key.2, i.key.3)
            };
            by.entry(k).or_default().push(i);
        }
        let _ = writeln!(out, "By {title}:\n");
        let _ = writeln!(out, "| {title} | items | actual units | registry MAPE | baseline MAPE | registry WAPE | baseline WAPE | registry bias | baseline bias |");
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (k, items) in &by {
            let r = errors(items.iter().copied(), registry);
            let b = errors(items.iter().copied(), baseline);
            let _ = writeln!(
                out,
                "| {k} | {} | {} | {} | {} | {} | {} | {} | {} |",
                r.items,
                thousands(r.actual),
                pct(r.mape),
                pct(b.mape),
                pct(r.wape),
                pct(b.wape),
                bias(&r),
                bias(&b)
            );
        }
        let _ = writeln!(out);
    }
    if let Some(l) = o.leak {
        let _ = writeln!(
            out,
            "Leak check at {}: with only the past written the report forecast {} units (baseline {}); with the whole \
             history written and the clock at the same day, {} (baseline {}).\n",
            month_name(l.month),
            thousands(l.honest.0),
            thousands(l.honest.1),
            thousands(l.with_future.0),
            thousands(l.with_future.1),
        );
    }
    out
}

fn ratio(a: u64, b: u64) -> String {
    format!("{:.3}", a as f64 / b.max(1) as f64)
}

fn mib(kib: u64) -> String {
    format!("{:.1}", kib as f64 / 1024.0)
}

/// The latency tables.
pub fn latency(label: &str, facts: &Facts, phases: &[Phase]) -> String {
    let mut out = String::new();
    let w = &facts.written;
    let _ = writeln!(
        out,
        "### Latency, {label}\n\n{} patients, {} authorisations, {} dispensings, {} administrations, {} deaths recorded, \
         {} stock items; {} patients with active authorisations ({} authorisations, {} medicines), \
         {} dispensings and administrations in the last 3 months; database {} MiB.\n",
        thousands(w.patients),
        thousands(w.authorisations),
        thousands(w.dispensings),
        thousands(w.administrations),
        thousands(w.deaths),
        thousands(facts.stock_items),
        thousands(facts.active_patients),
        thousands(facts.active_authorisations),
        facts.medicines,
        thousands(facts.dispensings_3_months),
        mib(facts.db_bytes / 1024),
    );
    let _ = writeln!(out, "| request | requests | errors | first ms | p50 ms | p99 ms | max ms | server CPU s per request | machine CPU busy | server RSS MiB (start, peak) | lines, regions | body KiB | p99 < 1 s |");
    let _ = writeln!(
        out,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    for p in phases {
        let _ = writeln!(
            out,
            "| `GET {}` | {} | {} | {:.0} | {:.0} | **{:.0}** | {:.0} | {:.3} | {:.0}% | {}, {} | {}, {} | {:.0} | **{}** |",
            p.path,
            p.ok,
            p.failed,
            p.first_us as f64 / 1000.0,
            p.percentile_ms(0.5),
            p.percentile_ms(0.99),
            p.latencies.last().map_or(f64::NAN, |&v| v as f64 / 1000.0),
            p.server_cpu_seconds / (p.ok + p.failed).max(1) as f64,
            100.0 * p.machine_busy,
            mib(p.start_rss_kib),
            mib(p.peak_rss_kib),
            p.lines,
            p.regions,
            p.body_bytes as f64 / 1024.0,
            if p.met() { "met" } else { "missed" },
        );
        if let Some(e) = &p.first_error {
            let _ = writeln!(out, "\nFirst error: {e}");
        }
    }
    let _ = writeln!(out);
    out
}

//! The reports as plain tables of text: one shape for the CSV files and the desk's HTML
//! tables, so both show the same cells, suppressed the same way. A suppressed cell is written
//! [`SUPPRESSED`]; numbers have two decimals in files (the desk rounds to one).

use serde::Serialize;

use super::childhood::Childhood;
use super::cohort::Survival;
use super::incidence::Incidence;
use super::quality::{Quality, QualityRow};
use super::report::{Counted, RateRow};

/// How a suppressed cell is written.
pub const SUPPRESSED: &str = "<5";

/// One table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// Stable name (`incidence_sites`...), also the CSV file's name.
    pub name: &'static str,
    /// The column keys after the key and the names (`cases`, `crude`...): the desk
    /// translates them, the CSV header prints them.
    pub columns: Vec<String>,
    /// The rows.
    pub rows: Vec<Row>,
}

/// One row of a [`Table`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// Stable key (`C18`, `all`, a facility code).
    pub key: String,
    /// English name.
    pub name: String,
    /// Arabic name.
    pub name_ar: String,
    /// A total or group line (shown in bold).
    pub strong: bool,
    /// One cell per column.
    pub cells: Vec<String>,
}

fn number(value: Option<f64>) -> String {
    value.map_or_else(|| SUPPRESSED.to_string(), |v| format!("{v:.2}"))
}

/// A number that may not exist (a total's percentage, a ratio without cases): an empty
/// cell, not [`SUPPRESSED`], when there is none.
fn optional(value: Option<f64>) -> String {
    value.map_or_else(String::new, |v| format!("{v:.2}"))
}

fn whole<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| SUPPRESSED.to_string(), |v| v.to_string())
}

fn rate_columns(age_groups: &[String], cumulative: bool) -> Vec<String> {
    let mut columns = vec!["cases".to_string()];
    columns.extend(age_groups.iter().map(|g| format!("rate_{g}")));
    columns.extend(
        [
            "crude",
            "asr_world",
            "asr_world_lower",
            "asr_world_upper",
            "asr_european",
            "asr_european_lower",
            "asr_european_upper",
            "asr_who",
            "asr_who_lower",
            "asr_who_upper",
        ]
        .map(String::from),
    );
    if cumulative {
        columns.push("cumulative_risk_0_74".into());
    }
    columns.extend(["percent", "rank"].map(String::from));
    columns
}

fn rate_cells(row: &RateRow, cumulative: bool) -> Vec<String> {
    let mut cells = vec![whole(row.cases)];
    cells.extend(row.age_rates.iter().map(|r| number(*r)));
    cells.push(number(row.crude));
    for i in 0..3 {
        let asr = row.asr.get(i);
        cells.push(number(asr.map(|a| a.rate)));
        cells.push(number(asr.map(|a| a.lower)));
        cells.push(number(asr.map(|a| a.upper)));
    }
    if cumulative {
        cells.push(number(row.cumulative_risk));
    }
    // A total has no percentage of all sites: empty, as its rank; <5 only when hidden.
    cells.push(if row.suppressed {
        number(row.percent)
    } else {
        optional(row.percent)
    });
    cells.push(row.rank.map_or_else(String::new, |r| r.to_string()));
    cells
}

fn rate_row(row: &RateRow, strong: bool, cumulative: bool) -> Row {
    Row {
        key: row.key.clone(),
        name: row.name.clone(),
        name_ar: row.name_ar.clone(),
        strong,
        cells: rate_cells(row, cumulative),
    }
}

/// The incidence report's two tables: by CI5 site (then the totals) and by ICD-O-3
/// topography.
pub fn incidence(report: &Incidence) -> [Table; 2] {
    let columns = rate_columns(&report.age_groups, true);
    let mut sites: Vec<Row> = report
        .sites
        .iter()
        .map(|r| rate_row(r, false, true))
        .collect();
    sites.extend(report.totals.iter().map(|r| rate_row(r, true, true)));
    [
        Table {
            name: "incidence_sites",
            columns: columns.clone(),
            rows: sites,
        },
        Table {
            name: "incidence_topography",
            columns,
            rows: report
                .topography
                .iter()
                .map(|r| rate_row(r, false, true))
                .collect(),
        },
    ]
}

/// The childhood report's table.
pub fn childhood(report: &Childhood) -> Table {
    let mut rows: Vec<Row> = report
        .rows
        .iter()
        .map(|r| rate_row(&r.rates, r.level == "group", false))
        .collect();
    rows.push(rate_row(&report.total, true, false));
    Table {
        name: "childhood",
        columns: rate_columns(&report.age_groups, false),
        rows,
    }
}

fn quality_row(row: &QualityRow, strong: bool) -> Row {
    // Without cases (a facility or site with deaths only) there is no percentage and no
    // ratio: empty cells, not <5.
    let number = |v: Option<f64>| {
        if row.cases == Some(0) {
            optional(v)
        } else {
            number(v)
        }
    };
    Row {
        key: row.key.clone(),
        name: row.name.clone(),
        name_ar: row.name_ar.clone(),
        strong,
        cells: vec![
            whole(row.cases),
            number(row.mv_percent),
            number(row.dco_percent),
            number(row.unknown_site_percent),
            number(row.unknown_age_percent),
            whole(row.deaths),
            number(row.mi_ratio),
            whole(row.open_checks),
        ],
    }
}

/// The quality report's two tables: by site (then all sites) and by facility.
pub fn quality(report: &Quality) -> [Table; 2] {
    let columns: Vec<String> = [
        "cases",
        "mv_percent",
        "dco_percent",
        "unknown_site_percent",
        "unknown_age_percent",
        "deaths",
        "mi_ratio",
        "open_checks",
    ]
    .map(String::from)
    .to_vec();
    let mut by_site: Vec<Row> = report
        .by_site
        .iter()
        .map(|r| quality_row(r, false))
        .collect();
    by_site.push(quality_row(&report.total, true));
    [
        Table {
            name: "quality_sites",
            columns: columns.clone(),
            rows: by_site,
        },
        Table {
            name: "quality_facilities",
            columns,
            rows: report
                .by_facility
                .iter()
                .map(|r| quality_row(r, false))
                .collect(),
        },
    ]
}

/// The survival report's table: one row per site and stage group.
pub fn survival(report: &Survival) -> Table {
    let mut columns = vec!["stage".to_string(), "patients".into(), "deaths".into()];
    for years in [1, 3, 5] {
        for what in ["survival", "lower", "upper", "at_risk"] {
            columns.push(format!("{what}_{years}y"));
        }
    }
    let rows = report
        .rows
        .iter()
        .map(|r| {
            let mut cells = vec![r.stage.clone(), whole(r.patients), whole(r.deaths)];
            for years in [1u8, 3, 5] {
                let at = r.at.iter().find(|a| a.years == years);
                let blank = |s: String| if r.suppressed { s } else { String::new() };
                match at {
                    Some(a) => cells.extend([
                        number(Some(a.survival)),
                        number(Some(a.lower)),
                        number(Some(a.upper)),
                        a.at_risk.to_string(),
                    ]),
                    None => cells.extend((0..4).map(|_| blank(SUPPRESSED.to_string()))),
                }
            }
            Row {
                key: r.key.clone(),
                name: r.name.clone(),
                name_ar: r.name_ar.clone(),
                strong: r.stage == "all",
                cells,
            }
        })
        .collect();
    Table {
        name: "survival",
        columns,
        rows,
    }
}

/// The statement of what a report counted, as lines of English text (the CSV file's `#`
/// lines, the desk's box below each table).
pub fn counted_lines(counted: &Counted) -> Vec<String> {
    let f = &counted.filter;
    let mut lines = vec![
        format!(
            "period: {}-{}; area: {}; sex: {}",
            f.from_year,
            f.to_year,
            f.region.as_deref().unwrap_or("the whole country"),
            f.sex.as_str()
        ),
        format!(
            "records looked at: {}; counted: {}; of which awaiting a multiple-primary review: {}",
            counted.records, counted.included, counted.awaiting_review
        ),
    ];
    for e in &counted.excluded {
        lines.push(format!("excluded: {} ({}): {}", e.count, e.reason, e.text));
    }
    lines.extend(counted.rules.iter().map(|r| format!("rule: {r}")));
    lines.extend(counted.standards.iter().map(|s| format!("standard: {s}")));
    if let Some(note) = &counted.suppression {
        lines.push(format!("suppressed: {note} (written {SUPPRESSED})"));
    }
    lines
}

/// Writes `table` as CSV, after the `counted` statement as `#` comment lines.
///
/// # Errors
/// The writer's errors.
pub fn write_csv(
    out: &mut impl std::io::Write,
    counted: &Counted,
    table: &Table,
) -> csv::Result<()> {
    for line in counted_lines(counted) {
        writeln!(out, "# {}", line.replace(['\n', '\r'], " "))?;
    }
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec!["key", "name", "name_ar"];
    header.extend(table.columns.iter().map(String::as_str));
    w.write_record(&header)?;
    for row in &table.rows {
        let mut record = vec![row.key.as_str(), row.name.as_str(), row.name_ar.as_str()];
        record.extend(row.cells.iter().map(String::as_str));
        w.write_record(&record)?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests;

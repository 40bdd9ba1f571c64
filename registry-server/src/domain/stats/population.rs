//! Population denominators as the registry imports them: a CSV file from the statistics
//! bureau, one row per area, year, sex and five-year age group (DOMAIN.md: "the registry
//! imports them, it does not invent them"). `registry-server/data/population/sample.csv` is
//! a sample of the layout with invented figures, for the tests and the demo.
//!
//! ```text
//! # comment lines start with #
//! area,year,sex,age_group,population
//! east,2025,male,0-4,96330
//! ```
//!
//! - `area`: a region (`east`, `west`, `south`) or a municipality, 1 to 60 characters;
//! - `year`: 1900 to 2100;
//! - `sex`: `male` or `female`;
//! - `age_group`: `0-4`, `5-9`, ... `80-84`, `85+`;
//! - `population`: the mid-year population, a whole number from 0 (person-years of that
//!   calendar year).
//!
//! Digits may be Arabic-Indic or Eastern Arabic-Indic, as everywhere in the registry. The file
//! is checked whole before anything is kept: every row parses, no cell appears twice, and
//! every area and year has all 36 cells (two sexes by 18 groups). Each error names its line
//! and its column.

use std::collections::{BTreeMap, BTreeSet};

use card_format::model::Sex;

use super::rates::AgeGroup;
use crate::patient::ascii_digits;

#[cfg(test)]
mod tests;

/// The header a file must start with (after comments).
pub const HEADER: [&str; 5] = ["area", "year", "sex", "age_group", "population"];

/// At most this many rows (a century of 500 municipalities would be 1.8 million).
pub const MAX_ROWS: usize = 2_000_000;

/// At most this many errors are reported; the rest are counted.
pub const MAX_ERRORS: usize = 100;

/// One cell of the denominators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopulationRow {
    /// Region or municipality.
    pub area: String,
    /// Calendar year.
    pub year: u16,
    /// `Male` or `Female`.
    pub sex: Sex,
    /// Five-year age group.
    pub group: AgeGroup,
    /// Mid-year population.
    pub population: u64,
}

/// What is wrong with a file, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// Line number in the file, from 1 (0: the file as a whole).
    pub line: u64,
    /// The column (`area`, `year`...), or `file`.
    pub column: &'static str,
    /// What is wrong, in English.
    pub message: String,
}

/// A file that was refused: the first [`MAX_ERRORS`] errors, and how many there were.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The errors, in file order (missing cells last).
    pub errors: Vec<RowError>,
    /// How many errors in all.
    pub total: usize,
}

impl Refused {
    fn push(&mut self, line: u64, column: &'static str, message: impl Into<String>) {
        self.total += 1;
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(RowError {
                line,
                column,
                message: message.into(),
            });
        }
    }
}

fn group_of(text: &str) -> Option<AgeGroup> {
    AgeGroup::all().find(|g| g.to_string() == text)
}

fn row_of(record: &csv::StringRecord, line: u64, refused: &mut Refused) -> Option<PopulationRow> {
    let field = |i: usize| record.get(i).map(str::trim).unwrap_or_default();
    let before = refused.total;
    let area = field(0);
    if area.is_empty() || area.chars().count() > 60 {
        refused.push(line, "area", "1 to 60 characters");
    }
    let year = ascii_digits(field(1)).parse::<u16>().ok();
    let year = year.filter(|y| (1900..=2100).contains(y));
    if year.is_none() {
        refused.push(
            line,
            "year",
            format!("{:?} is not a year from 1900 to 2100", field(1)),
        );
    }
    let sex = match field(2) {
        "male" => Some(Sex::Male),
        "female" => Some(Sex::Female),
        other => {
            refused.push(line, "sex", format!("{other:?} is neither male nor female"));
            None
        }
    };
    let group = group_of(field(3));
    if group.is_none() {
        refused.push(
            line,
            "age_group",
            format!(
                "{:?} is not a five-year group (0-4 ... 80-84, 85+)",
                field(3)
            ),
        );
    }
    let digits = ascii_digits(field(4));
    let negative = digits
        .strip_prefix('-')
        .is_some_and(|d| d.parse::<u64>().is_ok());
    let population = if negative {
        refused.push(line, "population", "negative");
        None
    } else {
        let p = digits.parse::<u64>().ok();
        if p.is_none() {
            refused.push(
                line,
                "population",
                format!("{:?} is not a whole number", field(4)),
            );
        }
        p
    };
    if refused.total > before {
        return None;
    }
    Some(PopulationRow {
        area: area.to_string(),
        year: year?,
        sex: sex?,
        group: group?,
        population: population?,
    })
}

/// Parses and checks a denominators file (module docs). Nothing is returned unless the
/// whole file is right.
///
/// # Errors
/// [`Refused`]: every row error (line and column), a missing or wrong header, a cell given
/// twice, an area and year without all 36 cells, more than [`MAX_ROWS`] rows.
pub fn parse(bytes: &[u8]) -> Result<Vec<PopulationRow>, Refused> {
    let mut refused = Refused {
        errors: Vec::new(),
        total: 0,
    };
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .flexible(true)
        .has_headers(true)
        .from_reader(bytes);
    match reader.headers() {
        Ok(h) if h.iter().map(str::trim).eq(HEADER) => {}
        Ok(h) => refused.push(
            1,
            "file",
            format!(
                "the header must be {}, not {}",
                HEADER.join(","),
                h.iter().collect::<Vec<_>>().join(",")
            ),
        ),
        Err(e) => refused.push(1, "file", format!("unreadable: {e}")),
    }
    if refused.total > 0 {
        return Err(refused);
    }
    let mut rows = Vec::new();
    let mut seen: BTreeMap<(String, u16, u8, usize), u64> = BTreeMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                refused.push(line, "file", format!("unreadable: {e}"));
                break;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != HEADER.len() {
            refused.push(line, "file", format!("{} columns, not 5", record.len()));
            continue;
        }
        if rows.len() >= MAX_ROWS {
            refused.push(line, "file", format!("more than {MAX_ROWS} rows"));
            break;
        }
        let Some(row) = row_of(&record, line, &mut refused) else {
            continue;
        };
        let key = (
            row.area.clone(),
            row.year,
            sex_code(row.sex),
            row.group.index(),
        );
        if let Some(first) = seen.insert(key, line) {
            refused.push(
                line,
                "age_group",
                format!(
                    "{} {} {} {} is given twice (first on line {first})",
                    row.area,
                    row.year,
                    sex_name(row.sex),
                    row.group
                ),
            );
            continue;
        }
        rows.push(row);
    }
    let areas: BTreeSet<(String, u16)> = seen.keys().map(|(a, y, _, _)| (a.clone(), *y)).collect();
    for (area, year) in areas {
        for sex in [Sex::Male, Sex::Female] {
            for group in AgeGroup::all() {
                let key = (area.clone(), year, sex_code(sex), group.index());
                if !seen.contains_key(&key) {
                    refused.push(
                        0,
                        "age_group",
                        format!("{area} {year} {} {group} is missing", sex_name(sex)),
                    );
                }
            }
        }
    }
    if rows.is_empty() && refused.total == 0 {
        refused.push(0, "file", "no rows");
    }
    if refused.total > 0 {
        return Err(refused);
    }
    Ok(rows)
}

fn sex_code(sex: Sex) -> u8 {
    match sex {
        Sex::Male => 1,
        _ => 2,
    }
}

fn sex_name(sex: Sex) -> &'static str {
    match sex {
        Sex::Male => "male",
        _ => "female",
    }
}

//! The rules' two tables, embedded from `registry-server/data/iarc-mp/` and parsed once.
//!
//! - `organs.tsv`: Table 1 (topography codes counted as one organ) with every other ICD-O-3
//!   three-character category as an organ of its own (rule 3);
//! - `histology_groups.tsv`: the names of Table 2's 17 groups;
//! - `histology_codes.tsv`: the histology code ranges of each group.
//!
//! Each file's header comment cites the publication and where its values were read.

use std::collections::HashMap;
use std::sync::LazyLock;

pub(super) const ORGANS_FILE: &str = "data/iarc-mp/organs.tsv";
pub(super) const ORGANS: &str = include_str!("../../../data/iarc-mp/organs.tsv");
pub(super) const GROUPS_FILE: &str = "data/iarc-mp/histology_groups.tsv";
pub(super) const GROUPS: &str = include_str!("../../../data/iarc-mp/histology_groups.tsv");
pub(super) const CODES_FILE: &str = "data/iarc-mp/histology_codes.tsv";
pub(super) const CODES: &str = include_str!("../../../data/iarc-mp/histology_codes.tsv");

const ORGANS_HEADER: &str = "organ\tcategories\tname\tname_ar\tsource";
const GROUPS_HEADER: &str = "group\tname\tname_ar";
const CODES_HEADER: &str = "first\tlast\tgroup\tsource";

/// The embedded tables, parsed on first use. A parse failure is a defect of the shipped data
/// files; `tests::embedded_tables_parse` proves there is none.
static TABLES: LazyLock<Result<Tables, TableError>> =
    LazyLock::new(|| parse(ORGANS, GROUPS, CODES));

/// The parsed tables, or the defect that stopped the parse.
pub(super) fn tables() -> Result<&'static Tables, &'static TableError> {
    TABLES.as_ref()
}

pub use crate::domain::data_table::TableError;

/// An organ in the sense of rule 3: a group of Table 1 or a single three-character ICD-O-3
/// topography category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct OrganGroup {
    /// The group's label: `"C50"`, or the categories of a Table 1 group (`"C19-C20"`,
    /// `"C00,C03-C06"`).
    pub code: &'static str,
    /// English name, `"Rectosigmoid junction and rectum"`.
    pub name: &'static str,
    /// Arabic name.
    pub name_ar: &'static str,
    /// Whether the group is one of Table 1's (several categories counted as one organ).
    pub table1: bool,
}

/// The name of one of Table 2's histology groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub struct HistologyGroup {
    /// The group number, 1 to 17.
    pub number: u8,
    /// English name, `"Adenocarcinoma"`.
    pub name: &'static str,
    /// Arabic name.
    pub name_ar: &'static str,
}

/// Where a histology range comes from (the `source` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    /// The 2004 table.
    Rules2004,
    /// A code added by ICD-O-3.1, grouped where two sources agree.
    IcdO31,
}

/// One line of `histology_codes.tsv`; `source` is read by the tests only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(test), allow(dead_code))]
pub(super) struct CodeRange {
    pub(super) first: u16,
    pub(super) last: u16,
    pub(super) group: u8,
    pub(super) source: Source,
    /// The 1-based line in the file (for the tests).
    pub(super) line: usize,
}

/// The parsed files.
#[derive(Debug)]
pub(super) struct Tables {
    /// Organ groups in file order.
    pub(super) organs: Vec<OrganGroup>,
    /// Three-character category (`"C50"`) → index in `organs`.
    pub(super) by_category: HashMap<String, usize>,
    /// Histology groups 1 to 17, at index `number - 1`.
    pub(super) groups: Vec<HistologyGroup>,
    /// The code ranges in file order; no two overlap.
    pub(super) ranges: Vec<CodeRange>,
}

impl Tables {
    /// The organ group of a three-character category (`"C50"`).
    pub(super) fn organ(&self, category: &str) -> Option<OrganGroup> {
        self.by_category
            .get(category)
            .and_then(|&i| self.organs.get(i))
            .copied()
    }

    /// The histology group of a histology code.
    pub(super) fn group_of(&self, morphology: u16) -> Option<u8> {
        self.ranges
            .iter()
            .find(|r| (r.first..=r.last).contains(&morphology))
            .map(|r| r.group)
    }

    /// The name of group `number`.
    pub(super) fn group(&self, number: u8) -> Option<HistologyGroup> {
        let index = usize::from(number).checked_sub(1)?;
        self.groups.get(index).copied()
    }
}

/// The data lines of a file after its header: (1-based line, fields). Comment lines (`#`)
/// and blank lines are skipped; the first other line must be `header`.
fn data_lines(
    file: &'static str,
    text: &'static str,
    header: &str,
) -> Result<Vec<(usize, Vec<&'static str>)>, TableError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty());
    match lines.next() {
        Some((_, first)) if first == header => {}
        Some((line, first)) => {
            return Err(TableError {
                file,
                line,
                message: format!("expected the header {header:?}, found {first:?}"),
            })
        }
        None => {
            return Err(TableError {
                file,
                line: 0,
                message: "no header".to_owned(),
            })
        }
    }
    let width = header.split('\t').count();
    lines
        .map(|(line, l)| {
            let fields: Vec<&'static str> = l.split('\t').collect();
            if fields.len() == width {
                Ok((line, fields))
            } else {
                Err(TableError {
                    file,
                    line,
                    message: format!("{} fields, expected {width}", fields.len()),
                })
            }
        })
        .collect()
}

/// `"C50"` → 50, for a well-formed three-character category.
fn category_number(text: &str) -> Option<u8> {
    let digits = text.strip_prefix('C')?;
    if digits.len() == 2 && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()
    } else {
        None
    }
}

/// The categories of a `categories` field: `"C00,C03-C06"` → C00, C03, C04, C05, C06.
fn expand_categories(field: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for part in field.split(',') {
        let (first, last) = match part.split_once('-') {
            Some((a, b)) => (category_number(a)?, category_number(b)?),
            None => {
                let n = category_number(part)?;
                (n, n)
            }
        };
        if first > last {
            return None;
        }
        out.extend((first..=last).map(|n| format!("C{n:02}")));
    }
    Some(out)
}

fn parse_organs(
    text: &'static str,
) -> Result<(Vec<OrganGroup>, HashMap<String, usize>), TableError> {
    let mut organs = Vec::new();
    let mut by_category = HashMap::new();
    for (line, f) in data_lines(ORGANS_FILE, text, ORGANS_HEADER)? {
        let err = |message: String| TableError {
            file: ORGANS_FILE,
            line,
            message,
        };
        let categories =
            expand_categories(f[1]).ok_or_else(|| err(format!("bad categories {:?}", f[1])))?;
        let table1 = match f[4] {
            "table1" => true,
            "rule3" => false,
            other => return Err(err(format!("unknown source {other:?}"))),
        };
        if table1 != (categories.len() > 1) {
            return Err(err(
                "a Table 1 group has several categories, a rule3 one only one".to_owned(),
            ));
        }
        if f[0].is_empty() || f[2].is_empty() || f[3].is_empty() {
            return Err(err("empty organ label or name".to_owned()));
        }
        for category in categories {
            if by_category.insert(category.clone(), organs.len()).is_some() {
                return Err(err(format!("category {category} is in two organ groups")));
            }
        }
        organs.push(OrganGroup {
            code: f[0],
            name: f[2],
            name_ar: f[3],
            table1,
        });
    }
    Ok((organs, by_category))
}

fn parse_groups(text: &'static str) -> Result<Vec<HistologyGroup>, TableError> {
    let mut groups = Vec::new();
    for (line, f) in data_lines(GROUPS_FILE, text, GROUPS_HEADER)? {
        let expected = groups.len() + 1;
        let number: u8 = f[0].parse().map_err(|_| TableError {
            file: GROUPS_FILE,
            line,
            message: format!("bad group number {:?}", f[0]),
        })?;
        if usize::from(number) != expected || f[1].is_empty() || f[2].is_empty() {
            return Err(TableError {
                file: GROUPS_FILE,
                line,
                message: format!("expected group {expected} with its two names"),
            });
        }
        groups.push(HistologyGroup {
            number,
            name: f[1],
            name_ar: f[2],
        });
    }
    if groups.len() != 17 {
        return Err(TableError {
            file: GROUPS_FILE,
            line: 0,
            message: format!("{} groups, expected 17", groups.len()),
        });
    }
    Ok(groups)
}

fn parse_codes(text: &'static str) -> Result<Vec<CodeRange>, TableError> {
    let mut ranges: Vec<CodeRange> = Vec::new();
    for (line, f) in data_lines(CODES_FILE, text, CODES_HEADER)? {
        let err = |message: String| TableError {
            file: CODES_FILE,
            line,
            message,
        };
        let code = |s: &str| -> Result<u16, TableError> {
            match s.parse::<u16>() {
                Ok(n) if (8000..=9999).contains(&n) && s.len() == 4 => Ok(n),
                _ => Err(err(format!("bad histology code {s:?}"))),
            }
        };
        let (first, last) = (code(f[0])?, code(f[1])?);
        if first > last {
            return Err(err(format!("range {first}-{last} is reversed")));
        }
        let group = match f[2].parse::<u8>() {
            Ok(g) if (1..=17).contains(&g) => g,
            _ => return Err(err(format!("bad group {:?}", f[2]))),
        };
        let source = match f[3] {
            "2004" => Source::Rules2004,
            "icdo31" => Source::IcdO31,
            other => return Err(err(format!("unknown source {other:?}"))),
        };
        if let Some(other) = ranges.iter().find(|r| first <= r.last && r.first <= last) {
            return Err(err(format!(
                "range {first}-{last} overlaps line {} ({}-{})",
                other.line, other.first, other.last
            )));
        }
        ranges.push(CodeRange {
            first,
            last,
            group,
            source,
            line,
        });
    }
    Ok(ranges)
}

/// Parses the three files.
pub(super) fn parse(
    organs: &'static str,
    groups: &'static str,
    codes: &'static str,
) -> Result<Tables, TableError> {
    let (organs, by_category) = parse_organs(organs)?;
    Ok(Tables {
        organs,
        by_category,
        groups: parse_groups(groups)?,
        ranges: parse_codes(codes)?,
    })
}

//! The International Classification of Childhood Cancer, third edition (ICCC-3), derived
//! from a tumour's ICD-O-3 site, histology and behaviour.
//!
//! Steliarova-Foucher E, Stiller C, Lacour B, Kaatsch P. International Classification of
//! Childhood Cancer, third edition. Cancer 2005;103:1457-67. The classification has 12 main
//! groups (I to XII), 47 lettered subgroups (`Ia` to `XIIb`; group V, retinoblastoma, is not
//! divided) and an extended classification that splits 16 of the subgroups into 82 divisions
//! (`Ia.1` to `XIIa.6`).
//!
//! The conversion is SEER's table ("ICCC-3 based on ICD-O-3", main and extended
//! classification), shipped as data in `registry-server/data/iccc3/`: `rules.tsv` holds one
//! line per site set × histology set × behaviour set with its extended code, `names.tsv` the
//! names of the subgroups and divisions. Both are embedded in the binary and parsed once; their
//! header comments cite the sources and say how each line was checked. Two rules come from the
//! IARC 2017 update instead: the ICD-O-3.1 lymphoblastic codes 9811-9818, which the 2005 table
//! predates (without them a B-lymphoblastic leukaemia coded 9811 would have no ICCC-3 code).
//!
//! [`classify`] tries the rules in the file's order and the first that matches wins; no two
//! rules overlap (a unit test proves it), so the order never changes a result. A combination
//! no rule matches (a benign tumour outside the central nervous system, an in situ carcinoma, a
//! morphology the table does not list at that site) has no ICCC-3 code: [`classify`] returns
//! `None`. Nothing here looks at the patient's age; whether a tumour is a childhood one is the
//! caller's question.

use std::collections::HashMap;
use std::ops::RangeInclusive;
use std::sync::LazyLock;

#[cfg(test)]
mod tests;

/// The conversion rules (see the file's header).
const RULES_FILE: &str = "data/iccc3/rules.tsv";
const RULES: &str = include_str!("../../data/iccc3/rules.tsv");
/// The subgroup and division names.
const NAMES_FILE: &str = "data/iccc3/names.tsv";
const NAMES: &str = include_str!("../../data/iccc3/names.tsv");

const RULES_HEADER: &str = "extended\tseer\tsites\thistologies\tbehaviours\tsource";
const NAMES_HEADER: &str = "code\tname";

/// The embedded table, parsed on first use. A parse failure is a defect of the shipped data
/// files; `tests::embedded_table_parses` proves there is none.
static TABLE: LazyLock<Result<Table, TableError>> = LazyLock::new(|| parse(RULES, NAMES));

/// One of the 12 main diagnostic groups of ICCC-3.
#[allow(clippy::upper_case_acronyms)] // The variants are the groups' Roman numerals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MainGroup {
    /// Leukaemias, myeloproliferative diseases, and myelodysplastic diseases.
    I,
    /// Lymphomas and reticuloendothelial neoplasms.
    II,
    /// CNS and miscellaneous intracranial and intraspinal neoplasms.
    III,
    /// Neuroblastoma and other peripheral nervous cell tumours.
    IV,
    /// Retinoblastoma.
    V,
    /// Renal tumours.
    VI,
    /// Hepatic tumours.
    VII,
    /// Malignant bone tumours.
    VIII,
    /// Soft tissue and other extraosseous sarcomas.
    IX,
    /// Germ cell tumours, trophoblastic tumours, and neoplasms of gonads.
    X,
    /// Other malignant epithelial neoplasms and malignant melanomas.
    XI,
    /// Other and unspecified malignant neoplasms.
    XII,
}

impl MainGroup {
    /// The 12 groups in order.
    #[rustfmt::skip]
    pub const ALL: [MainGroup; 12] = [
        Self::I, Self::II, Self::III, Self::IV, Self::V, Self::VI,
        Self::VII, Self::VIII, Self::IX, Self::X, Self::XI, Self::XII,
    ];

    const ROMAN: [&'static str; 12] = [
        "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
    ];

    /// The group's number, 1 to 12.
    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    /// The group's Roman numeral, `"I"` to `"XII"`, as it starts every subgroup code.
    pub fn roman(self) -> &'static str {
        Self::ROMAN[self as usize]
    }

    /// The group whose Roman numeral is `roman` (`"IV"`), if any.
    pub fn from_roman(roman: &str) -> Option<MainGroup> {
        MainGroup::ALL.into_iter().find(|g| g.roman() == roman)
    }

    /// The group's English name, as the publication and SEER print it.
    pub fn name(self) -> &'static str {
        match self {
            Self::I => "Leukemias, myeloproliferative diseases, and myelodysplastic diseases",
            Self::II => "Lymphomas and reticuloendothelial neoplasms",
            Self::III => "CNS and miscellaneous intracranial and intraspinal neoplasms",
            Self::IV => "Neuroblastoma and other peripheral nervous cell tumors",
            Self::V => "Retinoblastoma",
            Self::VI => "Renal tumors",
            Self::VII => "Hepatic tumors",
            Self::VIII => "Malignant bone tumors",
            Self::IX => "Soft tissue and other extraosseous sarcomas",
            Self::X => "Germ cell tumors, trophoblastic tumors, and neoplasms of gonads",
            Self::XI => "Other malignant epithelial neoplasms and malignant melanomas",
            Self::XII => "Other and unspecified malignant neoplasms",
        }
    }

    /// The group's Arabic name.
    pub fn name_ar(self) -> &'static str {
        match self {
            Self::I => "الابيضاضات والأمراض التكاثرية النقوية وأمراض خلل التنسج النقوي",
            Self::II => "اللمفومات وأورام الجهاز الشبكي البطاني",
            Self::III => {
                "أورام الجهاز العصبي المركزي وأورام متنوعة داخل القحف وداخل القناة الشوكية"
            }
            Self::IV => "الورم الأرومي العصبي وأورام خلايا الجهاز العصبي المحيطي الأخرى",
            Self::V => "الورم الأرومي الشبكي",
            Self::VI => "أورام الكلية",
            Self::VII => "أورام الكبد",
            Self::VIII => "أورام العظام الخبيثة",
            Self::IX => "ساركومات الأنسجة الرخوة والساركومات الأخرى خارج العظام",
            Self::X => "أورام الخلايا الجرثومية والأورام الأرومية الغاذية وأورام الغدد التناسلية",
            Self::XI => "الأورام الظهارية الخبيثة الأخرى والميلانومات الخبيثة",
            Self::XII => "الأورام الخبيثة الأخرى وغير المحددة",
        }
    }
}

/// A tumour's place in ICCC-3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Iccc {
    /// The main group, I to XII.
    pub group: MainGroup,
    /// The subgroup code, `"Ia"` to `"XIIb"`, or `"V"` (group V has no subgroups).
    pub subgroup: &'static str,
    /// The extended-classification code: the division (`"Ia.1"`) or, for a subgroup the
    /// extended classification does not divide, the subgroup itself (`"Ib"`, `"V"`).
    pub extended: &'static str,
    /// The English name of [`Iccc::extended`] (`"Precursor cell leukemias"`).
    pub label: &'static str,
    /// The English name of [`Iccc::subgroup`] (`"Lymphoid leukemias"`).
    pub subgroup_label: &'static str,
}

impl Iccc {
    /// The compact code for a tumour's `iccc` field on the card: the subgroup (`"IIIb"`,
    /// `"Ia"`, `"V"`).
    ///
    /// The card format documents the field as the "ICCC-3 diagnostic group ... e.g. `IIIb`"
    /// and its fixtures carry `"Ia"`; its validation rule 17 allows only letters and digits,
    /// so an extended code with its dot (`"Ia.1"`) would not pass. The subgroup is also the
    /// level the main classification table reports.
    pub fn code(&self) -> String {
        self.subgroup.to_owned()
    }
}

pub use crate::domain::data_table::TableError;

/// The ICCC-3 place of a tumour with ICD-O-3 `topography` (as stored on the card, `"C71.9"`;
/// `"C719"` is read too), histology `morphology` (`9836`) and `behaviour` (`3`), or `None` if
/// ICCC-3 does not classify that combination or `topography` is not an ICD-O-3 site code.
///
/// Behaviour 3 (malignant) is classified everywhere the table lists the histology; 0 (benign)
/// and 1 (uncertain) only in group III and subgroup Xa, the intracranial and intraspinal
/// tumours ICCC-3 includes whatever their behaviour; 2 (in situ), 6 (metastatic) and 9
/// (uncertain whether primary) never.
///
/// Returns `None` for everything if the embedded table failed to parse, which the unit tests
/// rule out; [`check_table`] reports such a failure.
pub fn classify(topography: &str, morphology: u16, behaviour: u8) -> Option<Iccc> {
    let table = TABLE.as_ref().ok()?;
    let site = site_number(topography)?;
    table
        .rules
        .iter()
        .find(|rule| rule.matches(site, morphology, behaviour))
        .map(Rule::iccc)
}

/// The English name of an ICCC-3 code: a main group (`"III"`), a subgroup (`"IIIb"`) or a
/// division (`"IIIc.1"`).
pub fn name(code: &str) -> Option<&'static str> {
    let table = TABLE.as_ref().ok()?;
    match table.names.get(code) {
        Some(name) => Some(name),
        None => MainGroup::from_roman(code).map(MainGroup::name),
    }
}

/// Whether the embedded conversion table parsed; the error says which line is wrong.
///
/// # Errors
/// The shipped data files are defective (a programming error, ruled out by the unit tests).
pub fn check_table() -> Result<(), TableError> {
    TABLE.as_ref().map(|_| ()).map_err(Clone::clone)
}

/// The parsed data files.
#[derive(Debug)]
struct Table {
    /// The rules in file order.
    rules: Vec<Rule>,
    /// Subgroup and division code → English name.
    names: HashMap<&'static str, &'static str>,
}

/// Where a rule comes from (the data file's `source` column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    /// SEER's ICCC-3 tables of 2005 (iccc3.html, iccc3_ext.html).
    Seer2005,
    /// The IARC 2017 update, for ICD-O-3.1 codes the 2005 tables do not know.
    Iarc2017,
}

/// One line of `rules.tsv`. `line`, `seer` and `source` are read by the tests only (they
/// check the table's integrity against the sources).
#[derive(Debug)]
#[cfg_attr(not(test), allow(dead_code))]
struct Rule {
    /// 1-based line in the file.
    line: usize,
    group: MainGroup,
    subgroup: &'static str,
    extended: &'static str,
    label: &'static str,
    subgroup_label: &'static str,
    /// SEER's extended recode, 1 to 114; `None` for rules not on SEER's 2005 page.
    seer: Option<u8>,
    source: Source,
    /// Topographies as numbers, C71.9 = 719.
    sites: Vec<RangeInclusive<u16>>,
    histologies: Vec<RangeInclusive<u16>>,
    behaviours: Vec<u8>,
}

impl Rule {
    fn matches(&self, site: u16, morphology: u16, behaviour: u8) -> bool {
        self.behaviours.contains(&behaviour)
            && self.histologies.iter().any(|r| r.contains(&morphology))
            && self.sites.iter().any(|r| r.contains(&site))
    }

    fn iccc(&self) -> Iccc {
        Iccc {
            group: self.group,
            subgroup: self.subgroup,
            extended: self.extended,
            label: self.label,
            subgroup_label: self.subgroup_label,
        }
    }
}

/// An ICD-O-3 topography as a number: `"C71.9"` or `"C719"` → 719; C00.0 to C80.9 only.
fn site_number(code: &str) -> Option<u16> {
    let digits = match code.as_bytes() {
        [b'C', a, b, b'.', c] | [b'C', a, b, c] => [*a, *b, *c],
        _ => return None,
    };
    let mut value = 0u16;
    for d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u16::from(d - b'0');
    }
    (value <= 809).then_some(value)
}

/// A parsed ICCC-3 code: its group, its subgroup code (a prefix of the code) and, for a
/// division, its number.
fn parse_code(code: &str) -> Option<(MainGroup, &str, Option<u8>)> {
    let roman_len = code.find(|c| !"IVX".contains(c)).unwrap_or(code.len());
    let group = MainGroup::from_roman(&code[..roman_len])?;
    let rest = &code[roman_len..];
    let Some(letter) = rest.chars().next() else {
        // Only group V stands as its own subgroup.
        return (group == MainGroup::V).then_some((group, code, None));
    };
    if group == MainGroup::V || !('a'..='f').contains(&letter) {
        return None;
    }
    let subgroup = &code[..roman_len + 1];
    let division = &rest[1..];
    if division.is_empty() {
        return Some((group, subgroup, None));
    }
    let number = division.strip_prefix('.')?;
    if number.starts_with('0') || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number: u8 = number.parse().ok()?;
    (1..=11)
        .contains(&number)
        .then_some((group, subgroup, Some(number)))
}

/// Parses both data files.
fn parse(rules: &'static str, names: &'static str) -> Result<Table, TableError> {
    let names = parse_names(names)?;
    let mut parsed = Vec::new();
    for (line, text) in data_lines(RULES_FILE, rules, RULES_HEADER)? {
        let err = |message: String| TableError {
            file: RULES_FILE,
            line,
            message,
        };
        parsed.push(parse_rule(line, text, &names).map_err(err)?);
    }
    if parsed.is_empty() {
        return Err(TableError {
            file: RULES_FILE,
            line: 0,
            message: "no rules".into(),
        });
    }
    Ok(Table {
        rules: parsed,
        names,
    })
}

/// The data lines of a file with their 1-based numbers, after checking the header line.
/// Blank lines and lines starting with `#` are comments.
fn data_lines(
    file: &'static str,
    text: &'static str,
    header: &str,
) -> Result<Vec<(usize, &'static str)>, TableError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    match lines.next() {
        Some((_, first)) if first == header => Ok(lines.collect()),
        Some((line, first)) => Err(TableError {
            file,
            line,
            message: format!("header is {first:?}, expected {header:?}"),
        }),
        None => Err(TableError {
            file,
            line: 0,
            message: "no header".into(),
        }),
    }
}

fn parse_names(text: &'static str) -> Result<HashMap<&'static str, &'static str>, TableError> {
    let mut names = HashMap::new();
    for (line, row) in data_lines(NAMES_FILE, text, NAMES_HEADER)? {
        let err = |message: String| TableError {
            file: NAMES_FILE,
            line,
            message,
        };
        let (code, name) = row
            .split_once('\t')
            .ok_or_else(|| err("expected code<TAB>name".into()))?;
        if parse_code(code).is_none() {
            return Err(err(format!(
                "{code:?} is not an ICCC-3 subgroup or division"
            )));
        }
        if name.trim().is_empty() || name.contains('\t') || name.trim() != name {
            return Err(err(format!("bad name {name:?} for {code}")));
        }
        if names.insert(code, name).is_some() {
            return Err(err(format!("{code} is named twice")));
        }
    }
    Ok(names)
}

fn parse_rule(
    line: usize,
    row: &'static str,
    names: &HashMap<&'static str, &'static str>,
) -> Result<Rule, String> {
    let fields: Vec<&'static str> = row.split('\t').collect();
    let [extended, seer, sites, histologies, behaviours, source] = fields[..] else {
        return Err(format!(
            "expected 6 tab-separated fields, found {}",
            fields.len()
        ));
    };
    let (group, subgroup, _) =
        parse_code(extended).ok_or_else(|| format!("{extended:?} is not an ICCC-3 code"))?;
    let named = |code: &str| {
        names
            .get(code)
            .copied()
            .ok_or_else(|| format!("{code} has no name in {NAMES_FILE}"))
    };
    let source = match source {
        "seer2005" => Source::Seer2005,
        "iarc2017" => Source::Iarc2017,
        other => return Err(format!("unknown source {other:?}")),
    };
    let seer = match (seer, source) {
        ("-", Source::Iarc2017) => None,
        (number, Source::Seer2005) if number.len() == 3 => match number.parse::<u8>() {
            Ok(n @ 1..=114) => Some(n),
            _ => return Err(format!("SEER recode {number:?} is not 001 to 114")),
        },
        (number, _) => return Err(format!("SEER recode {number:?} does not fit the source")),
    };
    Ok(Rule {
        line,
        group,
        subgroup,
        extended,
        label: named(extended)?,
        subgroup_label: named(subgroup)?,
        seer,
        source,
        sites: parse_ranges(sites, parse_site)?,
        histologies: parse_ranges(histologies, parse_histology)?,
        behaviours: parse_behaviours(behaviours)?,
    })
}

/// Comma-separated codes and inclusive `low-high` ranges.
fn parse_ranges(
    list: &str,
    code: fn(&str) -> Result<u16, String>,
) -> Result<Vec<RangeInclusive<u16>>, String> {
    list.split(',')
        .map(|item| {
            let (low, high) = match item.split_once('-') {
                Some((low, high)) => (code(low)?, code(high)?),
                None => (code(item)?, code(item)?),
            };
            if low > high {
                return Err(format!("range {item:?} runs backwards"));
            }
            Ok(low..=high)
        })
        .collect()
}

/// A site in SEER's compact form, `C719`.
fn parse_site(code: &str) -> Result<u16, String> {
    match code.as_bytes() {
        [b'C', _, _, _] => site_number(code),
        _ => None,
    }
    .ok_or_else(|| format!("{code:?} is not a site C000 to C809"))
}

/// A four-digit ICD-O-3 histology.
fn parse_histology(code: &str) -> Result<u16, String> {
    match code.parse::<u16>() {
        Ok(n) if code.len() == 4 && (8000..=9999).contains(&n) => Ok(n),
        _ => Err(format!("{code:?} is not a histology 8000 to 9999")),
    }
}

/// Comma-separated ICD-O-3 behaviour digits.
fn parse_behaviours(list: &str) -> Result<Vec<u8>, String> {
    list.split(',')
        .map(|b| match b.parse::<u8>() {
            Ok(digit @ (0 | 1 | 2 | 3 | 6 | 9)) if b.len() == 1 => Ok(digit),
            _ => Err(format!("{b:?} is not an ICD-O-3 behaviour")),
        })
        .collect()
}

//! The check tables: the tab-separated files of `registry-server/data/iarc/`, embedded in the
//! binary and parsed once, on first use.
//!
//! Each file starts with a comment block (`#` lines) citing its source, then a header line
//! naming its columns, then one row per line. Parsing is strict: a wrong header, a wrong
//! number of cells, an unknown code or a duplicate is a [`TableError`] naming the file and
//! line, never a row silently skipped. [`verify_tables`](super::verify_tables) reports it; the
//! checks themselves cannot run without their tables and panic with that error (a unit test
//! parses every file, so a broken table fails the build's tests, not a desk).

use std::collections::HashMap;
use std::sync::LazyLock;

use card_format::model::Sex;

use super::select::{parse_histology, Family, MorphSel, Site, SiteToken, TopoSel};
use super::{Check, Outcome};

mod rule_tables;

/// A check table that does not parse: which file, which line (1-based; 0 for the file as a
/// whole) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("IARC check table data/iarc/{file}, line {line}: {reason}")]
pub struct TableError {
    /// The file's name in `registry-server/data/iarc/`.
    pub file: &'static str,
    /// The line, from 1; 0 when the fault is the file's as a whole.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Source {
    pub file: &'static str,
    pub text: &'static str,
}

impl Source {
    fn error(&self, line: usize, reason: impl Into<String>) -> TableError {
        TableError {
            file: self.file,
            line,
            reason: reason.into(),
        }
    }
}

macro_rules! embedded {
    ($file:literal) => {
        Source {
            file: $file,
            text: include_str!(concat!("../../../data/iarc/", $file)),
        }
    };
}

/// Every table file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sources {
    pub codes: Source,
    pub topography_groups: Source,
    pub topography: Source,
    pub families: Source,
    pub morphology: Source,
    pub site_profiles: Source,
    pub morphology_terms: Source,
    pub age_rules: Source,
    pub sex_rules: Source,
    pub grade_rules: Source,
    pub basis_rules: Source,
    pub behaviour_sites: Source,
}

/// The files built into the binary.
pub(crate) const EMBEDDED: Sources = Sources {
    codes: embedded!("codes.tsv"),
    topography_groups: embedded!("topography_groups.tsv"),
    topography: embedded!("topography.tsv"),
    families: embedded!("families.tsv"),
    morphology: embedded!("morphology.tsv"),
    site_profiles: embedded!("site_profiles.tsv"),
    morphology_terms: embedded!("morphology_terms.tsv"),
    age_rules: embedded!("age_rules.tsv"),
    sex_rules: embedded!("sex_rules.tsv"),
    grade_rules: embedded!("grade_rules.tsv"),
    basis_rules: embedded!("basis_rules.tsv"),
    behaviour_sites: embedded!("behaviour_sites.tsv"),
};

static TABLES: LazyLock<Result<Tables, TableError>> = LazyLock::new(|| Tables::parse(&EMBEDDED));

/// The parsed tables, or the first fault of the embedded files.
pub(crate) fn parsed() -> Result<&'static Tables, &'static TableError> {
    TABLES.as_ref()
}

/// The parsed tables. The embedded files are part of the program: they are proved to parse
/// by the unit tests, so a failure here is a build defect, reported with its file and line.
pub(crate) fn tables() -> &'static Tables {
    match parsed() {
        Ok(tables) => tables,
        Err(e) => panic!("{e}"),
    }
}

/// The three coded items of codes.tsv.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Item {
    Behaviour,
    Grade,
    Basis,
}

/// A row of codes.tsv.
#[derive(Debug, Clone)]
pub(crate) struct Code {
    pub flag: Option<Flag>,
    pub name: &'static str,
    pub name_ar: &'static str,
}

/// The flags of codes.tsv.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flag {
    /// A behaviour that takes a grade.
    Malignant,
    /// The grade code that skips the grade/morphology rules.
    NotDetermined,
    /// A microscopically verified basis.
    Microscopic,
}

/// A topography group's names.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    pub name: &'static str,
    pub name_ar: &'static str,
}

/// A row of age_rules.tsv.
#[derive(Debug, Clone)]
pub(crate) struct AgeRule {
    pub check: Check,
    pub from: u32,
    pub to: Option<u32>,
    pub topography: TopoSel,
    pub morphology: MorphSel,
    pub outcome: Outcome,
}

/// A row of sex_rules.tsv.
#[derive(Debug, Clone)]
pub(crate) struct SexRule {
    pub check: Check,
    pub sex: Sex,
    pub topography: TopoSel,
    pub morphology: MorphSel,
    /// None: any behaviour.
    pub behaviours: Option<Vec<u8>>,
    pub outcome: Outcome,
}

/// A row of grade_rules.tsv.
#[derive(Debug, Clone)]
pub(crate) struct GradeRule {
    pub morphology: MorphSel,
    pub grades: Vec<u8>,
}

/// A row of basis_rules.tsv.
#[derive(Debug, Clone)]
pub(crate) struct BasisRule {
    pub morphology: MorphSel,
    pub topography: TopoSel,
}

/// A row of behaviour_sites.tsv.
#[derive(Debug, Clone)]
pub(crate) struct BehaviourSite {
    pub behaviour: u8,
    pub topography: TopoSel,
    pub outcome: Outcome,
}

/// Every table, parsed.
#[derive(Debug)]
pub(crate) struct Tables {
    pub codes: HashMap<(Item, u8), Code>,
    pub groups: HashMap<u8, Group>,
    pub topography: HashMap<Site, &'static str>,
    pub family_names: HashMap<Family, &'static str>,
    pub morphology: HashMap<u16, Family>,
    pub profiles: HashMap<Family, Vec<SiteToken>>,
    pub terms: HashMap<(u16, u8), &'static str>,
    pub age_rules: Vec<AgeRule>,
    pub sex_rules: Vec<SexRule>,
    pub grade_rules: Vec<GradeRule>,
    pub basis_rules: Vec<BasisRule>,
    pub behaviour_sites: Vec<BehaviourSite>,
}

/// The data rows of a file, each with its line number, after checking the header.
pub(crate) fn rows<const N: usize>(
    src: &Source,
    columns: [&str; N],
) -> Result<Vec<(usize, [&'static str; N])>, TableError> {
    let mut header = false;
    let mut out = Vec::new();
    for (i, line) in src.text.lines().enumerate() {
        let n = i + 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let cells: Vec<&'static str> = line.split('\t').collect();
        if !header {
            if cells != columns {
                return Err(src.error(n, format!("header is {cells:?}, expected {columns:?}")));
            }
            header = true;
            continue;
        }
        let Ok(cells) = <[&'static str; N]>::try_from(cells.as_slice()) else {
            return Err(src.error(n, format!("{} cells, expected {N}", cells.len())));
        };
        if cells.iter().any(|c| c.is_empty() || c.trim() != *c) {
            return Err(src.error(n, "empty cell, or spaces around a cell"));
        }
        out.push((n, cells));
    }
    if !header {
        return Err(src.error(0, "no header line"));
    }
    if out.is_empty() {
        return Err(src.error(0, "no rows"));
    }
    Ok(out)
}

/// Inserts into a map, refusing duplicates.
fn insert_new<K: std::hash::Hash + Eq, V>(
    map: &mut HashMap<K, V>,
    key: K,
    value: V,
    src: &Source,
    line: usize,
) -> Result<(), TableError> {
    if map.insert(key, value).is_some() {
        return Err(src.error(line, "duplicate entry"));
    }
    Ok(())
}

fn number<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    if text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse()
            .map_err(|_| format!("{text:?} is out of range"))
    } else {
        Err(format!("{text:?} is not a number"))
    }
}

impl Tables {
    /// Parses every file; the first fault is the error.
    pub(crate) fn parse(s: &Sources) -> Result<Tables, TableError> {
        let codes = parse_codes(&s.codes)?;
        let groups = parse_groups(&s.topography_groups)?;
        let topography = parse_topography(&s.topography, &groups)?;
        let family_names = parse_families(&s.families)?;
        let morphology = parse_morphology(&s.morphology, &family_names)?;
        let mut t = Tables {
            codes,
            groups,
            topography,
            family_names,
            morphology,
            profiles: HashMap::new(),
            terms: HashMap::new(),
            age_rules: Vec::new(),
            sex_rules: Vec::new(),
            grade_rules: Vec::new(),
            basis_rules: Vec::new(),
            behaviour_sites: Vec::new(),
        };
        t.profiles = t.parse_profiles(&s.site_profiles)?;
        t.terms = t.parse_terms(&s.morphology_terms)?;
        t.age_rules = t.parse_age_rules(&s.age_rules)?;
        t.sex_rules = t.parse_sex_rules(&s.sex_rules)?;
        t.grade_rules = t.parse_grade_rules(&s.grade_rules)?;
        t.basis_rules = t.parse_basis_rules(&s.basis_rules)?;
        t.behaviour_sites = t.parse_behaviour_sites(&s.behaviour_sites)?;
        Ok(t)
    }

    /// The entry of a code, if the code exists.
    pub fn code(&self, item: Item, code: u8) -> Option<&Code> {
        self.codes.get(&(item, code))
    }

    /// Whether the code exists and carries the flag.
    pub fn flagged(&self, item: Item, code: u8, flag: Flag) -> bool {
        self.code(item, code).is_some_and(|c| c.flag == Some(flag))
    }

    /// The codes of an item (with a flag, if given), in order.
    pub fn codes_of(&self, item: Item, flag: Option<Flag>) -> Vec<u8> {
        let mut out: Vec<u8> = self
            .codes
            .iter()
            .filter(|((i, _), c)| *i == item && (flag.is_none() || c.flag == flag))
            .map(|((_, code), _)| *code)
            .collect();
        out.sort_unstable();
        out
    }

    /// The behaviours ICD-O-3 lists a histology with, in order.
    pub fn behaviours_listed(&self, histology: u16) -> Vec<u8> {
        let mut out: Vec<u8> = self
            .terms
            .keys()
            .filter(|(h, _)| *h == histology)
            .map(|(_, b)| *b)
            .collect();
        out.sort_unstable();
        out
    }

    fn check_families(&self, sel: &MorphSel, src: &Source, line: usize) -> Result<(), TableError> {
        for family in sel.families() {
            if !self.family_names.contains_key(&family) {
                return Err(src.error(line, format!("family {family} is not in families.tsv")));
            }
        }
        Ok(())
    }

    fn behaviour(&self, text: &str, src: &Source, line: usize) -> Result<u8, TableError> {
        let code = number(text).map_err(|e| src.error(line, e))?;
        if self.code(Item::Behaviour, code).is_none() {
            return Err(src.error(line, format!("behaviour {code} is not in codes.tsv")));
        }
        Ok(code)
    }

    fn parse_profiles(&self, src: &Source) -> Result<HashMap<Family, Vec<SiteToken>>, TableError> {
        let mut out: HashMap<Family, Vec<SiteToken>> = HashMap::new();
        for (n, [family, site]) in rows(src, ["family", "site"])? {
            let family = Family::parse(family).map_err(|e| src.error(n, e))?;
            if !self.family_names.contains_key(&family) {
                return Err(src.error(n, format!("family {family} is not in families.tsv")));
            }
            let site = SiteToken::parse(site).map_err(|e| src.error(n, e))?;
            let sites = out.entry(family).or_default();
            if sites.contains(&site) {
                return Err(src.error(n, "duplicate entry"));
            }
            sites.push(site);
        }
        if let Some(family) = self
            .morphology
            .values()
            .find(|f| **f != Family::Any && !out.contains_key(f))
        {
            return Err(src.error(0, format!("family {family} has no sites")));
        }
        Ok(out)
    }

    fn parse_terms(&self, src: &Source) -> Result<HashMap<(u16, u8), &'static str>, TableError> {
        let mut out = HashMap::new();
        for (n, [code, behaviour, name]) in rows(src, ["code", "behaviour", "name"])? {
            let code = parse_histology(code).map_err(|e| src.error(n, e))?;
            if !self.morphology.contains_key(&code) {
                return Err(src.error(n, format!("{code} is not in morphology.tsv")));
            }
            let behaviour = self.behaviour(behaviour, src, n)?;
            insert_new(&mut out, (code, behaviour), name, src, n)?;
        }
        if let Some(code) = self
            .morphology
            .keys()
            .find(|c| !out.keys().any(|(h, _)| h == *c))
        {
            return Err(src.error(0, format!("histology {code} has no term")));
        }
        Ok(out)
    }
}

fn parse_codes(src: &Source) -> Result<HashMap<(Item, u8), Code>, TableError> {
    let mut out = HashMap::new();
    for (n, [item, code, flag, name, name_ar]) in
        rows(src, ["item", "code", "flag", "name", "name_ar"])?
    {
        let item = match item {
            "behaviour" => Item::Behaviour,
            "grade" => Item::Grade,
            "basis" => Item::Basis,
            _ => {
                return Err(src.error(n, format!("item {item:?} is not behaviour, grade or basis")))
            }
        };
        let flag = match (item, flag) {
            (_, "-") => None,
            (Item::Behaviour, "malignant") => Some(Flag::Malignant),
            (Item::Grade, "not_determined") => Some(Flag::NotDetermined),
            (Item::Basis, "microscopic") => Some(Flag::Microscopic),
            _ => return Err(src.error(n, format!("flag {flag:?} does not apply to this item"))),
        };
        let code = number(code).map_err(|e| src.error(n, e))?;
        insert_new(
            &mut out,
            (item, code),
            Code {
                flag,
                name,
                name_ar,
            },
            src,
            n,
        )?;
    }
    Ok(out)
}

fn parse_groups(src: &Source) -> Result<HashMap<u8, Group>, TableError> {
    let mut out = HashMap::new();
    for (n, [group, name, name_ar]) in rows(src, ["group", "name", "name_ar"])? {
        let group = match SiteToken::parse(group) {
            Ok(SiteToken::Group(g)) if g <= 80 => g,
            _ => return Err(src.error(n, format!("{group:?} is not a group C00 to C80"))),
        };
        insert_new(&mut out, group, Group { name, name_ar }, src, n)?;
    }
    Ok(out)
}

fn parse_topography(
    src: &Source,
    groups: &HashMap<u8, Group>,
) -> Result<HashMap<Site, &'static str>, TableError> {
    let mut out = HashMap::new();
    for (n, [code, name]) in rows(src, ["code", "name"])? {
        let Some(site) = Site::parse(code) else {
            return Err(src.error(n, format!("{code:?} is not a code like C50.9")));
        };
        if !groups.contains_key(&site.group) {
            return Err(src.error(n, format!("group of {code} not in topography_groups.tsv")));
        }
        insert_new(&mut out, site, name, src, n)?;
    }
    Ok(out)
}

fn parse_families(src: &Source) -> Result<HashMap<Family, &'static str>, TableError> {
    let mut out = HashMap::new();
    for (n, [family, name]) in rows(src, ["family", "name"])? {
        match Family::parse(family) {
            Ok(Family::Any) | Err(_) => {
                return Err(src.error(n, format!("{family:?} is not a family +NN or -NN")))
            }
            Ok(f) => insert_new(&mut out, f, name, src, n)?,
        }
    }
    Ok(out)
}

fn parse_morphology(
    src: &Source,
    families: &HashMap<Family, &'static str>,
) -> Result<HashMap<u16, Family>, TableError> {
    let mut out = HashMap::new();
    for (n, [code, family]) in rows(src, ["code", "family"])? {
        let code = parse_histology(code).map_err(|e| src.error(n, e))?;
        if !(8000..=9993).contains(&code) {
            return Err(src.error(n, format!("{code} is outside 8000 to 9993")));
        }
        let family = Family::parse(family).map_err(|e| src.error(n, e))?;
        if family != Family::Any && !families.contains_key(&family) {
            return Err(src.error(n, format!("family {family} is not in families.tsv")));
        }
        insert_new(&mut out, code, family, src, n)?;
    }
    Ok(out)
}

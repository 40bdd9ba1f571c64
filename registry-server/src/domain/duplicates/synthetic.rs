//! A synthetic population with planted duplicates, and the duplicate search measured on it:
//! the target is recall ≥ 95 % at precision ≥ 90 % on 10,000 patients, 500 of them planted.
//!
//! The population, a function of its seed (the shares are a project choice):
//! - four name parts (given, father's, grandfather's, family name), Arabic with the usual
//!   Latin spelling, from [`crate::names::common`], the given name of the patient's sex;
//! - 85 % children born 2006-01-01 to 2025-12-31 (0 to 19 years before 2026: a paediatric
//!   hospital), 15 % adults born 1950 to 2005, uniformly;
//! - unique identifiers: national numbers as in `examples/load.rs` (sex digit, birth year,
//!   7-digit serial) or, for 15 % of the children, an 8-digit family book number;
//! - 2 % siblings of an earlier patient (the same father's, grandfather's and family name, a
//!   birth date 1 to 8 years apart, 1 in 30 a twin born the same day): not duplicates;
//! - typed as a registrar would (ASCII digits, usual spellings), normalised by
//!   [`PatientInput::validate`], the registry's own code.
//!
//! A duplicate keeps the original's identifier unless a perturbation changes it (the
//! registry's unique index would refuse it outright; the search still scores it here).
//!
//! A planted duplicate copies a distinct patient with 1 to 3 distinct [`Perturbation`]s, each
//! drawn uniformly among the kinds still open (a day off and month/day swapped exclude each
//! other, as do a typo and another scheme; month/day swapped needs a day ≤ 12 other than the
//! month), then the variant (which spelling, which part) uniformly (`perturb.rs` holds the
//! tables of variants). [`evaluate`] runs the database search's pipeline in memory.

use std::collections::{HashMap, HashSet};
use std::fmt;

use card_format::model::{Date, IdType, Sex};

use super::{birth_dates_near, identifier_variants, rank, score, Person, Score, THRESHOLD};
use crate::names::common::{FAMILY, FEMALE, MALE};
use crate::patient::PatientInput;

mod perturb;
#[cfg(test)]
mod tests;

use perturb::plant;
pub use perturb::{latin_variants, Perturbation};

/// Percent of adults, of children registered by family book and of siblings; one sibling in
/// `TWIN_IN` is a twin. `ATTEMPTS` bounds the search for a free identifier or given name.
const ADULT_PERCENT: usize = 15;
const FAMILY_BOOK_PERCENT: usize = 15;
const SIBLING_PERCENT: usize = 2;
const TWIN_IN: usize = 30;
const ATTEMPTS: usize = 1_000;
/// How many false positives and missed pairs an evaluation shows.
const EXAMPLES: usize = 6;

/// One registration: what was typed, what the registry made of it, what was planted.
#[derive(Debug, Clone)]
pub struct Record {
    /// As the registrar typed it.
    pub typed: PatientInput,
    /// After the registry's normalisation ([`PatientInput::validate`]), or why it refused.
    pub person: Result<Person, String>,
    /// The perturbations of a planted duplicate (none for the others).
    pub perturbations: Vec<Perturbation>,
}

/// A synthetic population.
#[derive(Debug, Clone)]
pub struct Population {
    /// Every record: the distinct patients first, then the planted duplicates.
    pub records: Vec<Record>,
    /// (original, duplicate) indexes into `records`.
    pub planted: Vec<(usize, usize)>,
    /// (older, younger) indexes of siblings: distinct patients, not duplicates.
    pub siblings: Vec<(usize, usize)>,
}

/// What the registry makes of `typed`.
fn record(typed: PatientInput, perturbations: Vec<Perturbation>) -> Record {
    let valid = typed.clone().validate(today());
    let person = valid.map(|(data, _)| Person::from(&data));
    let person = person.map_err(|e| e.to_string());
    Record {
        typed,
        person,
        perturbations,
    }
}

/// SplitMix64, as in `examples/load.rs`.
#[derive(Debug)]
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let z = self.0;
        let z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (0 when n is 0).
    fn index(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> Option<T> {
        items.get(self.index(items.len())).cloned()
    }
}

/// A date known to be valid (constants only).
fn ymd(y: i32, m: u8, d: u8) -> Date {
    Date::from_ymd("date", y, m, d).unwrap_or(Date(0))
}

/// The registrations' "today", for [`PatientInput::validate`]: 2026-01-31.
pub fn today() -> Date {
    ymd(2026, 1, 31)
}

/// The identifiers handed out, each once (the registry's unique index).
#[derive(Debug, Default)]
struct Ids {
    used: HashSet<(IdType, String)>,
    counter: u64,
}

impl Ids {
    /// A new identifier of scheme `kind` for `p`: a national number (sex digit, birth year,
    /// 7-digit serial) or an 8-digit family book number; serials are a bijection of a counter.
    fn new_id(&mut self, kind: IdType, p: &PatientInput) -> String {
        let year = p.birth_date.get(..4).unwrap_or("1970");
        let sex = if p.sex == Sex::Female { 2 } else { 1 };
        let mut value = String::new();
        for _ in 0..ATTEMPTS {
            self.counter += 1;
            let n = self.counter.wrapping_mul(7_919_993).wrapping_add(1_234_567);
            value = match kind {
                IdType::FamilyBook => format!("{:08}", n % 100_000_000),
                _ => format!("{sex}{year}{:07}", n % 10_000_000),
            };
            if self.used.insert((kind, value.clone())) {
                break;
            }
        }
        value
    }
}

/// A distinct patient; a sibling of `sibling` when given.
fn draw(rng: &mut SplitMix, ids: &mut Ids, sibling: Option<&PatientInput>) -> PatientInput {
    let female = rng.index(2) == 0;
    let names = if female { FEMALE } else { MALE };
    let parts = [names, MALE, MALE, FAMILY].map(|list| rng.pick(list).unwrap_or(("علي", "Ali")));
    let mut ar: Vec<String> = parts.iter().map(|p| p.0.to_string()).collect();
    let mut latin: Vec<String> = parts.iter().map(|p| p.1.to_string()).collect();
    let (first, last) = match rng.index(100) < ADULT_PERCENT {
        true => (ymd(1950, 1, 1), ymd(2005, 12, 31)),
        false => (ymd(2006, 1, 1), ymd(2025, 12, 31)),
    };
    let span = usize::try_from(last.0 - first.0).unwrap_or(0) + 1;
    let mut birth = Date(first.0 + i32::try_from(rng.index(span)).unwrap_or(0));
    if let Some(s) = sibling {
        for _ in 0..ATTEMPTS {
            if ar.first() != s.name_ar.first() {
                break;
            }
            let (a, l) = rng.pick(names).unwrap_or(("علي", "Ali"));
            (ar, latin) = (vec![a.into()], vec![l.into()]);
        }
        ar.truncate(1);
        latin.truncate(1);
        ar.extend(s.name_ar.iter().skip(1).cloned());
        latin.extend(s.name_latin.iter().flatten().skip(1).cloned());
        let theirs = Date::parse("birth_date", &s.birth_date).unwrap_or(birth);
        let apart = 365 + i32::try_from(rng.index(7 * 365)).unwrap_or(0);
        let sign = if theirs.0 + apart <= ymd(2025, 12, 31).0 {
            1
        } else {
            -1
        };
        let twin = rng.index(TWIN_IN) == 0;
        birth = if twin {
            theirs
        } else {
            Date(theirs.0 + sign * apart)
        };
    }
    let book = birth >= ymd(2006, 1, 1) && rng.index(100) < FAMILY_BOOK_PERCENT;
    let mut p = PatientInput {
        id_type: if book {
            IdType::FamilyBook
        } else {
            IdType::National
        },
        id_value: String::new(),
        name_ar: ar,
        name_latin: Some(latin),
        sex: if female { Sex::Female } else { Sex::Male },
        birth_date: birth.to_string(),
        blood_group: None,
        municipality: None,
        region: None,
        phone: None,
        insurance: None,
    };
    p.id_value = ids.new_id(p.id_type, &p);
    p
}

/// `distinct` patients, then `planted` duplicates (at most `distinct`) of distinct ones
/// among them, each with 1 to 3 perturbations. The same arguments give the same population.
pub fn population(distinct: usize, planted: usize, seed: u64) -> Population {
    let (mut rng, mut ids) = (SplitMix(seed), Ids::default());
    let (mut typed, mut siblings) = (Vec::<PatientInput>::new(), Vec::new());
    for i in 0..distinct {
        let sibling = (i > 0 && rng.index(100) < SIBLING_PERCENT).then(|| rng.index(i));
        let p = draw(&mut rng, &mut ids, sibling.and_then(|j| typed.get(j)));
        siblings.extend(sibling.map(|j| (j, i)));
        typed.push(p);
    }
    let mut records: Vec<Record> = typed.iter().map(|p| record(p.clone(), vec![])).collect();
    let mut order: Vec<usize> = (0..distinct).collect();
    let mut pairs = Vec::new();
    for k in 0..planted.min(distinct) {
        order.swap(k, k + rng.index(distinct - k));
        if let Some((b, base)) = order.get(k).and_then(|&b| Some((b, typed.get(b)?))) {
            pairs.push((b, records.len()));
            records.push(plant(base, &mut rng, &mut ids));
        }
    }
    let planted = pairs;
    Population {
        records,
        planted,
        siblings,
    }
}

/// The duplicate search measured on a population.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Records.
    pub records: usize,
    /// Records the registry's validation refused, left out.
    pub refused: usize,
    /// Patients scored per search, on average (the block less the patient).
    pub mean_block: f64,
    /// Planted pairs.
    pub planted: usize,
    /// Unordered pairs (record, candidate) reported over all records.
    pub reported: usize,
    /// Reported pairs that are planted.
    pub true_positives: usize,
    /// Reported pairs that are siblings.
    pub sibling_false_positives: usize,
    /// True positives over planted pairs (1 when none is planted).
    pub recall: f64,
    /// True positives over reported pairs (1 when none is reported).
    pub precision: f64,
    /// Per perturbation kind: (kind, planted pairs with it, of those reported).
    pub by_kind: Vec<(Perturbation, usize, usize)>,
    /// The lowest score of a true positive and the highest of a false positive.
    pub scores: (Option<i32>, Option<i32>),
    /// What higher thresholds would keep: (threshold, true positives, false positives).
    pub thresholds: Vec<(i32, usize, usize)>,
    /// A few false positives: the two records and the reasons of their score.
    pub false_positives: Vec<String>,
    /// A few missed planted pairs: the two records and their score.
    pub missed: Vec<String>,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// Two records in words, and the score of the pair (when both were registered).
fn describe(pop: &Population, pair: (usize, usize), s: Option<&Score>) -> String {
    let one = |i: usize| match pop.records.get(i).map(|r| &r.person) {
        Some(Ok(p)) => {
            let (ar, latin) = (p.name_ar.join(" "), p.name_latin.join(" "));
            format!(
                "r{i} {ar} / {latin}, {}, {:?} {}",
                p.birth, p.id.kind, p.id.value
            )
        }
        _ => format!("r{i} (refused)"),
    };
    let reasons = s
        .iter()
        .flat_map(|s| &s.reasons)
        .map(|r| format!("{} {:+}", r.en(), r.points()));
    let total = s.map_or(0, |s| s.total);
    format!(
        "{} × {}: score {total} ({})",
        one(pair.0),
        one(pair.1),
        reasons.collect::<Vec<_>>().join(", ")
    )
}

/// Runs the database search's pipeline in memory on every record of `pop` and measures it.
///
/// Records are indexed by birth date and by (scheme, identifier value). A record's block is
/// the records born on a date of [`birth_dates_near`] and those of its scheme whose
/// identifier is its own or in [`identifier_variants`]; [`rank`] keeps the candidates. The
/// reported pairs are the unordered pairs (record, candidate) over all records.
pub fn evaluate(pop: &Population) -> Evaluation {
    let ids: Vec<String> = (0..pop.records.len()).map(|i| format!("r{i}")).collect();
    let persons: Vec<Option<&Person>> =
        pop.records.iter().map(|r| r.person.as_ref().ok()).collect();
    let person = |i: usize| persons.get(i).copied().flatten();
    let mut by_birth: HashMap<Date, Vec<usize>> = HashMap::new();
    let mut by_id: HashMap<(IdType, &str), Vec<usize>> = HashMap::new();
    for (i, p) in persons.iter().enumerate() {
        let Some(p) = p else { continue };
        by_birth.entry(p.birth).or_default().push(i);
        by_id.entry((p.id.kind, &p.id.value)).or_default().push(i);
    }
    let mut reported: HashMap<(usize, usize), Score> = HashMap::new();
    let (mut searched, mut scored) = (0, 0);
    for (i, p) in persons.iter().enumerate() {
        let Some(p) = p else { continue };
        let mut block: Vec<usize> = Vec::new();
        for date in birth_dates_near(p.birth) {
            block.extend(by_birth.get(&date).into_iter().flatten());
        }
        let mut values = identifier_variants(&p.id.value);
        values.push(p.id.value.clone());
        for v in values {
            block.extend(by_id.get(&(p.id.kind, v.as_str())).into_iter().flatten());
        }
        block.sort_unstable();
        block.dedup();
        searched += 1;
        scored += block.iter().filter(|&&j| j != i).count();
        let others = block
            .iter()
            .filter_map(|&j| Some((ids.get(j)?.as_str(), person(j)?)));
        for c in rank(p, ids.get(i).map(String::as_str), others) {
            if let Some(j) = c.patient_id.get(1..).and_then(|j| j.parse::<usize>().ok()) {
                reported.entry((i.min(j), i.max(j))).or_insert(c.score);
            }
        }
    }
    let key = |&(a, b): &(usize, usize)| (a.min(b), a.max(b));
    let planted: HashSet<(usize, usize)> = pop.planted.iter().map(key).collect();
    let siblings: HashSet<(usize, usize)> = pop.siblings.iter().map(key).collect();
    let (right, mut wrong): (Vec<_>, Vec<_>) =
        reported.iter().partition(|(p, _)| planted.contains(p));
    wrong.sort_by_key(|(p, _)| **p);
    let found = |p: &&(usize, usize)| reported.contains_key(&key(p));
    let has = |p: &(usize, usize), k| {
        pop.records
            .get(p.1)
            .is_some_and(|r| r.perturbations.contains(&k))
    };
    let by_kind = Perturbation::all().map(|kind| {
        let with: Vec<_> = pop.planted.iter().filter(|p| has(p, kind)).collect();
        (kind, with.len(), with.iter().filter(|p| found(p)).count())
    });
    let at = |t: i32| {
        let n = |l: &[(&(usize, usize), &Score)]| l.iter().filter(|p| p.1.total >= t).count();
        (t, n(&right), n(&wrong))
    };
    let false_positives = wrong
        .iter()
        .take(EXAMPLES)
        .map(|(p, s)| describe(pop, **p, Some(s)));
    let missed = pop
        .planted
        .iter()
        .filter(|p| !found(p))
        .take(EXAMPLES)
        .map(|&(a, b)| {
            let s = person(a).zip(person(b)).map(|(x, y)| score(x, y));
            describe(pop, (a, b), s.as_ref())
        });
    Evaluation {
        records: pop.records.len(),
        refused: pop.records.len() - searched,
        mean_block: scored as f64 / searched.max(1) as f64,
        planted: planted.len(),
        reported: reported.len(),
        true_positives: right.len(),
        sibling_false_positives: wrong.iter().filter(|(p, _)| siblings.contains(p)).count(),
        recall: ratio(right.len(), planted.len()),
        precision: ratio(right.len(), reported.len()),
        by_kind: by_kind.collect(),
        scores: (
            right.iter().map(|p| p.1.total).min(),
            wrong.iter().map(|p| p.1.total).max(),
        ),
        thresholds: [0, 5, 10, 15, 20].map(|d| at(THRESHOLD + d)).to_vec(),
        false_positives: false_positives.collect(),
        missed: missed.collect(),
    }
}

impl fmt::Display for Evaluation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pct = |x: f64| format!("{:.1} %", x * 100.0);
        let opt = |s: Option<i32>| s.map_or("-".into(), |s| s.to_string());
        let fp = self.reported - self.true_positives;
        let rows = [
            (
                "records (refused by validation)",
                format!("{} ({})", self.records, self.refused),
            ),
            (
                "patients scored per search, mean",
                format!("{:.1}", self.mean_block),
            ),
            ("planted pairs", self.planted.to_string()),
            ("reported pairs", self.reported.to_string()),
            ("true positives", self.true_positives.to_string()),
            (
                "false positives (siblings)",
                format!("{fp} ({})", self.sibling_false_positives),
            ),
            ("lowest true positive score", opt(self.scores.0)),
            ("highest false positive score", opt(self.scores.1)),
            ("**recall**", format!("**{}**", pct(self.recall))),
            ("**precision**", format!("**{}**", pct(self.precision))),
        ];
        writeln!(f, "| measure | value |\n|---|---|")?;
        for (name, value) in rows {
            writeln!(f, "| {name} | {value} |")?;
        }
        writeln!(
            f,
            "\n| perturbation | planted | found | recall |\n|---|---|---|---|"
        )?;
        for &(kind, planted, found) in &self.by_kind {
            let recall = pct(ratio(found, planted));
            writeln!(f, "| {} | {planted} | {found} | {recall} |", kind.label())?;
        }
        writeln!(
            f,
            "\n| threshold | true positives | false positives | recall | precision |"
        )?;
        writeln!(f, "|---|---|---|---|---|")?;
        for &(t, tp, fp) in &self.thresholds {
            let (recall, precision) = (pct(ratio(tp, self.planted)), pct(ratio(tp, tp + fp)));
            writeln!(f, "| {t} | {tp} | {fp} | {recall} | {precision} |")?;
        }
        let lists = [
            ("False positives", &self.false_positives),
            ("Missed", &self.missed),
        ];
        for (title, list) in lists.into_iter().filter(|(_, l)| !l.is_empty()) {
            writeln!(f, "\n{title}, the first {}:", list.len())?;
            for line in list {
                writeln!(f, "- {line}")?;
            }
        }
        Ok(())
    }
}

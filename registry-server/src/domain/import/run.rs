//! One run of an import over a file's rows, [`super::BATCH`] rows at a time: each batch's
//! rows are parsed, the registry is asked once for the patients holding their identifiers,
//! each row is judged in file order (against the rows before it and the registry), and what
//! passed is written in one transaction with one multi-row INSERT per table
//! ([`db::imports`]). The duplicate search of a new patient is one query of its own.

use std::collections::HashMap;

use card_format::model::{Date, Tumour};

use super::layout::{self, Field, Layout, SourceRow};
use super::row::{self, Parsed, Problem};
use super::{Options, Outcome, RowReport, BATCH};
use crate::auth::{self, Caller};
use crate::db::{self, imports::Imported, Db};
use crate::domain::audit::actor;
use crate::domain::checks::Finding;
use crate::domain::clinical::{checked, primary};
use crate::domain::duplicates::{self, Person};
use crate::domain::{linkage, Error, Result};
use crate::patient::PatientData;

mod flush;
mod lookup;

/// Duplicate searches of the registry run at once while a batch is prefetched (SQLite's
/// readers and PostgreSQL's connections answer them side by side).
const SEARCHES_AT_ONCE: usize = 4;

/// A patient met in the file.
struct Slot {
    id: String,
    data: PatientData,
    line: usize,
    /// Not in the registry: registered by the file's first row of it that passes.
    new: bool,
    /// Its data is a row's of this file, which later rows of the identifier must match.
    from_file: bool,
    /// What the record checks need, and the active tumours: loaded when a tumour of a
    /// patient already in the registry comes.
    checks: Option<checked::Patient>,
    tumours: Option<Vec<(String, Tumour)>>,
    /// A record of the registry merged into another: nothing is written to it.
    merged: bool,
}

/// A patient of the registry holding an identifier of the file.
struct Known {
    id: String,
    data: PatientData,
    merged: bool,
}

/// A row to write.
struct Write {
    key: String,
    digest: String,
    patient_id: String,
    new_patient: Option<(PatientData, Vec<duplicates::Candidate>)>,
    tumour: Option<(String, Tumour, Vec<Finding>, primary::Primary)>,
}

/// What a run did.
pub(super) struct Done {
    pub(super) rows: Vec<RowReport>,
    pub(super) patients: usize,
    pub(super) tumours: usize,
}

pub(super) struct Run<'a> {
    db: &'a Db,
    now: i64,
    caller: &'a Caller,
    options: &'a Options,
    layout: Layout,
    today: Date,
    earlier: HashMap<String, Imported>,
    /// Keys seen in this file, with their line.
    keys: HashMap<String, usize>,
    /// Patients met, by identifier (`kind:value`).
    slots: HashMap<String, Slot>,
    /// The registry's patients by identifier, for the identifiers of the batches so far
    /// (`None`: not in the registry).
    known: HashMap<String, Option<Known>>,
    /// New patients of the file by birth date, for the in-file duplicate search.
    by_birth: HashMap<i32, Vec<(String, Person, duplicates::Keys)>>,
    /// The name keys of the registry's patients met by the duplicate searches.
    key_cache: linkage::KeyCache,
    /// New patients' lines, by their new registry id.
    lines: HashMap<String, usize>,
    /// The registry's duplicate candidates of the batch's new patients, by identifier,
    /// searched before the batch is judged (the registry does not change meanwhile).
    found: HashMap<String, Vec<duplicates::Candidate>>,
    pending: Vec<Write>,
    written: usize,
    /// Rows written when the statistics were last refreshed.
    analyzed: usize,
    done: Done,
}

fn report(line: usize, record: &str, outcome: Outcome) -> RowReport {
    RowReport {
        line,
        record: record.to_string(),
        outcome,
        patient: String::new(),
        problems: Vec::new(),
        checks: Vec::new(),
        primary: String::new(),
        duplicates: Vec::new(),
    }
}

fn identifier(data: &PatientData) -> String {
    format!("{:?}:{}", data.id.kind, data.id.value)
}

fn problem(field: &str, message: impl Into<String>) -> Problem {
    Problem {
        field: field.to_string(),
        message: message.into(),
    }
}

impl<'a> Run<'a> {
    pub(super) async fn start(
        db: &'a Db,
        now: i64,
        caller: &'a Caller,
        options: &'a Options,
        layout: Layout,
    ) -> Result<Run<'a>> {
        let earlier = db::imports::of_source(db, &options.source)
            .await?
            .into_iter()
            .map(|i| (i.record_key.clone(), i))
            .collect();
        Ok(Run {
            db,
            now,
            caller,
            options,
            layout,
            today: Date::from_unix_seconds(u64::try_from(now).unwrap_or(0)),
            earlier,
            keys: HashMap::new(),
            slots: HashMap::new(),
            known: HashMap::new(),
            by_birth: HashMap::new(),
            lines: HashMap::new(),
            found: HashMap::new(),
            key_cache: linkage::KeyCache::default(),
            pending: Vec::new(),
            written: 0,
            analyzed: 0,
            done: Done {
                rows: Vec::new(),
                patients: 0,
                tumours: 0,
            },
        })
    }

    /// Every row, batch by batch; then the run's audit entry when it wrote.
    pub(super) async fn all(
        mut self,
        rows: &[SourceRow],
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> Result<Done> {
        let total = rows.len();
        for batch in rows.chunks(BATCH) {
            let parsed: Vec<_> = batch
                .iter()
                .map(|r| row::parse(r, self.layout, self.today))
                .collect();
            self.prefetch(&parsed).await?;
            for (source, parsed) in batch.iter().zip(parsed) {
                let report = self.row(source, parsed).await?;
                self.done.rows.push(report);
                progress(self.done.rows.len(), total);
            }
            self.flush().await?;
        }
        if self.written > 0 {
            let mut tx = self.db.pool.begin().await?;
            db::audit::append(
                &mut tx,
                self.now,
                &actor(self.caller),
                "import.run",
                "import",
                &self.options.source,
            )
            .await?;
            tx.commit().await?;
        }
        Ok(self.done)
    }

    async fn row(
        &mut self,
        source: &SourceRow,
        parsed: std::result::Result<Parsed, Vec<Problem>>,
    ) -> Result<RowReport> {
        let key = source
            .get(Field::RecordId)
            .or_else(|| source.get(Field::PatientKey))
            .unwrap_or("")
            .to_string();
        if let Some(why) = row::skipped(source) {
            let mut r = report(source.line, &key, Outcome::Skipped);
            r.problems.push(why);
            return Ok(r);
        }
        let parsed = match parsed {
            Ok(p) => p,
            Err(problems) => {
                let mut r = report(source.line, &key, Outcome::Refused);
                r.problems = problems;
                return Ok(r);
            }
        };
        if let Some(first) = self.keys.get(&parsed.key) {
            let mut r = report(source.line, &key, Outcome::Refused);
            let column = layout::column_name(self.layout, Field::RecordId);
            r.problems
                .push(problem(column, format!("the same key as line {first}")));
            return Ok(r);
        }
        self.keys.insert(parsed.key.clone(), source.line);
        if let Some(before) = self.earlier.get(&parsed.key) {
            let outcome = if before.digest == parsed.digest {
                Outcome::Unchanged
            } else {
                Outcome::Changed
            };
            let mut r = report(source.line, &key, outcome);
            r.patient = before.patient_id.clone();
            // Later rows of the same identifier are held to this row, as on the first run.
            let ident = identifier(&parsed.patient);
            if !self.slots.contains_key(&ident) {
                let mut slot = self.slot(source.line, &parsed);
                slot.id = before.patient_id.clone();
                slot.new = false;
                slot.data = parsed.patient;
                slot.from_file = true;
                self.slots.insert(ident, slot);
            }
            return Ok(r);
        }
        self.accept(source.line, parsed).await
    }

    /// The patient of a parsed row not met before: in the registry, or new.
    fn slot(&self, line: usize, parsed: &Parsed) -> Slot {
        if let Some(Some(found)) = self.known.get(&identifier(&parsed.patient)) {
            return Slot {
                id: found.id.clone(),
                data: found.data.clone(),
                line,
                new: false,
                from_file: false,
                checks: None,
                tumours: None,
                merged: found.merged,
            };
        }
        Slot {
            id: auth::new_id(),
            data: parsed.patient.clone(),
            line,
            new: true,
            from_file: true,
            checks: Some(checked::Patient {
                sex: parsed.patient.sex,
                birth: parsed.patient.birth_date,
                last_contact: None,
                death: None,
            }),
            tumours: Some(Vec::new()),
            merged: false,
        }
    }

    async fn accept(&mut self, line: usize, parsed: Parsed) -> Result<RowReport> {
        let ident = identifier(&parsed.patient);
        let mut r = report(line, &parsed.key, Outcome::Refused);
        let known = self.slots.remove(&ident);
        let first_of_patient = known.is_none();
        let mut slot = match known {
            Some(s) => s,
            None => self.slot(line, &parsed),
        };
        if slot.merged {
            let why = "merged into another record: import into that one";
            r.problems.push(problem("patient", why));
            self.keep(ident, slot, first_of_patient);
            return Ok(r);
        }
        if slot.data != parsed.patient {
            if slot.from_file {
                let message = format!(
                    "the patient's fields differ from line {}'s, which has the same identifier",
                    slot.line
                );
                r.problems.push(problem("patient", message));
                self.keep(ident, slot, first_of_patient);
                return Ok(r);
            }
            let why = "in the registry already, with other identity data: the registry's is kept";
            r.problems.push(problem("patient", why));
        }
        let mut write_tumour = None;
        if let Some(t) = &parsed.tumour {
            if let Some(refused) = self.load(&mut slot).await? {
                r.problems.push(refused);
                self.keep(ident, slot, first_of_patient);
                return Ok(r);
            }
            let patient = slot
                .checks
                .as_ref()
                .ok_or(Error::Internal("checks".into()))?;
            match checked::apply(t, patient, &[], "tumour") {
                Ok(_) => write_tumour = Some((t.clone(), Vec::new())),
                Err(Error::Checks {
                    code: "needs_confirmation",
                    findings,
                }) if self.options.confirm_checks => {
                    r.checks = findings
                        .iter()
                        .map(|f| f.check.code().to_string())
                        .collect();
                    write_tumour = Some((t.clone(), findings));
                }
                Err(Error::Checks { code, findings }) => {
                    r.checks = findings
                        .iter()
                        .map(|f| f.check.code().to_string())
                        .collect();
                    if code == "needs_confirmation" {
                        r.outcome = Outcome::NeedsConfirmation;
                    }
                    for f in findings {
                        r.problems.push(problem(f.check.code(), f.message.en()));
                    }
                    self.keep(ident, slot, first_of_patient);
                    return Ok(r);
                }
                Err(e) => {
                    r.problems.push(row::problem_of(&e));
                    self.keep(ident, slot, first_of_patient);
                    return Ok(r);
                }
            }
        }
        // The row passes: its patient and tumour are written (or would be).
        r.outcome = if self.options.dry_run {
            Outcome::WouldImport
        } else {
            Outcome::Imported
        };
        let mut new_patient = None;
        if slot.new && first_of_patient {
            let person = Person::from(&slot.data);
            let mut found = match self.found.remove(&ident) {
                Some(found) => found,
                None => linkage::candidates_in(self.db, &person, None).await?,
            };
            found.extend(self.in_file_candidates(&person));
            r.duplicates = found
                .iter()
                .map(|c| match self.lines.get(&c.patient_id) {
                    Some(line) => format!("line {line}"),
                    None => c.patient_id.clone(),
                })
                .collect();
            let keys = duplicates::Keys::of(&person);
            self.by_birth
                .entry(person.birth.0)
                .or_default()
                .push((slot.id.clone(), person, keys));
            self.lines.insert(slot.id.clone(), line);
            self.done.patients += 1;
            new_patient = Some((slot.data.clone(), found));
        }
        if !self.options.dry_run || !slot.new {
            r.patient = slot.id.clone();
        }
        let mut tumour = None;
        if let Some((t, findings)) = write_tumour {
            let others = slot.tumours.get_or_insert_with(Vec::new);
            let judged = primary::judge_among(&t, others);
            if judged.decision != "new_primary" {
                r.primary = format!("{}:{}", judged.decision, judged.rule);
            }
            let id = auth::new_id();
            others.push((id.clone(), t.clone()));
            self.done.tumours += 1;
            tumour = Some((id, t, findings, judged));
        }
        if !slot.from_file {
            slot.data = parsed.patient.clone();
            slot.from_file = true;
        }
        self.pending.push(Write {
            key: parsed.key,
            digest: parsed.digest,
            patient_id: slot.id.clone(),
            new_patient,
            tumour,
        });
        self.slots.insert(ident, slot);
        Ok(r)
    }

    /// Puts back the slot of a refused row, unless the row was its first: a patient is known
    /// to the file once a row of theirs passes.
    fn keep(&mut self, ident: String, slot: Slot, first_of_patient: bool) {
        if !first_of_patient || !slot.new {
            self.slots.insert(ident, slot);
        }
    }

    /// The file's new patients that may be the same person as `person`.
    fn in_file_candidates(&self, person: &Person) -> Vec<duplicates::Candidate> {
        let near = duplicates::birth_dates_near(person.birth);
        let block = near
            .iter()
            .filter_map(|d| self.by_birth.get(&d.0))
            .flatten()
            .map(|(id, p, k)| (id.as_str(), p, Some(k)));
        duplicates::rank_keyed(person, None, block)
    }
}

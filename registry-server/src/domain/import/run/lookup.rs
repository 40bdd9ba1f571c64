//! What a batch needs to know of the registry before it is judged: the patients holding its
//! identifiers, and the duplicate candidates of its new patients (searched a few at a time);
//! and, for a tumour of a patient already in the registry, what the record checks need.

use std::collections::{HashMap, HashSet};

use futures_util::{StreamExt, TryStreamExt};

use super::{identifier, problem, Known, Run, Slot, SEARCHES_AT_ONCE};
use crate::db;
use crate::domain::clinical::checked;
use crate::domain::duplicates::Person;
use crate::domain::import::row::{Parsed, Problem};
use crate::domain::{linkage, Result};

impl Run<'_> {
    /// Asks the registry once for the patients holding the batch's new identifiers.
    pub(super) async fn prefetch(
        &mut self,
        parsed: &[std::result::Result<Parsed, Vec<Problem>>],
    ) -> Result<()> {
        let mut asked = HashSet::new();
        let mut values: HashMap<String, Vec<&str>> = HashMap::new();
        for p in parsed.iter().flatten() {
            let ident = identifier(&p.patient);
            if !self.slots.contains_key(&ident)
                && !self.known.contains_key(&ident)
                && asked.insert(ident)
            {
                let kind = db::patients::enum_name(&p.patient.id.kind)?;
                values
                    .entry(kind)
                    .or_default()
                    .push(p.patient.id.value.as_str());
            }
        }
        let mut found = Vec::new();
        for (kind, values) in &values {
            found.extend(db::patients::find_by_values(self.db, kind, values).await?);
        }
        for ident in asked {
            self.known.insert(ident, None);
        }
        for row in found {
            let data = row.data()?;
            let known = Known {
                merged: row.merged_into.is_some(),
                id: row.id,
                data,
            };
            self.known.insert(identifier(&known.data), Some(known));
        }
        // The registry's duplicate search for each new patient, a few queries at a time.
        let mut people: Vec<(String, Person)> = Vec::new();
        let mut seen = HashSet::new();
        for p in parsed.iter().flatten() {
            let ident = identifier(&p.patient);
            let new = matches!(self.known.get(&ident), Some(None));
            if new && !self.slots.contains_key(&ident) && seen.insert(ident.clone()) {
                people.push((ident, Person::from(&p.patient)));
            }
        }
        let (db, cache) = (self.db, &self.key_cache);
        let searches = futures_util::stream::iter(people)
            .map(|(ident, person)| async move {
                linkage::candidates_cached(db, &person, cache)
                    .await
                    .map(|c| (ident, c))
            })
            .buffer_unordered(SEARCHES_AT_ONCE);
        self.found = searches.try_collect().await?;
        Ok(())
    }

    /// Loads what the checks need of a patient already in the registry, and refuses a
    /// merged record.
    pub(super) async fn load(&self, slot: &mut Slot) -> Result<Option<Problem>> {
        if slot.checks.is_some() && slot.tumours.is_some() {
            return Ok(None);
        }
        let row = db::patients::get(self.db, &slot.id).await?;
        let Some(row) = row else {
            return Ok(Some(problem("patient", "no longer in the registry")));
        };
        if row.merged_into.is_some() {
            slot.merged = true;
            let why = "merged into another record: import into that one";
            return Ok(Some(problem("patient", why)));
        }
        let data = row.data()?;
        slot.checks = Some(checked::patient_of(self.db, &slot.id, &data).await?);
        let tumours = db::clinical::tumours(self.db, &slot.id)
            .await?
            .into_iter()
            .filter(|r| r.status.as_str() == "active")
            .map(|r| Ok((r.id.clone(), r.tumour()?)))
            .collect::<Result<Vec<_>>>()?;
        slot.tumours = Some(tumours);
        Ok(None)
    }
}

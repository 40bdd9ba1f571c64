//! Writing a batch: the rows that passed, in one transaction, one multi-row INSERT per
//! table ([`db::imports`]), with their audit entries.

use super::Run;
use crate::db::{self, clinical::Kind, imports, imports::Imported};
use crate::domain::audit::actor;
use crate::domain::clinical::checked;
use crate::domain::import::BATCH;
use crate::domain::{linkage, Result};

impl Run<'_> {
    /// Writes the pending rows in one transaction (nothing on a dry run).
    pub(super) async fn flush(&mut self) -> Result<()> {
        let pending = std::mem::take(&mut self.pending);
        if self.options.dry_run || pending.is_empty() {
            return Ok(());
        }
        let (now, caller, user) = (self.now, self.caller, &self.caller.user_id);
        let mut entries: Vec<(&str, &str, &str)> = Vec::new();
        let mut patients = Vec::new();
        let mut tumours = Vec::new();
        let mut records = Vec::with_capacity(pending.len());
        for w in &pending {
            if let Some((data, _)) = &w.new_patient {
                patients.push(imports::NewPatient {
                    id: &w.patient_id,
                    data,
                    keys: crate::domain::patients::search_keys(data),
                });
                entries.push(("patient.create", "patient", &w.patient_id));
            }
            if let Some((id, t, _, judged)) = &w.tumour {
                tumours.push(imports::NewTumour {
                    id,
                    patient_id: &w.patient_id,
                    tumour: t,
                    primary: db::primaries::PrimaryRow {
                        tumour_id: id.clone(),
                        decision: judged.decision.clone(),
                        rule: judged.rule.clone(),
                        against_id: judged.against.clone(),
                    },
                });
                entries.push(("tumour.create", "tumour", id));
            }
            records.push(Imported {
                record_key: w.key.clone(),
                digest: w.digest.clone(),
                patient_id: w.patient_id.clone(),
                tumour_id: w.tumour.as_ref().map(|t| t.0.clone()),
            });
        }
        let mut tx = self.db.pool.begin().await?;
        imports::insert_patients(&mut tx, &patients, now, user).await?;
        for w in &pending {
            if let Some((_, found)) = w.new_patient.as_ref().filter(|(_, f)| !f.is_empty()) {
                linkage::queue_found(&mut tx, &w.patient_id, found, now).await?;
            }
        }
        imports::insert_tumours(&mut tx, &tumours, now, user).await?;
        for (id, _, findings, _) in pending.iter().filter_map(|w| w.tumour.as_ref()) {
            checked::store(&mut tx, Kind::Tumour, id, 1, findings, caller, now).await?;
        }
        imports::insert_many(&mut tx, &self.options.source, &records, now, user).await?;
        db::audit::append_many(&mut tx, now, &actor(caller), &entries).await?;
        tx.commit().await?;
        // The planner's statistics, each time the registry has grown by half since the last.
        if (self.written + pending.len()) * 2 > self.analyzed * 3 + 2 * BATCH {
            db::imports::analyze(self.db).await?;
            self.analyzed = self.written + pending.len();
        }
        self.written += pending.len();
        // Written, the batch's new patients are found by the registry's own search.
        self.by_birth.clear();
        Ok(())
    }
}

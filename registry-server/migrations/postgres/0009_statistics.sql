-- The registry's statistics (issue #13). Never edit once applied: add a new migration.
-- Same effect as ../sqlite/0009_statistics.sql.
--
-- users.role  gains 'statistician': the ministry's epidemiologists, who read aggregate tables
--             only (never a name or an identifier).
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check CHECK (role IN ('admin', 'registrar',
    'clinician', 'pharmacist', 'insurer', 'auditor', 'statistician'));

-- patients.region  the region of residence (the population file's area: east, west, south),
--                  which the incidence tables count by; NULL when not recorded (such a
--                  patient counts in the country's tables, not in a region's).
ALTER TABLE patients ADD COLUMN region TEXT;
-- A regional report reads the region's patients, then their tumours by patient: each
-- patient's tumours and follow-ups are then read together (docs/benchmarks.md).
CREATE INDEX patients_region ON patients (region);
-- The statistics select tumours by date of incidence (db/stats.rs): the index holds every
-- column the reports read of a tumour, so a period is read from the index alone.
CREATE INDEX tumours_incidence ON tumours (incidence, status, patient_id, id, version, icd10,
    topography, morphology, behaviour, basis, grade, stage_group, iccc, updated_by);
-- And each tumour's latest contact and death, from the index alone.
CREATE INDEX follow_ups_outcome ON follow_ups (patient_id, vital_status, death_date, last_contact);

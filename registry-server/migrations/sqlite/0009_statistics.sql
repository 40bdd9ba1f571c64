-- The registry's statistics (issue #13). Never edit once applied: add a new migration.
-- Same effect as ../postgres/0009_statistics.sql.
--
-- users.role  gains 'statistician': the ministry's epidemiologists, who read aggregate tables
--             only (never a name or an identifier). SQLite cannot alter a CHECK constraint.
--             Loosening one (every stored row still satisfies it) changes nothing on disk,
--             so this uses SQLite's documented procedure for such changes
--             (https://www.sqlite.org/lang_altertable.html#otheralter, the simpler
--             procedure): edit the table's definition in sqlite_schema under
--             writable_schema, inside this migration's transaction. The schema version,
--             which makes every connection read the definition again, is moved on by the
--             ALTER TABLE and CREATE INDEX below in the same transaction. (Rebuilding the
--             table instead needs foreign keys off, which cannot change inside a
--             transaction, and sqlx runs each SQLite migration inside one.)
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
    SET sql = replace(sql, '''insurer'', ''auditor'')', '''insurer'', ''auditor'', ''statistician'')')
    WHERE type = 'table' AND name = 'users';
PRAGMA writable_schema = OFF;

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

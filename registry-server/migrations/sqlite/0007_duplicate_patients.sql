-- One patient, one record (issue #12): candidate duplicate pairs, merges and their undoing.
-- Never edit once applied: add a new migration. Same columns as ../postgres/0007_duplicate_patients.sql.
--
-- patients.merged_into  NULL, or the patient this record was merged into; the merged record
--                       stays (its history and audit with it) but is no longer searched,
--                       written to or given cards.
ALTER TABLE patients ADD COLUMN merged_into TEXT REFERENCES patients (id);
-- The duplicate search's block by birth date (domain::duplicates::birth_dates_near).
CREATE INDEX patients_birth_date ON patients (birth_date);

-- Candidate pairs, one row per pair (patient_a sorts before patient_b): found at a
-- registration or by a scan, then decided by a registrar.
--   score / reasons  the score when found, and its reasons (JSON array of reason codes)
--   status           open, distinct (the registrar says two people) or merged
CREATE TABLE duplicate_pairs (
    patient_a   TEXT NOT NULL REFERENCES patients (id),
    patient_b   TEXT NOT NULL REFERENCES patients (id),
    score       INTEGER NOT NULL,
    reasons     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'distinct', 'merged')),
    found_at    INTEGER NOT NULL,
    decided_at  INTEGER,
    decided_by  TEXT,
    PRIMARY KEY (patient_a, patient_b)
);
CREATE INDEX duplicate_pairs_status ON duplicate_pairs (status, score);

-- Merges: the merged record's rows moved to the survivor, listed in moved (JSON: table name
-- to the keys moved) so that an auditor's unmerge moves exactly those back.
CREATE TABLE patient_merges (
    id              TEXT PRIMARY KEY,
    survivor_id     TEXT NOT NULL REFERENCES patients (id),
    merged_id       TEXT NOT NULL REFERENCES patients (id),
    reason          TEXT NOT NULL,
    moved           TEXT NOT NULL,
    merged_at       INTEGER NOT NULL,
    merged_by       TEXT NOT NULL,
    unmerged_at     INTEGER,
    unmerged_by     TEXT,
    unmerge_reason  TEXT
);
CREATE INDEX patient_merges_merged ON patient_merges (merged_id);
CREATE INDEX patient_merges_survivor ON patient_merges (survivor_id);

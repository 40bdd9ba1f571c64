-- Follow-up and vital status (issue #12): one row per contact, never updated; a patient's
-- current status is the row with the latest recorded_at (then the highest seq).
-- Never edit once applied: add a new migration. Same columns as ../postgres/0004_follow_up.sql.
--   last_contact  the day the patient was last known alive (or died), days since 1970-01-01
--   vital_status  alive, dead or lost (lost to follow-up)
--   death_date    with dead only: the day of death
--   death_cause   with dead only: the underlying cause, ICD-10 (e.g. C91.0)
--   recorded_at / recorded_by  when and by whom (Unix seconds, user id)
CREATE TABLE follow_ups (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id    TEXT NOT NULL REFERENCES patients (id),
    last_contact  INTEGER NOT NULL,
    vital_status  TEXT NOT NULL CHECK (vital_status IN ('alive', 'dead', 'lost')),
    death_date    INTEGER,
    death_cause   TEXT,
    recorded_at   INTEGER NOT NULL,
    recorded_by   TEXT NOT NULL,
    CHECK ((vital_status = 'dead') = (death_date IS NOT NULL AND death_cause IS NOT NULL))
);
CREATE INDEX follow_ups_patient ON follow_ups (patient_id, recorded_at);

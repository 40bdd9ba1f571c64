-- Bringing existing records in (issue #15): each source row imported, under the source's
-- own key, with the digest of its fields. A re-run of the same file finds every row here
-- and changes nothing; a row whose fields changed since is reported, not applied.
CREATE TABLE import_records (
    source      TEXT NOT NULL,
    record_key  TEXT NOT NULL,
    digest      TEXT NOT NULL,
    patient_id  TEXT NOT NULL REFERENCES patients (id),
    tumour_id   TEXT,
    imported_at INTEGER NOT NULL,
    imported_by TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (source, record_key)
);

-- The registry schema, version 1. Never edit once applied: add a new migration.
-- Types stay portable between SQLite and PostgreSQL (see ../postgres/0001_registry.sql):
-- ids are text, times are Unix seconds, dates are days since 1970-01-01, flags are integers.

-- Hospitals, pharmacies, insurers and the ministry. `code` is the issuer id on cards (iss).
CREATE TABLE facilities (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    region      TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('oncology_centre', 'pharmacy', 'insurer', 'ministry')),
    created_at  INTEGER NOT NULL
);

-- People who use the API. A user has one role at one facility.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'registrar', 'clinician', 'pharmacist', 'insurer', 'auditor')),
    facility_code TEXT NOT NULL REFERENCES facilities (code),
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL
);

-- API tokens: only SHA-256 of the token is stored (tokens carry 256 random bits, so a slow
-- password hash adds nothing); the token itself is shown once, at creation.
CREATE TABLE api_tokens (
    token_hash  BLOB PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

-- Patients. Names are JSON arrays of parts; identifiers are stored with ASCII digits.
CREATE TABLE patients (
    id                  TEXT PRIMARY KEY,
    id_type             TEXT NOT NULL,
    id_value            TEXT NOT NULL,
    name_ar             TEXT NOT NULL,
    name_latin          TEXT NOT NULL,
    sex                 TEXT NOT NULL,
    birth_date          INTEGER NOT NULL,
    blood_group         TEXT,
    municipality        TEXT,
    phone               TEXT,
    insurance_scheme    TEXT,
    insurance_member_id TEXT,
    version             INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    updated_by          TEXT NOT NULL,
    UNIQUE (id_type, id_value)
);

-- Normalised name tokens (Arabic folded, Latin reduced to a consonant skeleton) for search.
CREATE TABLE patient_name_keys (
    name_key    TEXT NOT NULL,
    patient_id  TEXT NOT NULL REFERENCES patients (id),
    PRIMARY KEY (name_key, patient_id)
);
CREATE INDEX patient_name_keys_patient ON patient_name_keys (patient_id);

-- Primary tumours: the IARC/IACR minimum data set, ICD-10 beside ICD-O-3.
CREATE TABLE tumours (
    id            TEXT PRIMARY KEY,
    patient_id    TEXT NOT NULL REFERENCES patients (id),
    icd10         TEXT NOT NULL,
    topography    TEXT NOT NULL,
    morphology    INTEGER NOT NULL,
    behaviour     INTEGER NOT NULL,
    grade         INTEGER,
    basis         INTEGER NOT NULL,
    incidence     INTEGER NOT NULL,
    stage_scheme  TEXT,
    stage_t       TEXT,
    stage_n       TEXT,
    stage_m       TEXT,
    stage_group   TEXT,
    iccc          TEXT,
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn')),
    version       INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    updated_by    TEXT NOT NULL
);
CREATE INDEX tumours_patient ON tumours (patient_id);

CREATE TABLE treatments (
    id          TEXT PRIMARY KEY,
    patient_id  TEXT NOT NULL REFERENCES patients (id),
    kind        TEXT NOT NULL,
    regimen     TEXT,
    cycles      INTEGER,
    start_date  INTEGER NOT NULL,
    end_date    INTEGER,
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn')),
    version     INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    updated_by  TEXT NOT NULL
);
CREATE INDEX treatments_patient ON treatments (patient_id);

CREATE TABLE allergies (
    id          TEXT PRIMARY KEY,
    patient_id  TEXT NOT NULL REFERENCES patients (id),
    substance   TEXT NOT NULL,
    severity    TEXT NOT NULL,
    kind        TEXT,
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn')),
    version     INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    updated_by  TEXT NOT NULL
);
CREATE INDEX allergies_patient ON allergies (patient_id);

-- Medicine authorisations. `id` is the number printed on the card and dispensed against.
-- dispensed_count and last_dispensed_at are maintained by the dispensing transaction, which
-- checks and increments them in one conditional UPDATE (safe across server instances).
CREATE TABLE medicine_authorisations (
    id                 INTEGER PRIMARY KEY,
    patient_id         TEXT NOT NULL REFERENCES patients (id),
    atc                TEXT NOT NULL,
    name               TEXT NOT NULL,
    strength           TEXT NOT NULL,
    form               TEXT NOT NULL,
    quantity           INTEGER NOT NULL,
    dispensings        INTEGER NOT NULL,
    interval_days      INTEGER NOT NULL,
    valid_until        INTEGER NOT NULL,
    prescriber         TEXT,
    facility_code      TEXT,
    status             TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'withdrawn')),
    dispensed_count    INTEGER NOT NULL DEFAULT 0,
    last_dispensed_at  INTEGER,
    version            INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    updated_by         TEXT NOT NULL
);
CREATE INDEX medicine_authorisations_patient ON medicine_authorisations (patient_id);

-- Every earlier version of a corrected record: nothing is silently overwritten.
CREATE TABLE record_history (
    table_name  TEXT NOT NULL,
    record_id   TEXT NOT NULL,
    version     INTEGER NOT NULL,
    data        TEXT NOT NULL,
    reason      TEXT,
    changed_at  INTEGER NOT NULL,
    changed_by  TEXT NOT NULL,
    PRIMARY KEY (table_name, record_id, version)
);

-- Issued cards and their signed bytes. At most one active card per patient.
CREATE TABLE cards (
    serial          TEXT PRIMARY KEY,
    patient_id      TEXT NOT NULL REFERENCES patients (id),
    issuer_kid      TEXT NOT NULL,
    issued_at       INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    cose            BLOB NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('active', 'superseded', 'revoked')),
    superseded_by   TEXT,
    revoked_reason  TEXT,
    revoked_at      INTEGER,
    issued_by       TEXT NOT NULL
);
CREATE INDEX cards_patient ON cards (patient_id);
CREATE UNIQUE INDEX cards_one_active ON cards (patient_id) WHERE status = 'active';

-- Dispensings. idempotency_key is unique: a retry returns the first result.
CREATE TABLE dispensings (
    id                TEXT PRIMARY KEY,
    idempotency_key   TEXT NOT NULL UNIQUE,
    request_hash      BLOB NOT NULL,
    authorisation_id  INTEGER NOT NULL REFERENCES medicine_authorisations (id),
    card_serial       TEXT NOT NULL,
    facility_code     TEXT NOT NULL,
    user_id           TEXT NOT NULL,
    quantity          INTEGER NOT NULL,
    dispensed_at      INTEGER NOT NULL
);
CREATE INDEX dispensings_authorisation ON dispensings (authorisation_id);

-- Issuer certificates published in the trust bundle, and issuer keys revoked by the ministry.
CREATE TABLE issuer_certificates (
    kid          TEXT PRIMARY KEY,
    certificate  BLOB NOT NULL,
    added_at     INTEGER NOT NULL
);
CREATE TABLE revoked_issuers (
    kid         TEXT PRIMARY KEY,
    revoked_at  INTEGER NOT NULL
);

-- The trust bundle's sequence number: bumped in the same transaction as any change to what
-- the bundle lists, so every server instance regenerates the same bundle for a sequence.
CREATE TABLE trust_state (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    sequence    INTEGER NOT NULL,
    changed_at  INTEGER NOT NULL
);
INSERT INTO trust_state (id, sequence, changed_at) VALUES (1, 1, 0);

-- Append-only, hash-chained audit log. hash = SHA-256(prev_hash || canonical entry); the
-- single audit_head row serialises appends across server instances.
CREATE TABLE audit_log (
    seq            INTEGER PRIMARY KEY,
    at             INTEGER NOT NULL,
    user_id        TEXT NOT NULL,
    role           TEXT NOT NULL,
    facility_code  TEXT NOT NULL,
    action         TEXT NOT NULL,
    entity_type    TEXT NOT NULL,
    entity_id      TEXT NOT NULL,
    prev_hash      BLOB NOT NULL,
    hash           BLOB NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_id);
CREATE INDEX audit_log_user ON audit_log (user_id);
CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  BLOB NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, X'0000000000000000000000000000000000000000000000000000000000000000');

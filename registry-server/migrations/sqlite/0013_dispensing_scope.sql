-- Issue #15. (1) Offline dispensings dated before their card was issued or before their
-- authorisation was made are recorded flagged `before_card` / `before_authorisation`: the
-- conflict's CHECK admits the two codes. (2) Idempotency keys are scoped to the facility:
-- one pharmacy's key neither replays nor blocks another's (dispensings, administrations and
-- stock movements). SQLite changes a CHECK or a UNIQUE only by rebuilding the table:
-- nothing references these three tables, and the ledger's append-only triggers are made
-- again after it.
CREATE TABLE dispensings_new (
    id                TEXT PRIMARY KEY,
    idempotency_key   TEXT NOT NULL,
    request_hash      BLOB NOT NULL,
    authorisation_id  INTEGER NOT NULL REFERENCES medicine_authorisations (id),
    card_serial       TEXT NOT NULL,
    facility_code     TEXT NOT NULL,
    user_id           TEXT NOT NULL,
    quantity          INTEGER NOT NULL,
    dispensed_at      INTEGER NOT NULL,
    offline           INTEGER NOT NULL DEFAULT 0 CHECK (offline IN (0, 1)),
    received_at       INTEGER NOT NULL DEFAULT 0,
    conflict          TEXT CHECK (conflict IS NULL OR (offline = 1
        AND conflict IN ('before_card', 'card_revoked', 'card_superseded', 'card_expired',
        'before_authorisation', 'authorisation_expired', 'over_quantity', 'over_count',
        'too_soon'))),
    UNIQUE (facility_code, idempotency_key)
);
INSERT INTO dispensings_new (id, idempotency_key, request_hash, authorisation_id, card_serial,
    facility_code, user_id, quantity, dispensed_at, offline, received_at, conflict)
    SELECT id, idempotency_key, request_hash, authorisation_id, card_serial, facility_code,
    user_id, quantity, dispensed_at, offline, received_at, conflict FROM dispensings;
DROP TABLE dispensings;
ALTER TABLE dispensings_new RENAME TO dispensings;
CREATE INDEX dispensings_authorisation ON dispensings (authorisation_id, dispensed_at);
CREATE INDEX dispensings_conflicts ON dispensings (received_at, id) WHERE conflict IS NOT NULL;
CREATE INDEX dispensings_facility ON dispensings (facility_code, dispensed_at);
CREATE INDEX dispensings_card ON dispensings (card_serial, dispensed_at);
CREATE INDEX dispensings_at ON dispensings (dispensed_at);

CREATE TABLE administrations_new (
    id                TEXT PRIMARY KEY,
    idempotency_key   TEXT NOT NULL,
    request_hash      BLOB NOT NULL,
    authorisation_id  INTEGER NOT NULL REFERENCES medicine_authorisations (id),
    facility_code     TEXT NOT NULL,
    user_id           TEXT NOT NULL,
    cycle             INTEGER NOT NULL CHECK (cycle >= 1),
    quantity          INTEGER NOT NULL CHECK (quantity >= 1),
    given_at          INTEGER NOT NULL,
    UNIQUE (facility_code, idempotency_key)
);
INSERT INTO administrations_new (id, idempotency_key, request_hash, authorisation_id,
    facility_code, user_id, cycle, quantity, given_at)
    SELECT id, idempotency_key, request_hash, authorisation_id, facility_code, user_id, cycle,
    quantity, given_at FROM administrations;
DROP TABLE administrations;
ALTER TABLE administrations_new RENAME TO administrations;
CREATE INDEX administrations_authorisation ON administrations (authorisation_id, given_at);
CREATE INDEX administrations_at ON administrations (given_at);

CREATE TABLE stock_ledger_new (
    id               TEXT PRIMARY KEY,
    facility_code    TEXT NOT NULL,
    atc              TEXT NOT NULL,
    strength         TEXT NOT NULL,
    form             TEXT NOT NULL,
    seq              INTEGER NOT NULL,
    lot              TEXT NOT NULL,
    expiry           INTEGER NOT NULL,
    movement         TEXT NOT NULL CHECK (movement IN ('receipt', 'transfer_out', 'transfer_in',
        'count', 'adjustment', 'dispensing', 'administration')),
    reason           TEXT CHECK ((movement = 'adjustment') = (reason IS NOT NULL)
        AND (reason IS NULL OR reason IN ('expired', 'damaged', 'lost', 'found', 'correction'))),
    quantity         INTEGER NOT NULL,
    counted          INTEGER CHECK ((movement = 'count') = (counted IS NOT NULL)),
    balance          INTEGER NOT NULL CHECK (balance >= 0),
    transfer_id      TEXT,
    source_id        TEXT,
    idempotency_key  TEXT,
    request_hash     BLOB,
    recorded_at      INTEGER NOT NULL,
    recorded_by      TEXT NOT NULL,
    UNIQUE (facility_code, atc, strength, form, seq),
    UNIQUE (facility_code, idempotency_key),
    FOREIGN KEY (facility_code, atc, strength, form)
        REFERENCES stock_items (facility_code, atc, strength, form)
);
INSERT INTO stock_ledger_new SELECT id, facility_code, atc, strength, form, seq, lot, expiry,
    movement, reason, quantity, counted, balance, transfer_id, source_id, idempotency_key,
    request_hash, recorded_at, recorded_by FROM stock_ledger;
DROP TABLE stock_ledger;
ALTER TABLE stock_ledger_new RENAME TO stock_ledger;
CREATE INDEX stock_ledger_time ON stock_ledger (facility_code, recorded_at);
CREATE INDEX stock_ledger_source ON stock_ledger (source_id) WHERE source_id IS NOT NULL;
CREATE TRIGGER stock_ledger_no_update BEFORE UPDATE ON stock_ledger
BEGIN
    SELECT RAISE(ABORT, 'stock_ledger is append-only');
END;
CREATE TRIGGER stock_ledger_no_delete BEFORE DELETE ON stock_ledger
BEGIN
    SELECT RAISE(ABORT, 'stock_ledger is append-only');
END;

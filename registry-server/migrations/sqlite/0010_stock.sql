-- Medicines and supplies (issue #14): the stock ledger. Never edit once applied: add a new
-- migration. Same effect as ../postgres/0010_stock.sql.
--
-- users.role  gains 'supply_officer' (the ministry's supply officers: every facility's stock
--             and demand, never a patient) and 'inspector' (the ministry's inspectors: the
--             watch on unjustified disbursement). The CHECK is loosened as in
--             0009_statistics.sql, for the reasons given there; RESET (rather than OFF)
--             then makes this connection read the schema again, as 0009's ALTER TABLE did.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
    SET sql = replace(sql, '''auditor'', ''statistician'')',
        '''auditor'', ''statistician'', ''supply_officer'', ''inspector'')')
    WHERE type = 'table' AND name = 'users';
PRAGMA writable_schema = RESET;

-- A facility keeps stock from its first ledger entry on (a receipt or an opening count):
-- from then on every dispensing there draws on its stock, and one with too little is
-- refused `out_of_stock`. Before, dispensings are recorded without drawing on a stock
-- that was never counted (a facility joins the ledger when its shelves have been counted).
CREATE TABLE stock_facilities (
    facility_code  TEXT PRIMARY KEY REFERENCES facilities (code),
    since          INTEGER NOT NULL
);

-- One row per facility x medicine (ATC code, strength, form): the total on hand and the
-- number of ledger entries so far. Every movement of the medicine at the facility updates
-- this row first, so its row lock orders them (PostgreSQL; SQLite has one writer), and the
-- CHECK is the last guard against a negative balance.
CREATE TABLE stock_items (
    facility_code  TEXT NOT NULL REFERENCES facilities (code),
    atc            TEXT NOT NULL,
    strength       TEXT NOT NULL,
    form           TEXT NOT NULL,
    on_hand        INTEGER NOT NULL CHECK (on_hand >= 0),
    entries        INTEGER NOT NULL,
    PRIMARY KEY (facility_code, atc, strength, form)
);

-- The same per batch (lot), with its expiry. Derived from the ledger, kept in the same
-- transaction as each ledger entry; tests replay the ledger and compare.
CREATE TABLE stock_batches (
    facility_code  TEXT NOT NULL,
    atc            TEXT NOT NULL,
    strength       TEXT NOT NULL,
    form           TEXT NOT NULL,
    lot            TEXT NOT NULL,
    expiry         INTEGER NOT NULL,
    on_hand        INTEGER NOT NULL CHECK (on_hand >= 0),
    PRIMARY KEY (facility_code, atc, strength, form, lot),
    FOREIGN KEY (facility_code, atc, strength, form)
        REFERENCES stock_items (facility_code, atc, strength, form)
);

-- The ledger: one row per change of one batch, appended, never updated or deleted (the
-- triggers below refuse both). `seq` numbers an item's entries 1, 2, 3... in the order
-- they were made; `quantity` is the signed change, `balance` the batch's stock after it;
-- a count keeps the quantity counted in `counted` and the difference it found in
-- `quantity`. `reason` only for an adjustment. `transfer_id` for a transfer, `source_id`
-- for a dispensing or an administration (its id). `idempotency_key` and `request_hash` for
-- a movement asked for by a person, so a retried request is recorded once.
CREATE TABLE stock_ledger (
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
    idempotency_key  TEXT UNIQUE,
    request_hash     BLOB,
    recorded_at      INTEGER NOT NULL,
    recorded_by      TEXT NOT NULL,
    UNIQUE (facility_code, atc, strength, form, seq),
    FOREIGN KEY (facility_code, atc, strength, form)
        REFERENCES stock_items (facility_code, atc, strength, form)
);
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

-- Transfers between facilities: sent (a transfer_out entry at the sender), in transit,
-- then received (a transfer_in entry at the receiver, of what arrived).
CREATE TABLE stock_transfers (
    id                 TEXT PRIMARY KEY,
    from_facility      TEXT NOT NULL REFERENCES facilities (code),
    to_facility        TEXT NOT NULL REFERENCES facilities (code),
    atc                TEXT NOT NULL,
    strength           TEXT NOT NULL,
    form               TEXT NOT NULL,
    lot                TEXT NOT NULL,
    expiry             INTEGER NOT NULL,
    quantity           INTEGER NOT NULL CHECK (quantity > 0),
    sent_at            INTEGER NOT NULL,
    sent_by            TEXT NOT NULL,
    received_quantity  INTEGER CHECK (received_quantity IS NULL
        OR (received_quantity >= 0 AND received_quantity <= quantity)),
    received_at        INTEGER,
    received_by        TEXT,
    CHECK (from_facility <> to_facility)
);
CREATE INDEX stock_transfers_to ON stock_transfers (to_facility, received_at);

-- Stock-out events: a dispensing or administration refused `out_of_stock` (kind
-- 'refused'), or an offline dispensing synced for more than the stock held ('shortfall':
-- the ledger took what there was, `wanted - available` is unaccounted for).
CREATE TABLE stock_outs (
    id                TEXT PRIMARY KEY,
    facility_code     TEXT NOT NULL,
    atc               TEXT NOT NULL,
    strength          TEXT NOT NULL,
    form              TEXT NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('refused', 'shortfall')),
    wanted            INTEGER NOT NULL,
    available         INTEGER NOT NULL,
    authorisation_id  INTEGER,
    at                INTEGER NOT NULL,
    user_id           TEXT NOT NULL
);
CREATE INDEX stock_outs_item ON stock_outs (facility_code, atc, strength, form, at);

-- Administrations: infusions and injections given in a day-care unit, recorded against
-- the authorisation (its count, as a dispensing) and the unit's stock.
CREATE TABLE administrations (
    id                TEXT PRIMARY KEY,
    idempotency_key   TEXT NOT NULL UNIQUE,
    request_hash      BLOB NOT NULL,
    authorisation_id  INTEGER NOT NULL REFERENCES medicine_authorisations (id),
    facility_code     TEXT NOT NULL,
    user_id           TEXT NOT NULL,
    cycle             INTEGER NOT NULL CHECK (cycle >= 1),
    quantity          INTEGER NOT NULL CHECK (quantity >= 1),
    given_at          INTEGER NOT NULL
);
CREATE INDEX administrations_authorisation ON administrations (authorisation_id);

-- The watch reads dispensings by facility and time, and by card.
CREATE INDEX dispensings_facility ON dispensings (facility_code, dispensed_at);
CREATE INDEX dispensings_card ON dispensings (card_serial, dispensed_at);

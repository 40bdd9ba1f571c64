-- The pharmacy's local record of its dispensings (card-agent `dispense` and `sync`).
-- Every dispensing is written here BEFORE it is sent, with the idempotency key it will be
-- sent under, so a crash, a dead link or a killed registry never loses one, and a retry
-- never duplicates one.
--   state 'sending'  : an online attempt in flight (retried by `sync` as an online request);
--         'queued'   : handed out offline, to be sent by `sync` with offline_at = dispensed_at;
--         'recorded' : the registry has it (registry_id; conflict when it flagged one);
--         'refused'  : the registry refused it (code and message kept for a person).
CREATE TABLE IF NOT EXISTS dispensings (
    idempotency_key   TEXT PRIMARY KEY,
    card_serial       TEXT NOT NULL,
    authorisation_id  INTEGER NOT NULL,
    quantity          INTEGER NOT NULL,
    dispensed_at      INTEGER NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('sending', 'queued', 'recorded', 'refused')),
    registry_id       TEXT,
    conflict          TEXT,
    refusal           TEXT,
    message           TEXT,
    attempts          INTEGER NOT NULL DEFAULT 0,
    last_attempt_at   INTEGER
);
CREATE INDEX IF NOT EXISTS dispensings_authorisation ON dispensings (authorisation_id, dispensed_at);
CREATE INDEX IF NOT EXISTS dispensings_pending ON dispensings (state) WHERE state IN ('sending', 'queued');

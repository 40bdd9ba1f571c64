-- Issue #15. (1) Offline dispensings dated before their card was issued or before their
-- authorisation was made are recorded flagged `before_card` / `before_authorisation`: the
-- conflict's CHECK admits the two codes. (2) Idempotency keys are scoped to the facility:
-- one pharmacy's key neither replays nor blocks another's (dispensings, administrations and
-- stock movements).
ALTER TABLE dispensings DROP CONSTRAINT dispensings_conflict_check;
ALTER TABLE dispensings ADD CONSTRAINT dispensings_conflict_check CHECK (conflict IN (
    'before_card', 'card_revoked', 'card_superseded', 'card_expired', 'before_authorisation',
    'authorisation_expired', 'over_quantity', 'over_count', 'too_soon'));
ALTER TABLE dispensings DROP CONSTRAINT dispensings_idempotency_key_key;
ALTER TABLE dispensings ADD CONSTRAINT dispensings_facility_key
    UNIQUE (facility_code, idempotency_key);
ALTER TABLE administrations DROP CONSTRAINT administrations_idempotency_key_key;
ALTER TABLE administrations ADD CONSTRAINT administrations_facility_key
    UNIQUE (facility_code, idempotency_key);
ALTER TABLE stock_ledger DROP CONSTRAINT stock_ledger_idempotency_key_key;
ALTER TABLE stock_ledger ADD CONSTRAINT stock_ledger_facility_key
    UNIQUE (facility_code, idempotency_key);

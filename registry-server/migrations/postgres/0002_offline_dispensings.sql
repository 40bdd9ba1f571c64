-- Offline dispensings, synced later. Never edit once applied: add a new migration.
-- Same columns as ../sqlite/0002_offline_dispensings.sql.
--
-- A pharmacy without connectivity verifies the signed card offline, hands out the medicine
-- and queues the dispensing; the registry records it when it arrives, even when it breaks a
-- rule (the medicine has already left), with the first rule broken in `conflict` for review.
--   offline      1 when the pharmacy dispensed offline (dispensed_at is then its offline_at)
--   received_at  when the registry recorded it (rows from before this migration: dispensed_at)
--   conflict     the first rule an offline dispensing broke, or NULL

ALTER TABLE dispensings ADD COLUMN offline BIGINT NOT NULL DEFAULT 0 CHECK (offline IN (0, 1));
ALTER TABLE dispensings ADD COLUMN received_at BIGINT NOT NULL DEFAULT 0;
UPDATE dispensings SET received_at = dispensed_at;
ALTER TABLE dispensings ALTER COLUMN received_at DROP DEFAULT;
ALTER TABLE dispensings ADD COLUMN conflict TEXT CHECK (conflict IN ('card_revoked',
    'card_superseded', 'card_expired', 'authorisation_expired', 'over_quantity', 'over_count',
    'too_soon'));
-- Only an offline dispensing is ever recorded in conflict with a rule.
ALTER TABLE dispensings ADD CONSTRAINT dispensings_conflict_offline
    CHECK (conflict IS NULL OR offline = 1);

-- The review list of flagged dispensings, newest first (GET /api/v1/dispensings/conflicts).
CREATE INDEX dispensings_conflicts ON dispensings (received_at, id) WHERE conflict IS NOT NULL;

-- Confirmations of record checks (issue #12): a query or rare finding of the IARC/IACR checks
-- is kept only once a person confirms it; one row per check confirmed, per record version.
-- Never edit once applied: add a new migration. Same columns as ../postgres/0005_record_confirmations.sql.
--   table_name / record_id / version  the record and the version the confirmation is for
--   check_code    the check's stable code (age_morphology, ...)
--   outcome       query or rare
--   confirmed_by / confirmed_at  user id, Unix seconds
CREATE TABLE record_confirmations (
    table_name    TEXT NOT NULL,
    record_id     TEXT NOT NULL,
    version       INTEGER NOT NULL,
    check_code    TEXT NOT NULL,
    outcome       TEXT NOT NULL CHECK (outcome IN ('query', 'rare')),
    confirmed_by  TEXT NOT NULL,
    confirmed_at  INTEGER NOT NULL,
    PRIMARY KEY (table_name, record_id, version, check_code)
);

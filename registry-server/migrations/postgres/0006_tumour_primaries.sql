-- Multiple primaries (issue #12): for each version of a tumour, what the IARC/IACR/ENCR 2004
-- rules decided against the patient's other tumours when it was written, and why.
-- Never edit once applied: add a new migration. Same columns as ../sqlite/0006_tumour_primaries.sql.
--   decision    duplicate, new_primary or review
--   rule        the stable code of the rule that decided (same_organ_same_histology, ...)
--   against_id  the other tumour that decided it (NULL for the patient's first tumour)
CREATE TABLE tumour_primaries (
    tumour_id   TEXT NOT NULL REFERENCES tumours (id),
    version     BIGINT NOT NULL,
    decision    TEXT NOT NULL CHECK (decision IN ('duplicate', 'new_primary', 'review')),
    rule        TEXT NOT NULL,
    against_id  TEXT,
    decided_at  BIGINT NOT NULL,
    PRIMARY KEY (tumour_id, version)
);

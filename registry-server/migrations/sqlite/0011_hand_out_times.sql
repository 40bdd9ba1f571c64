-- The demand report's follow-through (issue #14) reads the hand-outs of the last 91 days
-- by time, and for each authorisation handed out in them its last hand-out before them:
-- an index by time on both doors, and the authorisation indexes extended by time (they
-- replace the single-column ones, which they cover).
CREATE INDEX dispensings_at ON dispensings (dispensed_at);
CREATE INDEX administrations_at ON administrations (given_at);
DROP INDEX dispensings_authorisation;
CREATE INDEX dispensings_authorisation ON dispensings (authorisation_id, dispensed_at);
DROP INDEX administrations_authorisation;
CREATE INDEX administrations_authorisation ON administrations (authorisation_id, given_at);

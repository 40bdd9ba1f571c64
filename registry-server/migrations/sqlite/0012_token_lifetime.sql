-- Credentials with an end (issue #15): an API token has an id (to list and revoke it
-- without knowing it) and an end of life. Tokens made before this migration get an id from
-- their hash and end 90 days after they were made.
ALTER TABLE api_tokens ADD COLUMN id TEXT;
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
UPDATE api_tokens SET id = lower(hex(substr(token_hash, 1, 10))),
    expires_at = created_at + 90 * 86400;
CREATE UNIQUE INDEX api_tokens_id ON api_tokens (id);
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);

-- The web desk (/desk/): passwords, browser sessions and the sign-in rate limit.
-- Never edit once applied: add a new migration. Same columns as ../postgres/0003_web_desk.sql.

-- An argon2id PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$hash), set by an admin
-- (PUT /api/v1/users/{id}/password or `registry-server set-password`). NULL: the user cannot
-- sign in to the desk (API tokens are unaffected).
ALTER TABLE users ADD COLUMN password_hash TEXT;

-- One row per signed-in browser, shared by every server instance on this database.
--   id_hash       SHA-256 of the 256-bit random session id in the cookie: a leaked table
--                 does not give working cookies
--   csrf_token    the synchroniser token every POST form of this session carries
--   created_at    sign-in time; the session ends 12 hours later whatever happens
--   last_seen_at  last request; the session ends after 30 idle minutes
CREATE TABLE web_sessions (
    id_hash      BLOB PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    csrf_token   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);

-- Failed sign-ins, for the rate limit shared by every instance: 5 per username or 20 per
-- client address within 15 minutes. Rows of unknown usernames are kept the same way, so a
-- refusal never tells whether a user exists.
--   username      as typed (lowercased, at most 64 characters)
--   address       the client's address
--   counts_for_user  1 until that username signs in successfully: a success clears the
--                 per-username count, never the per-address one
CREATE TABLE login_failures (
    id              TEXT PRIMARY KEY,
    username        TEXT NOT NULL,
    address         TEXT NOT NULL,
    at              INTEGER NOT NULL,
    counts_for_user INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX login_failures_username ON login_failures (username, at);
CREATE INDEX login_failures_address ON login_failures (address, at);

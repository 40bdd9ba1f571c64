-- Admins administer; they do not treat (issue #15). A grant that reaches patient data (a
-- user of a role that reads it, a token or desk password for another user, re-enabling a
-- user) waits for a second admin: the request is a row here, and what it made is held
-- until another admin approves it (a new user inactive, a token marked with the approval
-- that holds it, a password hash kept here, not yet in `users`).
CREATE TABLE admin_approvals (
    id            TEXT PRIMARY KEY,
    action        TEXT NOT NULL CHECK (action IN ('user.create', 'token.create',
                      'user.password', 'user.enable')),
    user_id       TEXT NOT NULL REFERENCES users (id),
    token_id      TEXT,
    password_hash TEXT,
    requested_by  TEXT NOT NULL REFERENCES users (id),
    requested_at  INTEGER NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'approved', 'refused')),
    decided_by    TEXT REFERENCES users (id),
    decided_at    INTEGER
);
CREATE INDEX admin_approvals_by_time ON admin_approvals (requested_at, id);
ALTER TABLE api_tokens ADD COLUMN held_by TEXT;

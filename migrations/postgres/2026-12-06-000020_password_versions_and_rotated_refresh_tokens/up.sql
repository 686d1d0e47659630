-- A password change is final: every change of a customer's password (a reset, a guest's
-- first password) bumps password_version, a rehash at login does not. A session keeps
-- the version it was opened under and is refused once the customer's has moved on.
-- Existing rows start at 0, so their sessions stay open.
ALTER TABLE customers ADD COLUMN password_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE customer_sessions ADD COLUMN password_version INTEGER NOT NULL DEFAULT 0;

-- Refresh tokens a session has rotated away (SHA-256 digests): one coming back is reuse
-- (RFC 9700), which ends the session. They go with their session.
CREATE TABLE customer_session_rotated_tokens (
    digest TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES customer_sessions (id) ON DELETE CASCADE,
    rotated_at TIMESTAMP NOT NULL
);
CREATE INDEX customer_session_rotated_tokens_session_id ON customer_session_rotated_tokens (session_id);
-- Housekeeping forgets the sessions that have ended.
CREATE INDEX customer_sessions_refresh_expires_at ON customer_sessions (refresh_expires_at);
CREATE INDEX customer_sessions_created_at ON customer_sessions (created_at);

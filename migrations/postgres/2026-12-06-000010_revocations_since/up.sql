-- When each token was revoked: every instance reads only the revocations made since its
-- last refresh (with an overlap for statements still committing), not the whole table.
-- Rows written without it (before this migration, or by an older instance during a rolling
-- upgrade) get the epoch: every refresh reads those until they expire.
ALTER TABLE revoked_tokens ADD COLUMN revoked_at TIMESTAMP NOT NULL DEFAULT '1970-01-01 00:00:00';
CREATE INDEX revoked_tokens_revoked_at ON revoked_tokens (revoked_at);
-- Housekeeping deletes the expired ones.
CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);

DROP INDEX revoked_tokens_expires_at;
DROP INDEX revoked_tokens_revoked_at;
ALTER TABLE revoked_tokens DROP COLUMN revoked_at;

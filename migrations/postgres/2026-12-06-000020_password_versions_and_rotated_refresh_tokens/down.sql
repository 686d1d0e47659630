DROP INDEX customer_sessions_created_at;
DROP INDEX customer_sessions_refresh_expires_at;
DROP TABLE customer_session_rotated_tokens;
ALTER TABLE customer_sessions DROP COLUMN password_version;
ALTER TABLE customers DROP COLUMN password_version;

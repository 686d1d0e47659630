ALTER TABLE customer_sessions DROP COLUMN password_version;
ALTER TABLE customers DROP COLUMN password_version;

-- A password change is final: every change of a customer's password (a reset, a guest's
-- first password) bumps password_version, a rehash at login does not. A session keeps
-- the version it was opened under and is refused once the customer's has moved on.
-- Existing rows start at 0, so their sessions stay open.
ALTER TABLE customers ADD COLUMN password_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE customer_sessions ADD COLUMN password_version INTEGER NOT NULL DEFAULT 0;

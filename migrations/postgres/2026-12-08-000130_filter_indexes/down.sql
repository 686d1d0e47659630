-- The extension stays: other objects may use it.
DROP INDEX IF EXISTS customer_password_resets_customer_email_trgm;
DROP INDEX IF EXISTS customers_email_trgm;
DROP INDEX customers_mode_email_pattern;
DROP INDEX customer_password_resets_metadata_jsonb;

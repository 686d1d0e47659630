-- SQLite: rg_json_contains is registered on each connection by the service (src/db/json.rs).
-- Customer password resets: only a SHA-256 digest of the token is kept.
CREATE TABLE customer_password_resets (
    id TEXT PRIMARY KEY NOT NULL,
    mode TEXT NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    customer_email TEXT NOT NULL,
    token_digest TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    reset_password_at TIMESTAMP,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    reference TEXT,
    reference_origin TEXT,
    metadata TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX customer_password_resets_token_digest ON customer_password_resets (token_digest);
CREATE INDEX customer_password_resets_mode_created_at ON customer_password_resets (mode, created_at, id);
CREATE INDEX customer_password_resets_customer_id ON customer_password_resets (customer_id, created_at);
CREATE INDEX customer_password_resets_mode_customer_email ON customer_password_resets (mode, customer_email);
CREATE INDEX customer_password_resets_mode_reference ON customer_password_resets (mode, reference);

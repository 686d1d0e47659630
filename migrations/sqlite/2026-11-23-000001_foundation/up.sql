-- SQLite lets a non-INTEGER primary key hold NULL unless told otherwise: hence NOT NULL.
-- API credentials: the secret is kept only as a SHA-256 digest (NULL for public sales channels).
CREATE TABLE api_credentials (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    mode TEXT NOT NULL,
    secret_digest TEXT,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

CREATE TABLE customers (
    id TEXT PRIMARY KEY NOT NULL,
    mode TEXT NOT NULL,
    email TEXT NOT NULL,
    password_hash TEXT,
    reference TEXT,
    reference_origin TEXT,
    metadata TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX customers_mode_email ON customers (mode, email);
CREATE INDEX customers_mode_created_at ON customers (mode, created_at, id);
CREATE INDEX customers_mode_reference ON customers (mode, reference);

-- One row per customer login; the refresh token rotates inside it.
CREATE TABLE customer_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    customer_id TEXT NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    credential_id TEXT NOT NULL REFERENCES api_credentials (id) ON DELETE CASCADE,
    refresh_token_digest TEXT NOT NULL,
    refresh_expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX customer_sessions_refresh_token_digest ON customer_sessions (refresh_token_digest);
CREATE INDEX customer_sessions_customer_id ON customer_sessions (customer_id);

-- Access tokens revoked before their expiry (by /oauth/revoke).
CREATE TABLE revoked_tokens (
    jti TEXT PRIMARY KEY NOT NULL,
    expires_at TIMESTAMP NOT NULL
);

-- Instance-wide settings shared by every instance on this database (the JWT signing key).
CREATE TABLE settings (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

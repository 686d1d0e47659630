-- Fixed-window rate-limit counters, shared by every instance on this database.
-- One row per (scope, subject, window); rows past their window are deleted by housekeeping.
CREATE TABLE rate_limits (
    bucket TEXT PRIMARY KEY,
    hits INTEGER NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX rate_limits_expires_at ON rate_limits (expires_at);

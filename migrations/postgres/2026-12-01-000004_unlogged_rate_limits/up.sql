-- Rate-limit counters are not data to keep: they only count hits in the current window.
-- Unlogged, their writes skip the write-ahead log, so counting a hit no longer waits for a
-- WAL flush (an fsync per counted request). After a crash PostgreSQL empties the table,
-- which starts every window afresh, as the in-memory GraphQL counters do at a restart.
-- Unlogged tables are not replicated: rate limits are counted on the primary only.
ALTER TABLE rate_limits SET UNLOGGED;

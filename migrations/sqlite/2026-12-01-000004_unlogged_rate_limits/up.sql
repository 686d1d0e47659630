-- Nothing to do: PostgreSQL's rate_limits table becomes unlogged in this migration, and
-- SQLite has no such kind of table. Kept so that both trees hold the same migrations.
SELECT 1;

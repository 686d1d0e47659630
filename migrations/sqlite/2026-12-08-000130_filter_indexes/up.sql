-- Nothing to do: the PostgreSQL tree adds indexes for the list filters here (a GIN index
-- on the metadata cast to jsonb, trigram and pattern indexes on emails), which SQLite has
-- no kind of. Kept so that both trees hold the same migrations.
SELECT 1;

-- Indexes that serve the list filters (DESIGN section 2) on PostgreSQL, so that a filter's
-- page reads the matching rows rather than every row of the mode. The documented
-- exceptions to "no PostgreSQL-only SQL" (see src/db/mod.rs); SQLite has none of them
-- and evaluates the same predicates by scanning, with the same answers.

-- `metadataJcont`: the query evaluates `(metadata)::jsonb @> $n::jsonb` (src/db/json.rs);
-- this index is on that very expression. `jsonb_path_ops` serves only `@>`, the one
-- operator used, with a smaller index than the default operator class.
CREATE INDEX customer_password_resets_metadata_jsonb
    ON customer_password_resets USING gin ((metadata::jsonb) jsonb_path_ops);

-- `emailStart`: `email LIKE 'prefix%'`. The unique (mode, email) index serves it only under
-- the C collation; `text_pattern_ops` compares byte-wise whatever the collation.
CREATE INDEX customers_mode_email_pattern ON customers (mode, email text_pattern_ops);

-- `emailCont` and `customerEmailCont` (`col LIKE '%part%'`; also `emailStart`): trigram
-- indexes, from the `pg_trgm` extension when the server offers it and this role may
-- create it (a trusted extension since PostgreSQL 13: the database's CREATE privilege
-- is enough). Its absence must never stop the migration, hence the handlers: in PL/pgSQL
-- a block with an EXCEPTION clause runs as a subtransaction, so a failed
-- CREATE EXTENSION or CREATE INDEX is rolled back alone and the migration's transaction
-- goes on. Without the extension the filters give the same answers through sequential
-- scans.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm unavailable (%): the ...Cont filters will scan rows', SQLERRM;
END $$;

DO $$
DECLARE
    trgm_schema TEXT;
BEGIN
    -- The extension may live in a schema outside the search path: name its operator
    -- class with its schema.
    SELECT n.nspname INTO trgm_schema
        FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
        WHERE e.extname = 'pg_trgm';
    IF trgm_schema IS NULL THEN
        RAISE NOTICE 'pg_trgm is not installed: no trigram indexes';
        RETURN;
    END IF;
    EXECUTE format(
        'CREATE INDEX IF NOT EXISTS customers_email_trgm ON customers USING gin (email %I.gin_trgm_ops)',
        trgm_schema);
    EXECUTE format(
        'CREATE INDEX IF NOT EXISTS customer_password_resets_customer_email_trgm '
        'ON customer_password_resets USING gin (customer_email %I.gin_trgm_ops)',
        trgm_schema);
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'trigram indexes not created (%): the ...Cont filters will scan rows', SQLERRM;
END $$;

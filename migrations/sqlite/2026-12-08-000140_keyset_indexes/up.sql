-- Keyset paging reads a page as `(sort_field, id) > (value, id)` after `mode = ?`: every
-- sort field gets an index on (mode, field, id), so that a page starts where the cursor
-- stands instead of reading the rows before it. The reference indexes gain the id (they
-- still serve `referenceEq`). Nulls sort last in these indexes on PostgreSQL, which is
-- the order the lists promise (nulls last ascending, first descending).
DROP INDEX customers_mode_reference;
CREATE INDEX customers_mode_reference ON customers (mode, reference, id);
CREATE INDEX customers_mode_reference_origin ON customers (mode, reference_origin, id);
CREATE INDEX customers_mode_updated_at ON customers (mode, updated_at, id);
DROP INDEX customer_password_resets_mode_reference;
CREATE INDEX customer_password_resets_mode_reference ON customer_password_resets (mode, reference, id);
CREATE INDEX customer_password_resets_mode_reference_origin ON customer_password_resets (mode, reference_origin, id);
CREATE INDEX customer_password_resets_mode_updated_at ON customer_password_resets (mode, updated_at, id);
CREATE INDEX webhooks_mode_name ON webhooks (mode, name, id);
CREATE INDEX webhooks_mode_reference ON webhooks (mode, reference, id);
CREATE INDEX webhooks_mode_reference_origin ON webhooks (mode, reference_origin, id);
CREATE INDEX webhooks_mode_updated_at ON webhooks (mode, updated_at, id);

-- A page of a customer's resets is read newest first, ties broken by id: with the id in
-- the index, each customer's branch of the nested-page statement reads its rows in order
-- and stops at its limit, instead of sorting the customer's resets of equal time.
DROP INDEX customer_password_resets_customer_id;
CREATE INDEX customer_password_resets_customer_id ON customer_password_resets (customer_id, created_at, id);

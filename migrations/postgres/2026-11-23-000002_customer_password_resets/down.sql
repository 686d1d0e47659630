DROP FUNCTION rg_json_contains(TEXT, TEXT);
DROP TABLE customer_password_resets;

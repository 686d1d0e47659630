DROP TABLE settings;
DROP TABLE revoked_tokens;
DROP TABLE customer_sessions;
DROP TABLE customers;
DROP TABLE api_credentials;

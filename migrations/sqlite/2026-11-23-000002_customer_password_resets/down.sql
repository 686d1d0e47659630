DROP TABLE customer_password_resets;

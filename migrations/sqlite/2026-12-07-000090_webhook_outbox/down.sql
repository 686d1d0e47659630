-- SQLite cannot drop a column under a foreign key: the table is rebuilt without it.
DROP INDEX event_callbacks_created_at;
DROP INDEX event_callbacks_delivery_id;
CREATE TABLE event_callbacks_before_outbox (
    id TEXT PRIMARY KEY NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    topic TEXT NOT NULL,
    callback_url TEXT NOT NULL,
    response_code INTEGER,
    response_message TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO event_callbacks_before_outbox
    SELECT id, webhook_id, topic, callback_url, response_code, response_message, attempt, created_at
    FROM event_callbacks;
DROP TABLE event_callbacks;
ALTER TABLE event_callbacks_before_outbox RENAME TO event_callbacks;
CREATE INDEX event_callbacks_webhook_id_created_at ON event_callbacks (webhook_id, created_at, id);
DROP TABLE webhook_deliveries;

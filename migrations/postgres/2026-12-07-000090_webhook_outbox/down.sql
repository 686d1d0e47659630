DROP INDEX event_callbacks_created_at;
DROP INDEX event_callbacks_delivery_id;
ALTER TABLE event_callbacks DROP COLUMN delivery_id;
DROP TABLE webhook_deliveries;

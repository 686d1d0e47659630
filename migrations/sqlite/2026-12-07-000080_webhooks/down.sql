DROP TABLE event_callbacks;
DROP TABLE webhooks;

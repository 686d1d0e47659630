-- Webhooks (DESIGN section 7): an integration's subscription to one topic of its mode.
-- The shared secret is kept so that deliveries can be signed; the GraphQL API shows it
-- only in the answer that creates or rotates it. After a rotation the previous secret
-- also signs until previous_secret_expires_at.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    mode TEXT NOT NULL,
    name TEXT NOT NULL,
    topic TEXT NOT NULL,
    callback_url TEXT NOT NULL,
    include_resources TEXT NOT NULL,
    shared_secret TEXT NOT NULL,
    previous_shared_secret TEXT,
    previous_secret_expires_at TIMESTAMP,
    disabled_at TIMESTAMP,
    circuit_state TEXT NOT NULL,
    circuit_failure_count INTEGER NOT NULL DEFAULT 0,
    reference TEXT,
    reference_origin TEXT,
    metadata TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX webhooks_mode_created_at ON webhooks (mode, created_at, id);
CREATE INDEX webhooks_mode_topic ON webhooks (mode, topic);

-- One delivery attempt of an event to a webhook; response_code is null when no answer
-- came. They go with their webhook.
CREATE TABLE event_callbacks (
    id TEXT PRIMARY KEY NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    topic TEXT NOT NULL,
    callback_url TEXT NOT NULL,
    response_code INTEGER,
    response_message TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX event_callbacks_webhook_id_created_at ON event_callbacks (webhook_id, created_at, id);

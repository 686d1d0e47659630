-- The transactional outbox of webhook deliveries (DESIGN section 7): one row per event
-- per webhook, written in the transaction of the change that causes it, so that a
-- committed change always has its deliveries and a rolled-back one never does. The id is
-- the Standard Webhooks message id (the same on every attempt). The payload is the
-- JSON:API document rendered at commit, without links and without a reset token: a
-- create event's token waits sealed in sealed_token (an AEAD under the outbox key) and is
-- erased once the delivery is settled or the reset stops being pending.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    mode TEXT NOT NULL,
    topic TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    sealed_token TEXT,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    -- When this round of attempts began (the commit, or the last redelivery): the retry
    -- horizon counts from it.
    round_started_at TIMESTAMP NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    settled_at TIMESTAMP
);
-- What the senders claim: pending deliveries by due time.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
-- The few rows that still hold a token, by the reset they belong to.
CREATE INDEX webhook_deliveries_sealed ON webhook_deliveries (resource_id) WHERE sealed_token IS NOT NULL;
CREATE INDEX webhook_deliveries_webhook_id ON webhook_deliveries (webhook_id);
CREATE INDEX webhook_deliveries_settled_at ON webhook_deliveries (settled_at);

-- Each attempt names the delivery it was, so that it can be redelivered.
ALTER TABLE event_callbacks ADD COLUMN delivery_id TEXT REFERENCES webhook_deliveries (id) ON DELETE SET NULL;
CREATE INDEX event_callbacks_delivery_id ON event_callbacks (delivery_id);
CREATE INDEX event_callbacks_created_at ON event_callbacks (created_at);

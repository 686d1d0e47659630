// A reset-gateway webhook receiver in Node.js, quoted by docs/webhooks.md and run by
// clients/tests/webhook-receiver.test.mjs.
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

/**
 * An HTTP server that verifies each delivery with the webhook's shared secret
 * (`whsec_...`), answers 401 to anything that does not verify, and hands each event
 * once to `onEvent(topic, payload)`: a delivery repeated under the same `webhook-id`
 * (a retry, a redelivery) is answered 204 and not handed on again.
 */
export function webhookReceiver(secret, onEvent) {
  const webhook = new Webhook(secret);
  const seen = new Set(); // in production: a table with a unique key, kept a few days
  return createServer(async (request, response) => {
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const body = Buffer.concat(chunks); // the raw bytes: what was signed
    let payload;
    try {
      // Checks webhook-signature over id, timestamp and body, and that
      // webhook-timestamp is within 5 minutes of now; returns the parsed JSON.
      payload = webhook.verify(body, request.headers);
    } catch {
      response.writeHead(401).end();
      return;
    }
    const id = request.headers['webhook-id'];
    if (!seen.has(id)) {
      try {
        await onEvent(request.headers['x-commercelayer-topic'], payload);
      } catch {
        response.writeHead(500).end(); // retried later, under the same webhook-id
        return;
      }
      seen.add(id);
    }
    response.writeHead(204).end();
  });
}

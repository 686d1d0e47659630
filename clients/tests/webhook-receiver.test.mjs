// Proves that the Node.js receiver docs/webhooks.md quotes (clients/examples/
// webhook-receiver.mjs) works against the service: a webhook created with the
// integration credential delivers a new customer's customers.create event to it, the
// npm `standardwebhooks` package verifies the signature, a redelivery under the same
// webhook-id is acknowledged without being handled twice, and a forged delivery is
// refused. (clients/run.sh lets the server call loopback: WEBHOOK_ALLOW_PRIVATE_NETWORKS.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { webhookReceiver } from '../examples/webhook-receiver.mjs';
import { integrationToken, postGraphQL, uniqueEmail } from './env.mjs';

async function graphql(query, variables) {
  const { status, body } = await postGraphQL(await integrationToken(), { query, variables });
  assert.equal(status, 200);
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

/** Polls `check` every 50 ms until it returns a value, for at most `ms`. */
async function eventually(check, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const CALLBACKS = `query($id: ID!) { webhook(id: $id) {
  lastEventCallbacks { id topic responseCode attempt } } }`;

test('the documented Node.js receiver verifies a delivery and handles each webhook-id once', async (t) => {
  // The secret is shown only when the webhook is created, so the webhook comes first
  // and gets the receiver's address once the receiver listens.
  const { createWebhook } = await graphql(
    `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { id sharedSecret } }`,
    { input: { name: 'node receiver', topic: 'customers.create', callbackUrl: 'http://127.0.0.1:9/hooks' } },
  );
  t.after(() => graphql('mutation($id: ID!) { deleteWebhook(id: $id) }', { id: createWebhook.id }));

  const handled = [];
  const raw = [];
  const server = webhookReceiver(createWebhook.sharedSecret, (topic, payload) => {
    handled.push({ topic, payload });
  });
  server.on('request', (request) => raw.push(request.headers));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const url = `http://127.0.0.1:${server.address().port}/hooks`;
  await graphql('mutation($id: ID!, $input: UpdateWebhookInput!) { updateWebhook(id: $id, input: $input) { id } }', {
    id: createWebhook.id,
    input: { callbackUrl: url },
  });

  const email = uniqueEmail('webhook-node');
  const { createCustomer } = await graphql(
    'mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }',
    { input: { email } },
  );

  await eventually(() => handled.length > 0);
  const [{ topic, payload }] = handled;
  assert.equal(topic, 'customers.create');
  assert.equal(payload.data.id, createCustomer.id);
  assert.equal(payload.data.type, 'customers');
  assert.equal(payload.data.attributes.email, email);
  assert.equal(payload.data.attributes.has_password, false);
  assert.equal(payload.data.meta.mode, 'test');
  assert.match(payload.data.links.self, new RegExp(`/api/customers/${createCustomer.id}$`));

  const [first] = await eventually(async () => {
    const calls = (await graphql(CALLBACKS, { id: createWebhook.id })).webhook.lastEventCallbacks;
    return calls.length === 1 && calls[0].responseCode === 204 && calls;
  });
  assert.equal(first.topic, 'customers.create');

  // A redelivery carries the same webhook-id: verified, acknowledged, not handled again.
  await graphql('mutation($id: ID!) { redeliverEventCallback(id: $id) { id } }', { id: first.id });
  const calls = await eventually(async () => {
    const calls = (await graphql(CALLBACKS, { id: createWebhook.id })).webhook.lastEventCallbacks;
    return calls.length === 2 && calls;
  });
  assert.equal(calls[0].responseCode, 204);
  assert.equal(raw.length, 2);
  assert.equal(raw[0]['webhook-id'], raw[1]['webhook-id']);
  assert.equal(handled.length, 1);

  // A body changed on the way no longer verifies.
  const forged = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': raw[0]['webhook-id'],
      'webhook-timestamp': raw[0]['webhook-timestamp'],
      'webhook-signature': raw[0]['webhook-signature'],
    },
    body: JSON.stringify({ data: { id: 'someone-else' } }),
  });
  assert.equal(forged.status, 401);
  assert.equal(handled.length, 1);
});

test("Commerce Layer's signature is Base64(HMAC-SHA256(raw body)) keyed with the secret string", async (t) => {
  const { createWebhook } = await graphql(
    `mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { id sharedSecret } }`,
    { input: { name: 'commerce layer recipe', topic: 'customers.create', callbackUrl: 'http://127.0.0.1:9/hooks' } },
  );
  t.after(() => graphql('mutation($id: ID!) { deleteWebhook(id: $id) }', { id: createWebhook.id }));
  const secret = createWebhook.sharedSecret;

  const verified = [];
  const { createServer } = await import('node:http');
  // The recipe of docs/webhooks.md, as a receiver would write it.
  const server = createServer(async (request, response) => {
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    const expected = createHmac('sha256', secret).update(body).digest();
    const given = Buffer.from(request.headers['x-commercelayer-signature'] ?? '', 'base64');
    const ok = given.length === expected.length && timingSafeEqual(given, expected);
    verified.push(ok);
    response.writeHead(ok ? 204 : 401).end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  await graphql('mutation($id: ID!, $input: UpdateWebhookInput!) { updateWebhook(id: $id, input: $input) { id } }', {
    id: createWebhook.id,
    input: { callbackUrl: `http://127.0.0.1:${server.address().port}/hooks` },
  });
  await graphql('mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { id } }', {
    input: { email: uniqueEmail('webhook-cl') },
  });
  await eventually(() => verified.length > 0);
  assert.deepEqual(verified, [true]);
});

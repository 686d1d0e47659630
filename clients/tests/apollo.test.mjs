// Proves that Apollo Client 4 (core, no React) works against the service the way a
// back office and a storefront use it: the whole password-reset flow (create a customer,
// create a reset, redeem it from a storefront through Automatic Persisted Queries, log in
// with the new password only), APQ over GET for queries (hash first, PersistedQueryNotFound,
// retry with the query, then hash only), batching with BatchHttpLink, CORS for a
// browser storefront, and role errors surfacing as CombinedGraphQLErrors with
// extensions.code UNAUTHORIZED.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { ApolloClient, InMemoryCache, HttpLink, CombinedGraphQLErrors, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { BatchHttpLink } from '@apollo/client/link/batch-http';
import {
  GATEWAY_URL,
  GRAPHQL_URL,
  SALES_CHANNEL_CLIENT_ID,
  integrationToken,
  salesChannelToken,
  oauthToken,
  postGraphQL,
  uniqueEmail,
} from './env.mjs';

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/** A fetch that records every exchange (method, URL, JSON body, status, JSON answer) in `log`. */
function recordingFetch(log) {
  return async (url, init = {}) => {
    const method = (init.method || 'GET').toUpperCase();
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
    const response = await fetch(url, init);
    const answer = await response.clone().json().catch(() => undefined);
    log.push({ method, url: new URL(url), body, status: response.status, answer });
    return response;
  };
}

/** True when a recorded answer is APQ's "send me the query" error. */
const notFound = (request) =>
  request.answer?.errors?.[0]?.message === 'PersistedQueryNotFound' &&
  request.answer.errors[0].extensions?.code === 'PERSISTED_QUERY_NOT_FOUND';

/** An ApolloClient for `token`; with `apq`, PersistedQueryLink (GET for hashed queries) in front. */
function apolloClient(token, { apq = false, log = [] } = {}) {
  const http = new HttpLink({
    uri: GRAPHQL_URL,
    headers: { authorization: `Bearer ${token}` },
    fetch: recordingFetch(log),
  });
  const link = apq ? new PersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(http) : http;
  return new ApolloClient({ cache: new InMemoryCache(), link });
}

/** What a request carried: the query text, or only the persisted query hash. */
function carried(request) {
  if (request.method === 'GET') {
    const extensions = JSON.parse(request.url.searchParams.get('extensions') ?? '{}');
    return { query: request.url.searchParams.get('query'), hash: extensions.persistedQuery?.sha256Hash };
  }
  return { query: request.body.query ?? null, hash: request.body.extensions?.persistedQuery?.sha256Hash };
}

const CREATE_CUSTOMER = gql`
  mutation CreateCustomer($input: CreateCustomerInput!) {
    createCustomer(input: $input) { id email hasPassword }
  }
`;
const CREATE_RESET = gql`
  mutation CreateReset($input: CreateCustomerPasswordResetInput!) {
    createCustomerPasswordReset(input: $input) { id customerEmail resetPasswordToken status }
  }
`;
// Only the fields a storefront may read on a reset.
const REDEEM_RESET = gql`
  mutation RedeemReset($id: ID!, $input: UpdateCustomerPasswordResetInput!) {
    updateCustomerPasswordReset(id: $id, input: $input) {
      id status resetPasswordAt expiresAt createdAt updatedAt meta { mode }
    }
  }
`;
const COUNT_RESETS = gql`
  query CountResets { customerPasswordResets(first: 1) { totalCount } }
`;

test('password reset flow: back office creates, storefront redeems over APQ, only the new password logs in', async () => {
  const email = uniqueEmail('apollo');
  const oldPassword = 'old correct horse battery';
  const newPassword = 'new correct horse battery';

  // Back office (integration token, plain HttpLink).
  const backOffice = apolloClient(await integrationToken());
  const created = await backOffice.mutate({
    mutation: CREATE_CUSTOMER,
    variables: { input: { email, password: oldPassword } },
  });
  assert.equal(created.data.createCustomer.email, email);
  assert.equal(created.data.createCustomer.hasPassword, true);

  const reset = (await backOffice.mutate({ mutation: CREATE_RESET, variables: { input: { customerEmail: email } } }))
    .data.createCustomerPasswordReset;
  assert.equal(reset.status, 'PENDING');
  assert.equal(reset.customerEmail, email);
  assert.equal(typeof reset.resetPasswordToken, 'string');
  assert.ok(reset.resetPasswordToken.length >= 32, 'the reset token looks too short');

  // Storefront (sales channel token) with APQ: a mutation goes by POST even with
  // useGETForHashedQueries; the first POST carries only the hash.
  const log = [];
  const storefront = apolloClient(await salesChannelToken(), { apq: true, log });
  const redeemed = (
    await storefront.mutate({
      mutation: REDEEM_RESET,
      variables: { id: reset.id, input: { resetPasswordToken: reset.resetPasswordToken, customerPassword: newPassword } },
    })
  ).data.updateCustomerPasswordReset;
  assert.equal(redeemed.id, reset.id);
  assert.equal(redeemed.status, 'USED');
  assert.ok(redeemed.resetPasswordAt, 'resetPasswordAt is set once redeemed');
  assert.equal(redeemed.meta.mode, 'TEST');

  assert.deepEqual(log.map((r) => r.method), ['POST', 'POST'], 'the mutation: hash-only POST, then POST with the query');
  assert.equal(carried(log[0]).query, null);
  assert.match(carried(log[0]).hash ?? '', /^[0-9a-f]{64}$/);
  assert.ok(notFound(log[0]), `expected PersistedQueryNotFound, got ${JSON.stringify(log[0].answer)}`);
  assert.ok(carried(log[1]).query?.includes('updateCustomerPasswordReset'));
  assert.equal(carried(log[1]).hash, carried(log[0]).hash);

  // Log in with the password grant: the new password works, the old one no longer does.
  const login = (password) =>
    oauthToken({ grant_type: 'password', client_id: SALES_CHANNEL_CLIENT_ID, username: email, password });
  const withNew = await login(newPassword);
  assert.equal(withNew.status, 200, JSON.stringify(withNew.body));
  assert.equal(typeof withNew.body.access_token, 'string');
  assert.match(withNew.body.scope, /^customer:/);
  const withOld = await login(oldPassword);
  assert.equal(withOld.status, 400, JSON.stringify(withOld.body));
  assert.equal(withOld.body.error, 'invalid_grant');
});

test('APQ over GET: hash only, PersistedQueryNotFound, retry with the query, then the hash alone is enough', async () => {
  const token = await integrationToken();
  // The query text is made unique so that no earlier run has stored its hash.
  const marker = `run${Date.now()}`;
  const query = gql(`query ${marker} { customerPasswordResets(first: 1) { totalCount } }`);

  const log = [];
  const first = await apolloClient(token, { apq: true, log }).query({ query });
  assert.equal(typeof first.data.customerPasswordResets.totalCount, 'number');
  assert.equal(log.length, 2, `expected the hash-only request and its retry, got ${log.length} requests`);
  assert.equal(log[0].method, 'GET', 'a hashed query goes by GET');
  assert.equal(carried(log[0]).query, null, 'the first request carries only the hash');
  assert.match(carried(log[0]).hash ?? '', /^[0-9a-f]{64}$/);
  assert.equal(log[0].status, 200, 'PersistedQueryNotFound comes back with 200');
  assert.ok(notFound(log[0]), `expected PersistedQueryNotFound, got ${JSON.stringify(log[0].answer)}`);
  // Apollo Client retries with the full query by POST (it may be long), with the same hash.
  assert.ok(carried(log[1]).query?.includes('customerPasswordResets'), 'the retry carries the query');
  assert.equal(carried(log[1]).hash, carried(log[0]).hash);

  // The server stored it: a new client (empty cache) now needs only the hash, by GET.
  const again = [];
  const second = await apolloClient(token, { apq: true, log: again }).query({ query });
  assert.deepEqual(second.data, first.data);
  assert.equal(again.length, 1, 'a stored hash needs no retry');
  assert.equal(again[0].method, 'GET');
  assert.equal(carried(again[0]).query, null);
});

test('an unknown persisted query hash gets PersistedQueryNotFound (200, PERSISTED_QUERY_NOT_FOUND)', async () => {
  const hash = sha256(`query Never${Date.now()} { __typename }`);
  const { status, body } = await postGraphQL(await integrationToken(), {
    extensions: { persistedQuery: { version: 1, sha256Hash: hash } },
  });
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.errors?.[0]?.message, 'PersistedQueryNotFound', JSON.stringify(body));
  assert.equal(body.errors[0].extensions?.code, 'PERSISTED_QUERY_NOT_FOUND');
});

test('storefront reading password resets gets CombinedGraphQLErrors with UNAUTHORIZED', async () => {
  const storefront = apolloClient(await salesChannelToken(), { apq: true });
  const error = await storefront.query({ query: COUNT_RESETS }).then(
    (result) => assert.fail(`expected an error, got ${JSON.stringify(result)}`),
    (e) => e,
  );
  assert.ok(CombinedGraphQLErrors.is(error), `expected CombinedGraphQLErrors, got ${error?.name}: ${error?.message}`);
  assert.equal(error.errors[0].extensions?.code, 'UNAUTHORIZED', JSON.stringify(error.errors));
});

test('BatchHttpLink: two operations go in one POST with a JSON array body', async () => {
  const log = [];
  const client = new ApolloClient({
    cache: new InMemoryCache(),
    link: new BatchHttpLink({
      uri: GRAPHQL_URL,
      headers: { authorization: `Bearer ${await integrationToken()}` },
      fetch: recordingFetch(log),
      batchInterval: 20,
    }),
  });
  const [customers, resets] = await Promise.all([
    client.query({ query: gql`query BatchCustomers { customers(first: 1) { totalCount } }` }),
    client.query({ query: gql`query BatchResets { customerPasswordResets(first: 1) { totalCount } }` }),
  ]);
  assert.equal(typeof customers.data.customers.totalCount, 'number');
  assert.equal(typeof resets.data.customerPasswordResets.totalCount, 'number');
  assert.equal(log.length, 1, 'both operations went in one request');
  assert.ok(Array.isArray(log[0].body) && log[0].body.length === 2);
});

test('a batch above the limit (11 > 10 operations) is refused', async () => {
  const batch = Array.from({ length: 11 }, () => ({ query: '{ __typename }' }));
  const { status, body } = await postGraphQL(await integrationToken(), batch);
  assert.ok(status >= 400 && status < 500, `expected a 4xx, got ${status}: ${JSON.stringify(body)}`);
  const ten = await postGraphQL(await integrationToken(), batch.slice(0, 10));
  assert.equal(ten.status, 200, JSON.stringify(ten.body));
  assert.equal(ten.body.length, 10);
});

test('CORS: a storefront on http://localhost:5173 may send Apollo requests; other origins get no grant', async () => {
  const origin = 'http://localhost:5173';
  const apolloHeaders = ['authorization', 'content-type', 'apollographql-client-name', 'apollographql-client-version'];
  const preflight = await fetch(GRAPHQL_URL, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': apolloHeaders.join(','),
    },
  });
  assert.ok(preflight.status >= 200 && preflight.status < 300, `preflight answered ${preflight.status}`);
  assert.equal(preflight.headers.get('access-control-allow-origin'), origin);
  const allowedHeaders = (preflight.headers.get('access-control-allow-headers') ?? '').toLowerCase();
  for (const header of apolloHeaders) {
    assert.ok(allowedHeaders === '*' || allowedHeaders.split(/\s*,\s*/).includes(header),
      `preflight does not allow ${header}: ${allowedHeaders}`);
  }
  const allowedMethods = (preflight.headers.get('access-control-allow-methods') ?? '').toUpperCase();
  assert.ok(allowedMethods === '*' || allowedMethods.includes('POST'), `POST not allowed: ${allowedMethods}`);

  // The actual request carries the grant too; another origin gets none.
  const actual = await fetch(`${GATEWAY_URL}/graphql`, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json', authorization: `Bearer ${await integrationToken()}` },
    body: JSON.stringify({ query: '{ __typename }' }),
  });
  assert.equal(actual.headers.get('access-control-allow-origin'), origin);
  const other = await fetch(GRAPHQL_URL, {
    method: 'OPTIONS',
    headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
  });
  assert.notEqual(other.headers.get('access-control-allow-origin'), 'http://evil.example');
  assert.notEqual(other.headers.get('access-control-allow-origin'), '*');
});

// Proves that /graphql conforms to the GraphQL-over-HTTP spec as graphql-http's audit
// suite checks it: every MUST audit passes, and every SHOULD audit passes except the
// ones listed (with a reason) in SHOULD_ALLOWLIST. MAY audits are only reported.
// Then the service's own choices the audit leaves open: a mutation over GET is 405 with
// `Allow: POST`, a POST without or with the wrong content-type is 415, malformed JSON is
// 400, and GET runs a named query with JSON-encoded variables and extensions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { auditServer } from 'graphql-http';
import { GRAPHQL_URL, integrationToken } from './env.mjs';

const bearer = async () => ({ authorization: `Bearer ${await integrationToken()}` });

// SHOULD audits (by id) the service is allowed to fail, each with the reason why.
const SHOULD_ALLOWLIST = {};

function describe(result) {
  return `  [${result.id}] ${result.name}: ${result.reason}`;
}

test('graphql-http audit: all MUST and SHOULD audits pass', async () => {
  const token = await integrationToken();
  const fetchFn = (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  };

  const results = await auditServer({ url: GRAPHQL_URL, fetchFn });
  assert.ok(results.length > 0, 'the audit ran no checks');

  const failed = results.filter((r) => r.status !== 'ok');
  const mustFailures = failed.filter((r) => r.name.startsWith('MUST'));
  const shouldFailures = failed.filter((r) => r.name.startsWith('SHOULD') && !(r.id in SHOULD_ALLOWLIST));
  const mayFailures = failed.filter((r) => r.name.startsWith('MAY'));
  const allowlistedPassing = results.filter((r) => r.status === 'ok' && r.id in SHOULD_ALLOWLIST);

  console.log(`graphql-http audit: ${results.length} audits, ${results.length - failed.length} ok`);
  if (mayFailures.length) console.log(`MAY audits not met (informational):\n${mayFailures.map(describe).join('\n')}`);
  for (const r of allowlistedPassing) {
    console.log(`  note: allowlisted SHOULD [${r.id}] ${r.name} passes now; remove it from SHOULD_ALLOWLIST`);
  }

  const report = [];
  if (mustFailures.length) report.push(`MUST audits failed:\n${mustFailures.map(describe).join('\n')}`);
  if (shouldFailures.length) report.push(`SHOULD audits failed:\n${shouldFailures.map(describe).join('\n')}`);
  if (report.length) assert.fail(report.join('\n'));
});

test('a mutation over GET is refused with 405 and Allow: POST', async () => {
  const url = new URL(GRAPHQL_URL);
  url.searchParams.set('query', 'mutation { deleteCustomer(id: "none") }');
  const response = await fetch(url, { headers: { ...(await bearer()), accept: 'application/json' } });
  assert.equal(response.status, 405, await response.text());
  assert.match(response.headers.get('allow') ?? '', /\bPOST\b/);
});

test('POST content-type: missing or not JSON is 415; malformed JSON is 400', async () => {
  const post = async (headers, body) =>
    (await fetch(GRAPHQL_URL, { method: 'POST', headers: { ...(await bearer()), ...headers }, body })).status;
  const query = JSON.stringify({ query: '{ __typename }' });
  // fetch adds text/plain for a string body; a Blob without a type sends no content-type.
  assert.equal(await post({}, new Blob([query])), 415, 'no content-type');
  assert.equal(await post({ 'content-type': 'text/plain' }, query), 415, 'text/plain');
  assert.equal(await post({ 'content-type': 'application/json' }, '{"query": "{ __typename }"'), 400, 'malformed JSON');
  assert.equal(await post({ 'content-type': 'application/json; charset=utf-8' }, query), 200, 'JSON with a charset');
});

test('GET runs a named query with JSON-encoded variables and extensions', async () => {
  const url = new URL(GRAPHQL_URL);
  url.searchParams.set('query', 'query A { a: __typename } query B($first: Int) { customers(first: $first) { totalCount } }');
  url.searchParams.set('operationName', 'B');
  url.searchParams.set('variables', JSON.stringify({ first: 1 }));
  url.searchParams.set('extensions', JSON.stringify({ something: { unused: true } }));
  const response = await fetch(url, { headers: { ...(await bearer()), accept: 'application/graphql-response+json' } });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.match(response.headers.get('content-type'), /^application\/graphql-response\+json/);
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  assert.equal(typeof body.data.customers.totalCount, 'number');
});

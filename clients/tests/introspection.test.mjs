// Proves that introspection, as schema tools run it with an integration token, gives
// exactly the committed schema.graphql (types, fields, arguments, defaults and
// descriptions), and that a sales channel's introspection is refused with an
// UNAUTHORIZED error rather than answered with a silent null.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildClientSchema, buildSchema, getIntrospectionQuery, lexicographicSortSchema, printSchema } from 'graphql';
import { SCHEMA_PATH, integrationToken, postGraphQL, salesChannelToken } from './env.mjs';

const sorted = (schema) => printSchema(lexicographicSortSchema(schema));

test('introspection with an integration token equals the committed schema.graphql', async () => {
  assert.ok(SCHEMA_PATH, 'SCHEMA_PATH is not set');
  const { status, body } = await postGraphQL(await integrationToken(), {
    query: getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true }),
    operationName: 'IntrospectionQuery',
  });
  assert.equal(status, 200, JSON.stringify(body).slice(0, 500));
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  const served = sorted(buildClientSchema(body.data));
  const committed = sorted(buildSchema(readFileSync(SCHEMA_PATH, 'utf8')));
  assert.equal(served, committed);
});

test("a sales channel's introspection gets UNAUTHORIZED, not a silent null", async () => {
  for (const query of [getIntrospectionQuery(), '{ __type(name: "Customer") { name } }']) {
    const { status, body } = await postGraphQL(await salesChannelToken(), { query });
    const errors = body?.errors ?? [];
    assert.ok(errors.length > 0, `expected an error (HTTP ${status}), got ${JSON.stringify(body).slice(0, 300)}`);
    assert.equal(errors[0].extensions?.code, 'UNAUTHORIZED', JSON.stringify(errors));
    assert.ok(!body.data?.__schema && !body.data?.__type, 'no schema data for a sales channel');
  }
});

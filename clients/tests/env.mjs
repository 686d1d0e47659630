// Shared by the tests: the environment clients/run.sh exports, OAuth tokens for the
// two test credentials, and a plain fetch helper for raw GraphQL-over-HTTP calls.
// Not a test itself (node --test only runs files named *.test.mjs).

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through clients/run.sh`);
  return value;
}

export const GATEWAY_URL = required('GATEWAY_URL').replace(/\/$/, '');
export const GRAPHQL_URL = `${GATEWAY_URL}/graphql`;
export const INTEGRATION_CLIENT_ID = required('INTEGRATION_CLIENT_ID');
export const INTEGRATION_CLIENT_SECRET = required('INTEGRATION_CLIENT_SECRET');
export const SALES_CHANNEL_CLIENT_ID = required('SALES_CHANNEL_CLIENT_ID');
export const SCHEMA_PATH = process.env.SCHEMA_PATH;
export const SCREENSHOT_PATH = process.env.SCREENSHOT_PATH;
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** POST /oauth/token with a JSON body; returns { status, body }. */
export async function oauthToken(params) {
  const response = await fetch(`${GATEWAY_URL}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(params),
  });
  return { status: response.status, body: await response.json() };
}

async function accessToken(params) {
  const { status, body } = await oauthToken(params);
  if (status !== 200) throw new Error(`/oauth/token answered ${status}: ${JSON.stringify(body)}`);
  return body.access_token;
}

let integration, salesChannel;

/** A client_credentials token of the integration credential (cached per test file). */
export function integrationToken() {
  integration ??= accessToken({
    grant_type: 'client_credentials',
    client_id: INTEGRATION_CLIENT_ID,
    client_secret: INTEGRATION_CLIENT_SECRET,
  });
  return integration;
}

/** A client_credentials token of the sales channel (a public client: no secret). */
export function salesChannelToken() {
  salesChannel ??= accessToken({ grant_type: 'client_credentials', client_id: SALES_CHANNEL_CLIENT_ID });
  return salesChannel;
}

/** POST a GraphQL request as JSON; returns { status, contentType, body } (body parsed). */
export async function postGraphQL(token, request, accept = 'application/json') {
  const response = await fetch(GRAPHQL_URL, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(request),
  });
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, contentType: response.headers.get('content-type'), body };
}

/** A fresh address, so that tests never collide with earlier runs' customers. */
export function uniqueEmail(prefix) {
  return `${prefix}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

// Proves that GraphiQL at GET /graphql works offline in a real browser (Debian's
// Chromium driven by playwright-core): every request the page makes goes to the service
// itself (no CDN), and a person can put an integration token in the headers editor,
// type a query, run it and read the result, then re-fetch the schema with the token (the
// documentation explorer shows QueryRoot). Saves a screenshot to SCREENSHOT_PATH.
// GraphiQL 3 uses CodeMirror 5: its editors take keystrokes once clicked into.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_PATH, GATEWAY_URL, GRAPHQL_URL, SCREENSHOT_PATH, integrationToken } from './env.mjs';

const ASSETS = ['graphiql.min.js', 'graphiql.min.css', 'react.production.min.js', 'react-dom.production.min.js'];
const assetsDir = process.env.GRAPHIQL_ASSETS;
const missingAssets = !assetsDir || ASSETS.some((file) => !existsSync(join(assetsDir, file)));

// Flags that let Chromium run headless as root on a machine without outside network.
// playwright-core gives every launch a fresh, empty --user-data-dir of its own.
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const QUERY = '{ customers(first: 1) { totalCount } }';

test(
  'GraphiQL loads from the service and runs a query with an Authorization header',
  { skip: missingAssets && `GraphiQL assets missing in ${assetsDir ?? '(GRAPHIQL_ASSETS unset)'}: run scripts/fetch-graphiql.sh` },
  async () => {
    assert.ok(existsSync(CHROMIUM_PATH), `no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium`);
    const token = await integrationToken();
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    let page;
    try {
      page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      const requests = [];
      page.on('request', (request) => requests.push(request.url()));
      const pageErrors = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));

      const response = await page.goto(GRAPHQL_URL, { waitUntil: 'load' });
      assert.equal(response.status(), 200);
      assert.match(response.headers()['content-type'] ?? '', /text\/html/);
      const queryEditor = page.locator('.graphiql-query-editor .CodeMirror');
      await queryEditor.waitFor({ timeout: 15_000 });

      const origin = new URL(GATEWAY_URL).origin;
      const foreign = requests.filter((url) => !/^(data|blob):/.test(url) && new URL(url).origin !== origin);
      assert.deepEqual(foreign, [], 'the page fetched from outside the service');
      for (const file of ASSETS) {
        assert.ok(requests.includes(`${origin}/graphiql/${file}`), `the page did not load /graphiql/${file}`);
      }
      assert.deepEqual(pageErrors, [], 'the page threw');

      // Headers editor: the "Headers" tab of the editor tools, then type the JSON.
      await page.locator('.graphiql-editor-tools button', { hasText: 'Headers' }).click();
      const headersEditor = page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror');
      await headersEditor.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.press('Backspace');
      const headers = JSON.stringify({ Authorization: `Bearer ${token}` });
      await page.keyboard.type(headers);
      assert.equal(await headersEditor.evaluate((el) => el.CodeMirror.getValue()), headers, 'headers editor content');

      // Query editor: replace the welcome text with the query.
      await queryEditor.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.press('Backspace');
      await page.keyboard.type(QUERY);
      assert.equal(await queryEditor.evaluate((el) => el.CodeMirror.getValue()), QUERY, 'query editor content');

      await page.locator('button.graphiql-execute-button').click();
      const result = page.locator('.graphiql-response');
      await result.filter({ hasText: 'totalCount' }).waitFor({ timeout: 15_000 });
      const text = await result.innerText();
      assert.doesNotMatch(text, /"errors"/, `the query failed: ${text}`);
      assert.match(text, /"totalCount":\s*\d+/);

      // With the token, GraphiQL's own introspection works: re-fetch, then open the docs.
      const introspection = page.waitForResponse(
        (r) => r.url().startsWith(GRAPHQL_URL) && r.request().postData()?.includes('__schema'),
      );
      await page.getByRole('button', { name: 'Re-fetch GraphQL schema' }).click();
      const schemaBody = await (await introspection).json();
      assert.equal(schemaBody.errors, undefined, `GraphiQL's introspection failed: ${JSON.stringify(schemaBody.errors)}`);
      await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
      await page.locator('.graphiql-doc-explorer', { hasText: 'QueryRoot' }).waitFor({ timeout: 15_000 });
    } finally {
      // The screenshot shows the end state, passed or failed.
      if (page && SCREENSHOT_PATH) {
        mkdirSync(dirname(SCREENSHOT_PATH), { recursive: true });
        await page.screenshot({ path: SCREENSHOT_PATH }).catch(() => {});
        console.log(`screenshot: ${SCREENSHOT_PATH}`);
      }
      await browser.close();
    }
  },
);

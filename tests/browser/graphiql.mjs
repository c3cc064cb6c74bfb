// Drives the GraphiQL page and the schema picture of a running regiograaf in headless Chromium
// (scripts/test-browser starts the server and passes its URL). Fails when a page requests
// anything from a host other than the service, when a request fails, when the examples are
// missing, when an example does not show data from the bundled agendas, or when Voyager draws
// no graph.
//
//   node graphiql.mjs http://127.0.0.1:PORT SCREENSHOT_DIR
import { chromium } from 'playwright-core';

const base = process.argv[2];
const shots = process.argv[3] || '/tmp';
if (!base) {
  console.error('usage: node graphiql.mjs BASE_URL [SCREENSHOT_DIR]');
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

const failures = [];
let passed = 0;
async function check(name, body) {
  const started = Date.now();
  try {
    await body();
    passed += 1;
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    failures.push(name);
    console.log(`FAIL ${name}: ${error.message}`);
  }
}
function assert(condition, message) {
  if (!condition) throw new Error(message);
}

const loopback = (url) => {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:') return true;
  return hostname === 'localhost' || hostname === '[::1]' || /^127\./.test(hostname);
};

const browser = await chromium.launch({
  executablePath,
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
});

// Every request of a page is recorded: one to another host, a failed one, an HTTP error, a
// blocked one (content security policy) or an uncaught script error fails the page.
async function openPage(path) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const seen = { requests: [], external: [], failed: [], errors: [] };
  page.on('request', (request) => {
    seen.requests.push(request.url());
    if (!loopback(request.url())) seen.external.push(request.url());
  });
  page.on('requestfailed', (request) =>
    seen.failed.push(`${request.url()}: ${request.failure()?.errorText}`));
  page.on('response', (response) => {
    if (response.status() >= 400) seen.failed.push(`${response.url()}: HTTP ${response.status()}`);
  });
  page.on('pageerror', (error) => seen.errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') seen.errors.push(message.text());
  });
  await page.goto(base + path, { waitUntil: 'load' });
  return { context, page, seen };
}

function assertClean(seen) {
  assert(seen.external.length === 0, `requests to other hosts: ${seen.external.join(', ')}`);
  assert(seen.failed.length === 0, `failed requests: ${seen.failed.join('; ')}`);
  assert(seen.errors.length === 0, `errors on the page: ${seen.errors.join('; ')}`);
}

// The text of the result pane (CodeMirror keeps it in its document, not all in the DOM).
const resultText = (page) =>
  page.evaluate(() => {
    const pane = document.querySelector('.graphiql-response .CodeMirror');
    return pane && pane.CodeMirror ? pane.CodeMirror.getValue() : '';
  });

try {
  const graphiql = await openPage('/');
  const { page } = graphiql;

  await check('GraphiQL loads from the service alone', async () => {
    await page.waitForSelector('.graphiql-container', { timeout: 20000 });
    assert(graphiql.seen.requests.some((u) => u.includes('/assets/graphiql.min.js')),
      'graphiql.min.js was not loaded from /assets/');
  });

  await check('the Examples panel offers an operation for each kind of user', async () => {
    await page.waitForSelector('[data-example]', { timeout: 10000 });
    const names = await page.$$eval('[data-example]', (buttons) =>
      buttons.map((b) => b.getAttribute('data-example')));
    for (const name of ['portal-page', 'partner-sync', 'analyst-initiatives']) {
      assert(names.includes(name), `no example ${name} in ${names.join(', ')}`);
    }
    const tabs = await page.$$eval('.graphiql-tab', (tabs) => tabs.map((t) => t.textContent));
    assert(tabs.length >= 3, `expected the examples as tabs, found ${tabs.join(', ')}`);
  });

  await check('the Headers tab hints at the token command', async () => {
    await page.getByRole('button', { name: 'Headers' }).click();
    const headers = await page.evaluate(() => {
      const editor = document.querySelector('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror');
      return editor && editor.CodeMirror ? editor.CodeMirror.getValue() : '';
    });
    assert(headers.includes('regiograaf token --org gemeente-haarlem --role editor'),
      `headers editor holds ${JSON.stringify(headers)}`);
  });

  await check('Ctrl-Enter in the first tab (the portal example) shows a region of the bundled agendas', async () => {
    const query = await page.evaluate(() =>
      document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.getValue());
    assert(query.includes('query PortalPage'), 'the first tab is not the portal example');
    // (A click in the editor may land on its toolbar, which overlaps it: focus it instead.)
    await page.evaluate(() =>
      document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.focus());
    await page.keyboard.press('Control+Enter');
    await page.waitForFunction(() => {
      const pane = document.querySelector('.graphiql-response .CodeMirror');
      return pane && pane.CodeMirror && pane.CodeMirror.getValue().includes('"data"');
    }, null, { timeout: 20000 });
    const result = await resultText(page);
    assert(result.includes('"name": "Zorgkantoorregio Kennemerland"'), `no region Kennemerland in ${result.slice(0, 300)}`);
    assert(result.includes('Samenwerkingsagenda Kennemerland 2021-2023'), 'no agenda title in the result');
    assert(!result.includes('"errors"'), `the result has errors: ${result.slice(0, 500)}`);
    await page.screenshot({ path: `${shots}/regiograaf-graphiql.png` });
  });

  await check('the analyst example runs from the Run button and lists parties', async () => {
    await page.click('[data-example="analyst-initiatives"]');
    await page.waitForFunction(() => {
      const editor = document.querySelector('.graphiql-query-editor .CodeMirror');
      return editor && editor.CodeMirror.getValue().includes('query AnalystInitiatives');
    }, null, { timeout: 10000 });
    await page.click('.graphiql-execute-button');
    try {
      await page.waitForFunction(() => {
        const pane = document.querySelector('.graphiql-response .CodeMirror');
        return pane && pane.CodeMirror && pane.CodeMirror.getValue().includes('"totalCount"');
      }, null, { timeout: 20000 });
    } catch (error) {
      await page.screenshot({ path: `${shots}/regiograaf-graphiql-failed.png` });
      throw new Error(`no result; the pane shows ${(await resultText(page)).slice(0, 300)}`);
    }
    const result = JSON.parse(await resultText(page));
    const nodes = result.data.initiatives.nodes;
    assert(nodes.length > 0, 'no initiatives');
    assert(nodes.every((n) => ['RUNNING', 'PLANNED'].includes(n.status)), 'a status outside the filter');
    assert(nodes.some((n) => n.parties.length > 0), 'no parties');
  });

  await check('the docs explorer has the schema, with the Dutch terms', async () => {
    await page.click('[aria-label="Show Documentation Explorer"]');
    await page.waitForSelector('.graphiql-doc-explorer', { timeout: 10000 });
    await page.getByText('Query', { exact: true }).first().click();
    await page.locator('.graphiql-doc-explorer').getByText('initiative', { exact: true }).first().click();
    await page.locator('.graphiql-doc-explorer').getByText('Initiative', { exact: true }).first().click();
    await page.waitForFunction(() =>
      document.querySelector('.graphiql-doc-explorer').textContent.includes('initiatief'),
    null, { timeout: 10000 });
  });

  await check('GraphiQL made no request to another host and none failed', async () => {
    assertClean(graphiql.seen);
  });
  await graphiql.context.close();

  const voyager = await openPage('/voyager');
  await check('/voyager draws the schema as an SVG', async () => {
    await voyager.page.waitForSelector('#voyager svg .node', { timeout: 60000 });
    const nodes = await voyager.page.$$eval('#voyager svg .node', (n) => n.length);
    assert(nodes > 10, `only ${nodes} types drawn`);
    const text = await voyager.page.$$eval('#voyager svg .node', (nodes) =>
      nodes.map((node) => node.textContent).join(' '));
    assert(text.includes('Initiative') && text.includes('Region'), 'Initiative or Region missing in the picture');
    await voyager.page.screenshot({ path: `${shots}/regiograaf-voyager.png` });
  });
  await check('Voyager made no request to another host and none failed', async () => {
    assertClean(voyager.seen);
  });
  await voyager.context.close();
} finally {
  await browser.close();
}

console.log(`${passed} passed, ${failures.length} failed`);
process.exit(failures.length === 0 ? 0 : 1);

// Shared set-up for the browser end-to-end tests: a real perch-emulator and
// perch-proxy on 127.0.0.1 (each test gets its own pair and database), and
// Debian's chromium with a fresh temporary profile. Nothing here sleeps: every
// wait is for a condition (a log line, a port, a DOM state) with a deadline.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const BIN = process.env.PERCH_E2E_BIN || path.join(ROOT, 'build/native/bin');
export const SITE = process.env.PERCH_E2E_SITE || path.join(ROOT, 'build/site');
export const ARTIFACTS = path.join(ROOT, 'tests/artifacts');
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

export const CONSUMER_KEY = 'e2e-consumer-key';
export const CONSUMER_SECRET = 'e2e-consumer-secret-never-in-the-browser';
export const STARTUP_MS = 15000;
export const STEP_MS = 15000;

// The emulator's default user (emulator/src/emulator/user_profile.cpp) and what the
// core maps it to. utc_offset is null there, so the form takes the browser's
// own time zone, which the tests pin.
export const BROWSER_TIME_ZONE = 'Europe/Oslo';
export const DEFAULT_USER = {
  id_str: '1452019283001737216',
  name: 'Zoë Ångström-Ñúñez',
  screen_name: 'zoe_perch',
  email: 'zoe.angstrom@example.org',
  picture_original: 'https://pbs.twimg.com/profile_images/1452019519052296193/Zq3v.jpg',
};
export const EXPECTED_FORM = {
  username: 'zoe_perch',
  first_name: 'Zoë',
  last_name: 'Ångström-Ñúñez',
  email: 'zoe.angstrom@example.org',
  timezone: BROWSER_TIME_ZONE,
};

export function requireBuilt() {
  const missing = ['perch-emulator', 'perch-proxy'].map((b) => path.join(BIN, b))
    .concat([path.join(SITE, 'index.html'), path.join(SITE, 'perch.mjs')])
    .filter((file) => !fs.existsSync(file));
  if (missing.length) throw new Error(`not built: ${missing.join(', ')} (run scripts/build)`);
}

export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `perch-e2e-${prefix}-`));
}

// A port that was free a moment ago. perch-proxy must know its own callback URL
// before it starts, so the port is chosen here; the race with another process
// grabbing it is handled by startProxy retrying on a bind failure.
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Starts a process and resolves once a line matches `ready` (stdout or stderr).
// Rejects if it exits first or the deadline passes; the log is kept either way.
function startProcess(name, command, args, env, ready, timeoutMs = STARTUP_MS) {
  const child = spawn(command, args, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
  const service = {
    name, child, lines, match: null,
    log: () => lines.join('\n'),
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return service.exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      const result = await service.exited;
      clearTimeout(timer);
      return result;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not become ready within ${timeoutMs} ms:\n${service.log()}`));
    }, timeoutMs);
    let settled = false;
    const onLine = (line) => {
      lines.push(line);
      const match = !settled && ready.exec(line);
      if (match) { settled = true; clearTimeout(timer); service.match = match; resolve(service); }
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buffer = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk) => {
        buffer += chunk;
        let newline;
        while ((newline = buffer.indexOf('\n')) >= 0) { onLine(buffer.slice(0, newline)); buffer = buffer.slice(newline + 1); }
      });
    }
    child.on('error', (error) => { if (!settled) { settled = true; clearTimeout(timer); reject(error); } });
    child.on('exit', (code, signal) => {
      if (!settled) {
        settled = true; clearTimeout(timer);
        reject(Object.assign(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${service.log()}`), { service }));
      }
    });
  });
}

export async function startEmulator({ args = [] } = {}) {
  const service = await startProcess('perch-emulator', path.join(BIN, 'perch-emulator'),
    ['--port', '0', '--consumer-key', CONSUMER_KEY, '--consumer-secret', CONSUMER_SECRET, ...args],
    {}, /perch-emulator listening on (http:\/\/127\.0\.0\.1:\d+)/);
  service.url = service.match[1];
  return service;
}

// Switches the emulator's fault plan at run time: POST /__emulator/fault with
// a form body (mode, on, slow_ms), loopback only.
export async function setFault(emulator, plan) {
  const response = await fetch(`${emulator.url}/__emulator/fault`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(Object.entries(plan).map(([k, v]) => [k, String(v)])).toString(),
    signal: AbortSignal.timeout(STEP_MS),
  });
  if (!response.ok) throw new Error(`fault switch answered ${response.status}: ${await response.text()}`);
}

export async function startProxy({ emulatorUrl, database, tokenKey, env = {} }) {
  let lastError;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    try {
      const service = await startProcess('perch-proxy', path.join(BIN, 'perch-proxy'), [], {
        PERCH_CONSUMER_KEY: CONSUMER_KEY,
        PERCH_CONSUMER_SECRET: CONSUMER_SECRET,
        PERCH_CALLBACK_URL: `${base}/signup/callback`,
        PERCH_TWITTER_API: emulatorUrl,
        PERCH_LISTEN: `127.0.0.1:${port}`,
        PERCH_WEB_ROOT: SITE,
        PERCH_DATABASE: database,
        PERCH_TOKEN_KEY: tokenKey,
        ...env,
      }, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
      service.url = base;
      return service;
    } catch (error) {
      lastError = error;
      // Someone took the port between our probe and the proxy's bind: try another.
      if (!/cannot listen|address already in use/i.test(String(error.message))) throw error;
    }
  }
  throw lastError;
}

// An emulator, a proxy in front of it, and a fresh database — or the given
// one (and its key), for tests where two stacks share accounts. `proxyEnv`
// may be a function of the started emulator.
export async function startStack({ emulatorArgs = [], proxyEnv = {}, database, tokenKey } = {}) {
  requireBuilt();
  const dir = tempDir('stack');
  tokenKey ??= crypto.randomBytes(32).toString('hex');
  database ??= path.join(dir, 'perch.db');
  const emulator = await startEmulator({ args: emulatorArgs });
  let proxy;
  try {
    const env = typeof proxyEnv === 'function' ? proxyEnv(emulator) : proxyEnv;
    proxy = await startProxy({ emulatorUrl: emulator.url, database, tokenKey, env });
  } catch (error) {
    await emulator.stop();
    throw error;
  }
  return {
    emulator, proxy, base: proxy.url, database, tokenKey, dir,
    async stop() {
      await proxy.stop();
      await emulator.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

// A fresh chromium profile. Only 127.0.0.1 is reachable: the Twitter picture
// host is answered from a local fixture (and every such request recorded),
// anything else is aborted and recorded so a test can assert there was none.
// Playwright's routing switches the browser's HTTP cache off, so a benchmark
// of what a person's browser does (cache on) passes httpCache: then nothing is
// routed and every host name but 127.0.0.1 fails to resolve instead.
export async function launchBrowser({ viewport = { width: 800, height: 640 }, contextOptions = {},
  httpCache = false } = {}) {
  const profile = tempDir('chromium');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    args: httpCache ? [...CHROMIUM_ARGS, '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1']
      : CHROMIUM_ARGS,
    headless: true,
    timezoneId: BROWSER_TIME_ZONE,
    locale: 'en-GB',
    viewport,
    ...contextOptions,
  });
  context.setDefaultTimeout(STEP_MS);
  const record = { pictures: [], blocked: [], problems: [] };
  const picture = fs.readFileSync(path.join(FIXTURES, 'avatar.png'));
  if (!httpCache) await context.route('**/*', (route) => {
    const request = route.request();
    const url = new URL(request.url());
    if (url.hostname === '127.0.0.1') return route.continue();
    if (url.protocol === 'https:' && url.hostname === 'pbs.twimg.com') {
      record.pictures.push({ url: url.href, headers: request.headers() });
      return route.fulfill({ status: 200, contentType: 'image/png', body: picture });
    }
    record.blocked.push(url.href);
    return route.abort('blockedbyclient');
  });
  const watch = (page) => {
    page.on('pageerror', (error) => record.problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      const text = message.text();
      // Chromium logs every non-2xx fetch; the API's error statuses are expected
      // (the tests assert them), anything else logged as an error is not.
      const apiStatus = /^Failed to load resource: the server responded with a status of \d+/.test(text)
        && new URL(message.location().url || 'about:blank', 'http://x').pathname.startsWith('/api/');
      // Unrouted (httpCache), a host other than 127.0.0.1 fails to resolve:
      // recorded as blocked, as the routed browser records what it aborts.
      const where = message.location().url || '';
      const unresolved = httpCache && /net::ERR_NAME_NOT_RESOLVED/.test(text) && where !== ''
        && new URL(where).hostname !== '127.0.0.1';
      if (/Content Security Policy|Refused to/i.test(text)) record.problems.push(`csp: ${text}`);
      else if (unresolved) record.blocked.push(where);
      else if (message.type() === 'error' && !apiStatus) record.problems.push(`console: ${text}`);
    });
  };
  context.on('page', watch);
  for (const page of context.pages()) watch(page);
  return {
    context, record,
    page: () => context.pages()[0] || context.newPage(),
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `e2e-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// The visible view's heading (views swap the `hidden` attribute).
export const visibleHeading = (page) => page.locator('main section:not([hidden]) h1');

export async function formValues(page) {
  return page.evaluate(() => Object.fromEntries(new FormData(document.getElementById('signup-form'))));
}

// Clicks a start button and, if the emulator shows its consent page (a
// returning user may skip it), presses `consent` there. Resolves with the
// callback URL the emulator redirected the browser to, once it is back on the
// proxy's origin.
// `beforeConsent(page)`, if given, runs once the consent page shows its button
// and before it is pressed.
export async function goThroughTwitter(page, stack, { button = 'Sign up with X', consent = 'Authorize app',
  beforeConsent = null } = {}) {
  const isConsent = (url) => url.startsWith(stack.emulator.url);
  const isCallback = (url) => url.startsWith(`${stack.base}/signup/callback`);
  const navigation = (test) => page.waitForRequest((r) => r.isNavigationRequest() && test(r.url()));
  const first = navigation((url) => isConsent(url) || isCallback(url));
  const callback = navigation(isCallback);
  for (const pending of [first, callback]) pending.catch(() => {});  // awaited below, or moot after a failure
  await page.getByRole('button', { name: button }).click();
  if (isConsent((await first).url())) {
    const allow = page.getByRole('button', { name: consent });
    if (beforeConsent) {
      await allow.waitFor();
      await beforeConsent(page);
    }
    await allow.click();
  }
  const request = await callback;
  await page.waitForURL((url) => url.href.startsWith(stack.base));
  return request.url();
}

// The request token of the next flow this page starts: the oauth_token of the
// authorize_url it navigates to (the same value POST /api/twitter/start
// returned and the page keeps in sessionStorage).
export function nextStartToken(page, stack) {
  return page.waitForRequest((r) => r.isNavigationRequest() && r.url().startsWith(stack.emulator.url))
    .then((request) => new URL(request.url()).searchParams.get('oauth_token'));
}

// Waits until the page has left its busy state and shows `title`.
// On a timeout the error says what the page showed instead, and a screenshot
// of it is saved as e2e-unexpected-*.png.
export async function waitForView(page, title) {
  try {
    await page.locator('#view-busy[hidden]').waitFor({ state: 'attached' });
    await visibleHeading(page).filter({ hasText: title }).waitFor();
  } catch (error) {
    const shown = await page.evaluate(() => Array.from(
      document.querySelectorAll('main section:not([hidden]) :is(h1, p, .field-error)'),
      (e) => e.textContent.trim()).filter((t) => t).join(' | ')).catch(() => '(page gone)');
    const file = await screenshot(page, `unexpected-${Date.now()}`).catch(() => '');
    throw new Error(`expected the view "${title}" at ${page.url()}; the page shows: ${shown} (${file})`, { cause: error });
  }
}

// Rows of the account database via Debian's sqlite3 (read-only, JSON mode).
export function queryDatabase(database, sql) {
  const result = spawnSync('/usr/bin/sqlite3', ['-readonly', '-json', database, sql],
    // The default 1 MiB holds only ~20,000 accounts' rows.
    { encoding: 'utf8', timeout: STEP_MS, maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`sqlite3 failed: ${result.stderr}`);
  return result.stdout.trim() === '' ? [] : JSON.parse(result.stdout);
}

// Opens a sealed token (token_cipher.h: 0x01 || nonce(12) || ciphertext || tag(16),
// AES-256-GCM; associated data: the version byte, then "perch.accounts.<field>\0<twitter_id>").
export function openSealedToken(hexKey, sealedHex, field, twitterId) {
  const sealed = Buffer.from(sealedHex, 'hex');
  if (sealed[0] !== 0x01) throw new Error(`unknown sealed-token version ${sealed[0]}`);
  const nonce = sealed.subarray(1, 13);
  const tag = sealed.subarray(sealed.length - 16);
  const ciphertext = sealed.subarray(13, sealed.length - 16);
  const decipher = crypto.createDecipheriv('aes-256-gcm', Buffer.from(hexKey, 'hex'), nonce);
  decipher.setAAD(Buffer.concat([sealed.subarray(0, 1), Buffer.from(`perch.accounts.${field}\0${twitterId}`, 'utf8')]));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
}

// Passes every /api/ call of `context` through route.fetch so the test sees
// each answer's exact headers and body (the browser gets the same response).
export async function captureApi(context) {
  const seen = [];
  await context.route((url) => url.hostname === '127.0.0.1' && url.pathname.startsWith('/api/'), async (route) => {
    const response = await route.fetch({ maxRedirects: 0 });
    seen.push({ url: route.request().url(), status: response.status(), headers: response.headersArray(), body: await response.text() });
    return route.fulfill({ response });
  });
  return seen;
}

// Exposes which proxy API calls a page made (method + path), for "no request" assertions.
export function recordApiCalls(page) {
  const calls = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/api/')) calls.push(`${request.method()} ${url.pathname}`);
  });
  return calls;
}

// Milliseconds from the callback page's navigation start (which includes the
// consent form's POST and redirect) to: the document received, DOMContentLoaded,
// and each mark the page sets (module loaded, exchange answered, form shown).
export async function callbackTimings(page) {
  return page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const marks = Object.fromEntries(['perch:module-ready', 'perch:exchanged', 'perch:form-ready'].map((name) => {
      const mark = performance.getEntriesByName(name, 'mark')[0];
      return [name.slice(6), mark ? Math.round(mark.startTime) : null];
    }));
    return { 'document': Math.round(nav.responseEnd), 'dom-content-loaded': Math.round(nav.domContentLoadedEventEnd), ...marks };
  });
}

// Every static file the browser fetched from the proxy (not /api/), by path,
// with the decoded body, to measure what the page costs to load.
export function recordStaticResponses(page, base) {
  const files = new Map();
  page.on('response', async (response) => {
    const url = new URL(response.url());
    if (url.origin !== base || url.pathname.startsWith('/api/') || response.status() !== 200) return;
    const key = url.pathname;
    if (files.has(key)) return;
    files.set(key, null);
    try { files.set(key, await response.body()); } catch { files.delete(key); }
  });
  return files;
}

export function transferSizes(files) {
  const list = [...files.entries()].filter(([, body]) => body)
    .map(([file, body]) => ({ path: file, raw: body.length, gzip: zlib.gzipSync(body, { level: 9 }).length }))
    .sort((a, b) => a.path.localeCompare(b.path));
  const total = list.reduce((sum, f) => ({ raw: sum.raw + f.raw, gzip: sum.gzip + f.gzip }), { raw: 0, gzip: 0 });
  return { files: list, total };
}

// Measurements land in tests/artifacts/e2e-metrics.json, one key per test.
export function writeMetrics(name, values) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, 'e2e-metrics.json');
  let all = {};
  try { all = JSON.parse(fs.readFileSync(file, 'utf8')); } catch { all = {}; }
  all[name] = { ...values, measured_at: new Date().toISOString() };
  fs.writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
}

// The OAuth 2.0 client the emulator registers and the proxy uses.
export const CLIENT_ID = 'e2e-client-id';
export const CLIENT_SECRET = 'e2e-client-secret-never-in-the-browser';

// startStack's options for an OAuth 2.0 stack (a confidential client); `scopes`
// sets PERCH_SCOPES.
export function oauth2Stack({ scopes, emulatorArgs = [] } = {}) {
  return {
    emulatorArgs: ['--client-id', CLIENT_ID, '--client-secret', CLIENT_SECRET, ...emulatorArgs],
    proxyEnv: (emulator) => ({
      PERCH_PROTOCOL: 'oauth2', PERCH_CLIENT_ID: CLIENT_ID, PERCH_CLIENT_SECRET: CLIENT_SECRET,
      PERCH_X_AUTHORIZE_URL: `${emulator.url}/i/oauth2/authorize`, ...(scopes ? { PERCH_SCOPES: scopes } : {}),
    }),
  };
}

// A stack (startStack's `options`), a browser and a page on the start view;
// all stopped after test `t`.
export async function setUpAtStart(t, options = {}) {
  const stack = await startStack(options);
  t.after(() => stack.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.page();
  await page.goto(`${stack.base}/`);
  await waitForView(page, 'Welcome to Perch');
  return { stack, browser, page };
}

// No CSP violation, page error or console error, and no request beyond 127.0.0.1.
export function assertClean(browser) {
  assert.deepEqual(browser.record.problems, [], 'no CSP violation, page error or console error');
  assert.deepEqual(browser.record.blocked, [], 'no request left 127.0.0.1');
}

// Accounts in the stack's database (no database file yet: none).
export const accountCount = (stack) => (fs.existsSync(stack.database)
  ? queryDatabase(stack.database, 'SELECT count(*) AS n FROM accounts')[0].n : 0);

// Headless Chromium smoke test: perch.mjs loads and works in a page served on
// 127.0.0.1 under the CSP the sign-up page uses, with no CSP violation, console
// error or failed request. Every wait is for a condition, with a deadline.
//   PERCH_WASM_DIST   the dist folder to serve (default build/wasm/dist)
import assert from 'node:assert/strict';
import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const DIST = path.resolve(ROOT, process.env.PERCH_WASM_DIST || 'build/wasm/dist');
const PAGES = path.join(HERE, 'smoke');

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";
const LAUNCH_MS = 30_000;
const STEP_MS = 15_000;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                       '--disable-component-update', '--disable-sync', '--no-first-run'];

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

// GET /name from tests/browser/smoke, GET /dist/name from the dist folder; one
// path segment of plain characters only, so nothing outside can be reached.
function resolveFile(urlPath) {
  const match = /^\/(?:(dist)\/)?([A-Za-z0-9_-]+(?:\.[A-Za-z0-9]+)+)$/.exec(urlPath);
  if (!match) return null;
  const type = TYPES[path.extname(match[2])];
  return type ? { file: path.join(match[1] ? DIST : PAGES, match[2]), type } : null;
}

function startServer() {
  const server = http.createServer(async (request, response) => {
    const headers = { 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff',
                      'Cache-Control': 'no-store' };
    const { pathname } = new URL(request.url, 'http://127.0.0.1');
    if (request.method !== 'GET') {
      response.writeHead(405, headers).end();
      return;
    }
    if (pathname === '/favicon.ico') {
      response.writeHead(204, headers).end();
      return;
    }
    const target = resolveFile(pathname);
    try {
      if (!target) throw Object.assign(new Error('not served'), { code: 'ENOENT' });
      const body = await readFile(target.file);
      response.writeHead(200, { ...headers, 'Content-Type': target.type }).end(body);
    } catch {
      response.writeHead(404, { ...headers, 'Content-Type': 'text/plain' }).end('not found');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

// Everything a page did that the test must see: console errors and warnings,
// uncaught exceptions, failed or non-2xx requests.
function watch(page) {
  const seen = { console: [], pageErrors: [], badResponses: [], failedRequests: [] };
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      seen.console.push(`${message.type()}: ${message.text()}`);
    }
  });
  page.on('pageerror', (error) => seen.pageErrors.push(String(error)));
  page.on('response', (response) => {
    if (response.status() >= 300) seen.badResponses.push(`${response.status()} ${response.url()}`);
  });
  page.on('requestfailed', (request) => {
    seen.failedRequests.push(`${request.url()} ${request.failure()?.errorText}`);
  });
  return seen;
}

async function readReport(page) {
  await page.waitForSelector('#result[data-state]', { state: 'attached', timeout: STEP_MS });
  return JSON.parse(await page.textContent('#result'));
}

const TOKEN = 'NPcudxy0yU5T3tBzho7iCotZ3cnetKwcTIRlX0iwRl0';
const VERIFIER = 'uw7NjWHT6OJ1MpJOXsHfNxoAhPKpgI8BlYDhxEjIBY';
const only = (outcome) => ({ outcome, oauthToken: '', oauthVerifier: '' });

const EXPECTED = {
  callbacks: {
    approved: { outcome: 'approved', oauthToken: TOKEN, oauthVerifier: VERIFIER },
    denied: only('denied'),
    noSession: only('no_session'),
    missingParams: only('missing_params'),
    tokenMismatch: only('token_mismatch'),
    malformed: only('malformed'),
    fromUndefined: only('missing_params'),
  },
  profile: {
    ok: true,
    profile: {
      userId: '1466796521412771840',
      username: 'jose_nunez',
      fullName: 'José Ñúñez 🐦',
      firstName: 'José',
      lastName: 'Ñúñez 🐦',
      timezone: -4.5,
      picture: 'https://pbs.twimg.com/profile_images/1/kX3f.jpg',
      email: 'jose@example.com',
    },
  },
  profileError: { ok: false, error: { code: 'invalid_json', message: 'JSON is empty' } },
  form: { username: 'jose_nunez', first_name: 'José', last_name: 'Ñúñez 🐦', email: 'jose@example.com',
          timezone: 'UTC-04:30' },
  validForm: { ok: true, errors: {} },
  emptyForm: {
    ok: false,
    errors: { username: 'Enter a username.', first_name: 'Enter your first name.',
              email: 'Enter an email address.', timezone: 'Choose a time zone.' },
  },
  percentEncoded: 'Ladies%20%2B%20Gentlemen%20%E2%98%83',
  loneSurrogate: '%ED%A0%80',
  keys: ['verifyCallback', 'mapProfile', 'prefill', 'validateRegistration', 'percentEncode'],
};

describe('perch.mjs in headless Chromium', { timeout: 120_000 }, () => {
  let server;
  let origin;
  let profileDir;
  let context;

  before(async () => {
    await access(path.join(DIST, 'perch.mjs')).catch(() => {
      throw new Error(`${DIST}/perch.mjs is missing: build the wasm preset first (scripts/build)`);
    });
    server = await startServer();
    origin = `http://127.0.0.1:${server.address().port}`;
    profileDir = await mkdtemp(path.join(os.tmpdir(), 'perch-smoke-chromium-'));
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: LAUNCH_MS,
    });
    context.setDefaultTimeout(STEP_MS);
  });

  after(async () => {
    // Each step runs even if an earlier one failed, so nothing is left behind.
    await context?.close().catch(() => {});
    await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
  });

  test('serves the page with the sign-up CSP', async () => {
    const page = await context.newPage();
    try {
      const response = await page.goto(`${origin}/index.html`, { timeout: STEP_MS });
      assert.equal(response.status(), 200);
      assert.equal(response.headers()['content-security-policy'], CSP);
    } finally {
      await page.close();
    }
  });

  test('the CSP is enforced: eval is refused and reported, wasm compiles', async () => {
    const page = await context.newPage();
    try {
      await page.goto(`${origin}/csp-control.html`, { timeout: STEP_MS });
      const report = await readReport(page);
      assert.deepEqual(report, {
        evalError: 'EvalError',
        wasm: 'compiled',
        violation: { directive: 'script-src', blocked: 'eval' },
      });
    } finally {
      await page.close();
    }
  });

  test('loads perch.mjs under that CSP and every call returns the expected value', async (t) => {
    const page = await context.newPage();
    const seen = watch(page);
    try {
      await page.goto(`${origin}/index.html`, { timeout: STEP_MS });
      const report = await readReport(page);
      assert.equal(report.error, undefined, report.error);
      assert.deepEqual(report.results, EXPECTED);
      t.diagnostic(`createPerch() in Chromium: ${report.createMs.toFixed(1)} ms`);
      assert.deepEqual(report.violations, []);
      assert.deepEqual(seen, { console: [], pageErrors: [], badResponses: [], failedRequests: [] });
    } finally {
      await page.close();
    }
  });
});

// perch-emulator's consent pages in headless Chromium: they render under their
// own CSP with no violation, console error or failed request, and their
// "Authorize app" and "Cancel" buttons land on the registered callback (a local
// server here): OAuth 1.0a with oauth_token + oauth_verifier, or
// denied=<token>; OAuth 2.0 with state + code, or error=access_denied + state.
// Every wait is for a condition with a deadline.
//   PERCH_EMULATOR=path/to/perch-emulator node --test tests/emulator/consent_browser.test.mjs
//   (default binary: build/native/bin/perch-emulator)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import { chromium } from 'playwright-core';

const BINARY = process.env.PERCH_EMULATOR || 'build/native/bin/perch-emulator';
const KEY = 'browser-test-key';
const SECRET = 'browser-test-secret';
const CLIENT_ID = 'browser-test-client';
const START_MS = 10_000;
const LAUNCH_MS = 30_000;
const STEP_MS = 15_000;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                       '--disable-component-update', '--disable-sync', '--no-first-run'];

function withDeadline(promise, ms, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

// RFC 5849 §3.6 percent-encoding: a third, independent signer for these checks.
const encode = (text) => encodeURIComponent(text).replace(/[!'()*]/g,
  (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function authorization(method, url, oauth) {
  const params = Object.entries(oauth).map(([k, v]) => [encode(k), encode(v)]);
  params.sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : 1) : (a[0] < b[0] ? -1 : 1)));
  const base = [method, encode(url), encode(params.map(([k, v]) => `${k}=${v}`).join('&'))].join('&');
  const signature = createHmac('sha1', `${encode(SECRET)}&`).update(base).digest('base64');
  const all = { ...oauth, oauth_signature: signature };
  return 'OAuth ' + Object.entries(all).map(([k, v]) => `${encode(k)}="${encode(v)}"`).join(', ');
}

function startEmulator() {
  const child = spawn(BINARY, ['--port', '0', '--consumer-key', KEY, '--consumer-secret', SECRET,
                               '--client-id', CLIENT_ID], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  child.stderr.setEncoding('utf8').on('data', (chunk) => log.push(chunk));
  const listening = new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      buffered += chunk;
      const match = /^perch-emulator listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(buffered);
      if (match) resolve(match[1]);
    });
    child.on('error', (error) => reject(new Error(`cannot start ${BINARY}: ${error.message}`)));
    child.on('exit', (code) => reject(new Error(`perch-emulator exited (${code}): ${log.join('')}`)));
  });
  return { child, log, listening: withDeadline(listening, START_MS, 'perch-emulator start') };
}

// The registered callback: records each query it receives.
function startCallbackServer() {
  const hits = [];
  const waiters = [];
  const server = http.createServer((request, response) => {
    const url = new URL(request.url, 'http://127.0.0.1');
    hits.push(url);
    waiters.splice(0).forEach((resolve) => resolve(url));
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end('<!doctype html><title>cb</title>');
  });
  const nextHit = () => new Promise((resolve) => waiters.push(resolve));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, hits, nextHit })));
}

describe('perch-emulator consent page in Chromium', () => {
  let emulator;
  let base;
  let callback;
  let browser;

  before(async () => {
    emulator = startEmulator();
    base = await emulator.listening;
    callback = await startCallbackServer();
    browser = await withDeadline(chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS }),
                                 LAUNCH_MS, 'chromium launch');
  });

  after(async () => {
    await browser?.close();
    callback?.server.close();
    if (emulator && emulator.child.exitCode === null) {
      const exited = new Promise((resolve) => emulator.child.on('exit', resolve));
      emulator.child.kill('SIGTERM');
      await withDeadline(exited, 5_000, 'perch-emulator stop');
    }
  });

  async function requestToken() {
    const url = `${base}/oauth/request_token`;
    const cb = `http://127.0.0.1:${callback.server.address().port}/signup/callback`;
    const header = authorization('POST', url, {
      oauth_callback: cb,
      oauth_consumer_key: KEY,
      oauth_nonce: randomBytes(16).toString('hex'),
      oauth_signature_method: 'HMAC-SHA1',
      oauth_timestamp: String(Math.floor(Date.now() / 1000)),
      oauth_version: '1.0',
    });
    const response = await fetch(url, { method: 'POST', headers: { Authorization: header } });
    const body = await response.text();
    assert.equal(response.status, 200, body);
    return new URLSearchParams(body).get('oauth_token');
  }

  async function openPage(url) {
    const page = await browser.newPage();
    const problems = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('requestfailed', (request) => problems.push(`failed: ${request.url()}`));
    const response = await page.goto(url, { timeout: STEP_MS });
    assert.equal(response.status(), 200);
    return { page, problems };
  }

  const openConsent = (token) => openPage(`${base}/oauth/authenticate?oauth_token=${token}`);

  // An OAuth 2.0 authorize URL with a fresh state and PKCE S256 challenge.
  function oauth2AuthorizeUrl(scope) {
    const verifier = randomBytes(48).toString('base64url');
    const state = randomBytes(16).toString('base64url');
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: `http://127.0.0.1:${callback.server.address().port}/signup/callback`,
      scope,
      state,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    });
    return { url: `${base}/i/oauth2/authorize?${query}`, state };
  }

  test('Authorize app lands on the callback with oauth_token and oauth_verifier', async () => {
    const token = await requestToken();
    const { page, problems } = await openConsent(token);
    assert.match(await page.textContent('#user-name'), /Zoë Ångström-Ñúñez/);
    const landed = callback.nextHit();
    await page.click('text=Authorize app', { timeout: STEP_MS });
    const url = await withDeadline(landed, STEP_MS, 'callback after Authorize app');
    assert.equal(url.pathname, '/signup/callback');
    assert.equal(url.searchParams.get('oauth_token'), token);
    assert.match(url.searchParams.get('oauth_verifier') || '', /^[A-Za-z0-9_-]{16,}$/);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('Cancel lands on the callback with denied=<token>', async () => {
    const token = await requestToken();
    const { page, problems } = await openConsent(token);
    const landed = callback.nextHit();
    await page.click('text=Cancel', { timeout: STEP_MS });
    const url = await withDeadline(landed, STEP_MS, 'callback after Cancel');
    assert.equal(url.searchParams.get('denied'), token);
    assert.equal(url.searchParams.get('oauth_verifier'), null);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('A used token shows an error page, not a consent form', async () => {
    const token = await requestToken();
    const first = await openConsent(token);
    const landed = callback.nextHit();
    await first.page.click('text=Cancel', { timeout: STEP_MS });
    await withDeadline(landed, STEP_MS, 'callback after Cancel');
    await first.page.close();

    const page = await browser.newPage();
    const response = await page.goto(`${base}/oauth/authenticate?oauth_token=${token}`, { timeout: STEP_MS });
    assert.equal(response.status(), 410);
    assert.equal(await page.locator('form').count(), 0);
    await page.close();
  });

  test('OAuth 2.0: Authorize app lands on the callback with state and code', async () => {
    const { url, state } = oauth2AuthorizeUrl('tweet.read users.read users.email offline.access');
    const { page, problems } = await openPage(url);
    assert.match(await page.textContent('#user-name'), /Zoë Ångström-Ñúñez/);
    assert.deepEqual(await page.locator('#scopes li').evaluateAll((items) => items.map((li) => li.dataset.scope)),
                     ['tweet.read', 'users.read', 'users.email', 'offline.access']);
    const landed = callback.nextHit();
    await page.click('#allow', { timeout: STEP_MS });
    const hit = await withDeadline(landed, STEP_MS, 'callback after Authorize app (OAuth 2.0)');
    assert.equal(hit.pathname, '/signup/callback');
    assert.equal(hit.searchParams.get('state'), state);
    assert.match(hit.searchParams.get('code') || '', /^[A-Za-z0-9_-]{43}$/);
    assert.equal(hit.searchParams.get('error'), null);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('OAuth 2.0: Cancel lands on the callback with error=access_denied and the state', async () => {
    const { url, state } = oauth2AuthorizeUrl('tweet.read users.read');
    const { page, problems } = await openPage(url);
    const landed = callback.nextHit();
    await page.click('#cancel', { timeout: STEP_MS });
    const hit = await withDeadline(landed, STEP_MS, 'callback after Cancel (OAuth 2.0)');
    assert.equal(hit.searchParams.get('error'), 'access_denied');
    assert.equal(hit.searchParams.get('state'), state);
    assert.equal(hit.searchParams.get('code'), null);
    assert.deepEqual(problems, []);
    await page.close();
  });
});

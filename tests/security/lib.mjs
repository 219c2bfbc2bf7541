// Helpers for the security suite, on top of tests/integration/harness.mjs
// (imported, not changed): a proxy with its own database and token key, the
// served site from build/site, a browser for any public origin, the account
// routes, provider-call counting, and reading the database read-only.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Browser, Stack, binDir, consent, startEmulator, startProxy, startRecorder } from '../integration/harness.mjs';

export * from '../integration/harness.mjs';

export const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The site the proxy serves in production: web/ plus perch.mjs (scripts/assemble-site).
export const siteDir = process.env.PERCH_SITE_DIR ? path.resolve(process.env.PERCH_SITE_DIR) : path.join(repo, 'build/site');

// The URL path the site serves a page file under: scripts/assemble-site names
// the page's modules and stylesheet after their content (app.mjs is served as
// /app.<16 hex digits>.mjs).
export function servedPath(name) {
  const dot = name.lastIndexOf('.');
  const pattern = new RegExp(`^${name.slice(0, dot)}\\.[0-9a-f]{16}\\${name.slice(dot)}$`);
  const found = fs.readdirSync(siteDir).filter((file) => pattern.test(file));
  if (found.length !== 1) throw new Error(`${siteDir} has ${found.length} files for ${name}`);
  return `/${found[0]}`;
}

// The emulator's default user (emulator/README.md, "The default user").
export const emulatorUser = { id_str: '1452019283001737216', screen_name: 'zoe_perch' };

// Whether this perch-proxy has per-client rate limits (--start-per-minute ...).
let rateLimitFlags = null;
export function proxyHasRateLimits() {
  if (rateLimitFlags === null) {
    const help = execFileSync(path.join(binDir, 'perch-proxy'), ['--help'], { encoding: 'utf8', timeout: 10000 });
    rateLimitFlags = help.includes('--start-per-minute') && help.includes('--exchange-per-minute');
  }
  return rateLimitFlags;
}

// A form that passes validate_registration (docs/registration-form.md).
export function validForm(username = 'zoe_perch') {
  return { username, first_name: 'Zoë', last_name: 'Ångström', email: 'zoe.security@example.org', timezone: 'Europe/Berlin' };
}

export function tempDir(label) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `perch-${label}-`));
}

// emulator -> recording forwarder -> perch-proxy with a fresh database and a
// random token key (in the environment, like the consumer secret).
// `flags` are extra proxy flags; `env` extra proxy environment. These tests
// make many sign-ins from one address, so per-client rate limits are off
// unless `flags` turn them on (rate_limit.test.mjs does).
// The database folder is removed with the stack unless `dir` is given (then it is the caller's).
export async function startSecureStack({ flags = {}, env = {}, emulatorArgs = [], dir } = {}) {
  const stack = new Stack();
  const folder = dir ?? (typeof stack.tempDir === 'function' ? stack.tempDir() : tempDir('security'));
  const tokenKey = randomBytes(32).toString('hex');
  const database = path.join(folder, 'perch.db');
  try {
    const emulator = await startEmulator(stack, emulatorArgs);
    const recorder = await startRecorder(stack, emulator.url);
    const limitsOff = proxyHasRateLimits() ? { '--start-per-minute': '0', '--exchange-per-minute': '0' } : {};
    const proxy = await startProxy(stack, recorder.url,
      { '--database': database, '--web-root': siteDir, ...limitsOff, ...flags },
      { PERCH_TOKEN_KEY: tokenKey, ...env });
    return { stack, emulator, recorder, proxy, database, dir: folder, tokenKey };
  } catch (error) {
    await stack.close();
    throw error;
  }
}

// A browser whose page lives at `origin` (the proxy's public origin), which
// may differ from the loopback URL it connects to (an https origin behind an
// imagined TLS terminator).
export class SiteBrowser extends Browser {
  constructor(proxyUrl, origin = proxyUrl) {
    super(proxyUrl);
    this.origin = origin;
  }

  request(pathname, options = {}) {
    return super.request(pathname, { ...options, headers: { origin: this.origin, ...(options.headers ?? {}) } });
  }

  register(form) { return this.request('/api/register', { body: JSON.stringify(form) }); }
  me() { return this.request('/api/me', { method: 'GET', headers: { 'content-type': null, origin: null } }); }
  logout() { return this.request('/api/logout', { body: '{}' }); }
}

// A person who signed up through the whole flow (start, consent, exchange,
// register) and is signed in; `origin` as for SiteBrowser.
export async function signedUpBrowser(proxyUrl, { origin = proxyUrl, form = validForm() } = {}) {
  const browser = new SiteBrowser(proxyUrl, origin);
  const started = await browser.start();
  assert.equal(started.status, 200, started.body);
  const exchanged = await browser.exchange(await consent(started.json.authorize_url));
  assert.equal(exchanged.status, 200, exchanged.body);
  const registered = await browser.register(form);
  assert.equal(registered.status, 201, registered.body);
  return browser;
}

// Calls the provider got, by endpoint, from the recording forwarder.
export function providerCalls(recorder) {
  const count = (prefix) => recorder.recorded.filter((r) => r.path.startsWith(prefix)).length;
  return {
    request_token: count('/oauth/request_token'),
    access_token: count('/oauth/access_token'),
    verify_credentials: count('/1.1/account/verify_credentials.json'),
    total: recorder.recorded.filter((r) => !r.path.startsWith('/oauth/authenticate') && !r.path.startsWith('/oauth/authorize')).length,
  };
}

// Access tokens (and their secrets) the provider handed out, from the recording.
export function recordedAccessTokens(recorder) {
  const tokens = [];
  for (const entry of recorder.recorded.filter((r) => r.path.startsWith('/oauth/access_token') && r.status === 200)) {
    const params = new URLSearchParams(entry.body);
    // (a `garbage` fault is a 200 without tokens)
    if (params.get('oauth_token') && params.get('oauth_token_secret')) {
      tokens.push({ token: params.get('oauth_token'), secret: params.get('oauth_token_secret'), userId: params.get('user_id') });
    }
  }
  return tokens;
}

// One statement through the sqlite3 shell, read-only, as JSON rows.
export function sqlite(database, sql) {
  const out = execFileSync('sqlite3', ['-readonly', '-json', database, sql], { encoding: 'utf8', timeout: 10000 });
  return out.trim() ? JSON.parse(out) : [];
}

export function sqliteText(database, sql) {
  return execFileSync('sqlite3', ['-readonly', database, sql], { encoding: 'utf8', timeout: 10000 }).trim();
}

export function assertError(response, status, code) {
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status} ${response.body}`);
  assert.equal(response.json?.error?.code, code, response.body);
}

// Every Set-Cookie attribute, e.g. {name, value, attributes: Map('path' -> '/', 'httponly' -> true)}.
export function parseSetCookie(text) {
  const [pair, ...rest] = text.split(';');
  const equals = pair.indexOf('=');
  const attributes = new Map();
  for (const part of rest) {
    const trimmed = part.trim();
    const eq = trimmed.indexOf('=');
    if (eq < 0) attributes.set(trimmed.toLowerCase(), true);
    else attributes.set(trimmed.slice(0, eq).toLowerCase(), trimmed.slice(eq + 1));
  }
  return { name: pair.slice(0, equals).trim(), value: pair.slice(equals + 1).trim(), attributes, raw: text };
}

// Sends exactly these bytes and returns the raw answer (status line + headers + body),
// for what fetch() cannot send (two Origin headers, a bare request).
export function rawRequest(url, bytes, { timeoutMs = 5000 } = {}) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    const chunks = [];
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no complete answer within ${timeoutMs} ms`)); }, timeoutMs);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      const text = Buffer.concat(chunks).toString('latin1');
      const head = text.indexOf('\r\n\r\n');
      const length = text.match(/\r\ncontent-length:\s*(\d+)/i);
      if (head >= 0 && length && text.length >= head + 4 + Number(length[1])) {
        clearTimeout(timer);
        socket.destroy();
        resolve(parseRaw(text));
      }
    });
    socket.on('end', () => { clearTimeout(timer); resolve(parseRaw(Buffer.concat(chunks).toString('latin1'))); });
    socket.on('error', (error) => { clearTimeout(timer); reject(error); });
  });
}

function parseRaw(text) {
  const head = text.indexOf('\r\n\r\n');
  const lines = text.slice(0, head < 0 ? text.length : head).split('\r\n');
  const status = Number(lines[0]?.split(' ')[1]);
  const headers = lines.slice(1).map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]);
  const body = head < 0 ? '' : text.slice(head + 4);
  let json = null;
  try { json = JSON.parse(body); } catch { /* not JSON */ }
  return { status, headers, body, json, raw: text };
}

// Every route in the proxy's route tables (api_routes() and friends), in
// table order, as {method, path}, so a route added later is covered without
// anyone remembering this suite.
export function routesInSource() {
  const found = new Map();
  const dir = path.join(repo, 'proxy/src');
  const files = fs.readdirSync(dir, { recursive: true }).filter((f) => f.endsWith('.cpp'));
  for (const file of files) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    for (const match of text.matchAll(/Route\{\s*"([A-Z]+)",\s*"([^"]+)"/g)) {
      found.set(`${match[1]} ${match[2]}`, { method: match[1], path: match[2] });
    }
  }
  return [...found.values()];
}

// The state-changing ones (POST, PUT, PATCH, DELETE).
export function stateChangingRoutesInSource() {
  return routesInSource().filter((route) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(route.method));
}

// A plain keep-alive-free GET with a deadline, timing it.
export function timedGet(url, { timeoutMs = 5000 } = {}) {
  const started = performance.now();
  return new Promise((resolve) => {
    const request = http.get(url, { agent: false, timeout: timeoutMs }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode, ms: performance.now() - started }));
    });
    request.on('timeout', () => { request.destroy(); resolve({ status: 0, ms: performance.now() - started, error: 'timeout' }); });
    request.on('error', (error) => resolve({ status: 0, ms: performance.now() - started, error: error.message }));
  });
}

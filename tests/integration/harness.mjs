// Starts perch-emulator and perch-proxy on 127.0.0.1 (port 0), and talks to
// them like the sign-up page and a person on the consent page would.
// Waits are on conditions (a listening line, a process exit) with deadlines.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const binDir = process.env.PERCH_BIN_DIR
  ? path.resolve(process.env.PERCH_BIN_DIR)
  : path.join(repo, 'build/native/bin');

export const consumerKey = 'perch-it-consumer-key';
// Random per run, so finding it anywhere can only mean it leaked from here.
export const consumerSecret = `perch-it-consumer-secret-${process.pid}-${Date.now().toString(36)}`;
// Never fetched: the tests read the callback query from the consent page's redirect.
export const callbackUrl = 'http://127.0.0.1:9/signup/callback';

const startDeadlineMs = 10000;
// perch-proxy closes idle kept-alive connections on SIGTERM, so a clean stop
// takes well under a second; this only bounds a hung process.
const stopDeadlineMs = 8000;

// A child process whose output we keep, and whose "... listening on URL" line we wait for.
export class Child {
  constructor(name, file, args, env) {
    this.name = name;
    this.stdout = '';
    this.stderr = '';
    this.exit = null;
    this.proc = spawn(file, args, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      this.proc.on('error', (error) => {
        this.exit = { code: null, signal: null, error };
        resolve(this.exit);
      });
    });
    this.proc.stdout.setEncoding('utf8');
    this.proc.stderr.setEncoding('utf8');
    this.proc.stdout.on('data', (chunk) => { this.stdout += chunk; this.#check(); });
    this.proc.stderr.on('data', (chunk) => { this.stderr += chunk; });
  }

  #waiters = [];
  #check() {
    for (const waiter of this.#waiters) waiter();
  }

  // Resolves with the URL from the first line matching /listening on (URL)/.
  async listening() {
    const pattern = new RegExp(`^${this.name} listening on (http://\\S+)$`, 'm');
    const found = () => this.stdout.match(pattern)?.[1];
    if (found()) return found();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`${this.name} did not listen within ${startDeadlineMs} ms\n${this.output()}`)), startDeadlineMs);
      const waiter = () => { if (found()) done(null, found()); };
      const done = (error, url) => {
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        error ? reject(error) : resolve(url);
      };
      this.#waiters.push(waiter);
      this.exited.then((exit) => done(new Error(`${this.name} exited early (${JSON.stringify(exit)})\n${this.output()}`)));
    });
  }

  output() {
    return `--- ${this.name} stdout\n${this.stdout}--- ${this.name} stderr\n${this.stderr}`;
  }

  // SIGTERM, then wait (bounded) for the exit; returns {code, signal, ms}.
  async stop() {
    const started = performance.now();
    if (this.exit === null) this.proc.kill('SIGTERM');
    let timer;
    const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(null), stopDeadlineMs); });
    const exit = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (exit === null) {
      this.proc.kill('SIGKILL');
      await this.exited;
      throw new Error(`${this.name} did not stop within ${stopDeadlineMs} ms of SIGTERM\n${this.output()}`);
    }
    return { ...exit, ms: performance.now() - started };
  }
}

// The processes a test started, stopped in reverse order at the end, and the
// temporary folders (account databases) it made, removed after them.
export class Stack {
  children = [];
  servers = [];
  dirs = [];
  add(child) { this.children.push(child); return child; }
  addServer(server) { this.servers.push(server); return server; }
  tempDir() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'perch-it-'));
    this.dirs.push(dir);
    return dir;
  }
  async close() {
    const results = [];
    for (const child of [...this.children].reverse()) {
      try { results.push({ name: child.name, ...(await child.stop()), output: child.output() }); } catch (error) { results.push({ name: child.name, error }); }
    }
    for (const server of this.servers) await new Promise((resolve) => server.close(resolve));
    for (const dir of this.dirs) fs.rmSync(dir, { recursive: true, force: true });
    this.children = [];
    this.servers = [];
    this.dirs = [];
    return results;
  }
}

export async function startEmulator(stack, extraArgs = []) {
  const child = stack.add(new Child('perch-emulator', path.join(binDir, 'perch-emulator'),
    ['--host', '127.0.0.1', '--port', '0', '--consumer-key', consumerKey, '--consumer-secret', consumerSecret, ...extraArgs], {}));
  child.url = await child.listening();
  return child;
}

// Per-client rate limits off: these tests make many sign-ins from 127.0.0.1 in
// seconds. (Not startProxy's default: the soak runs the proxy's own defaults;
// tests/security/rate_limit.test.mjs tests the limits.)
export const noRateLimits = Object.freeze({ '--start-per-minute': '0', '--exchange-per-minute': '0' });

// The consumer secret and the token key go in through the environment, never
// the command line. Each proxy gets a fresh account database in a temporary
// folder (child.database) and a random token key (child.tokenKey), unless
// `flags` ({'--flow-ttl-seconds': '1', '--database': ..., ...}) say otherwise;
// a flag given as null is left out (the proxy's own default).
export async function startProxy(stack, twitterApi, flags = {}, extraEnv = {}) {
  const database = flags['--database'] ?? path.join(stack.tempDir(), 'perch.db');
  const tokenKey = extraEnv.PERCH_TOKEN_KEY ?? randomBytes(32).toString('hex');
  const all = {
    '--listen': '127.0.0.1:0', '--consumer-key': consumerKey, '--callback-url': callbackUrl,
    '--twitter-api': twitterApi, '--web-root': path.join(repo, 'web'), '--database': database,
    '--upstream-connect-timeout-ms': '1000', '--upstream-timeout-ms': '2000', ...flags,
  };
  const args = Object.entries(all).filter(([, value]) => value !== null).flat();
  const child = stack.add(new Child('perch-proxy', path.join(binDir, 'perch-proxy'),
    args, { PERCH_CONSUMER_SECRET: consumerSecret, PERCH_TOKEN_KEY: tokenKey, ...extraEnv }));
  child.url = await child.listening();
  child.database = database;
  child.tokenKey = tokenKey;
  return child;
}

// Rows from an account database through Debian's sqlite3 CLI, read-only.
export function queryDatabase(database, sql) {
  const result = spawnSync('/usr/bin/sqlite3', ['-readonly', '-json', database, sql],
    // The default 1 MiB holds only ~20,000 accounts' rows.
    { encoding: 'utf8', timeout: 10000, maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`sqlite3 failed (${result.status}): ${result.stderr}`);
  return result.stdout.trim() ? JSON.parse(result.stdout) : [];
}

// Requests each OAuth endpoint of the emulator has received so far:
// {request_token, access_token, verify_credentials} (its loopback control endpoint).
export async function providerCallCounts(emulator) {
  const response = await fetch(`${emulator.url}/__emulator/calls`);
  if (response.status !== 200) throw new Error(`calls report failed: ${response.status} ${await response.text()}`);
  return response.json();
}

// Switches the emulator's fault at run time (its loopback control endpoint).
export async function setFault(emulator, mode, on = 'all', slowMs = 0) {
  const form = new URLSearchParams({ mode, on });
  if (slowMs) form.set('slow_ms', String(slowMs));
  const response = await fetch(`${emulator.url}/__emulator/fault`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  if (response.status !== 200) throw new Error(`fault switch failed: ${response.status} ${await response.text()}`);
}

// Applies one Set-Cookie to a jar (a Map of name -> value) as a browser
// does: Max-Age=0 removes the cookie, anything else stores it (a name the
// jar holds keeps its place, so the jar stays oldest first).
export function storeCookie(jar, setCookie) {
  const [pair, ...attributes] = setCookie.split(';');
  const name = pair.slice(0, pair.indexOf('=')).trim();
  if (attributes.some((a) => /^\s*max-age=0\s*$/i.test(a))) jar.delete(name);
  else jar.set(name, pair.slice(pair.indexOf('=') + 1).trim());
}

// The Cookie header a browser holding `jar` sends.
export function cookieHeader(jar) {
  return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
}

// The browser side of one person: a cookie jar, and every response it saw.
// The jar keeps cookies as a browser does: a Set-Cookie stores one (a name it
// already holds keeps its place), Max-Age=0 removes it, and they go back
// oldest first. `cookie` is the session cookie's value; setting it plants one
// under `cookieName` (a test playing an attacker).
export class Browser {
  constructor(proxyUrl) {
    this.proxyUrl = proxyUrl;
    this.jar = new Map();
    // perch_session, or __Host-perch_session when the proxy's public origin is https.
    this.cookieName = 'perch_session';
    this.seen = [];  // {status, headers: [[name, value]], body}
  }

  get cookie() { return this.jar.get(this.cookieName) ?? ''; }
  set cookie(value) {
    if (value) this.jar.set(this.cookieName, value);
    else this.jar.delete(this.cookieName);
  }

  // Names of the pending sign-ins' cookies this browser holds, oldest first.
  get flowCookies() { return [...this.jar.keys()].filter((name) => /^(__Host-)?perch_flow_/.test(name)); }

  #receive(setCookie) {
    const name = setCookie.slice(0, setCookie.indexOf('=')).trim();
    if (/^(__Host-)?perch_session$/.test(name) && name !== this.cookieName) {
      this.jar.delete(this.cookieName);
      this.cookieName = name;
    }
    storeCookie(this.jar, setCookie);
  }

  async #record(response) {
    const body = await response.text();
    const entry = { status: response.status, headers: [...response.headers.entries()], setCookies: response.headers.getSetCookie(), body };
    this.seen.push(entry);
    for (const setCookie of entry.setCookies) this.#receive(setCookie);
    let json = null;
    try { json = JSON.parse(body); } catch { /* not JSON: the test checks */ }
    return { ...entry, json };
  }

  async request(pathname, { method = 'POST', body = '', headers = {} } = {}) {
    const finalHeaders = { origin: this.proxyUrl, 'content-type': 'application/json', ...headers };
    if (this.jar.size > 0) finalHeaders.cookie = cookieHeader(this.jar);
    for (const [name, value] of Object.entries(finalHeaders)) if (value === null) delete finalHeaders[name];
    const init = { method, headers: finalHeaders, redirect: 'manual' };
    if (method !== 'GET' && method !== 'HEAD') init.body = body;
    return this.#record(await fetch(this.proxyUrl + pathname, init));
  }

  get(pathname) { return this.request(pathname, { method: 'GET', headers: { 'content-type': null, origin: null } }); }
  start() { return this.request('/api/twitter/start', { body: '{}' }); }
  exchange(callbackQuery) { return this.request('/api/twitter/exchange', { body: JSON.stringify({ callback_query: callbackQuery }) }); }
  register(form) { return this.request('/api/register', { body: JSON.stringify(form) }); }
  me() { return this.get('/api/me'); }
  logout() { return this.request('/api/logout', { body: '{}' }); }

  // start -> "Authorize app" on the consent page -> exchange; the exchange's answer.
  async signInWithTwitter() {
    const started = await this.start();
    if (started.status !== 200) throw new Error(`start answered ${started.status}: ${started.body}`);
    return this.exchange(await consent(started.json.authorize_url));
  }
}

// Loads the consent page at authorizeUrl and presses "Authorize app" (or
// "Cancel"), as a browser would; returns the callback URL's query (location.search).
// Throws on anything else; timeoutMs bounds each of the two requests.
export async function consent(authorizeUrl, { cancel = false, timeoutMs } = {}) {
  const signal = () => (timeoutMs ? AbortSignal.timeout(timeoutMs) : undefined);
  const page = await fetch(authorizeUrl, { redirect: 'manual', signal: signal() });
  const html = await page.text();
  if (page.status !== 200) throw new Error(`consent page answered ${page.status}: ${html}`);
  const formId = cancel ? 'cancel_form' : 'oauth_form';
  const form = html.match(new RegExp(`<form[^>]*id="${formId}"[^>]*>([\\s\\S]*?)</form>`));
  if (!form) throw new Error(`no form #${formId} on the consent page:\n${html}`);
  const action = form[0].match(/action="([^"]*)"/)[1];
  const fields = new URLSearchParams();
  for (const input of form[1].matchAll(/<input[^>]*>/g)) {
    const name = input[0].match(/name="([^"]*)"/)?.[1];
    const value = input[0].match(/value="([^"]*)"/)?.[1] ?? '';
    if (name) fields.append(name, unescapeHtml(value));
  }
  const target = new URL(unescapeHtml(action), authorizeUrl);
  const decision = await fetch(target, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: target.origin },
    body: fields.toString(),
    redirect: 'manual',
    signal: signal(),
  });
  const location = decision.headers.get('location');
  if (decision.status !== 302 || !location) throw new Error(`consent decision answered ${decision.status}: ${await decision.text()}`);
  return new URL(location).search;
}

function unescapeHtml(text) {
  return text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

// A pass-through HTTP forwarder between perch-proxy and perch-emulator that
// keeps every provider response body, so tests learn the token secrets the
// emulator made without the emulator having to reveal them. The Host header is
// forwarded untouched: the emulator checks signatures against the URL the
// proxy addressed (the forwarder's).
export async function startRecorder(stack, targetUrl) {
  const target = new URL(targetUrl);
  const recorded = [];
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const upstream = http.request({
        host: target.hostname, port: target.port, method: request.method, path: request.url, headers: request.headers,
      }, (answer) => {
        const out = [];
        answer.on('data', (chunk) => out.push(chunk));
        answer.on('end', () => {
          const body = Buffer.concat(out);
          recorded.push({ path: request.url, status: answer.statusCode, body: body.toString('utf8') });
          response.writeHead(answer.statusCode, answer.headers);
          response.end(body);
        });
      });
      upstream.on('error', () => response.destroy());
      upstream.end(Buffer.concat(chunks));
    });
  });
  stack.addServer(server);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, recorded };
}

// Every oauth_token_secret in the recorded provider answers.
export function recordedSecrets(recorded) {
  const secrets = [];
  for (const { body } of recorded) {
    const params = new URLSearchParams(body);
    for (const value of params.getAll('oauth_token_secret')) if (value) secrets.push(value);
  }
  return secrets;
}

// The OAuth 2.0 client both perch-emulator and perch-proxy are given.
export const clientId = 'perch-it-client-id';
// Random per run, like the consumer secret.
export const clientSecret = `perch-it-client-secret-${process.pid}-${Date.now().toString(36)}`;

// perch-emulator with the OAuth 2.0 client registered (confidential unless
// `publicClient`), redirect URI = callbackUrl exactly.
export async function startOAuth2Emulator(stack, { publicClient = false, extraArgs = [] } = {}) {
  const args = ['--client-id', clientId, '--allowed-redirect', callbackUrl];
  if (!publicClient) args.push('--client-secret', clientSecret);
  return startEmulator(stack, [...args, ...extraArgs]);
}

// perch-proxy speaking OAuth 2.0 (inferred from PERCH_CLIENT_ID alone) to
// `emulator`; the client secret goes in through the environment unless
// `publicClient`.
export async function startOAuth2Proxy(stack, emulator, { publicClient = false, flags = {}, env = {} } = {}) {
  const secretEnv = publicClient ? {} : { PERCH_CLIENT_SECRET: clientSecret };
  return startProxy(stack, null, {
    '--consumer-key': null, '--twitter-api': null, ...noRateLimits, ...flags,
  }, {
    PERCH_CLIENT_ID: clientId, PERCH_X_API: emulator.url,
    PERCH_X_AUTHORIZE_URL: `${emulator.url}/i/oauth2/authorize`, PERCH_CONSUMER_SECRET: '', ...secretEnv, ...env,
  });
}

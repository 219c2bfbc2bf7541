// The soak's HTTP side: a browser-like client with a cookie jar and a deadline
// on every request, the consent page, /proc sampling and small statistics.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';

import { cookieHeader, consent as pressConsent, storeCookie } from '../integration/harness.mjs';

export const requestTimeoutMs = 10000;

// One person's browser at its own loopback address (one of 127.1.0.1 -
// 127.1.255.254 unless given), so per-client limits see many people as they
// would many hosts, each well under its limit.
// One connection per request, as a reverse proxy in front of perch-proxy
// usually talks to it. Every answer is {status, json, body, setCookies, ms}
// or, when the connection failed, {status: 0, error}. Cookies are kept as a
// browser keeps them (Max-Age=0 removes one); `cookie` is the session's.
export function randomClientAddress() {
  return `127.1.${Math.floor(Math.random() * 256)}.${1 + Math.floor(Math.random() * 254)}`;
}

export class Client {
  constructor(baseUrl, { origin = baseUrl, address = randomClientAddress() } = {}) {
    this.baseUrl = baseUrl;
    this.origin = origin;
    this.address = address;
    this.jar = new Map();
  }

  get cookie() { return this.jar.get('perch_session') ?? ''; }
  set cookie(value) {
    if (value) this.jar.set('perch_session', value);
    else this.jar.delete('perch_session');
  }


  request(pathname, { method = 'POST', body, headers = {}, timeoutMs = requestTimeoutMs } = {}) {
    const final = { origin: this.origin, connection: 'close', ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers };
    if (this.jar.size > 0) final.cookie = cookieHeader(this.jar);
    for (const [name, value] of Object.entries(final)) if (value === null) delete final[name];
    const payload = body === undefined ? null : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
    if (payload) final['content-length'] = String(payload.length);
    const started = performance.now();
    return new Promise((resolve) => {
      let settled = false;
      const finish = (answer) => { if (!settled) { settled = true; clearTimeout(timer); resolve({ ...answer, ms: performance.now() - started }); } };
      const request = http.request(this.baseUrl + pathname, { method, headers: final, agent: false, localAddress: this.address }, (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('error', (error) => finish({ status: 0, error: error.code ?? error.message, body: '', json: null, setCookies: [] }));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const setCookies = response.headers['set-cookie'] ?? [];
          for (const value of setCookies) storeCookie(this.jar, value);
          let json = null;
          try { json = JSON.parse(text); } catch { /* the caller checks */ }
          finish({ status: response.statusCode, json, body: text, setCookies, headers: response.headers });
        });
      });
      const timer = setTimeout(() => { request.destroy(new Error('timeout')); finish({ status: 0, error: 'timeout', body: '', json: null, setCookies: [] }); }, timeoutMs);
      request.on('error', (error) => finish({ status: 0, error: error.code ?? error.message, body: '', json: null, setCookies: [] }));
      request.end(payload ?? undefined);
    });
  }

  start() { return this.request('/api/twitter/start', { body: '{}' }); }
  exchange(query) { return this.request('/api/twitter/exchange', { body: JSON.stringify({ callback_query: query }) }); }
  register(form) { return this.request('/api/register', { body: JSON.stringify(form) }); }
  me() { return this.request('/api/me', { method: 'GET', headers: { origin: null } }); }
  logout() { return this.request('/api/logout', { body: '{}' }); }
  healthz() { return this.request('/healthz', { method: 'GET', headers: { origin: null } }); }
}

// The consent page: press "Authorize app" (or Cancel); the callback's query,
// or null when the page or the decision failed (the soak counts those itself).
export async function consent(authorizeUrl, { cancel = false, timeoutMs = requestTimeoutMs } = {}) {
  try {
    return await pressConsent(authorizeUrl, { cancel, timeoutMs });
  } catch {
    return null;
  }
}

// Resident memory of a process in KiB (VmRSS), or null once it is gone.
export function rssKiB(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = status.match(/^VmRSS:\s+(\d+) kB/m);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

export function threadsOf(pid) {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^Threads:\s+(\d+)/m)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export class Tally {
  counts = new Map();
  add(key, n = 1) { this.counts.set(key, (this.counts.get(key) ?? 0) + n); }
  get(key) { return this.counts.get(key) ?? 0; }
  entries() { return [...this.counts.entries()].sort((a, b) => String(a[0]).localeCompare(String(b[0]))); }
  total() { let sum = 0; for (const v of this.counts.values()) sum += v; return sum; }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Waits until `check()` is truthy, polling every `everyMs`, for at most `deadlineMs`.
export async function waitFor(check, { deadlineMs, everyMs = 100, what = 'a condition' }) {
  const until = performance.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (performance.now() > until) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

// Rows of a read-only sqlite3 query as JSON; room for tens of thousands of accounts.
export function queryRows(database, sql) {
  const result = spawnSync('sqlite3', ['-readonly', '-json', database, sql],
    { encoding: 'utf8', timeout: 60000, maxBuffer: 512 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`sqlite3 failed (${result.status ?? result.signal ?? result.error}): ${result.stderr}`);
  return result.stdout.trim() ? JSON.parse(result.stdout) : [];
}

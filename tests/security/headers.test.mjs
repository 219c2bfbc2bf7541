// Response headers that limit what a page (or a hostile Twitter name inside
// it) can do: the exact Content-Security-Policy (scripts only from the site
// and WebAssembly compilation, no inline script, no eval; no framing),
// X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer (the callback
// URL carries the verifier), X-Frame-Options: DENY, and Cache-Control:
// no-store on every API answer, errors included.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { SiteBrowser, consent, rawRequest, servedPath, startSecureStack, validForm } from './lib.mjs';

function csp(emulatorOrigin) {
  return "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; " +
    `img-src 'self' https://pbs.twimg.com ${emulatorOrigin}; object-src 'none'; base-uri 'none'; ` +
    "frame-ancestors 'none'; form-action 'self'";
}

function directives(policy) {
  return new Map(policy.split(';').map((d) => d.trim()).filter(Boolean).map((d) => {
    const [name, ...values] = d.split(/\s+/);
    return [name, values];
  }));
}

describe('security headers', { timeout: 90000 }, () => {
  let env;
  const answers = [];  // {what, response}
  before(async () => {
    env = await startSecureStack();
    const { proxy } = env;
    const b = new SiteBrowser(proxy.url);
    const keep = (what, response) => { answers.push({ what, response }); return response; };
    for (const page of ['/', '/index.html', '/signup/callback', '/perch.mjs', servedPath('app.mjs'), servedPath('style.css'), '/favicon.svg', '/missing.html']) {
      keep(`GET ${page}`, await b.get(page));
    }
    keep('GET /healthz', await b.get('/healthz'));
    const started = keep('POST start 200', await b.start());
    const query = await consent(started.json.authorize_url);
    keep('POST exchange 200', await b.exchange(query));
    keep('POST exchange 409', await b.exchange(query));
    keep('POST register 422', await b.register({ ...validForm(), email: 'nope' }));
    keep('POST register 201', await b.register(validForm()));
    keep('GET me 200', await b.me());
    keep('POST start 403', await b.request('/api/twitter/start', { body: '{}', headers: { origin: 'https://evil.example' } }));
    keep('POST start 415', await b.request('/api/twitter/start', { body: '{}', headers: { 'content-type': 'text/plain' } }));
    keep('POST start 400', await b.request('/api/twitter/start', { body: '{"a":' }));
    keep('POST exchange 413', await b.request('/api/twitter/exchange', { body: JSON.stringify({ callback_query: 'x'.repeat(15000) }) }));
    keep('GET /api/nope 404', await b.get('/api/nope'));
    keep('GET start 405', await b.get('/api/twitter/start'));
    keep('POST logout 204', await b.logout());
    keep('GET me 401', await b.me());
  });
  after(async () => { await env.stack.close(); });

  test('every answer of the router carries the exact CSP, nosniff, no-referrer and DENY', () => {
    // img-src names the provider's origin when it is a loopback emulator (here: the recording forwarder).
    const expected = csp(new URL(env.recorder.url).origin);
    assert.ok(answers.length >= 20);
    for (const { what, response } of answers) {
      const headers = new Map(response.headers);
      const policy = headers.get('content-security-policy');
      assert.equal(policy, expected, what);
      assert.equal(headers.get('x-content-type-options'), 'nosniff', what);
      assert.equal(headers.get('referrer-policy'), 'no-referrer', what);
      assert.equal(headers.get('x-frame-options'), 'DENY', what);
    }
  });

  test('the policy allows no inline script, no eval, no plugins, no framing, no foreign scripts', () => {
    const policy = new Map(answers[0].response.headers).get('content-security-policy');
    const parsed = directives(policy);
    assert.deepEqual(parsed.get('script-src'), ["'self'", "'wasm-unsafe-eval'"]);
    assert.deepEqual(parsed.get('default-src'), ["'self'"]);
    assert.deepEqual(parsed.get('object-src'), ["'none'"]);
    assert.deepEqual(parsed.get('frame-ancestors'), ["'none'"]);
    assert.deepEqual(parsed.get('base-uri'), ["'none'"]);
    for (const bad of ["'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "'strict-dynamic'", '*', 'data:', 'blob:']) {
      for (const [name, values] of parsed) assert.ok(!values.includes(bad), `${name} allows ${bad}`);
    }
    assert.ok(!parsed.has('script-src-elem') && !parsed.has('script-src-attr'), policy);
  });

  test('every API answer is Cache-Control: no-store and JSON, errors included', () => {
    const api = answers.filter(({ what }) => /^(POST|GET (me|start|\/api|\/healthz))/.test(what));
    assert.ok(api.length >= 14);
    for (const { what, response } of api) {
      const headers = new Map(response.headers);
      assert.equal(headers.get('cache-control'), 'no-store', what);
      if (response.status !== 204) assert.equal(headers.get('content-type'), 'application/json', what);
    }
  });

  test('the served page and module are what they claim to be (no sniffing into script)', () => {
    const types = new Map(answers.map(({ what, response }) => [what, new Map(response.headers).get('content-type')]));
    assert.match(types.get('GET /'), /^text\/html/);
    assert.match(types.get('GET /perch.mjs'), /^text\/javascript|^application\/javascript/);
    assert.match(types.get(`GET ${servedPath('style.css')}`), /^text\/css/);
    assert.match(types.get('GET /favicon.svg'), /^image\/svg\+xml/);
  });

  test('answers made by the HTTP layer itself (400, 411, 413, 414, 431 oversized headers) carry the same headers: JSON, CSP, nosniff, no-referrer, DENY, no-store', async () => {
    const { proxy } = env;
    const expected = csp(new URL(env.recorder.url).origin);
    const cases = [
      `GET /api/${'a'.repeat(9000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(9000)}\r\nConnection: close\r\n\r\n`,
      `POST /api/twitter/start HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\nConnection: close\r\n\r\n`,
      `POST /api/twitter/start HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      `GET / HTTP/1.1 trailing-junk\r\nHost: x\r\nConnection: close\r\n\r\n`,
    ];
    const statuses = [];
    for (const bytes of cases) {
      const answer = await rawRequest(proxy.url, bytes, { timeoutMs: 9000 });
      const where = answer.raw.slice(0, 300);
      statuses.push(answer.status);
      assert.ok(answer.status >= 400 && answer.status < 500, where);
      const headers = new Map(answer.headers);
      assert.equal(headers.get('content-type'), 'application/json', where);
      assert.equal(headers.get('content-security-policy'), expected, where);
      assert.equal(headers.get('x-content-type-options'), 'nosniff', where);
      assert.equal(headers.get('referrer-policy'), 'no-referrer', where);
      assert.equal(headers.get('x-frame-options'), 'DENY', where);
      assert.equal(headers.get('cache-control'), 'no-store', where);
      assert.equal(typeof answer.json?.error?.code, 'string', where);
    }
    assert.deepEqual(statuses, [414, 431, 413, 411, 400]);
  });
});

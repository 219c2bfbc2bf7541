// Per-client rate limits on the two routes that call Twitter: a client that
// spends its burst gets 429 rate_limited with a Retry-After, before any
// session or provider call; other clients (other addresses) are unaffected;
// a client-written X-Forwarded-For does not buy a fresh allowance.
// Fails until perch-proxy has the limits (proxy/src/app/rate_limiter.h wired into
// start and exchange, with --start-per-minute/--start-burst/...).
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';

import { SiteBrowser, assertError, consent, providerCalls, proxyHasRateLimits, startSecureStack } from './lib.mjs';

// POST from a chosen loopback address (all of 127/8 reaches the proxy).
function postFrom(address, url, pathname, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const request = http.request(url + pathname, {
      method: 'POST', localAddress: address, agent: false, timeout: 5000,
      headers: { origin: url, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
    }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => { text += chunk; });
      response.on('end', () => {
        let json = null;
        try { json = JSON.parse(text); } catch { /* checked by the caller */ }
        resolve({ status: response.statusCode, headers: response.headers, body: text, json });
      });
    });
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', reject);
    request.end(body);
  });
}

test('perch-proxy limits each client on start and exchange (rate_limiter.h wired in)', () => {
  assert.ok(proxyHasRateLimits(),
    'perch-proxy --help has no --start-per-minute/--exchange-per-minute: per-client rate limiting is not wired in yet');
});

test('a client over its start burst gets 429 with Retry-After; nothing reaches Twitter; others go on', { timeout: 60000 }, async () => {
  if (!proxyHasRateLimits()) assert.fail('rate limiting is not wired into perch-proxy yet (see the first test)');
  const { stack, proxy, recorder } = await startSecureStack({
    flags: { '--start-per-minute': '6', '--start-burst': '3', '--exchange-per-minute': '6', '--exchange-burst': '3' },
  });
  try {
    const statuses = [];
    for (let i = 0; i < 3; ++i) statuses.push((await postFrom('127.0.0.3', proxy.url, '/api/twitter/start', '{}')).status);
    assert.deepEqual(statuses, [200, 200, 200]);
    const calls = providerCalls(recorder).request_token;
    const refused = await postFrom('127.0.0.3', proxy.url, '/api/twitter/start', '{}');
    assertError(refused, 429, 'rate_limited');
    assert.match(refused.headers['retry-after'] ?? '', /^[1-9]\d*$/);
    assert.ok(Number(refused.headers['retry-after']) <= 10, `Retry-After ${refused.headers['retry-after']} (6 a minute: 10 s)`);
    assert.equal(refused.headers['set-cookie'], undefined, 'a refused start made a session');
    assert.equal(refused.headers['cache-control'], 'no-store');
    assert.match(refused.json.error.message, /try again/i);
    // Writing X-Forwarded-For does not make it another client (not trusted by default).
    assertError(await postFrom('127.0.0.3', proxy.url, '/api/twitter/start', '{}', { 'x-forwarded-for': '203.0.113.7' }), 429, 'rate_limited');
    assert.equal(providerCalls(recorder).request_token, calls, 'a limited start reached Twitter');
    // Another address is another client.
    assert.equal((await postFrom('127.0.0.4', proxy.url, '/api/twitter/start', '{}')).status, 200);
  } finally {
    await stack.close();
  }
});

test('exchange has its own limit, refused before the provider, and the flow survives it', { timeout: 60000 }, async () => {
  if (!proxyHasRateLimits()) assert.fail('rate limiting is not wired into perch-proxy yet (see the first test)');
  const { stack, proxy, recorder } = await startSecureStack({
    flags: { '--start-per-minute': '0', '--exchange-per-minute': '60', '--exchange-burst': '2' },
  });
  try {
    const browser = new SiteBrowser(proxy.url);
    const started = await browser.start();
    const query = await consent(started.json.authorize_url);
    for (let i = 0; i < 2; ++i) assert.equal((await browser.exchange('?oauth_token=nope&oauth_verifier=x')).status, 400);
    const before = providerCalls(recorder);
    const refused = await browser.exchange(query);
    assertError(refused, 429, 'rate_limited');
    assert.deepEqual(providerCalls(recorder), before);
    // One token a second: wait for the Retry-After the proxy named, then the same callback completes.
    const wait = Number(new Map(refused.headers).get('retry-after'));
    assert.ok(wait >= 1 && wait <= 2, `Retry-After ${wait}`);
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    const exchanged = await browser.exchange(query);
    assert.equal(exchanged.status, 200, exchanged.body);
  } finally {
    await stack.close();
  }
});

// perch-proxy against perch-emulator on 127.0.0.1: the sign-in flow and its
// failure cases, exactly as the page would drive them.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import { Browser, Stack, consent, consumerSecret, noRateLimits, startEmulator, startProxy } from './harness.mjs';

const emulatorUser = { id_str: '1452019283001737216', name: 'Zoë Ångström-Ñúñez', screen_name: 'zoe_perch' };

function assertError(response, status, code) {
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status} ${response.body}`);
  assert.equal(response.json?.error?.code, code, response.body);
  assert.equal(typeof response.json.error.message, 'string');
  assert.ok(response.json.error.message.length > 0);
  assert.equal(new Map(response.headers).get('content-type'), 'application/json');
}

// Sends raw bytes and resolves with the response's status line and how long it took.
function rawRequest(url, bytes) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let data = '';
    const socket = net.connect(Number(port), hostname, () => socket.write(bytes));
    socket.setEncoding('utf8');
    socket.setTimeout(8000, () => socket.destroy(new Error(`no answer within 8 s: ${JSON.stringify(data)}`)));
    socket.on('data', (chunk) => {
      data += chunk;
      if (data.includes('\r\n\r\n')) {
        socket.end();
        resolve({ statusLine: data.slice(0, data.indexOf('\r\n')), ms: performance.now() - started, data });
      }
    });
    socket.on('error', reject);
  });
}

describe('perch-proxy with perch-emulator', { timeout: 60000 }, () => {
  const stack = new Stack();
  let emulator;
  let proxy;

  before(async () => {
    emulator = await startEmulator(stack);
    proxy = await startProxy(stack, emulator.url, noRateLimits);
  });

  after(async () => {
    const results = await stack.close();
    for (const result of results) {
      assert.ok(!result.error, String(result.error));
      assert.equal(result.code, 0, `${result.name} exit ${JSON.stringify(result)}`);
    }
    const proxyResult = results.find((r) => r.name === 'perch-proxy');
    assert.ok(!proxyResult.output.includes(consumerSecret), 'the consumer secret is in the proxy log');
  });

  test('GET /healthz answers ok', async () => {
    const response = await new Browser(proxy.url).get('/healthz');
    assert.equal(response.status, 200);
    assert.deepEqual(response.json, { status: 'ok' });
  });

  test('approve: start, authorize on the consent page, exchange -> 200 new with the emulator user', async () => {
    const browser = new Browser(proxy.url);
    const started = await browser.start();
    assert.equal(started.status, 200, started.body);
    assert.match(started.json.oauth_token, /^[A-Za-z0-9_-]+$/);
    assert.equal(started.json.authorize_url, `${emulator.url}/oauth/authenticate?oauth_token=${started.json.oauth_token}`);
    // The start keeps nothing on the server: the browser holds the sealed flow, and no session exists yet.
    assert.equal(started.setCookies.length, 1);
    assert.match(started.setCookies[0], /^perch_flow_[A-Za-z0-9_-]{11}=[A-Za-z0-9_-]{100,400}; Path=\/; Max-Age=660; HttpOnly; SameSite=Lax$/);
    assert.equal(browser.cookie, '');
    const [flowCookie] = browser.flowCookies;
    const flowValue = browser.jar.get(flowCookie);

    const query = await consent(started.json.authorize_url);
    assert.match(query, new RegExp(`^\\?oauth_token=${started.json.oauth_token}&oauth_verifier=[A-Za-z0-9_-]+$`));

    const exchanged = await browser.exchange(query);
    assert.equal(exchanged.status, 200, exchanged.body);
    assert.equal(exchanged.json.status, 'new');
    for (const [key, value] of Object.entries(emulatorUser)) assert.equal(exchanged.json.twitter_user[key], value);
    // The id survives as text: 1452019283001737216 is above 2^53.
    assert.equal(typeof exchanged.json.twitter_user.id_str, 'string');
    // The session begins with the identity, and the used flow's cookie is cleared.
    assert.equal(exchanged.setCookies.length, 2);
    assert.match(browser.cookie, /^[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(browser.flowCookies, []);
    assert.ok(exchanged.setCookies.includes(`${flowCookie}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`), exchanged.setCookies.join('\n'));
    // A copy of the flow cookie kept from before is refused: the flow was used.
    const copy = new Browser(proxy.url);
    copy.jar.set(flowCookie, flowValue);
    assertError(await copy.exchange(query), 409, 'replayed');
    assertError(await new Browser(proxy.url).exchange(query), 400, 'no_session');
    assert.equal(new Map(exchanged.headers).get('cache-control'), 'no-store');
  });

  test('two tabs in one browser starting at the same moment both complete, each with its own token', async () => {
    const browser = new Browser(proxy.url);
    const [tabA, tabB] = await Promise.all([browser.start(), browser.start()]);
    assert.notEqual(tabA.json.oauth_token, tabB.json.oauth_token);
    assert.equal(browser.flowCookies.length, 2, 'one cookie per flow: neither start overwrote the other');
    const queryA = await consent(tabA.json.authorize_url);
    const queryB = await consent(tabB.json.authorize_url);
    assert.equal((await browser.exchange(queryB)).status, 200);
    assert.equal((await browser.exchange(queryA)).status, 200);
  });

  test('cancel on the consent page -> 400 denied', async () => {
    const browser = new Browser(proxy.url);
    const started = await browser.start();
    const query = await consent(started.json.authorize_url, { cancel: true });
    assert.equal(query, `?denied=${started.json.oauth_token}`);
    assertError(await browser.exchange(query), 400, 'denied');
  });

  test('a tampered oauth_token -> 400 token_mismatch, and the real flow still completes', async () => {
    const browser = new Browser(proxy.url);
    const started = await browser.start();
    const query = await consent(started.json.authorize_url);
    const token = started.json.oauth_token;
    const tampered = query.replace(token, token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'));
    assertError(await browser.exchange(tampered), 400, 'token_mismatch');
    // Someone else's session cannot complete it either.
    const other = new Browser(proxy.url);
    await other.start();
    assertError(await other.exchange(query), 400, 'token_mismatch');
    assert.equal((await browser.exchange(query)).status, 200);
  });

  test('a replayed callback -> 409 replayed', async () => {
    const browser = new Browser(proxy.url);
    const started = await browser.start();
    const query = await consent(started.json.authorize_url);
    assert.equal((await browser.exchange(query)).status, 200);
    assertError(await browser.exchange(query), 409, 'replayed');
  });

  test('a double-clicked callback is exchanged once', async () => {
    const browser = new Browser(proxy.url);
    const started = await browser.start();
    const query = await consent(started.json.authorize_url);
    const answers = await Promise.all([browser.exchange(query), browser.exchange(query), browser.exchange(query)]);
    const statuses = answers.map((a) => a.status).sort();
    assert.equal(statuses.filter((s) => s === 200).length, 1, JSON.stringify(answers.map((a) => a.body)));
    for (const answer of answers) {
      if (answer.status !== 200) assert.ok(['replayed', 'no_session'].includes(answer.json.error.code), answer.body);
    }
  });

  test('callback problems the page would also catch are 400 with the outcome as code', async () => {
    const browser = new Browser(proxy.url);
    const started = await browser.start();
    const token = started.json.oauth_token;
    assertError(await browser.exchange(`?oauth_token=${token}`), 400, 'missing_params');
    assertError(await browser.exchange(`?oauth_token=${token}&oauth_verifier=%zz`), 400, 'malformed');
    assertError(await browser.exchange(`?oauth_token=${token}&oauth_token=${token}&oauth_verifier=x`), 400, 'malformed');
    assertError(await new Browser(proxy.url).exchange(`?oauth_token=${token}&oauth_verifier=x`), 400, 'no_session');
  });

  test('a wrong verifier is refused by the provider -> 502 provider_error, and the proxy stays up', async () => {
    const browser = new Browser(proxy.url);
    const started = await browser.start();
    await consent(started.json.authorize_url);
    assertError(await browser.exchange(`?oauth_token=${started.json.oauth_token}&oauth_verifier=not-the-verifier`), 502, 'provider_error');
    assert.equal((await browser.get('/healthz')).status, 200);
  });

  test('bad requests: oversize 413, wrong type 415, malformed JSON 400, unknown field 400, foreign Origin 403', async () => {
    const browser = new Browser(proxy.url);
    await browser.start();
    const big = JSON.stringify({ callback_query: 'x'.repeat(20 * 1024) });
    assertError(await browser.request('/api/twitter/exchange', { body: big }), 413, 'too_large');
    assertError(await browser.request('/api/twitter/exchange', { body: '{"callback_query":"?a=1"}', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
    assertError(await browser.request('/api/twitter/exchange', { body: '{"callback_query":' }), 400, 'invalid_json');
    assertError(await browser.request('/api/twitter/exchange', { body: '{"callback_query":"?a","x":1}' }), 400, 'invalid_field');
    assertError(await browser.request('/api/twitter/start', { body: '{}', headers: { origin: 'https://evil.example' } }), 403, 'forbidden_origin');
    assertError(await browser.request('/api/twitter/exchange', { body: '{"callback_query":""}', headers: { origin: null } }), 403, 'forbidden_origin');
    assertError(await browser.request('/api/twitter/start', { method: 'GET', headers: { 'content-type': null } }), 405, 'method_not_allowed');
    assertError(await browser.get('/api/unknown'), 404, 'not_found');
    assert.equal((await browser.get('/healthz')).status, 200);
  });

  test('a POST with neither Content-Length nor Transfer-Encoding -> 411 at once, not after a read timeout', async () => {
    const answer = await rawRequest(proxy.url, `POST /api/logout HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${proxy.url}\r\n`
      + 'Content-Type: application/json\r\n\r\n');
    assert.equal(answer.statusLine, 'HTTP/1.1 411 Length Required', answer.data);
    // httplib alone would wait for the body until its 5 s read timeout.
    assert.ok(answer.ms < 3000, `took ${answer.ms} ms`);
  });

  test('every response carries the security headers; API responses are never cached', async () => {
    const browser = new Browser(proxy.url);
    for (const response of [await browser.get('/healthz'), await browser.start(), await browser.get('/api/nope'), await browser.get('/no-such-file.js')]) {
      const headers = new Map(response.headers);
      assert.match(headers.get('content-security-policy'), /^default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' https:\/\/pbs\.twimg\.com http:\/\/127\.0\.0\.1:\d+; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'$/);
      assert.equal(headers.get('x-content-type-options'), 'nosniff');
      assert.equal(headers.get('referrer-policy'), 'no-referrer');
      assert.equal(headers.get('x-frame-options'), 'DENY');
    }
    assert.equal(new Map((await browser.get('/healthz')).headers).get('cache-control'), 'no-store');
  });
});

describe('perch-proxy flow expiry', { timeout: 30000 }, () => {
  const stack = new Stack();
  after(async () => { await stack.close(); });

  test('a callback after the flow lifetime -> 410 expired', async () => {
    const ttlSeconds = 1;
    const emulator = await startEmulator(stack);
    const proxy = await startProxy(stack, emulator.url, { ...noRateLimits, '--flow-ttl-seconds': String(ttlSeconds) });
    const browser = new Browser(proxy.url);
    const started = await browser.start();
    // The flow's expiry was sealed before this answer arrived, so once its
    // lifetime has passed since then it is certainly expired (1 s: the
    // smallest TTL the proxy accepts).
    const startedAt = performance.now();
    const query = await consent(started.json.authorize_url);
    const remaining = ttlSeconds * 1000 + 50 - (performance.now() - startedAt);
    if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, remaining));
    assertError(await browser.exchange(query), 410, 'expired');
  });
});

describe('perch-proxy process', { timeout: 30000 }, () => {
  test('SIGTERM stops it cleanly (exit 0) within seconds', async () => {
    const stack = new Stack();
    const emulator = await startEmulator(stack);
    const proxy = await startProxy(stack, emulator.url, noRateLimits);
    await new Browser(proxy.url).start();
    const result = await proxy.stop();
    console.log(`perch-proxy stopped ${Math.round(result.ms)} ms after SIGTERM`);
    assert.equal(result.code, 0, proxy.output());
    // The start above left a kept-alive connection idle; the proxy closes it
    // rather than waiting out its 5 s keep-alive (a signal tick is 200 ms).
    assert.ok(result.ms < 2000, `took ${result.ms} ms`);
    await stack.close();
  });

  test('PERCH_KEEP_ALIVE_REQUESTS: a connection carries that many requests (5 by default), the last says Connection: close', async () => {
    // Every request in one write; the answers until the server closes the connection.
    const answersOnOneConnection = (url, count) => new Promise((resolve, reject) => {
      const { hostname, port } = new URL(url);
      let data = '';
      const socket = net.connect(Number(port), hostname,
        () => socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'.repeat(count)));
      socket.setEncoding('utf8');
      socket.setTimeout(8000, () => socket.destroy(new Error(`not closed within 8 s: ${JSON.stringify(data)}`)));
      socket.on('data', (chunk) => { data += chunk; });
      socket.on('end', () => resolve(data.split(/(?=HTTP\/1\.1 )/)));
      socket.on('error', reject);
    });
    const stack = new Stack();
    const emulator = await startEmulator(stack);
    for (const [env, carried] of [[{}, 5], [{ PERCH_KEEP_ALIVE_REQUESTS: '3' }, 3]]) {
      const proxy = await startProxy(stack, emulator.url, noRateLimits, env);
      const answers = await answersOnOneConnection(proxy.url, 8);
      assert.equal(answers.length, carried, answers.join(''));
      answers.forEach((answer, i) => {
        assert.match(answer, /^HTTP\/1\.1 20[04] /);
        assert.equal(/\r\nConnection: close\r\n/i.test(answer), i === carried - 1, answer);
      });
    }
    await stack.close();
  });

  test('without a token key it refuses to start: one line naming the settings, exit 2', async () => {
    const { Child, binDir, consumerKey } = await import('./harness.mjs');
    const child = new Child('perch-proxy', `${binDir}/perch-proxy`,
      ['--listen', '127.0.0.1:0', '--consumer-key', consumerKey, '--callback-url', 'http://127.0.0.1:9/signup/callback'],
      { PERCH_CONSUMER_SECRET: consumerSecret });
    const exit = await child.exited;
    assert.equal(exit.code, 2);
    assert.equal(child.stdout, '');
    assert.equal(child.stderr, 'perch-proxy: PERCH_TOKEN_KEY or PERCH_TOKEN_KEY_FILE (--token-key[-file]) is required: '
      + '64 hex digits, e.g. from openssl rand -hex 32\n');
  });

  test('an unusable database stops start-up with one line and exit 1', async () => {
    const { Child, binDir, consumerKey } = await import('./harness.mjs');
    const { randomBytes } = await import('node:crypto');
    const child = new Child('perch-proxy', `${binDir}/perch-proxy`,
      ['--listen', '127.0.0.1:0', '--consumer-key', consumerKey, '--callback-url', 'http://127.0.0.1:9/signup/callback',
        '--database', '/nonexistent-perch-dir/perch.db'],
      { PERCH_CONSUMER_SECRET: consumerSecret, PERCH_TOKEN_KEY: randomBytes(32).toString('hex') });
    const exit = await child.exited;
    assert.equal(exit.code, 1);
    assert.equal(child.stdout, '');
    assert.equal(child.stderr.trim().split('\n').length, 1, child.stderr);
    assert.match(child.stderr, /^perch-proxy: cannot open account database \/nonexistent-perch-dir\/perch\.db/);
  });

  test('a configuration error is one line on stderr and exit 2', async () => {
    const { Child, binDir } = await import('./harness.mjs');
    const child = new Child('perch-proxy', `${binDir}/perch-proxy`, ['--listen', '127.0.0.1:0'], {});
    const exit = await child.exited;
    assert.equal(exit.code, 2);
    assert.equal(child.stdout, '');
    assert.equal(child.stderr.trim().split('\n').length, 1, child.stderr);
    assert.match(child.stderr, /^perch-proxy: .*PERCH_CONSUMER_KEY/);
  });
});

// No secret ever leaves perch-proxy: not the consumer secret, not a request-token
// secret, not an access-token secret, in any response or log line. A recording
// forwarder between proxy and emulator learns the secrets the emulator made.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Browser, Stack, consent, consumerSecret, noRateLimits, recordedSecrets, setFault, startEmulator, startProxy, startRecorder } from './harness.mjs';

test('no secret, token secret or session id appears in any response or in the proxy log', { timeout: 60000 }, async () => {
  const stack = new Stack();
  const emulator = await startEmulator(stack, ['--slow-ms', '3000']);
  const recorder = await startRecorder(stack, emulator.url);
  const proxy = await startProxy(stack, recorder.url, { ...noRateLimits, '--upstream-timeout-ms': '1000' });

  const browsers = [];
  const verifiers = [];
  const fresh = () => { const b = new Browser(proxy.url); browsers.push(b); return b; };

  // Two complete flows, a replay, a cancel, a tampered token, provider faults, bad requests;
  // the first registers, reads its account and signs out, the second signs in as it.
  for (let i = 0; i < 2; ++i) {
    const browser = fresh();
    const started = await browser.start();
    const query = await consent(started.json.authorize_url);
    verifiers.push(new URLSearchParams(query).get('oauth_verifier'));
    assert.equal((await browser.exchange(query)).json.status, i === 0 ? 'new' : 'signed_in');
    assert.equal((await browser.exchange(query)).status, 409);
    if (i === 0) {
      const created = await browser.register({
        username: 'zoe_perch', first_name: 'Zoë', last_name: 'Ångström', email: 'zoe@example.org', timezone: 'UTC',
      });
      assert.equal(created.status, 201, created.body);
      assert.equal((await browser.me()).status, 200);
      assert.equal((await browser.register({})).status, 400);
      assert.equal((await browser.logout()).status, 204);
      assert.equal((await browser.me()).status, 401);
    } else {
      assert.equal((await browser.me()).status, 200);
    }
  }
  {
    const browser = fresh();
    const started = await browser.start();
    assert.equal((await browser.exchange(await consent(started.json.authorize_url, { cancel: true }))).status, 400);
    const second = await browser.start();
    const query = await consent(second.json.authorize_url);
    verifiers.push(new URLSearchParams(query).get('oauth_verifier'));
    assert.equal((await browser.exchange(query.replace('oauth_token=', 'oauth_token=x'))).status, 400);
    assert.equal((await browser.exchange(query.replace(/oauth_verifier=[^&]*/, 'oauth_verifier=wrong'))).status, 502);
  }
  for (const mode of ['http401', 'garbage', 'slow']) {
    const browser = fresh();
    const started = await browser.start();
    const query = await consent(started.json.authorize_url);
    await setFault(emulator, mode, 'access_token', 3000);
    assert.ok([502, 504].includes((await browser.exchange(query)).status));
    await setFault(emulator, 'none');
  }
  {
    const browser = fresh();
    await browser.request('/api/twitter/exchange', { body: '{"callback_query":' });
    await browser.request('/api/twitter/start', { body: '{}', headers: { origin: 'https://evil.example' } });
    await browser.get('/');
    await browser.get('/healthz');
  }

  const results = await stack.close();
  const proxyLog = results.find((r) => r.name === 'perch-proxy').output;

  const tokenSecrets = recordedSecrets(recorder.recorded);
  const requestTokenSecrets = recordedSecrets(recorder.recorded.filter((r) => r.path.startsWith('/oauth/request_token')));
  const accessTokenSecrets = recordedSecrets(recorder.recorded.filter((r) => r.path.startsWith('/oauth/access_token')));
  // The test is only worth something if it saw the secrets it looks for.
  assert.ok(requestTokenSecrets.length >= 6, `request-token secrets seen: ${requestTokenSecrets.length}`);
  assert.ok(accessTokenSecrets.length >= 2, `access-token secrets seen: ${accessTokenSecrets.length}`);
  const accessTokens = recorder.recorded
    .filter((r) => r.path.startsWith('/oauth/access_token'))
    .flatMap((r) => new URLSearchParams(r.body).getAll('oauth_token'))
    .filter(Boolean);
  assert.ok(accessTokens.length >= 2);

  const setCookies = browsers.flatMap((b) => b.seen.flatMap((s) => s.setCookies));
  const sessionIds = setCookies.map((c) => c.match(/^perch_session=([^;]+)/)?.[1]).filter(Boolean);
  assert.ok(sessionIds.length >= 3);
  // The sealed flows the browsers held: their request-token secrets are
  // checked below like every response byte; the values stay out of the log.
  const sealedFlows = setCookies.map((c) => c.match(/^perch_flow_[^=]+=([^;]+)/)?.[1]).filter(Boolean);
  assert.ok(sealedFlows.length >= 6);

  const secrets = [
    ['consumer secret', consumerSecret],
    ['token key', proxy.tokenKey],
    ...tokenSecrets.map((s) => ['token secret', s]),
    ...accessTokens.map((s) => ['access token', s]),
  ];
  const responses = browsers.flatMap((b) => b.seen)
    .map((s) => `${s.status}\n${s.headers.map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${s.body}`);
  assert.ok(responses.length >= 26);
  for (const [what, secret] of secrets) {
    for (const response of responses) assert.ok(!response.includes(secret), `a ${what} is in a response:\n${response}`);
    assert.ok(!proxyLog.includes(secret), `a ${what} is in the proxy log`);
  }
  // The log also never shows session ids, verifiers or query strings.
  for (const id of sessionIds) assert.ok(!proxyLog.includes(id), 'a session id is in the proxy log');
  for (const sealed of sealedFlows) assert.ok(!proxyLog.includes(sealed), 'a sealed flow is in the proxy log');
  for (const verifier of verifiers) assert.ok(!proxyLog.includes(verifier), 'a verifier is in the proxy log');
  // (Twitter's own error text may name the parameter; a query string would have '=' after it.)
  assert.ok(!/oauth_(verifier|token)=/.test(proxyLog), `a query string is in the proxy log:\n${proxyLog}`);
  // One access line per request we made.
  const accessLines = proxyLog.split('\n').filter((line) => / (GET|POST|HEAD) \S+ \d{3} [\d.]+ms$/.test(line));
  assert.equal(accessLines.length, responses.length, proxyLog);
});

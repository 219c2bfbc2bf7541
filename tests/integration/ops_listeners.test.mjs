// The operator's listeners for real: perch-proxy with PERCH_METRICS_LISTEN and
// PERCH_ADMIN_LISTEN in front of perch-emulator. /metrics is read with
// python3-prometheus-client's own parser around a real sign-up; the admin
// listener hands out OAuth 2.0 tokens (renewed once for many callers, 409 when
// X refuses) and OAuth 1.0a tokens; neither route exists on the public listener.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import {
  Browser, Stack, clientId, clientSecret, consent, providerCallCounts, recordedSecrets, setFault, startEmulator,
  startOAuth2Emulator, startOAuth2Proxy, startProxy, startRecorder,
} from './harness.mjs';
import { listenerUrl, sample, scrape } from './metrics_scrape.mjs';

const adminToken = `perch-it-admin-${process.pid}-${Date.now().toString(36)}`;
const registration = (username) => ({ username, first_name: 'Zoë', last_name: 'Perch', email: 'zoe@example.com', timezone: 'UTC' });

const opsFlags = { '--metrics-listen': '127.0.0.1:0', '--admin-listen': '127.0.0.1:0' };
const adminEnv = { PERCH_ADMIN_TOKEN: adminToken };

function credentials(adminUrl, xId, token = adminToken) {
  const headers = token === null ? {} : { authorization: `Bearer ${token}` };
  return fetch(`${adminUrl}/v1/accounts/${xId}/credentials`, { headers }).then(async (r) => ({
    status: r.status, headers: r.headers, json: await r.json(),
  }));
}

// Makes the stored OAuth 2.0 access token of `xId` look expired (the expiry
// is a plain column; the tokens stay sealed).
function expireStoredToken(database, xId) {
  const result = spawnSync('/usr/bin/sqlite3', [database,
    `UPDATE accounts SET oauth2_expires_at = strftime('%s','now') - 1 WHERE twitter_id = '${xId}'`],
  { encoding: 'utf8', timeout: 10000 });
  assert.equal(result.status, 0, result.stderr);
}

// The emulator's token endpoint asked directly, as the app's client.
async function refreshAtEmulator(emulator, refreshToken) {
  const response = await fetch(`${emulator.url}/2/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
  });
  return { status: response.status, json: await response.json() };
}

// The token endpoint answers the recorder saw, oldest first.
const tokenAnswers = (recorder) => recorder.recorded
  .filter((r) => r.path.startsWith('/2/oauth2/token') && r.status === 200).map((r) => JSON.parse(r.body));

const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

async function stopAll(stack) {
  const results = await stack.close();
  for (const result of results) assert.ok(!result.error, String(result.error));
  return results;
}

describe('metrics and admin listeners (OAuth 2.0)', { timeout: 120000 }, () => {
  const stack = new Stack();
  let emulator;
  let recorder;
  let proxy;
  let metricsUrl;
  let adminUrl;
  let xId;

  before(async () => {
    emulator = await startOAuth2Emulator(stack);
    recorder = await startRecorder(stack, emulator.url);
    proxy = await startOAuth2Proxy(stack, emulator, {
      flags: { ...opsFlags, '--start-per-minute': '60', '--start-burst': '3' },
      env: { ...adminEnv, PERCH_X_API: recorder.url },
    });
    metricsUrl = listenerUrl(proxy, 'metrics');
    adminUrl = listenerUrl(proxy, 'admin');
  });

  after(async () => {
    const results = await stopAll(stack);
    const log = results.find((r) => r.name === 'perch-proxy').output;
    for (const answer of tokenAnswers(recorder)) {
      assert.ok(!log.includes(answer.access_token), 'an access token is in the proxy log');
      assert.ok(!log.includes(answer.refresh_token), 'a refresh token is in the proxy log');
    }
    assert.ok(!log.includes(adminToken), 'the admin token is in the proxy log');
    assert.match(log, new RegExp(`admin credentials: account ${xId}: OAuth 2\\.0 access token given \\(renewed\\)`));
    assert.match(log, /admin credentials: account 999: not found/);
  });

  test('/metrics: families and types, and a sign-up moves the counters by exactly its calls', async () => {
    const before = await scrape(metricsUrl);
    const types = {
      perch_sign_in_starts: 'counter', perch_sign_in_exchanges: 'counter', perch_registrations: 'counter',
      perch_provider_requests: 'counter', perch_provider_request_duration_seconds: 'histogram',
      perch_rate_limited_requests: 'counter', perch_webhook_deliveries: 'counter',
      perch_sessions: 'gauge', perch_pending_flows: 'gauge',
      process_cpu_seconds: 'counter', process_resident_memory_bytes: 'gauge', process_virtual_memory_bytes: 'gauge',
      process_open_fds: 'gauge', process_max_fds: 'gauge', process_start_time_seconds: 'gauge',
    };
    for (const [family, type] of Object.entries(types)) assert.equal(before[family]?.type, type, family);
    for (const family of Object.keys(before)) assert.match(family, /^(perch|process)_/);
    assert.ok(sample(before, 'process_resident_memory_bytes', 'process_resident_memory_bytes') > 1e6);
    const started = sample(before, 'process_start_time_seconds', 'process_start_time_seconds');
    assert.ok(Math.abs(started - Date.now() / 1000) < 600, `start time ${started}`);
    assert.equal(sample(before, 'perch_sessions', 'perch_sessions'), 0);

    const browser = new Browser(proxy.url);
    const start = await browser.start();
    assert.equal(start.status, 200, start.body);
    const mid = await scrape(metricsUrl);
    assert.equal(sample(mid, 'perch_pending_flows', 'perch_pending_flows'), 1);
    const exchanged = await browser.exchange(await consent(start.json.authorize_url));
    assert.equal(exchanged.status, 200, exchanged.body);
    const created = await browser.register(registration('metrics_zoe'));
    assert.equal(created.status, 201, created.body);
    xId = (await browser.me()).json.user.twitter_id;

    const after = await scrape(metricsUrl);
    const moved = (family, name, labels) => sample(after, family, name, labels) - sample(before, family, name, labels);
    assert.equal(moved('perch_sign_in_starts', 'perch_sign_in_starts_total', { outcome: 'ok' }), 1);
    assert.equal(moved('perch_sign_in_exchanges', 'perch_sign_in_exchanges_total', { outcome: 'ok' }), 1);
    assert.equal(moved('perch_registrations', 'perch_registrations_total'), 1);
    assert.equal(moved('perch_provider_requests', 'perch_provider_requests_total', { endpoint: 'oauth2_token', status: '200' }), 1);
    assert.equal(moved('perch_provider_requests', 'perch_provider_requests_total', { endpoint: 'users_me', status: '200' }), 1);
    assert.equal(moved('perch_provider_request_duration_seconds', 'perch_provider_request_duration_seconds_count', { endpoint: 'users_me' }), 1);
    assert.equal(moved('perch_provider_request_duration_seconds', 'perch_provider_request_duration_seconds_bucket', { endpoint: 'users_me', le: '+Inf' }), 1);
    assert.equal(sample(after, 'perch_sessions', 'perch_sessions'), 1);
    assert.equal(sample(after, 'perch_pending_flows', 'perch_pending_flows'), 0);
  });

  test('/metrics: a start refused by the rate limit counts once as rate-limited and once as its outcome', async () => {
    const before = await scrape(metricsUrl);
    const browser = new Browser(proxy.url);
    let limited = 0;
    let ok = 0;
    for (let i = 0; i < 20 && limited === 0; i++) {
      const answer = await browser.start();
      if (answer.status === 429) limited++;
      else { assert.equal(answer.status, 200, answer.body); ok++; }
    }
    assert.equal(limited, 1, 'the start limit (burst 3) refused one');
    const after = await scrape(metricsUrl);
    const moved = (family, name, labels) => sample(after, family, name, labels) - sample(before, family, name, labels);
    assert.equal(moved('perch_rate_limited_requests', 'perch_rate_limited_requests_total', { route: '/api/twitter/start' }), 1);
    assert.equal(moved('perch_sign_in_starts', 'perch_sign_in_starts_total', { outcome: 'rate_limited' }), 1);
    assert.equal(moved('perch_sign_in_starts', 'perch_sign_in_starts_total', { outcome: 'ok' }), ok);
    assert.equal(sample(after, 'perch_pending_flows', 'perch_pending_flows'), ok);
  });

  test('neither /metrics nor the admin route exists on the public listener; the side listeners serve only theirs', async () => {
    for (const pathname of ['/metrics', `/v1/accounts/${xId}/credentials`]) {
      const answer = await fetch(`${proxy.url}${pathname}`, { headers: { authorization: `Bearer ${adminToken}` } });
      assert.equal(answer.status, 404, pathname);
    }
    assert.equal((await fetch(`${metricsUrl}/`)).status, 404);
    assert.equal((await fetch(`${metricsUrl}/v1/accounts/${xId}/credentials`)).status, 404);
    assert.equal((await fetch(`${adminUrl}/metrics`, { headers: { authorization: `Bearer ${adminToken}` } })).status, 404);
  });

  test('admin: 401 without or with a wrong bearer, 404 for an unknown account', async () => {
    for (const token of [null, 'wrong', `${adminToken}x`]) {
      const answer = await credentials(adminUrl, xId, token);
      assert.equal(answer.status, 401);
      assert.equal(answer.json.error.code, 'not_authenticated');
    }
    const unknown = await credentials(adminUrl, '999');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error.code, 'not_found');
  });

  test('admin: the stored access token while it is fresh, with its RFC 3339 expiry', async () => {
    const [signUp] = tokenAnswers(recorder);
    const answer = await credentials(adminUrl, xId);
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    assert.equal(answer.headers.get('cache-control'), 'no-store');
    assert.deepEqual(Object.keys(answer.json).sort(), ['access_token', 'expires_at', 'protocol']);
    assert.equal(answer.json.protocol, 'oauth2');
    assert.equal(answer.json.access_token, signUp.access_token);
    assert.match(answer.json.expires_at, rfc3339);
    const left = Date.parse(answer.json.expires_at) / 1000 - Date.now() / 1000;
    assert.ok(left > signUp.expires_in - 120 && left <= signUp.expires_in, `expires in ${left} s`);
  });

  test('admin: 8 concurrent requests for an expired token share exactly one refresh at X', async () => {
    const [signUp] = tokenAnswers(recorder);
    expireStoredToken(proxy.database, xId);
    await setFault(emulator, 'slow', 'token', 500);  // the refresh is in flight while the others arrive
    const calls = (await providerCallCounts(emulator)).token;
    const answers = await Promise.all(Array.from({ length: 8 }, () => credentials(adminUrl, xId)));
    await setFault(emulator, 'none');
    assert.equal((await providerCallCounts(emulator)).token - calls, 1, 'exactly one refresh reached X');
    const renewed = tokenAnswers(recorder).at(-1);
    assert.notEqual(renewed.access_token, signUp.access_token);
    for (const answer of answers) {
      assert.equal(answer.status, 200, JSON.stringify(answer.json));
      assert.equal(answer.json.access_token, renewed.access_token);
    }
    // X rotated the refresh token: the old one is refused; the proxy stored the new pair.
    const reused = await refreshAtEmulator(emulator, signUp.refresh_token);
    assert.equal(reused.status, 400);
    assert.equal(reused.json.error, 'invalid_grant');
    assert.equal((await credentials(adminUrl, xId)).json.access_token, renewed.access_token);
  });

  test('admin: X refusing the stored refresh token is 409 reauthorization_required', async () => {
    const renewed = tokenAnswers(recorder).at(-1);
    // Someone else spends the refresh token the proxy holds.
    assert.equal((await refreshAtEmulator(emulator, renewed.refresh_token)).status, 200);
    expireStoredToken(proxy.database, xId);
    const answer = await credentials(adminUrl, xId);
    assert.equal(answer.status, 409, JSON.stringify(answer.json));
    assert.equal(answer.json.error.code, 'reauthorization_required');
  });
});

describe('admin listener with short-lived OAuth 2.0 tokens from the emulator', { timeout: 60000 }, () => {
  const stack = new Stack();
  after(async () => { await stopAll(stack); });

  test('a token with under 60 s left is renewed before it is given', async () => {
    const emulator = await startOAuth2Emulator(stack, { extraArgs: ['--access-token-ttl', '30'] });
    const recorder = await startRecorder(stack, emulator.url);
    const proxy = await startOAuth2Proxy(stack, emulator, { flags: { '--admin-listen': '127.0.0.1:0' }, env: { ...adminEnv, PERCH_X_API: recorder.url } });
    const adminUrl = listenerUrl(proxy, 'admin');
    const browser = new Browser(proxy.url);
    assert.equal((await browser.signInWithTwitter()).status, 200);
    assert.equal((await browser.register(registration('short_zoe'))).status, 201);
    const xId = (await browser.me()).json.user.twitter_id;
    const [signUp] = tokenAnswers(recorder);
    assert.equal(signUp.expires_in, 30, 'the emulator issues 30 s tokens');

    const calls = (await providerCallCounts(emulator)).token;
    const answer = await credentials(adminUrl, xId);
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    assert.equal((await providerCallCounts(emulator)).token - calls, 1);
    assert.notEqual(answer.json.access_token, signUp.access_token);
    assert.equal(answer.json.access_token, tokenAnswers(recorder).at(-1).access_token);
    const left = Date.parse(answer.json.expires_at) / 1000 - Date.now() / 1000;
    assert.ok(left > -5 && left <= 30, `expires in ${left} s`);
  });
});

describe('admin listener (OAuth 1.0a)', { timeout: 60000 }, () => {
  const stack = new Stack();
  after(async () => { await stopAll(stack); });

  test('an OAuth 1.0a account\'s token and token secret, as X issued them', async () => {
    const emulator = await startEmulator(stack);
    const recorder = await startRecorder(stack, emulator.url);
    const proxy = await startProxy(stack, recorder.url, { '--admin-listen': '127.0.0.1:0' }, adminEnv);
    const adminUrl = listenerUrl(proxy, 'admin');
    assert.ok(!/metrics listening/.test(proxy.stdout), 'no metrics listener unless asked for');
    const browser = new Browser(proxy.url);
    assert.equal((await browser.signInWithTwitter()).status, 200);
    assert.equal((await browser.register(registration('oauth1_zoe'))).status, 201);
    const xId = (await browser.me()).json.user.twitter_id;
    const access = recorder.recorded.filter((r) => r.path.startsWith('/oauth/access_token') && r.status === 200).at(-1);
    const issued = new URLSearchParams(access.body);

    const answer = await credentials(adminUrl, xId);
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    assert.deepEqual(answer.json, {
      protocol: 'oauth1', token: issued.get('oauth_token'), token_secret: issued.get('oauth_token_secret'),
    });
    assert.ok(recordedSecrets(recorder.recorded).includes(answer.json.token_secret));
    assert.equal((await credentials(adminUrl, xId, 'nope')).status, 401);
    assert.equal((await fetch(`${proxy.url}/v1/accounts/${xId}/credentials`, { headers: { authorization: `Bearer ${adminToken}` } })).status, 404);
  });
});

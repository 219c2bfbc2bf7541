// perch-proxy speaking OAuth 2.0 with PKCE to perch-emulator on 127.0.0.1: the
// sign-in flow, its outcomes, the stored grant and its refresh, exactly as the
// page drives them.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  Browser, Stack, callbackUrl, clientId, clientSecret, consent, providerCallCounts, queryDatabase, setFault,
  startOAuth2Emulator, startOAuth2Proxy, startRecorder,
} from './harness.mjs';

function assertError(response, status, code) {
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status} ${response.body}`);
  assert.equal(response.json?.error?.code, code, response.body);
  assert.ok(response.json.error.message.length > 0);
}

const registration = (username) => ({ username, first_name: 'Zoë', last_name: 'Perch', email: 'zoe@example.com', timezone: 'UTC' });

async function stopAll(stack) {
  const results = await stack.close();
  for (const result of results) {
    assert.ok(!result.error, String(result.error));
    assert.equal(result.code, 0, `${result.name} exit ${JSON.stringify(result)}`);
  }
  return results;
}

describe('perch-proxy OAuth 2.0 (confidential client) with perch-emulator', { timeout: 60000 }, () => {
  const stack = new Stack();
  let emulator;
  let proxy;

  before(async () => {
    emulator = await startOAuth2Emulator(stack, { extraArgs: ['--access-token-ttl', '7200'] });
    proxy = await startOAuth2Proxy(stack, emulator);
  });

  after(async () => {
    const results = await stopAll(stack);
    const log = results.find((r) => r.name === 'perch-proxy').output;
    assert.ok(!log.includes(clientSecret), 'the client secret is in the proxy log');
    assert.match(log, /provider_refused at authorize: X answered error=invalid_scope error_description=secret words/);
    assert.match(log, /OAuth 2\.0 with PKCE, confidential client/);
  });

  test('start answers authorize_url and state; the verifier stays sealed in the flow cookie', async () => {
    const browser = new Browser(proxy.url);
    const started = await browser.start();
    assert.equal(started.status, 200, started.body);
    assert.deepEqual(Object.keys(started.json).sort(), ['authorize_url', 'state']);
    const { state } = started.json;
    assert.match(state, /^[A-Za-z0-9_-]{43}$/);  // 256 bits, base64url
    const url = new URL(started.json.authorize_url);
    assert.equal(`${url.origin}${url.pathname}`, `${emulator.url}/i/oauth2/authorize`);
    assert.deepEqual([...url.searchParams.keys()],
      ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method']);
    assert.equal(url.searchParams.get('response_type'), 'code');
    assert.equal(url.searchParams.get('client_id'), clientId);
    assert.equal(url.searchParams.get('redirect_uri'), callbackUrl);
    assert.equal(url.searchParams.get('scope'), 'tweet.read users.read offline.access');
    assert.equal(url.searchParams.get('state'), state);
    assert.match(url.searchParams.get('code_challenge'), /^[A-Za-z0-9_-]{43}$/);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(browser.flowCookies.length, 1);
    // A second start: its own state and challenge.
    const again = await browser.start();
    assert.notEqual(again.json.state, state);
    assert.notEqual(new URL(again.json.authorize_url).searchParams.get('code_challenge'), url.searchParams.get('code_challenge'));
    assert.equal(browser.flowCookies.length, 2);
  });

  test('sign-up: the code is exchanged once and answers X\'s v2 user; the grant is stored sealed', async () => {
    const before = await providerCallCounts(emulator);
    const browser = new Browser(proxy.url);
    const started = await browser.start();
    const callback = await consent(started.json.authorize_url);
    assert.match(callback, /[?&]code=/);
    const exchanged = await browser.exchange(callback);
    assert.equal(exchanged.status, 200, exchanged.body);
    assert.equal(exchanged.json.status, 'new');
    const user = exchanged.json.twitter_user;
    assert.match(user.id, /^\d+$/);
    assert.equal(typeof user.username, 'string');
    assert.equal(typeof user.name, 'string');
    assert.equal(user.confirmed_email, undefined, 'no users.email scope: no email asked for');
    assert.equal(browser.flowCookies.length, 0, 'the exchanged flow is forgotten');
    const after = await providerCallCounts(emulator);
    assert.equal(after.token - before.token, 1);
    assert.equal(after.users_me - before.users_me, 1);

    const registered = await browser.register(registration('oauth2_new'));
    assert.equal(registered.status, 201, registered.body);
    const [row] = queryDatabase(proxy.database,
      "SELECT length(access_token) AS o1, length(oauth2_access_token) AS at, length(oauth2_refresh_token) AS rt, " +
      `oauth2_expires_at AS exp, unixepoch() AS now FROM accounts WHERE twitter_id = '${user.id}'`);
    assert.equal(row.o1, 0, 'an OAuth 2.0 sign-up has no OAuth 1.0a tokens');
    assert.ok(row.at > 28, 'the access token is stored sealed (nonce + tag + text)');
    assert.ok(row.rt > 28, 'offline.access: the refresh token is stored sealed');
    assert.ok(row.exp > row.now + 7000 && row.exp <= row.now + 7200, `expiry ${row.exp} vs now ${row.now}`);
    // Sealed: the database holds no token text X issued (the recorded body is not
    // available here, so look for the emulator's token shape instead).
    const [text] = queryDatabase(proxy.database, 'SELECT hex(oauth2_access_token) AS hex FROM accounts');
    assert.ok(!Buffer.from(text.hex, 'hex').toString('latin1').includes('perch'), 'no clear text');

    // Returning: a new sign-in replaces the grant and signs in.
    const returning = new Browser(proxy.url);
    const again = await returning.signInWithTwitter();
    assert.equal(again.status, 200, again.body);
    assert.equal(again.json.status, 'signed_in');
    assert.equal(again.json.user.username, 'oauth2_new');
    const [replaced] = queryDatabase(proxy.database, 'SELECT hex(oauth2_access_token) AS hex FROM accounts');
    assert.notEqual(replaced.hex, text.hex, 'a returning sign-in replaces the stored grant');
  });

  test('a replayed callback is 409 replayed and never reaches X again', async () => {
    const browser = new Browser(proxy.url);
    const started = await browser.start();
    const callback = await consent(started.json.authorize_url);
    const copied = new Map(browser.jar);
    assert.equal((await browser.exchange(callback)).status, 200);
    const before = await providerCallCounts(emulator);
    assertError(await browser.exchange(callback), 409, 'replayed');
    const thief = new Browser(proxy.url);
    thief.jar = copied;
    assertError(await thief.exchange(callback), 409, 'replayed');
    const after = await providerCallCounts(emulator);
    assert.equal(after.token, before.token);
  });

  test('Cancel is 400 denied and forgets the flow; X is not asked', async () => {
    const browser = new Browser(proxy.url);
    const started = await browser.start();
    const callback = await consent(started.json.authorize_url, { cancel: true });
    assert.match(callback, /error=access_denied/);
    const before = await providerCallCounts(emulator);
    assertError(await browser.exchange(callback), 400, 'denied');
    assert.equal(browser.flowCookies.length, 0);
    assert.equal((await providerCallCounts(emulator)).token, before.token);
  });

  test('callback outcomes: token_mismatch, missing_params, malformed, no_session, provider_refused', async () => {
    const browser = new Browser(proxy.url);
    const started = await browser.start();
    const { state } = started.json;
    assertError(await browser.exchange(`?state=${state}x&code=abc`), 400, 'token_mismatch');
    assertError(await browser.exchange(`?state=${state}`), 400, 'missing_params');
    assertError(await browser.exchange('?code=abc'), 400, 'missing_params');
    assertError(await browser.exchange(`?state=${state}&state=${state}&code=abc`), 400, 'malformed');
    assertError(await browser.exchange(`?state=${'a'.repeat(501)}&code=abc`), 400, 'malformed');
    assertError(await new Browser(proxy.url).exchange(`?state=${state}&code=abc`), 400, 'no_session');
    // The flow survived all of that: the genuine callback still works.
    const exchanged = await browser.exchange(await consent(started.json.authorize_url));
    assert.equal(exchanged.status, 200, exchanged.body);

    // Any error X sends but access_denied ends the flow as provider_refused;
    // X's words go to the operator's log only.
    const refused = await browser.start();
    assertError(await browser.exchange(`?state=${refused.json.state}&error=invalid_scope&error_description=secret%20words`),
      400, 'provider_refused');
    assert.ok(!browser.seen.at(-1).body.includes('secret words'), "X's description stays in the log");
    assert.ok(!browser.seen.at(-1).body.includes('invalid_scope'));
    assert.equal(browser.flowCookies.length, 0);
  });

  test('a code X refuses is 400 grant_refused', async () => {
    const browser = new Browser(proxy.url);
    const started = await browser.start();
    const callback = new URLSearchParams((await consent(started.json.authorize_url)).slice(1));
    callback.set('code', `${callback.get('code')}x`);
    assertError(await browser.exchange(`?${callback}`), 400, 'grant_refused');
  });

  test('X\'s 429 is 503 with Retry-After from x-rate-limit-reset; 5xx is 502 provider_error', async () => {
    const browser = new Browser(proxy.url);
    try {
      await setFault(emulator, 'http429', 'token');
      let started = await browser.start();
      let callback = await consent(started.json.authorize_url);
      const limited = await browser.exchange(callback);
      assertError(limited, 503, 'provider_rate_limited');
      const retry = Number(new Map(limited.headers).get('retry-after'));
      assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= 24 * 3600, `Retry-After ${retry}`);

      await setFault(emulator, 'http500', 'users_me');
      started = await browser.start();
      callback = await consent(started.json.authorize_url);
      assertError(await browser.exchange(callback), 502, 'provider_error');

      await setFault(emulator, 'garbage', 'token');
      started = await browser.start();
      callback = await consent(started.json.authorize_url);
      assertError(await browser.exchange(callback), 502, 'provider_error');
    } finally {
      await setFault(emulator, 'none');
    }
  });
});

describe('perch-proxy OAuth 2.0: scopes, public client, wrong secret', { timeout: 60000 }, () => {
  test('with users.email granted the form gets confirmed_email; withheld, no email at all', async () => {
    const stack = new Stack();
    try {
      const emulator = await startOAuth2Emulator(stack);
      const proxy = await startOAuth2Proxy(stack, emulator,
        { env: { PERCH_SCOPES: 'tweet.read users.read users.email offline.access' } });
      const withEmail = await new Browser(proxy.url).signInWithTwitter();
      assert.equal(withEmail.status, 200, withEmail.body);
      assert.match(withEmail.json.twitter_user.confirmed_email, /@/);

      const withheld = await startOAuth2Emulator(stack, { extraArgs: ['--withhold-scope', 'users.email'] });
      const proxy2 = await startOAuth2Proxy(stack, withheld,
        { env: { PERCH_SCOPES: 'tweet.read users.read users.email offline.access' } });
      const without = await new Browser(proxy2.url).signInWithTwitter();
      assert.equal(without.status, 200, without.body);
      assert.equal(without.json.twitter_user.confirmed_email, undefined);
    } finally {
      await stopAll(stack);
    }
  });

  test('a grant without users.read is 502 provider_error, with the reason in the log', async () => {
    const stack = new Stack();
    let results;
    try {
      const emulator = await startOAuth2Emulator(stack, { extraArgs: ['--withhold-scope', 'users.read'] });
      const proxy = await startOAuth2Proxy(stack, emulator);
      const before = await providerCallCounts(emulator);
      assertError(await new Browser(proxy.url).signInWithTwitter(), 502, 'provider_error');
      assert.equal((await providerCallCounts(emulator)).users_me, before.users_me, '/2/users/me is not asked');
    } finally {
      results = await stopAll(stack);
    }
    assert.match(results.find((r) => r.name === 'perch-proxy').output, /needs tweet\.read and users\.read/);
  });

  test('a public client (no secret) signs up with client_id in the body', async () => {
    const stack = new Stack();
    let results;
    try {
      const emulator = await startOAuth2Emulator(stack, { publicClient: true });
      const proxy = await startOAuth2Proxy(stack, emulator, { publicClient: true });
      const exchanged = await new Browser(proxy.url).signInWithTwitter();
      assert.equal(exchanged.status, 200, exchanged.body);
      assert.equal(exchanged.json.status, 'new');
    } finally {
      results = await stopAll(stack);
    }
    assert.match(results.find((r) => r.name === 'perch-proxy').output, /public client/);
  });

  test('a wrong client secret is 502 provider_error; the log says what to check, never the secret', async () => {
    const stack = new Stack();
    let results;
    const wrong = `wrong-${clientSecret}`;
    try {
      const emulator = await startOAuth2Emulator(stack, { extraArgs: ['--token-errors', 'x'] });
      const proxy = await startOAuth2Proxy(stack, emulator, { env: { PERCH_CLIENT_SECRET: wrong } });
      assertError(await new Browser(proxy.url).signInWithTwitter(), 502, 'provider_error');
    } finally {
      results = await stopAll(stack);
    }
    const log = results.find((r) => r.name === 'perch-proxy').output;
    assert.match(log, /check PERCH_CLIENT_ID and PERCH_CLIENT_SECRET/);
    assert.ok(!log.includes(wrong));
  });

  test('X-style refusal of a bad code (400 invalid_request) is grant_refused too', async () => {
    const stack = new Stack();
    try {
      const emulator = await startOAuth2Emulator(stack, { extraArgs: ['--token-errors', 'x'] });
      const proxy = await startOAuth2Proxy(stack, emulator);
      const browser = new Browser(proxy.url);
      const started = await browser.start();
      const callback = new URLSearchParams((await consent(started.json.authorize_url)).slice(1));
      callback.set('code', `${callback.get('code')}x`);
      assertError(await browser.exchange(`?${callback}`), 400, 'grant_refused');
    } finally {
      await stopAll(stack);
    }
  });
});

describe('perch-proxy OAuth 2.0: expiry and what never leaves the proxy', { timeout: 60000 }, () => {
  test('a callback after the flow lifetime -> 410 expired, and X is not asked', async () => {
    const stack = new Stack();
    try {
      const ttlSeconds = 1;
      const emulator = await startOAuth2Emulator(stack);
      const proxy = await startOAuth2Proxy(stack, emulator, { flags: { '--flow-ttl-seconds': String(ttlSeconds) } });
      const browser = new Browser(proxy.url);
      const started = await browser.start();
      // The expiry was sealed before this answer arrived: once the lifetime has
      // passed since then (plus the wall clock's whole-second step) it has expired.
      const startedAt = performance.now();
      const query = await consent(started.json.authorize_url);
      const remaining = ttlSeconds * 1000 + 1050 - (performance.now() - startedAt);
      if (remaining > 0) await new Promise((resolve) => setTimeout(resolve, remaining));
      const before = await providerCallCounts(emulator);
      assertError(await browser.exchange(query), 410, 'expired');
      assert.equal((await providerCallCounts(emulator)).token, before.token);
      assert.equal(browser.flowCookies.length, 0);
    } finally {
      await stopAll(stack);
    }
  });

  test('neither the code nor the tokens X issues appear in a response or a log line', async () => {
    const stack = new Stack();
    let results;
    const seen = [];
    const recorded = [];
    try {
      const emulator = await startOAuth2Emulator(stack);
      const recorder = await startRecorder(stack, emulator.url);
      const proxy = await startOAuth2Proxy(stack, { url: recorder.url },
        { env: { PERCH_X_AUTHORIZE_URL: `${emulator.url}/i/oauth2/authorize` } });
      for (let i = 0; i < 2; i++) {
        const browser = new Browser(proxy.url);
        const started = await browser.start();
        const query = await consent(started.json.authorize_url);
        seen.push(new URLSearchParams(query).get('code'));
        const exchanged = await browser.exchange(query);
        assert.equal(exchanged.json?.status, i === 0 ? 'new' : 'signed_in', exchanged.body);
        if (i === 0) assert.equal((await browser.register(registration('secret_keeper'))).status, 201);
        assert.equal((await browser.me()).status, 200);
        recorded.push(...browser.seen.map((r) => JSON.stringify(r)));
      }
      for (const { path: p, body } of recorder.recorded) {
        if (!p.startsWith('/2/oauth2/token')) continue;
        const answer = JSON.parse(body);
        seen.push(answer.access_token, answer.refresh_token);
      }
    } finally {
      results = await stopAll(stack);
    }
    assert.equal(seen.filter(Boolean).length, 6, 'two codes, two access and two refresh tokens');
    const log = results.find((r) => r.name === 'perch-proxy').output;
    for (const secret of seen) {
      assert.ok(!log.includes(secret), 'a code or token is in the proxy log');
      for (const response of recorded) assert.ok(!response.includes(secret), 'a code or token is in a response');
    }
  });
});

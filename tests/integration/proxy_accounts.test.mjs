// Accounts end to end on 127.0.0.1: perch-proxy (with a temporary SQLite
// database) in front of perch-emulator, driven the way the page drives it.
// A recording forwarder between them learns the access tokens the emulator
// issued, so the test can look for them in the database file's raw bytes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  Browser, Stack, consent, noRateLimits, consumerSecret, queryDatabase, startEmulator, startProxy, startRecorder,
} from './harness.mjs';

const emulatorUser = { twitter_id: '1452019283001737216', screen_name: 'zoe_perch' };
// The emulator's image URL ends in _normal.jpg; the account keeps the original size.
const originalPicture = 'https://pbs.twimg.com/profile_images/1452019519052296193/Zq3v.jpg';
const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

const form = {
  username: 'zoe_perch', first_name: 'Zoë', last_name: 'Ångström-Ñúñez',
  email: 'zoe.angstrom@example.org', timezone: 'Europe/Stockholm',
};

function assertError(response, status, code) {
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status} ${response.body}`);
  assert.equal(response.json?.error?.code, code, response.body);
  assert.equal(typeof response.json.error.message, 'string');
  assert.ok(response.json.error.message.length > 0);
}

function assertUser(user, expected) {
  assert.deepEqual(Object.keys(user).sort(),
    ['created_at', 'email', 'first_name', 'last_name', 'last_sign_in_at', 'picture', 'timezone', 'twitter_id', 'username']);
  for (const [key, value] of Object.entries(expected)) assert.equal(user[key], value, key);
  assert.match(user.created_at, rfc3339);
  assert.match(user.last_sign_in_at, rfc3339);
}

// The database as it sits on disk: the main file and its write-ahead log.
function databaseBytes(database) {
  return Buffer.concat([database, `${database}-wal`].filter((file) => fs.existsSync(file)).map((file) => fs.readFileSync(file)));
}

describe('accounts: perch-proxy + perch-emulator + a temporary database', { timeout: 90000 }, () => {
  const stack = new Stack();
  let emulator;
  let recorder;
  let proxy;
  const browsers = [];
  const fresh = (url = proxy.url) => { const b = new Browser(url); browsers.push(b); return b; };
  let person;  // one browser, through sign-up, sign-out and sign-in again
  let registered;  // the user object the 201 answered

  before(async () => {
    emulator = await startEmulator(stack);
    recorder = await startRecorder(stack, emulator.url);
    proxy = await startProxy(stack, recorder.url, noRateLimits);
  });

  after(async () => {
    const results = await stack.close();
    for (const result of results) {
      assert.ok(!result.error, String(result.error));
      assert.equal(result.code, 0, `${result.name} exit ${JSON.stringify(result)}`);
    }
  });

  test('sign up: exchange -> new, register -> 201 signed in (session rotated), /api/me -> the account', async () => {
    person = fresh();
    const exchanged = await person.signInWithTwitter();
    assert.equal(exchanged.status, 200, exchanged.body);
    assert.equal(exchanged.json.status, 'new');
    const identitySession = person.cookie;

    const created = await person.register(form);
    assert.equal(created.status, 201, created.body);
    assertUser(created.json.user, { ...form, twitter_id: emulatorUser.twitter_id, picture: originalPicture });
    assert.equal(created.json.user.created_at, created.json.user.last_sign_in_at);
    registered = created.json.user;
    assert.equal(created.setCookies.length, 1);
    assert.notEqual(person.cookie, identitySession, 'registration rotates the session id');
    const stale = fresh();
    stale.cookie = identitySession;
    assertError(await stale.me(), 401, 'not_authenticated');

    const me = await person.me();
    assert.equal(me.status, 200, me.body);
    assert.deepEqual(me.json, { user: registered });

    const rows = queryDatabase(proxy.database,
      'SELECT twitter_id, username, picture, typeof(access_token) AS token_type, typeof(access_token_secret) AS secret_type FROM accounts');
    assert.deepEqual(rows, [{
      twitter_id: emulatorUser.twitter_id, username: form.username, picture: originalPicture, token_type: 'blob', secret_type: 'blob',
    }]);
  });

  test('the access token and its secret are encrypted at rest: not in the database file bytes', () => {
    const issued = recorder.recorded.filter((r) => r.path.startsWith('/oauth/access_token') && r.status === 200)
      .map((r) => new URLSearchParams(r.body));
    assert.equal(issued.length, 1);
    const bytes = databaseBytes(proxy.database);
    // The bytes are the right ones: the account's plain fields are in them.
    assert.ok(bytes.includes(Buffer.from(form.username)), 'the username is not in the database bytes');
    assert.ok(bytes.includes(Buffer.from(form.email)), 'the email is not in the database bytes');
    for (const [what, value] of [
      ['access token', issued[0].get('oauth_token')], ['access token secret', issued[0].get('oauth_token_secret')],
      ['consumer secret', consumerSecret], ['token key', proxy.tokenKey],
    ]) {
      assert.ok(value && value.length >= 16, `${what} was not captured`);
      assert.ok(!bytes.includes(Buffer.from(value)), `the ${what} is in the database file`);
    }
  });

  test('sign out -> 204 with an expired cookie; then /api/me -> 401, also with the old session id', async () => {
    const signedIn = person.cookie;
    const out = await person.logout();
    assert.equal(out.status, 204, out.body);
    assert.equal(out.body, '');
    assert.deepEqual(out.setCookies, ['perch_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax']);
    assertError(await person.me(), 401, 'not_authenticated');
    const old = fresh();
    old.cookie = signedIn;
    assertError(await old.me(), 401, 'not_authenticated');
  });

  test('signing in again through a new flow -> signed_in with the same account; still one row, new tokens stored', async () => {
    const before = queryDatabase(proxy.database, 'SELECT hex(access_token) AS token, hex(access_token_secret) AS secret FROM accounts');
    const again = await person.signInWithTwitter();
    assert.equal(again.status, 200, again.body);
    assert.equal(again.json.status, 'signed_in');
    assertUser(again.json.user, { ...form, twitter_id: emulatorUser.twitter_id, picture: originalPicture, created_at: registered.created_at });
    assert.ok(again.json.user.last_sign_in_at >= registered.last_sign_in_at);
    assert.equal(again.json.twitter_user, undefined);
    const me = await person.me();
    assert.equal(me.status, 200, me.body);
    assert.deepEqual(me.json, { user: again.json.user });

    assert.deepEqual(queryDatabase(proxy.database, 'SELECT count(*) AS n FROM accounts'), [{ n: 1 }]);
    const after = queryDatabase(proxy.database, 'SELECT hex(access_token) AS token, hex(access_token_secret) AS secret FROM accounts');
    assert.notEqual(after[0].token, before[0].token, 'the access token was not refreshed');
    assert.notEqual(after[0].secret, before[0].secret, 'the access token secret was not refreshed');
    // The new tokens are sealed too.
    const bytes = databaseBytes(proxy.database);
    const issued = recorder.recorded.filter((r) => r.path.startsWith('/oauth/access_token') && r.status === 200)
      .map((r) => new URLSearchParams(r.body));
    assert.equal(issued.length, 2);
    for (const params of issued) {
      assert.ok(!bytes.includes(Buffer.from(params.get('oauth_token'))));
      assert.ok(!bytes.includes(Buffer.from(params.get('oauth_token_secret'))));
    }
  });

  test('register without a Twitter identity -> 401 not_authenticated, and nothing is written', async () => {
    assertError(await fresh().register(form), 401, 'not_authenticated');
    const halfway = fresh();
    const started = await halfway.start();
    assert.equal(started.status, 200);
    assertError(await halfway.register({ ...form, username: 'halfway' }), 401, 'not_authenticated');
    // A cancelled flow establishes nothing either.
    const query = await consent(started.json.authorize_url, { cancel: true });
    assertError(await halfway.exchange(query), 400, 'denied');
    assertError(await halfway.register({ ...form, username: 'halfway' }), 401, 'not_authenticated');
    assert.deepEqual(queryDatabase(proxy.database, 'SELECT count(*) AS n FROM accounts'), [{ n: 1 }]);
  });

  test('the browser cannot name the identity: an extra field -> 400; invalid fields -> 422 with their messages', async () => {
    const browser = fresh();
    // Registered already, so the exchange signs this browser in; the checks below come first anyway.
    assert.equal((await browser.signInWithTwitter()).json.status, 'signed_in');
    assertError(await browser.register({ ...form, twitter_id: '1' }), 400, 'invalid_field');
    assertError(await browser.register({ ...form, picture: 'https://evil.example/x.png' }), 400, 'invalid_field');
    const invalid = await browser.register({ ...form, username: 'has space', email: 'nope' });
    assertError(invalid, 422, 'invalid');
    assert.deepEqual(invalid.json.error.fields, {
      username: 'Username may contain only letters, digits and underscores.',
      email: 'Email address must contain one @, like name@example.com.',
    });
    assertError(await browser.register(form), 409, 'already_registered');
    assertError(await browser.register({ ...form, username: 'another_name' }), 409, 'already_registered');
  });

  test('a username another account has (any case) -> 409 username_taken; two proxies share one database', async () => {
    // A second Twitter user, through a second emulator and a second proxy on the same database and key.
    const dir = stack.tempDir();
    const userFile = path.join(dir, 'twin.json');
    fs.writeFileSync(userFile, JSON.stringify({ id_str: '2000000000000000001', screen_name: 'zoe_twin', name: 'Zoë Twin' }));
    const twinEmulator = await startEmulator(stack, ['--user', userFile]);
    const twinProxy = await startProxy(stack, twinEmulator.url, { ...noRateLimits, '--database': proxy.database }, { PERCH_TOKEN_KEY: proxy.tokenKey });
    const twin = fresh(twinProxy.url);
    const exchanged = await twin.signInWithTwitter();
    assert.equal(exchanged.json.status, 'new', exchanged.body);

    for (const username of ['zoe_perch', 'ZOE_PERCH']) {
      assertError(await twin.register({ ...form, username }), 409, 'username_taken');
    }
    const created = await twin.register({ ...form, username: 'zoe_twin' });
    assert.equal(created.status, 201, created.body);
    assert.equal(created.json.user.twitter_id, '2000000000000000001');
    assert.deepEqual(queryDatabase(proxy.database, 'SELECT twitter_id, username FROM accounts ORDER BY id'), [
      { twitter_id: emulatorUser.twitter_id, username: 'zoe_perch' },
      { twitter_id: '2000000000000000001', username: 'zoe_twin' },
    ]);
    assert.equal((await twin.me()).json.user.username, 'zoe_twin');
  });

  test('no response carried a token, token secret, the consumer secret or the token key', () => {
    const issued = recorder.recorded.filter((r) => r.path.startsWith('/oauth/access_token') && r.status === 200)
      .map((r) => new URLSearchParams(r.body));
    const secrets = [consumerSecret, proxy.tokenKey, ...issued.flatMap((p) => [p.get('oauth_token'), p.get('oauth_token_secret')])];
    const responses = browsers.flatMap((b) => b.seen).map((s) => `${s.headers.map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${s.body}`);
    assert.ok(responses.length >= 20, `only ${responses.length} responses`);
    for (const secret of secrets) {
      assert.ok(secret && secret.length >= 16);
      for (const response of responses) assert.ok(!response.includes(secret), `a secret is in a response:\n${response}`);
    }
  });
});

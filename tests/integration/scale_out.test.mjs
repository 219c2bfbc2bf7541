// Two perch-proxy instances sharing a real Redis (sessions, single use, rate
// limits) and a real PostgreSQL (accounts), behind nginx taking turns between
// them, in front of perch-emulator: a sign-in may touch both instances at any
// step, and neither restarts nor races lose or duplicate anything.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import {
  Browser, Stack, clientId, clientSecret, consent, noRateLimits, startEmulator, startOAuth2Proxy, startProxy,
} from './harness.mjs';
import { startPostgres, startRedis } from './servers.mjs';
import { freePort, startNginx } from '../security/nginx.mjs';

const form = { username: 'zoe_perch', first_name: 'Zoë', last_name: 'Ångström', email: 'zoe@example.org', timezone: 'Europe/Stockholm' };

function assertError(response, status, code) {
  assert.equal(response.status, status, `expected ${status} ${code}, got ${response.status} ${response.body}`);
  assert.equal(response.json?.error?.code, code, response.body);
}

describe('scale-out: two proxies on Redis + PostgreSQL behind nginx', { timeout: 180000 }, () => {
  const stack = new Stack();
  const redisPassword = `redis-pw-${randomBytes(6).toString('hex')}`;
  const tokenKey = randomBytes(32).toString('hex');
  let redis;
  let postgres;
  let emulator;
  let origin;
  let nginx;
  const instances = [];
  let flags;

  const startInstance = async (extra = {}) => startProxy(stack, emulator.url, { ...flags, ...extra }, { PERCH_TOKEN_KEY: tokenKey });

  // A browser on the site's origin that sends each request to the instance it is told.
  const browser = () => new Browser(origin);
  const via = (b, instance, pathname, body = '{}', method = 'POST') => {
    b.proxyUrl = instance.url;
    const headers = method === 'GET' ? { 'content-type': null, origin: null } : { origin };
    return b.request(pathname, { method, body, headers });
  };

  const signIn = async (person, instance) => {
    const started = await via(person, instance, '/api/twitter/start');
    assert.equal(started.status, 200, started.body);
    return via(person, instance, '/api/twitter/exchange', JSON.stringify({ callback_query: await consent(started.json.authorize_url) }));
  };

  before(async () => {
    redis = await startRedis(stack, { password: redisPassword });
    postgres = await startPostgres(stack);
    emulator = await startEmulator(stack);
    const port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    flags = {
      ...noRateLimits, '--session-store': redis.url, '--database': postgres.url,
      '--public-origin': origin, '--callback-url': `${origin}/signup/callback`,
    };
    instances.push(await startInstance(), await startInstance());
    nginx = await startNginx(stack, instances.map((i) => i.url), { keepalive: 0, port });
  });

  after(async () => { await stack.close(); });

  test('a sign-in started on one instance completes on the other, and the session is everyone\'s', async () => {
    const [a, b] = instances;
    const person = browser();
    const started = await via(person, a, '/api/twitter/start');
    assert.equal(started.status, 200, started.body);
    const callback = await consent(started.json.authorize_url);
    const exchanged = await via(person, b, '/api/twitter/exchange', JSON.stringify({ callback_query: callback }));
    assert.equal(exchanged.status, 200, exchanged.body);
    assert.equal(exchanged.json.status, 'new');
    const registered = await via(person, a, '/api/register', JSON.stringify(form));
    assert.equal(registered.status, 201, registered.body);
    for (const instance of [a, b]) {
      const me = await via(person, instance, '/api/me', '', 'GET');
      assert.equal(me.status, 200, me.body);
      assert.equal(me.json.user.username, 'zoe_perch');
    }
    // Through nginx, which takes turns: every request lands somewhere else.
    person.proxyUrl = nginx.url;
    for (let i = 0; i < 4; i += 1) assert.equal((await person.me()).status, 200);
    const loggedOut = await via(person, b, '/api/logout');
    assert.equal(loggedOut.status, 204);
    assert.equal((await via(person, a, '/api/me', '', 'GET')).status, 401);
  });

  test('an instance killed (-9) mid-flow: the other finishes the sign-in through nginx', async () => {
    const [a] = instances;
    const person = browser();
    const started = await via(person, a, '/api/twitter/start');
    assert.equal(started.status, 200, started.body);
    const callback = await consent(started.json.authorize_url);
    a.proc.kill('SIGKILL');
    await a.exited;
    stack.children = stack.children.filter((c) => c !== a);
    person.proxyUrl = nginx.url;  // nginx finds the dead upstream refusing and asks the other
    const exchanged = await person.exchange(callback);
    assert.equal(exchanged.status, 200, exchanged.body);
    assert.ok(['new', 'signed_in'].includes(exchanged.json.status), exchanged.body);
    assert.equal((await person.me()).status, exchanged.json.status === 'signed_in' ? 200 : 401);
    // The same port again, so nginx's upstream list holds.
    const port = new URL(a.url).port;
    instances[0] = await startInstance({ '--listen': `127.0.0.1:${port}` });
  });

  test('OAuth 2.0: started on one instance, exchanged on the other, the grant stored in PostgreSQL', async () => {
    const callbackUrl = `${origin}/signup/callback`;
    const x = await startEmulator(stack, ['--client-id', clientId, '--client-secret', clientSecret, '--allowed-redirect', callbackUrl]);
    const oauth2 = [];
    for (let i = 0; i < 2; i += 1) {
      oauth2.push(await startOAuth2Proxy(stack, x, {
        flags: { '--session-store': redis.url, '--database': postgres.url, '--public-origin': origin, '--callback-url': callbackUrl },
        env: { PERCH_TOKEN_KEY: tokenKey },
      }));
    }
    const person = browser();
    const started = await via(person, oauth2[0], '/api/twitter/start');
    assert.equal(started.status, 200, started.body);
    assert.ok(started.json.state, started.body);
    const callback = await consent(started.json.authorize_url);
    assert.match(callback, /[?&]code=/);
    const exchanged = await via(person, oauth2[1], '/api/twitter/exchange', JSON.stringify({ callback_query: callback }));
    assert.equal(exchanged.status, 200, exchanged.body);
    await postgres.psql('DELETE FROM accounts');
    const registered = await via(person, oauth2[0], '/api/register', JSON.stringify({ ...form, username: 'zoe_oauth2' }));
    assert.equal(registered.status, 201, registered.body);
    assert.equal(postgres.psql("SELECT count(*) FROM accounts WHERE length(oauth2_access_token) > 0 AND username = 'zoe_oauth2'").trim(), '1');
    for (const proxy of oauth2) {
      await proxy.stop();
      stack.children = stack.children.filter((c) => c !== proxy);
    }
  });

  test('Redis holds no session id and no token in clear', async () => {
    const person = browser();
    person.proxyUrl = nginx.url;
    const signedIn = await person.signInWithTwitter();
    assert.equal(signedIn.status, 200, signedIn.body);
    const keys = redis.cli('KEYS', '*').trim().split('\n').filter(Boolean);
    assert.ok(keys.some((k) => k.startsWith('perch:session:')), keys.join(' '));
    for (const key of keys) {
      assert.ok(!key.includes(person.cookie), key);
      const type = redis.cli('TYPE', key).trim();
      const value = type === 'hash' ? redis.cli('HGETALL', key) : type === 'string' ? redis.cli('GET', key) : '';
      assert.ok(!value.includes(person.cookie), `${key} holds the session id`);
      assert.ok(!value.includes('zoe_perch'), `${key} holds the user in clear`);
      const ttl = Number(redis.cli('PTTL', key).trim());
      assert.ok(ttl > 0, `${key} has no expiry (${ttl})`);
    }
  });

  test('one callback sent to both instances at once: one exchange, one 409 replayed', async () => {
    const [a, b] = instances;
    const first = browser();
    const started = await via(first, a, '/api/twitter/start');
    const callback = await consent(started.json.authorize_url);
    const second = browser();
    for (const [name, value] of first.jar) second.jar.set(name, value);  // a copy of the cookie
    const body = JSON.stringify({ callback_query: callback });
    const answers = await Promise.all([via(first, a, '/api/twitter/exchange', body), via(second, b, '/api/twitter/exchange', body)]);
    const statuses = answers.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 409], answers.map((r) => r.body).join('\n'));
    assertError(answers.find((r) => r.status === 409), 409, 'replayed');
  });

  test('eight browsers of one X user registering at once on both instances: one 201, seven 409', async () => {
    await postgres.psql('DELETE FROM accounts');
    const people = [];
    for (let i = 0; i < 8; i += 1) {
      const person = browser();
      person.proxyUrl = instances[i % 2].url;
      const started = await via(person, instances[i % 2], '/api/twitter/start');
      const exchanged = await via(person, instances[(i + 1) % 2], '/api/twitter/exchange',
        JSON.stringify({ callback_query: await consent(started.json.authorize_url) }));
      assert.equal(exchanged.json?.status, 'new', exchanged.body);
      people.push(person);
    }
    const answers = await Promise.all(people.map((person, i) => via(person, instances[i % 2], '/api/register', JSON.stringify(form))));
    assert.equal(answers.filter((r) => r.status === 201).length, 1, answers.map((r) => `${r.status} ${r.body}`).join('\n'));
    for (const r of answers.filter((x) => x.status !== 201)) assertError(r, 409, 'already_registered');
    assert.equal(postgres.psql('SELECT count(*) FROM accounts').trim(), '1');
  });

  test('restarting every instance signs nobody out', async () => {
    const person = browser();
    person.proxyUrl = nginx.url;
    assert.equal((await person.signInWithTwitter()).status, 200);
    assert.equal((await person.me()).status, 200);
    const ports = instances.map((instance) => new URL(instance.url).port);
    for (const instance of instances) {
      await instance.stop();
      stack.children = stack.children.filter((c) => c !== instance);
    }
    // The same ports again, so nginx's upstream list holds.
    for (const [i, port] of ports.entries()) instances[i] = await startInstance({ '--listen': `127.0.0.1:${port}` });
    assert.equal((await person.me()).status, 200);
    for (const instance of instances) assert.equal((await via(person, instance, '/api/me', '', 'GET')).status, 200);
  });

  test('rate limits are shared: a burst of 2 is 2 across both instances, with Retry-After', async () => {
    const limited = { '--start-per-minute': '1', '--start-burst': '2' };
    const c = await startInstance(limited);
    const d = await startInstance(limited);
    const person = browser();
    assert.equal((await via(person, c, '/api/twitter/start')).status, 200);
    assert.equal((await via(person, d, '/api/twitter/start')).status, 200);
    const refused = await via(person, c, '/api/twitter/start');
    assertError(refused, 429, 'rate_limited');
    const retryAfter = Number(refused.headers.find(([n]) => n === 'retry-after')?.[1]);
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
    assertError(await via(person, d, '/api/twitter/start'), 429, 'rate_limited');
  });

  test('a PostgreSQL restart loses no registration; the next requests are served', async () => {
    await postgres.psql('DELETE FROM accounts');
    const person = browser();
    person.proxyUrl = nginx.url;
    assert.equal((await person.signInWithTwitter()).status, 200);
    assert.equal((await person.register(form)).status, 201);
    await postgres.restart();
    const me = await person.me();
    assert.equal(me.status, 200, me.body);
    assert.equal(postgres.psql('SELECT count(*) FROM accounts').trim(), '1');
  });

  test('Redis or PostgreSQL down: /healthz names it, the API answers 503 unavailable, and recovers', async () => {
    const [a] = instances;
    const person = browser();
    assert.equal((await signIn(person, a)).status, 200);
    await redis.stopServer();
    const health = await (await fetch(`${a.url}/healthz`)).json();
    assert.equal(health.status, 'unavailable');
    assert.deepEqual(health.failed, ['redis']);
    assert.equal(health.dependencies.postgresql, 'ok');
    const started = Date.now();
    assertError(await via(person, a, '/api/me', '', 'GET'), 503, 'unavailable');
    assertError(await via(person, a, '/api/auth', '', 'GET'), 503, 'unavailable');
    assert.ok(Date.now() - started < 5000);
    await redis.startServer();
    assert.equal((await fetch(`${a.url}/healthz`)).status, 200);

    await postgres.stopServer();
    const pgHealth = await fetch(`${a.url}/healthz`);
    assert.equal(pgHealth.status, 503);
    assert.deepEqual((await pgHealth.json()).failed, ['postgresql']);
    await postgres.startServer();
    assert.equal((await fetch(`${a.url}/healthz`)).status, 200);
  });

  test('no password in any log line', async () => {
    for (const child of stack.children.filter((c) => c.name === 'perch-proxy')) {
      const output = child.output();
      assert.ok(!output.includes(redisPassword), 'the Redis password is in a log');
      assert.ok(!output.includes(postgres.password), 'the PostgreSQL password is in a log');
      assert.match(output, /redis:\/\/:\*\*\*\*@127\.0\.0\.1/);
    }
  });
});

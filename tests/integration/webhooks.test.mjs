// Webhooks for real: perch-proxy (+ perch-emulator) POSTs account events to a
// receiver on loopback, which checks each Perch-Signature with the README's
// own Node and Python snippets. Retries, a restart after kill -9, a receiver
// that hangs, and two proxies sharing one PostgreSQL outbox.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { describe, test } from 'node:test';

import { Browser, Stack, binDir, callbackUrl, consumerKey, consumerSecret, noRateLimits, recordedSecrets, startEmulator, startProxy, startRecorder } from './harness.mjs';
import { startPostgres } from './servers.mjs';
import { listenerUrl, sample, scrape } from './metrics_scrape.mjs';
import { readmeNodeVerifier, readmePythonVerifier, startReceiver } from './webhook_receiver.mjs';

const form = {
  username: 'hook_tester', first_name: 'Ada', last_name: 'Hooks', email: 'ada@example.org', timezone: 'Europe/Berlin',
};
const secret = `whsec-${randomBytes(16).toString('hex')}`;
const userKeys = ['created_at', 'email', 'first_name', 'last_name', 'last_sign_in_at', 'picture', 'timezone', 'twitter_id', 'username'];

const webhookFlags = (receiver) => ({ ...noRateLimits, '--webhook-url': receiver.url });
const webhookEnv = { PERCH_WEBHOOK_SECRET: secret };

async function withStack(body) {
  const stack = new Stack();
  try {
    await body(stack);
  } finally {
    await stack.close();
  }
}

async function signUp(proxy) {
  const person = new Browser(proxy.url);
  const exchanged = await person.signInWithTwitter();
  assert.equal(exchanged.status, 200, exchanged.body);
  assert.equal(exchanged.json.status, 'new');
  const created = await person.register(form);
  assert.equal(created.status, 201, created.body);
  return person;
}

async function signInAgain(proxy) {
  const person = new Browser(proxy.url);
  const exchanged = await person.signInWithTwitter();
  assert.equal(exchanged.status, 200, exchanged.body);
  assert.equal(exchanged.json.status, 'signed_in');
  return person;
}

const types = (deliveries) => deliveries.map((d) => d.json?.type);

describe('webhooks', { timeout: 180000 }, () => {
  test('the proxy refuses to start with a webhook URL that is not https (or loopback http), or without a secret', () => {
    const run = (flags, env) => spawnSync(path.join(binDir, 'perch-proxy'), [
      '--listen', '127.0.0.1:0', '--consumer-key', consumerKey, '--callback-url', callbackUrl, '--database', ':memory:', ...flags,
    ], { env: { PATH: process.env.PATH, PERCH_CONSUMER_SECRET: consumerSecret, PERCH_TOKEN_KEY: 'ab'.repeat(32), ...env }, encoding: 'utf8', timeout: 20000 });
    const plain = run(['--webhook-url', 'http://hooks.example.com/perch'], webhookEnv);
    assert.equal(plain.status, 2);
    assert.match(plain.stderr, /--webhook-url must be https:\/\/ \(http:\/\/ only for a loopback host/);
    const noSecret = run(['--webhook-url', 'https://hooks.example.com/perch'], {});
    assert.equal(noSecret.status, 2);
    assert.match(noSecret.stderr, /PERCH_WEBHOOK_SECRET or PERCH_WEBHOOK_SECRET_FILE .* is required when PERCH_WEBHOOK_URL is set/);
    for (const result of [plain, noSecret]) assert.ok(!result.stderr.includes(secret));
  });

  test('account.created, account.signed_in, account.deleted: signed, verified by the README snippets, the /api/me user', async () => {
    await withStack(async (stack) => {
      const emulator = await startEmulator(stack);
      const recorder = await startRecorder(stack, emulator.url);
      const receiver = await startReceiver(stack);
      const proxy = await startProxy(stack, recorder.url, webhookFlags(receiver), webhookEnv);
      const verify = await readmeNodeVerifier(stack);

      const person = await signUp(proxy);
      await receiver.until((d) => d.length >= 1, 15000, 'account.created');
      const me = (await person.me()).json.user;
      const created = receiver.deliveries[0];
      assert.equal(created.method, 'POST');
      assert.equal(created.url, '/hooks/perch');
      assert.match(created.headers['content-type'], /^application\/json/);
      assert.match(created.headers['perch-signature'], /^t=\d+,v1=[0-9a-f]{64}$/);
      assert.deepEqual(Object.keys(created.json).sort(), ['created_at', 'data', 'id', 'type']);
      assert.equal(created.json.type, 'account.created');
      assert.match(created.json.id, /^evt_[A-Za-z0-9_-]{22}$/);
      assert.match(created.json.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.deepEqual(Object.keys(created.json.data), ['user']);
      assert.deepEqual(created.json.data.user, me);
      assert.deepEqual(Object.keys(me).sort(), userKeys);

      assert.equal((await person.logout()).status, 204);
      await signInAgain(proxy);
      await receiver.until((d) => d.length >= 2, 15000, 'account.signed_in');
      assert.equal(receiver.deliveries[1].json.type, 'account.signed_in');

      assert.equal((await person.me()).status, 401);  // signed out above: delete from a signed-in browser
      const owner = await signInAgain(proxy);
      const user = (await owner.me()).json.user;
      const deleted = await owner.request('/api/me', { method: 'DELETE', body: '', headers: { 'content-type': null } });
      assert.equal(deleted.status, 204, deleted.body);
      await receiver.until((d) => d.length >= 4, 15000, 'account.deleted');
      assert.deepEqual(types(receiver.deliveries), ['account.created', 'account.signed_in', 'account.signed_in', 'account.deleted']);
      assert.deepEqual(receiver.deliveries[3].json.data.user, user);
      assert.equal(new Set(receiver.deliveries.map((d) => d.json.id)).size, 4);

      // Both README snippets accept every delivery and refuse a forgery.
      for (const d of receiver.deliveries) assert.equal(verify(secret, d.headers['perch-signature'], d.body), true);
      const tampered = Buffer.from(created.body.toString().replace('hook_tester', 'hook_tester2'));
      assert.equal(verify(secret, created.headers['perch-signature'], tampered), false);
      assert.equal(verify('another-secret', created.headers['perch-signature'], created.body), false);
      const old = created.headers['perch-signature'].replace(/^t=\d+/, 't=1000000000');
      assert.equal(verify(secret, old, created.body), false);
      const cases = [
        ...receiver.deliveries.map((d) => ({ secret, header: d.headers['perch-signature'], body: d.body })),
        { secret, header: created.headers['perch-signature'], body: tampered },
        { secret: 'another-secret', header: created.headers['perch-signature'], body: created.body },
        { secret, header: old, body: created.body },
      ];
      assert.deepEqual(readmePythonVerifier(stack, cases), [true, true, true, true, false, false, false]);

      // Never a token, a secret or the webhook secret in a body.
      const tokens = [...recordedSecrets(recorder.recorded)];
      for (const { body } of recorder.recorded) for (const value of new URLSearchParams(body).getAll('oauth_token')) tokens.push(value);
      assert.ok(tokens.length >= 3);
      for (const d of receiver.deliveries) {
        for (const token of [...tokens, secret]) assert.ok(!d.body.toString().includes(token), 'a token in a webhook body');
      }
      assert.ok(!proxy.stderr.includes(secret) && !proxy.stdout.includes(secret));
    });
  });

  test('a receiver answering 500 twice then 200 gets the same id and body 3 times, with growing gaps', async () => {
    await withStack(async (stack) => {
      const emulator = await startEmulator(stack);
      const receiver = await startReceiver(stack);
      receiver.answer = (delivery, index) => (index < 2 ? 500 : 200);
      const proxy = await startProxy(stack, emulator.url, { ...webhookFlags(receiver), '--metrics-listen': '127.0.0.1:0' }, webhookEnv);
      await signUp(proxy);
      await receiver.until((d) => d.length >= 3, 30000, 'three attempts');
      // The worker counts an attempt once its answer is in; the receiver saw it a moment before.
      const metricsUrl = listenerUrl(proxy, 'metrics');
      const deliveries = async (result) => sample(await scrape(metricsUrl), 'perch_webhook_deliveries', 'perch_webhook_deliveries_total', { result });
      for (const deadline = Date.now() + 10000; await deliveries('delivered') < 1;) {
        assert.ok(Date.now() < deadline, 'perch_webhook_deliveries_total{result="delivered"} never reached 1');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(await deliveries('failed'), 2);
      assert.equal(await deliveries('delivered'), 1);
      const [first, second, third] = receiver.deliveries;
      assert.equal(first.json.id, second.json.id);
      assert.equal(first.json.id, third.json.id);
      assert.ok(first.body.equals(second.body) && first.body.equals(third.body));
      const gap1 = second.at - first.at;
      const gap2 = third.at - second.at;
      assert.ok(gap1 >= 900 && gap1 < 5000, `first retry after ${gap1} ms`);
      assert.ok(gap2 > gap1, `gaps ${gap1} then ${gap2} ms`);
      assert.match(proxy.stderr, /webhook account\.created evt_\S+ failed: answered 500; attempt 1/);
      assert.match(proxy.stderr, /failed: answered 500; attempt 2/);
    });
  });

  test('an event not yet delivered when the proxy is kill -9\'d is delivered after the restart', async () => {
    await withStack(async (stack) => {
      const emulator = await startEmulator(stack);
      const receiver = await startReceiver(stack);
      let accept = false;
      receiver.answer = () => (accept ? 200 : 503);
      const first = await startProxy(stack, emulator.url, webhookFlags(receiver), webhookEnv);
      await signUp(first);
      await receiver.until((d) => d.length >= 1, 15000, 'a first, refused attempt');
      const exit = await first.stop('SIGKILL');
      assert.equal(exit.signal, 'SIGKILL');
      const refused = receiver.deliveries.length;
      accept = true;
      await startProxy(stack, emulator.url, { ...webhookFlags(receiver), '--database': first.database }, {
        ...webhookEnv, PERCH_TOKEN_KEY: first.tokenKey,
      });
      await receiver.until((d) => d.length > refused, 15000, 'the delivery after the restart');
      const last = receiver.deliveries.at(-1);
      assert.equal(last.json.id, receiver.deliveries[0].json.id);
      assert.equal(last.json.type, 'account.created');
    });
  });

  test('a receiver that hangs is cut off by the timeout, and the event is sent again', async () => {
    await withStack(async (stack) => {
      const emulator = await startEmulator(stack);
      const receiver = await startReceiver(stack);
      receiver.answer = (delivery, index) => (index === 0 ? 'hang' : 200);
      const proxy = await startProxy(stack, emulator.url, webhookFlags(receiver), webhookEnv);
      await signUp(proxy);
      await receiver.until((d) => d.length >= 1 && d[0].closedAt !== null, 40000, 'the hanging attempt cut off');
      const held = receiver.deliveries[0].closedAt - receiver.deliveries[0].at;
      assert.ok(held >= 9000 && held < 25000, `the proxy waited ${held} ms`);
      await receiver.until((d) => d.length >= 2, 20000, 'the retry');
      assert.equal(receiver.deliveries[1].json.id, receiver.deliveries[0].json.id);
      assert.match(proxy.stderr, /failed: timed out; attempt 1/);
    });
  });

  test('two proxies on one PostgreSQL database deliver each event exactly once', async () => {
    await withStack(async (stack) => {
      const postgres = await startPostgres(stack);
      const emulator = await startEmulator(stack);
      const receiver = await startReceiver(stack);
      const tokenKey = randomBytes(32).toString('hex');
      const env = { ...webhookEnv, PERCH_TOKEN_KEY: tokenKey };
      const flags = { ...webhookFlags(receiver), '--database': postgres.url };
      const proxies = [await startProxy(stack, emulator.url, flags, env), await startProxy(stack, emulator.url, flags, env)];
      await signUp(proxies[0]);
      for (let i = 0; i < 5; ++i) await signInAgain(proxies[(i + 1) % 2]);
      const events = 6;
      await receiver.until((d) => new Set(d.map((x) => x.json.id)).size >= events, 30000, 'six events');
      // Once the outbox is empty no attempt can still be under way: a row
      // leaves it only after its 2xx.
      const deadline = Date.now() + 30000;
      while (postgres.psql('SELECT count(*) FROM webhook_outbox').trim() !== '0') {
        assert.ok(Date.now() < deadline, 'the outbox did not empty');
        await new Promise((resolve) => { setTimeout(resolve, 100); });
      }
      assert.equal(receiver.deliveries.length, events, JSON.stringify(types(receiver.deliveries)));
      assert.deepEqual(types(receiver.deliveries).sort(), ['account.created', ...Array(5).fill('account.signed_in')].sort());
      assert.equal(path.basename(new URL(receiver.url).pathname), 'perch');
    });
  });
});

// The real page in headless chromium, through nginx taking turns between two
// perch-proxy instances that share a real Redis (sessions, single use, rate
// limits) and a real PostgreSQL (accounts): start on one instance, the
// callback on the other, register, sign out, sign in again the other way
// round, sign out. nginx names the instance that answered each request in
// X-Perch-Upstream ($upstream_addr); a test-only request header pins a
// request to one instance, so "the other one" is certain, not luck.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';

import {
  DEFAULT_USER, EXPECTED_FORM, goThroughTwitter, launchBrowser, requireBuilt, startEmulator, startProxy, waitForView,
} from './harness.mjs';
import { Stack } from '../../integration/harness.mjs';
import { startPostgres, startRedis } from '../../integration/servers.mjs';
import { freePort, startNginx } from '../../security/nginx.mjs';

const PIN_HEADER = 'x-e2e-instance';

// Round robin over both instances, unless the request names one in PIN_HEADER
// (which nginx does not pass on).
const site = (a, b) => (port) => `  upstream perch { server ${a}; server ${b}; }
  upstream perch_a { server ${a}; }
  upstream perch_b { server ${b}; }
  map $http_${PIN_HEADER.replaceAll('-', '_')} $perch_upstream { a perch_a; b perch_b; default perch; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://$perch_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header ${PIN_HEADER} "";
      add_header X-Perch-Upstream $upstream_addr always;
    }
  }
`;

test('two instances behind nginx on Redis + PostgreSQL: the browser signs up, out and in across both', { timeout: 180000 }, async (t) => {
  requireBuilt();
  const stack = new Stack();
  t.after(() => stack.close());
  const redis = await startRedis(stack);
  const postgres = await startPostgres(stack);
  const emulator = await startEmulator();
  t.after(() => emulator.stop());
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const tokenKey = randomBytes(32).toString('hex');
  const env = {
    PERCH_CALLBACK_URL: `${origin}/signup/callback`, PERCH_PUBLIC_ORIGIN: origin, PERCH_SESSION_STORE: redis.url,
  };
  const instances = {};
  for (const name of ['a', 'b']) {
    instances[name] = await startProxy({ emulatorUrl: emulator.url, database: postgres.url, tokenKey, env });
    t.after(() => instances[name].stop());
  }
  const hosts = { a: new URL(instances.a.url).host, b: new URL(instances.b.url).host };
  const instanceAt = (upstream) => Object.keys(hosts).find((name) => hosts[name] === upstream) ?? `unknown ${upstream}`;
  await startNginx(stack, [instances.a.url, instances.b.url], { port, site: site(hosts.a, hosts.b) });

  const browser = await launchBrowser();
  t.after(() => browser.close());
  const page = await browser.page();
  // Which instance answered each API call, in order ("POST /api/register a").
  const answered = [];
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (!url.pathname.startsWith('/api/')) return;
    answered.push(`${response.request().method()} ${url.pathname} ${instanceAt(response.headers()['x-perch-upstream'])}`);
  });
  // Pins /api/twitter/start and /api/twitter/exchange to the instances in `pins`.
  const pins = {};
  await browser.context.route((url) => url.origin === origin && url.pathname.startsWith('/api/twitter/'), async (route) => {
    const pin = pins[new URL(route.request().url()).pathname];
    // allHeaders(): the cookies too, which the overriding headers must keep.
    return route.continue({ headers: { ...(await route.request().allHeaders()), ...(pin ? { [PIN_HEADER]: pin } : {}) } });
  });
  const meOn = (instance) => page.evaluate(async ({ header, instance: pin }) => {
    const response = await fetch('/api/me', { headers: { [header]: pin } });
    return { status: response.status, upstream: response.headers.get('x-perch-upstream'), body: await response.json() };
  }, { header: PIN_HEADER, instance });
  const front = { emulator, base: origin };  // the site as goThroughTwitter sees it: nginx's origin

  // Sign up: started on a, the callback exchanged on b, registered wherever nginx sends it.
  pins['/api/twitter/start'] = 'a';
  pins['/api/twitter/exchange'] = 'b';
  await page.goto(`${origin}/`);
  await waitForView(page, 'Welcome to Perch');
  await goThroughTwitter(page, front);
  await waitForView(page, 'Finish signing up');
  await page.getByRole('button', { name: 'Create account' }).click();
  await waitForView(page, 'You’re signed in');
  assert.ok(answered.includes('POST /api/twitter/start a'), answered.join('\n'));
  assert.ok(answered.includes('POST /api/twitter/exchange b'), answered.join('\n'));
  assert.ok(answered.some((line) => /^POST \/api\/register [ab]$/.test(line)), answered.join('\n'));
  assert.equal(postgres.psql('SELECT username FROM accounts').trim(), EXPECTED_FORM.username);
  for (const name of ['a', 'b']) {
    const me = await meOn(name);
    assert.equal(me.status, 200, JSON.stringify(me));
    assert.equal(instanceAt(me.upstream), name);
    assert.equal(me.body.user.twitter_id, DEFAULT_USER.id_str);
  }

  // Sign out, then sign in again the other way round: start on b, callback on a.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await waitForView(page, 'Welcome to Perch');
  assert.ok(answered.some((line) => /^POST \/api\/logout [ab]$/.test(line)), answered.join('\n'));
  answered.length = 0;
  pins['/api/twitter/start'] = 'b';
  pins['/api/twitter/exchange'] = 'a';
  await goThroughTwitter(page, front, { button: 'Sign in with X' });
  await waitForView(page, 'You’re signed in');
  assert.equal(await page.locator('#account-email').textContent(), EXPECTED_FORM.email);
  assert.ok(answered.includes('POST /api/twitter/start b'), answered.join('\n'));
  assert.ok(answered.includes('POST /api/twitter/exchange a'), answered.join('\n'));
  for (const name of ['a', 'b']) assert.equal((await meOn(name)).status, 200);

  // Signed out on one instance is signed out on both.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await waitForView(page, 'Welcome to Perch');
  for (const name of ['a', 'b']) {
    const me = await meOn(name);
    assert.equal(me.status, 401, JSON.stringify(me));
    assert.equal(instanceAt(me.upstream), name);
  }
  assert.equal(postgres.psql('SELECT count(*) FROM accounts').trim(), '1');
  assert.deepEqual(browser.record.problems, [], 'no CSP violation, page error or console error');
  assert.deepEqual(browser.record.blocked, [], 'no request left 127.0.0.1');
});

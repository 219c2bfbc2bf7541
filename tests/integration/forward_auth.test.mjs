// Forward auth for real: Debian's nginx runs the README's `auth_request`
// example in front of perch-proxy (+ perch-emulator) and a tiny app that
// echoes the X-Perch-* request headers it receives.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

import { Browser, Stack, noRateLimits, startEmulator, startProxy } from './harness.mjs';
import { freePort, startNginx } from '../security/nginx.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const emulatorUser = { twitter_id: '1452019283001737216' };
const form = {
  username: 'zoe_perch', first_name: 'Zoë', last_name: 'Tester',
  email: 'zoe@example.org', timezone: 'Europe/Berlin',
};

// The nginx block of the README's "Forward auth" section, verbatim.
function readmeNginxExample() {
  const readme = fs.readFileSync(path.join(repo, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Forward auth\n'));
  const match = /```nginx\n([\s\S]*?)```/.exec(section);
  assert.ok(match, 'the README has an nginx example under "Forward auth"');
  return match[1];
}

function replaceOnce(text, from, to) {
  assert.equal(text.split(from).length, 2, `the example has exactly one "${from}"`);
  return text.replace(from, to);
}

// The example with this test's addresses in place of the README's.
function site(perchHost, appHost) {
  const example = readmeNginxExample();
  return (port) => replaceOnce(replaceOnce(replaceOnce(example,
    'server 127.0.0.1:8080;', `server ${perchHost};`),
    'server 127.0.0.1:3000;', `server ${appHost};`),
    'listen 80;', `listen 127.0.0.1:${port};`);
}

// The app behind nginx: answers every request with the X-Perch-* headers it
// received (each occurrence, in order) and records them.
function startEchoApp(stack) {
  const received = [];
  const server = http.createServer((request, response) => {
    const perch = [];
    for (let i = 0; i < request.rawHeaders.length; i += 2) {
      const name = request.rawHeaders[i].toLowerCase();
      if (name.startsWith('x-perch-')) perch.push([name, request.rawHeaders[i + 1]]);
    }
    received.push({ url: request.url, perch });
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ url: request.url, perch }));
  });
  stack.addServer(server);
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ host: `127.0.0.1:${server.address().port}`, received }));
  });
}

describe('forward auth: the README\'s nginx auth_request example, run for real', { timeout: 90000 }, () => {
  const stack = new Stack();
  let app;
  let nginx;

  const openApp = (browser, headers = {}) => browser.request('/app/dashboard',
    { method: 'GET', headers: { 'content-type': null, origin: null, ...headers } });
  const forged = { 'x-perch-user-id': '1', 'x-perch-username': 'admin', 'x-perch-email': 'admin@example.org' };

  before(async () => {
    const emulator = await startEmulator(stack);
    app = await startEchoApp(stack);
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const proxy = await startProxy(stack, emulator.url, {
      ...noRateLimits, '--public-origin': origin, '--callback-url': `${origin}/signup/callback`,
    });
    nginx = await startNginx(stack, proxy.url, { port, site: site(new URL(proxy.url).host, app.host) });
    assert.equal(nginx.url, origin);
  });

  after(async () => {
    const results = await stack.close();
    for (const result of results) assert.ok(!result.error, String(result.error));
  });

  test('before sign-in the app is not reached: 401, also with a forged X-Perch-User-Id', async () => {
    const person = new Browser(nginx.url);
    assert.equal((await openApp(person)).status, 401);
    assert.equal((await openApp(person, forged)).status, 401);
    assert.equal((await person.get('/api/auth')).status, 401);
    assert.deepEqual(app.received, []);
  });

  test('an X identity that has not registered is not let through', async () => {
    const person = new Browser(nginx.url);
    const exchanged = await person.signInWithTwitter();
    assert.equal(exchanged.status, 200, exchanged.body);
    assert.equal(exchanged.json.status, 'new');
    assert.equal((await openApp(person, forged)).status, 401);
    assert.deepEqual(app.received, []);
  });

  test('after sign-in and register the app sees exactly the account\'s headers; forged ones never get through', async () => {
    const person = new Browser(nginx.url);
    const exchanged = await person.signInWithTwitter();
    assert.equal(exchanged.status, 200, exchanged.body);
    const created = await person.register(form);
    assert.equal(created.status, 201, created.body);
    const real = [
      ['x-perch-user-id', emulatorUser.twitter_id],
      ['x-perch-username', form.username],
      ['x-perch-email', form.email],
    ];

    const opened = await openApp(person);
    assert.equal(opened.status, 200, opened.body);
    assert.deepEqual(opened.json, { url: '/app/dashboard', perch: real });

    const forgedAttempt = await openApp(person, forged);
    assert.equal(forgedAttempt.status, 200, forgedAttempt.body);
    assert.deepEqual(forgedAttempt.json.perch, real);
    assert.equal(app.received.length, 2);
    assert.ok(app.received.every((entry) => entry.perch.every(([, value]) => value !== '1' && value !== 'admin')));

    // Signed out: the app is closed again, even to the old cookie with forged headers.
    const cookie = person.cookie;
    assert.equal((await person.logout()).status, 204);
    person.cookie = cookie;
    assert.equal((await openApp(person, forged)).status, 401);
    assert.equal(app.received.length, 2);
  });
});

// perch-proxy's OAuth 2.0 requests proved against code nobody here wrote:
// tests/oauth2_reference/provider.py is python3-oauthlib's
// WebApplicationServer (PKCE required, exact redirect URI, X's client rules).
// It must accept every request the proxy makes, confidential and public client.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Browser, Child, Stack, callbackUrl, clientId, clientSecret, startProxy } from './harness.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const provider = path.join(repo, 'tests/oauth2_reference/provider.py');

async function startReference(stack, { publicClient }) {
  const log = path.join(stack.tempDir(), 'requests.jsonl');
  const args = [provider, '--client-id', clientId, '--redirect-uri', callbackUrl, '--log', log];
  if (!publicClient) args.push('--client-secret', clientSecret);
  const child = stack.add(new Child('oauth2-reference', '/usr/bin/python3', args, {}));
  child.url = await child.listening();
  child.requests = () => fs.readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  return child;
}

async function startProxyFor(stack, reference, { publicClient, scopes }) {
  return startProxy(stack, null, {
    '--consumer-key': null, '--twitter-api': null, '--start-per-minute': '0', '--exchange-per-minute': '0',
  }, {
    PERCH_CLIENT_ID: clientId, PERCH_X_API: reference.url, PERCH_X_AUTHORIZE_URL: `${reference.url}/i/oauth2/authorize`,
    ...(publicClient ? {} : { PERCH_CLIENT_SECRET: clientSecret }), ...(scopes ? { PERCH_SCOPES: scopes } : {}),
  });
}

// start -> the provider approves at once (302 to the callback) -> exchange.
async function signIn(browser) {
  const started = await browser.start();
  assert.equal(started.status, 200, started.body);
  const approved = await fetch(started.json.authorize_url, { redirect: 'manual' });
  assert.equal(approved.status, 302, await approved.text());
  const location = new URL(approved.headers.get('location'));
  assert.equal(`${location.origin}${location.pathname}`, callbackUrl);
  assert.equal(location.searchParams.get('state'), started.json.state);
  return browser.exchange(location.search);
}

for (const publicClient of [false, true]) {
  const kind = publicClient ? 'public' : 'confidential';
  describe(`oauthlib's WebApplicationServer accepts every request of perch-proxy as a ${kind} client`, { timeout: 60000 }, () => {
    test('sign-up, with and without users.email', async () => {
      const stack = new Stack();
      try {
        const reference = await startReference(stack, { publicClient });
        const proxy = await startProxyFor(stack, reference, { publicClient });
        const first = await signIn(new Browser(proxy.url));
        assert.equal(first.status, 200, first.body);
        assert.equal(first.json.status, 'new');
        assert.deepEqual(Object.keys(first.json.twitter_user).sort(), ['id', 'name', 'profile_image_url', 'username']);
        assert.equal(first.json.twitter_user.id, '1452019283001737216');

        const withEmail = await startProxyFor(stack, reference,
          { publicClient, scopes: 'tweet.read users.read users.email offline.access' });
        const second = await signIn(new Browser(withEmail.url));
        assert.equal(second.status, 200, second.body);
        assert.equal(second.json.twitter_user.confirmed_email, 'zoe.angstrom@example.org');

        const requests = reference.requests();
        assert.ok(requests.length >= 6);
        for (const request of requests) assert.ok(request.status < 400, `refused: ${JSON.stringify(request)}`);

        const authorizes = requests.filter((r) => r.path === '/i/oauth2/authorize');
        assert.equal(authorizes.length, 2);
        for (const { query } of authorizes) {
          assert.deepEqual(query.response_type, ['code']);
          assert.deepEqual(query.client_id, [clientId]);
          assert.deepEqual(query.redirect_uri, [callbackUrl]);
          assert.deepEqual(query.code_challenge_method, ['S256']);
        }
        assert.deepEqual(authorizes[1].query.scope, ['tweet.read users.read users.email offline.access']);

        const tokens = requests.filter((r) => r.path === '/2/oauth2/token');
        assert.equal(tokens.length, 2);
        for (const token of tokens) {
          assert.deepEqual(token.form.grant_type, ['authorization_code']);
          assert.deepEqual(token.form.redirect_uri, [callbackUrl]);
          assert.match(token.form.code_verifier[0], /^[A-Za-z0-9_-]{43}$/);
          assert.equal(token.form.client_secret, undefined, 'the secret never goes in the body');
          if (publicClient) {
            assert.deepEqual(token.form.client_id, [clientId]);
            assert.equal(token.headers.authorization, undefined);
          } else {
            assert.deepEqual(token.headers.authorization, { scheme: 'Basic', client_id: clientId });
          }
        }
        const users = requests.filter((r) => r.path === '/2/users/me');
        assert.deepEqual(users.map((r) => r.query['user.fields']),
          [['id,name,username,profile_image_url'], ['id,name,username,profile_image_url,confirmed_email']]);
        for (const r of users) assert.deepEqual(r.headers.authorization, { scheme: 'Bearer' });
      } finally {
        await stack.close();
      }
    });
  });
}

// perch-proxy on OAuth 1.0a against an X app on the Free tier (perch-emulator
// --tier free: v1.1 verify_credentials answers 403 with code 453): the proxy
// falls back to /2/users/me signed with OAuth 1.0a, says so once in its log,
// and asks v1.1 no more.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { Browser, Stack, noRateLimits, providerCallCounts, startEmulator, startProxy } from './harness.mjs';

describe('OAuth 1.0a on the Free tier', { timeout: 60000 }, () => {
  test('sign-ups go on through /2/users/me, without an email; one operator line', async () => {
    const stack = new Stack();
    let results;
    try {
      const emulator = await startEmulator(stack, ['--tier', 'free']);
      const proxy = await startProxy(stack, emulator.url, noRateLimits);
      const first = await new Browser(proxy.url).signInWithTwitter();
      assert.equal(first.status, 200, first.body);
      assert.equal(first.json.status, 'new');
      const user = first.json.twitter_user;
      assert.match(user.id, /^\d+$/);
      assert.equal(typeof user.username, 'string');
      assert.equal(user.email, undefined);
      assert.equal(user.confirmed_email, undefined);
      const afterFirst = await providerCallCounts(emulator);
      assert.equal(afterFirst.verify_credentials, 1);
      assert.equal(afterFirst.users_me, 1);

      const second = await new Browser(proxy.url).signInWithTwitter();
      assert.equal(second.status, 200, second.body);
      const afterSecond = await providerCallCounts(emulator);
      assert.equal(afterSecond.verify_credentials, 1, 'v1.1 is not asked again');
      assert.equal(afterSecond.users_me, 2);

      // The person registers with an email of their own.
      const browser = new Browser(proxy.url);
      assert.equal((await browser.signInWithTwitter()).status, 200);
      const registered = await browser.register({
        username: 'free_tier', first_name: 'Zoë', last_name: '', email: 'zoe@example.com', timezone: 'UTC',
      });
      assert.equal(registered.status, 201, registered.body);
    } finally {
      results = await stack.close();
    }
    const log = results.find((r) => r.name === 'perch-proxy').output;
    assert.equal(log.match(/code 453/g)?.length, 1, 'one operator line');
    assert.match(log, /Basic or a higher access level restores v1\.1/);
  });
});

// The session id changes whenever the session gains privilege — when the
// exchange establishes a Twitter identity, when a registration signs it in,
// when a returning user is signed in — and the old id is dead at once, so an
// id learnt (or planted) before sign-in is worth nothing after it. Sign-out
// ends the session on the server, not only in the browser.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { SiteBrowser, assertError, consent, emulatorUser, startSecureStack, validForm } from './lib.mjs';

function withCookie(proxyUrl, id) {
  const browser = new SiteBrowser(proxyUrl);
  browser.cookie = id;
  return browser;
}

describe('session id rotation', { timeout: 90000 }, () => {
  let env;
  before(async () => { env = await startSecureStack(); });
  after(async () => { await env.stack.close(); });

  test('rotated on the exchange and again on registration; each older id is dead', async () => {
    const { proxy } = env;
    const browser = new SiteBrowser(proxy.url);
    const started = await browser.start();
    assert.equal(started.status, 200, started.body);
    const beforeIdentity = browser.cookie;
    assert.match(beforeIdentity, /^[A-Za-z0-9_-]{43}$/);

    const exchanged = await browser.exchange(await consent(started.json.authorize_url));
    assert.equal(exchanged.status, 200, exchanged.body);
    assert.equal(exchanged.json.status, 'new');
    assert.equal(exchanged.setCookies.length, 1, 'the exchange sets the rotated id');
    const withIdentity = browser.cookie;
    assert.notEqual(withIdentity, beforeIdentity, 'the exchange rotated the session id');

    // The pre-identity id cannot register the identity established after it.
    assertError(await withCookie(proxy.url, beforeIdentity).register(validForm()), 401, 'not_authenticated');

    const registered = await browser.register(validForm());
    assert.equal(registered.status, 201, registered.body);
    assert.equal(registered.setCookies.length, 1, 'registration sets the rotated id');
    const signedIn = browser.cookie;
    assert.notEqual(signedIn, withIdentity, 'registration rotated the session id');
    assert.notEqual(signedIn, beforeIdentity);

    assertError(await withCookie(proxy.url, withIdentity).me(), 401, 'not_authenticated');
    assertError(await withCookie(proxy.url, beforeIdentity).me(), 401, 'not_authenticated');
    const me = await browser.me();
    assert.equal(me.status, 200, me.body);
    assert.equal(me.json.user.twitter_id, emulatorUser.id_str);

    // Sign-out ends the session server-side: replaying the id afterwards fails.
    assert.equal((await browser.logout()).status, 204);
    assertError(await withCookie(proxy.url, signedIn).me(), 401, 'not_authenticated');
  });

  test('rotated when a returning user is signed in by the exchange', async () => {
    const { proxy } = env;
    const browser = new SiteBrowser(proxy.url);
    const started = await browser.start();
    const beforeIdentity = browser.cookie;
    const exchanged = await browser.exchange(await consent(started.json.authorize_url));
    assert.equal(exchanged.status, 200, exchanged.body);
    assert.equal(exchanged.json.status, 'signed_in', 'the first test registered this Twitter user');
    assert.equal(exchanged.setCookies.length, 1);
    assert.notEqual(browser.cookie, beforeIdentity);
    assertError(await withCookie(proxy.url, beforeIdentity).me(), 401, 'not_authenticated');
    assert.equal((await browser.me()).status, 200);
  });
});

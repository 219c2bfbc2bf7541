// A session begins only when the exchange establishes a Twitter identity —
// starting a sign-in makes none — and its id changes whenever it gains
// privilege: on registration, and when a browser that already had a session
// signs in again. The old id is dead at once, so an id learnt (or planted)
// before is worth nothing after. Sign-out ends the session on the server,
// not only in the browser.
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

  test('no session before the exchange; a new id on registration; each older id is dead', async () => {
    const { proxy } = env;
    const browser = new SiteBrowser(proxy.url);
    const started = await browser.start();
    assert.equal(started.status, 200, started.body);
    assert.equal(browser.cookie, '', 'a start made a session');

    const exchanged = await browser.exchange(await consent(started.json.authorize_url));
    assert.equal(exchanged.status, 200, exchanged.body);
    assert.equal(exchanged.json.status, 'new');
    const withIdentity = browser.cookie;
    assert.match(withIdentity, /^[A-Za-z0-9_-]{43}$/, 'the exchange sets the session');

    const registered = await browser.register(validForm());
    assert.equal(registered.status, 201, registered.body);
    assert.equal(registered.setCookies.length, 1, 'registration sets the rotated id');
    const signedIn = browser.cookie;
    assert.notEqual(signedIn, withIdentity, 'registration rotated the session id');

    // The pre-registration id can neither read the account nor register again.
    assertError(await withCookie(proxy.url, withIdentity).me(), 401, 'not_authenticated');
    assertError(await withCookie(proxy.url, withIdentity).register(validForm('other_name')), 401, 'not_authenticated');
    const me = await browser.me();
    assert.equal(me.status, 200, me.body);
    assert.equal(me.json.user.twitter_id, emulatorUser.id_str);

    // Sign-out ends the session server-side: replaying the id afterwards fails.
    assert.equal((await browser.logout()).status, 204);
    assertError(await withCookie(proxy.url, signedIn).me(), 401, 'not_authenticated');
  });

  test('a browser with a session that signs in again gets a new id; the old one is dead', async () => {
    const { proxy } = env;
    const browser = new SiteBrowser(proxy.url);
    let started = await browser.start();
    assert.equal((await browser.exchange(await consent(started.json.authorize_url))).status, 200);
    const before = browser.cookie;
    assert.equal((await browser.me()).status, 200, 'the first test registered this Twitter user');

    started = await browser.start();
    const exchanged = await browser.exchange(await consent(started.json.authorize_url));
    assert.equal(exchanged.status, 200, exchanged.body);
    assert.equal(exchanged.json.status, 'signed_in');
    assert.match(browser.cookie, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(browser.cookie, before);
    assertError(await withCookie(proxy.url, before).me(), 401, 'not_authenticated');
    assert.equal((await browser.me()).status, 200);
  });
});

// The session cookie's flags on every response that sets it: HttpOnly (no
// script reads it), SameSite=Lax (not sent on cross-site POSTs), Path=/, and
// Secure exactly when the public origin is https, and then named with the
// __Host- prefix (no other host can set or shadow it). With an https public origin
// the listener is still plain http on loopback: TLS ends at a terminator in
// front of it, which the test plays by sending that origin itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { SiteBrowser, consent, parseSetCookie, signedUpBrowser, startSecureStack, validForm } from './lib.mjs';

// start, exchange (rotation), register (rotation), logout (clearing): every Set-Cookie.
async function cookiesOfAFullVisit(proxyUrl, origin) {
  const browser = new SiteBrowser(proxyUrl, origin);
  const started = await browser.start();
  assert.equal(started.status, 200, started.body);
  const exchanged = await browser.exchange(await consent(started.json.authorize_url));
  assert.equal(exchanged.status, 200, exchanged.body);
  const registered = await browser.register(validForm());
  assert.equal(registered.status, 201, registered.body);
  const loggedOut = await browser.logout();
  assert.equal(loggedOut.status, 204, loggedOut.body);
  const cookies = { start: started.setCookies, exchange: exchanged.setCookies, register: registered.setCookies, logout: loggedOut.setCookies };
  for (const [step, list] of Object.entries(cookies)) assert.equal(list.length, 1, `${step} sets ${list.length} cookies: ${list}`);
  return Object.fromEntries(Object.entries(cookies).map(([step, list]) => [step, parseSetCookie(list[0])]));
}

function checkFlags(cookie, { secure, step }) {
  const where = `${step}: ${cookie.raw}`;
  assert.equal(cookie.name, secure ? '__Host-perch_session' : 'perch_session', where);
  assert.equal(cookie.attributes.get('httponly'), true, where);
  assert.equal(cookie.attributes.get('samesite'), 'Lax', where);
  assert.equal(cookie.attributes.get('path'), '/', where);
  assert.equal(cookie.attributes.has('secure'), secure, where);
  assert.ok(!cookie.attributes.has('domain'), `no Domain: a host-only cookie (${where})`);
  const known = new Set(['httponly', 'samesite', 'path', 'secure', 'max-age']);
  for (const name of cookie.attributes.keys()) assert.ok(known.has(name), `unexpected attribute ${name} (${where})`);
}

test('over an http public origin the session cookie is HttpOnly, SameSite=Lax, Path=/ and not Secure', { timeout: 60000 }, async () => {
  const { stack, proxy } = await startSecureStack();
  try {
    const cookies = await cookiesOfAFullVisit(proxy.url, proxy.url);
    for (const [step, cookie] of Object.entries(cookies)) checkFlags(cookie, { secure: false, step });
    for (const step of ['start', 'exchange', 'register']) {
      assert.match(cookies[step].value, /^[A-Za-z0-9_-]{43}$/, step);
      assert.equal(cookies[step].attributes.get('max-age'), '86400', step);
    }
    assert.equal(cookies.logout.value, '');
    assert.equal(cookies.logout.attributes.get('max-age'), '0');
  } finally {
    await stack.close();
  }
});

test('with an https public origin every session cookie is __Host-perch_session and Secure', { timeout: 60000 }, async () => {
  const origin = 'https://perch.example';
  const { stack, proxy } = await startSecureStack({ flags: { '--public-origin': origin, '--callback-url': `${origin}/signup/callback` } });
  try {
    const cookies = await cookiesOfAFullVisit(proxy.url, origin);
    for (const [step, cookie] of Object.entries(cookies)) checkFlags(cookie, { secure: true, step });
    // The https deployment still refuses its own loopback address as an origin.
    const other = new SiteBrowser(proxy.url, proxy.url);
    assert.equal((await other.start()).status, 403);
  } finally {
    await stack.close();
  }
});

test('an unknown session id offered by the browser is never adopted (no session fixation)', { timeout: 60000 }, async () => {
  const { stack, proxy } = await startSecureStack();
  try {
    const planted = 'A'.repeat(43);
    const browser = new SiteBrowser(proxy.url);
    browser.cookie = planted;
    const started = await browser.start();
    assert.equal(started.status, 200, started.body);
    assert.equal(started.setCookies.length, 1);
    const issued = parseSetCookie(started.setCookies[0]).value;
    assert.match(issued, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(issued, planted);
    // The planted id names nothing afterwards either.
    const attacker = new SiteBrowser(proxy.url);
    attacker.cookie = planted;
    assert.equal((await attacker.me()).status, 401);
    assert.equal((await attacker.register(validForm())).status, 401);
  } finally {
    await stack.close();
  }
});

test('with an https public origin a plain perch_session cookie (tossed by a sibling subdomain) names no session', { timeout: 60000 }, async () => {
  const origin = 'https://perch.example';
  const { stack, proxy } = await startSecureStack({ flags: { '--public-origin': origin, '--callback-url': `${origin}/signup/callback` } });
  try {
    // The attacker's own signed-in session, which a sibling host could plant without the prefix.
    const attacker = await signedUpBrowser(proxy.url, { origin });
    assert.equal(attacker.cookieName, '__Host-perch_session');
    assert.equal((await attacker.me()).status, 200);

    const victim = new SiteBrowser(proxy.url, origin);
    victim.cookie = attacker.cookie;  // the live id, under the unprefixed name
    assert.equal(victim.cookieName, 'perch_session');
    assert.equal((await victim.me()).status, 401);
    const victimStart = await victim.start();
    assert.equal(victimStart.status, 200, victimStart.body);
    assert.equal(victimStart.setCookies.length, 1, 'the planted id is not adopted: a new session is issued');
    const issued = parseSetCookie(victimStart.setCookies[0]);
    assert.equal(issued.name, '__Host-perch_session');
    assert.notEqual(issued.value, attacker.cookie);
  } finally {
    await stack.close();
  }
});

// The cookies' flags on every response that sets them: HttpOnly (no script
// reads them), SameSite=Lax (not sent on cross-site POSTs), Path=/, and
// Secure exactly when the public origin is https, and then named with the
// __Host- prefix (no other host can set or shadow them). Two kinds: a
// pending sign-in's flow cookie (one per flow, set by start, cleared by its
// exchange) and the session cookie (set once the exchange identified someone).
// With an https public origin the listener is still plain http on loopback:
// TLS ends at a terminator in front of it, which the test plays by sending
// that origin itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  SiteBrowser, assertError, consent, parseSetCookie, providerCalls, signedUpBrowser, startSecureStack, validForm,
} from './lib.mjs';

// start, exchange (session + the flow cleared), register (rotation), logout (clearing): every Set-Cookie.
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
  const counts = { start: [started, 1], exchange: [exchanged, 2], register: [registered, 1], logout: [loggedOut, 1] };
  for (const [step, [answer, n]] of Object.entries(counts)) {
    assert.equal(answer.setCookies.length, n, `${step} sets ${answer.setCookies.length} cookies: ${answer.setCookies}`);
  }
  const all = Object.entries(counts).flatMap(([step, [answer]]) => answer.setCookies.map((c) => ({ step, ...parseSetCookie(c) })));
  assert.deepEqual(browser.flowCookies, [], 'the exchange cleared the flow cookie');
  return all;
}

function checkFlags(cookie, { secure }) {
  const where = `${cookie.step}: ${cookie.raw}`;
  const prefix = secure ? '__Host-' : '';
  assert.match(cookie.name, new RegExp(`^${prefix}perch_(session|flow_[A-Za-z0-9_-]{11})$`), where);
  assert.equal(cookie.attributes.get('httponly'), true, where);
  assert.equal(cookie.attributes.get('samesite'), 'Lax', where);
  assert.equal(cookie.attributes.get('path'), '/', where);
  assert.equal(cookie.attributes.has('secure'), secure, where);
  assert.ok(!cookie.attributes.has('domain'), `no Domain: a host-only cookie (${where})`);
  const known = new Set(['httponly', 'samesite', 'path', 'secure', 'max-age']);
  for (const name of cookie.attributes.keys()) assert.ok(known.has(name), `unexpected attribute ${name} (${where})`);
  if (cookie.value === '') {
    assert.equal(cookie.attributes.get('max-age'), '0', where);
  } else if (cookie.name.endsWith('perch_session')) {
    assert.match(cookie.value, /^[A-Za-z0-9_-]{43}$/, where);
    assert.equal(cookie.attributes.get('max-age'), '86400', where);
  } else {
    assert.match(cookie.value, /^[A-Za-z0-9_-]{100,400}$/, where);
    assert.equal(cookie.attributes.get('max-age'), '660', `the flow lifetime and a minute (${where})`);
  }
}

function checkVisit(cookies, secure) {
  for (const cookie of cookies) checkFlags(cookie, { secure });
  const flow = cookies.find((c) => c.step === 'start');
  assert.match(flow.name, /perch_flow_/);
  const exchange = cookies.filter((c) => c.step === 'exchange');
  assert.ok(exchange.some((c) => c.name === flow.name && c.value === ''), 'the exchange clears the flow it used');
  assert.ok(exchange.some((c) => c.name.endsWith('perch_session') && c.value !== ''), 'the exchange sets the session');
  assert.equal(cookies.find((c) => c.step === 'logout').value, '');
}

test('over an http public origin the cookies are HttpOnly, SameSite=Lax, Path=/ and not Secure', { timeout: 60000 }, async () => {
  const { stack, proxy } = await startSecureStack();
  try {
    checkVisit(await cookiesOfAFullVisit(proxy.url, proxy.url), false);
  } finally {
    await stack.close();
  }
});

test('with an https public origin every cookie is __Host- prefixed and Secure', { timeout: 60000 }, async () => {
  const origin = 'https://perch.example';
  const { stack, proxy } = await startSecureStack({ flags: { '--public-origin': origin, '--callback-url': `${origin}/signup/callback` } });
  try {
    checkVisit(await cookiesOfAFullVisit(proxy.url, origin), true);
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
    assert.equal(browser.cookie, planted, 'a start sets no session');
    const exchanged = await browser.exchange(await consent(started.json.authorize_url));
    assert.equal(exchanged.status, 200, exchanged.body);
    assert.match(browser.cookie, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(browser.cookie, planted);
    // The planted id names nothing afterwards either.
    const attacker = new SiteBrowser(proxy.url);
    attacker.cookie = planted;
    assert.equal((await attacker.me()).status, 401);
    assert.equal((await attacker.register(validForm())).status, 401);
  } finally {
    await stack.close();
  }
});

test('with an https public origin unprefixed cookies (which a sibling subdomain can set) name no session and no flow', { timeout: 60000 }, async () => {
  const origin = 'https://perch.example';
  const { stack, proxy, recorder } = await startSecureStack({ flags: { '--public-origin': origin, '--callback-url': `${origin}/signup/callback` } });
  try {
    // The attacker's own signed-in session, which a sibling host could plant without the prefix.
    const attacker = await signedUpBrowser(proxy.url, { origin });
    assert.equal(attacker.cookieName, '__Host-perch_session');
    assert.equal((await attacker.me()).status, 200);

    const victim = new SiteBrowser(proxy.url, origin);
    victim.cookie = attacker.cookie;  // the live id, under the unprefixed name
    assert.equal(victim.cookieName, 'perch_session');
    assert.equal((await victim.me()).status, 401);

    // Login CSRF: the attacker's own pending flow planted in the victim's
    // browser without the prefix, and the attacker's callback: not a flow here.
    const flow = new SiteBrowser(proxy.url, origin);
    const started = await flow.start();
    const [name] = flow.flowCookies;
    assert.match(name, /^__Host-perch_flow_/);
    const query = await consent(started.json.authorize_url);
    victim.jar.set(name.slice('__Host-'.length), flow.jar.get(name));
    const calls = providerCalls(recorder).total;
    assertError(await victim.exchange(query), 400, 'no_session');
    assert.equal(providerCalls(recorder).total, calls, 'the planted flow reached the provider');
    assert.equal(victim.jar.has('__Host-perch_session'), false, 'the victim was signed in as the attacker');
    // The flow itself was genuine: under its own name it completes.
    assert.equal((await flow.exchange(query)).status, 200);
  } finally {
    await stack.close();
  }
});

// Cross-site request forgery guards on every state-changing route: a request
// must come from the public origin (Origin header, or, without one,
// Sec-Fetch-Site: same-origin) and carry application/json — which a
// cross-site <form> cannot send without a CORS preflight the proxy never
// answers. Refusals happen before any session, database or provider work.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  SiteBrowser, assertError, consent, providerCalls, rawRequest, routesInSource, signedUpBrowser, startSecureStack,
  stateChangingRoutesInSource, validForm,
} from './lib.mjs';

const knownRoutes = ['/api/twitter/start', '/api/twitter/exchange', '/api/register', '/api/logout']
  .map((path) => ({ method: 'POST', path })).concat([{ method: 'DELETE', path: '/api/me' }]);
const sourceRoutes = stateChangingRoutesInSource();
const key = (route) => `${route.method} ${route.path}`;
const routes = [...new Map([...knownRoutes, ...sourceRoutes].map((route) => [key(route), route])).values()];
// What a path's 405 names in Allow: every method the table serves there, in table order.
const allowFor = (path) => routesInSource().filter((route) => route.path === path)
  .map((route) => (route.method === 'GET' ? 'GET, HEAD' : route.method)).join(', ');

// A body each route would accept, so only the guard can refuse it.
function bodyFor(route, query) {
  if (route === '/api/twitter/exchange') return JSON.stringify({ callback_query: query });
  if (route === '/api/register') return JSON.stringify(validForm('guard_user'));
  return '{}';
}

describe('state-changing routes refuse foreign origins and non-JSON bodies', { timeout: 90000 }, () => {
  let env;
  let victim;       // a signed-in person whose cookie every forged request carries
  let pendingQuery; // a callback for a pending flow of the victim
  before(async () => {
    env = await startSecureStack();
    victim = await signedUpBrowser(env.proxy.url);
    const pending = await victim.start();
    pendingQuery = await consent(pending.json.authorize_url);
  });
  after(async () => { await env.stack.close(); });

  test('the route table was read, and every state-changing route in it is covered', () => {
    const found = sourceRoutes.map(key);
    assert.ok(found.includes('POST /api/twitter/start') && found.includes('POST /api/twitter/exchange'),
      `routes found in proxy/src: ${found}`);
    for (const route of knownRoutes) assert.ok(found.includes(key(route)), key(route));
  });

  test('a foreign, null, look-alike or missing Origin is refused with 403 on every POST route', async () => {
    const { proxy, recorder } = env;
    const port = Number(new URL(proxy.url).port);
    const badOrigins = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: `http://127.0.0.1:${port + 1}` },
      { origin: `https://127.0.0.1:${port}` },
      { origin: `http://localhost:${port}` },
      { origin: `${proxy.url}/` },
      { origin: `${proxy.url}.evil.example` },
      { origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' },
      { origin: null },
      { origin: null, 'sec-fetch-site': 'cross-site' },
      { origin: null, 'sec-fetch-site': 'same-site' },
      { origin: null, 'sec-fetch-site': 'none' },
    ];
    const calls = providerCalls(recorder).total;
    for (const route of routes) {
      for (const headers of badOrigins) {
        const answer = await victim.request(route.path, { method: route.method, body: bodyFor(route.path, pendingQuery), headers });
        assertError(answer, 403, 'forbidden_origin');
        assert.equal(answer.setCookies.length, 0, `${key(route)} ${JSON.stringify(headers)} set a cookie`);
      }
      // Two Origin headers (no browser sends that): refused even if one is right.
      const body = bodyFor(route.path, pendingQuery);
      for (const pair of [[proxy.url, 'https://evil.example'], [proxy.url, proxy.url]]) {
        const answer = await rawRequest(proxy.url,
          `${route.method} ${route.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: ${pair[0]}\r\nOrigin: ${pair[1]}\r\n` +
          `Content-Type: application/json\r\nCookie: perch_session=${victim.cookie}\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
        assert.equal(answer.status, 403, `${key(route)} with Origins ${pair}: ${answer.raw}`);
      }
    }
    assert.equal(providerCalls(recorder).total, calls, 'a refused request reached the provider');
    // Nothing changed for the victim: still signed in (the forged logout did nothing), flow still pending.
    assert.equal((await victim.me()).status, 200);
    const exchanged = await victim.exchange(pendingQuery);
    assert.equal(exchanged.status, 200, `the forged exchange consumed the victim's flow: ${exchanged.body}`);
    // (the victim is signed in again by that exchange; the next test uses the new cookie)
  });

  test('the public origin, or no Origin with Sec-Fetch-Site: same-origin, passes the guard', async () => {
    const { proxy } = env;
    for (const headers of [{}, { origin: null, 'sec-fetch-site': 'same-origin' }]) {
      const browser = new SiteBrowser(proxy.url);
      const answer = await browser.request('/api/twitter/start', { body: '{}', headers });
      assert.equal(answer.status, 200, `${JSON.stringify(headers)}: ${answer.body}`);
      // The other routes answer on their merits (400/401/204), never 403/415.
      for (const route of routes.filter((r) => r.path !== '/api/twitter/start')) {
        const other = await browser.request(route.path, { method: route.method, body: bodyFor(route.path, '?oauth_token=a&oauth_verifier=b'), headers });
        assert.ok(![403, 415].includes(other.status), `${key(route)} ${JSON.stringify(headers)}: ${other.status} ${other.body}`);
      }
    }
  });

  test('a body that is not declared application/json is refused with 415 on every POST route', async () => {
    const { recorder } = env;
    const badTypes = [
      'text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x',
      'multipart/form-data; boundary=----x', null, '', 'application/json; charset=latin1', 'application/jsonp', 'application/x-json', 'text/json',
      'application/json, text/plain',
    ];
    const calls = providerCalls(recorder).total;
    const browser = new SiteBrowser(env.proxy.url);
    browser.cookie = victim.cookie;
    for (const route of routes) {
      for (const type of badTypes) {
        const answer = await browser.request(route.path, { method: route.method, body: bodyFor(route.path, pendingQuery), headers: { 'content-type': type } });
        if (type?.startsWith('multipart/') && answer.status === 400) {
          // cpp-httplib parses multipart bodies itself and refuses this one before any route runs.
          assertError(answer, 400, 'bad_request');
        } else {
          assertError(answer, 415, 'unsupported_media_type');
        }
        assert.equal(answer.setCookies.length, 0, `${key(route)} ${type} set a cookie`);
      }
    }
    // A well-formed multipart body (what a cross-site <form enctype=multipart/form-data> sends).
    const multipart = '------x\r\nContent-Disposition: form-data; name="callback_query"\r\n\r\n' +
      `${pendingQuery}\r\n------x--\r\n`;
    for (const route of routes) {
      const answer = await browser.request(route.path, { method: route.method, body: multipart, headers: { 'content-type': 'multipart/form-data; boundary=----x' } });
      assertError(answer, 415, 'unsupported_media_type');
    }
    assert.equal(providerCalls(recorder).total, calls, 'a refused request reached the provider');
    assert.equal((await browser.me()).status, 200, 'a refused logout signed the person out');
    for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON']) {
      const answer = await new SiteBrowser(env.proxy.url).request('/api/twitter/start', { body: '{}', headers: { 'content-type': type } });
      assert.equal(answer.status, 200, `${type}: ${answer.body}`);
    }
  });

  test('state-changing routes answer no other method (no change through GET, a link or an <img>)', async () => {
    const browser = new SiteBrowser(env.proxy.url);
    browser.cookie = victim.cookie;
    for (const route of routes) {
      const allow = allowFor(route.path);
      const served = allow.split(', ');
      for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'].filter((m) => !served.includes(m))) {
        const answer = await browser.request(route.path, { method, body: method === 'GET' || method === 'HEAD' ? undefined : '{}' });
        assert.equal(answer.status, 405, `${method} ${route.path}: ${answer.status} ${answer.body}`);
        assert.equal(new Map(answer.headers).get('allow'), allow, `${method} ${route.path}`);
      }
    }
    assert.equal((await browser.me()).status, 200);
  });
});

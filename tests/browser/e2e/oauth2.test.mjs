// The page with a proxy speaking OAuth 2.0 + PKCE to the emulator, in headless
// chromium: sign-up, sign-in, Cancel and a tampered state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CLIENT_SECRET, DEFAULT_USER, EXPECTED_FORM, accountCount, assertClean, formValues, goThroughTwitter, oauth2Stack,
  queryDatabase, recordApiCalls, screenshot, setUpAtStart, waitForView,
} from './harness.mjs';

const setUp = setUpAtStart;
const accounts = accountCount;

test('OAuth 2.0 sign-up with users.email: the form has the confirmed email; then sign out and sign in', { timeout: 120000 }, async (t) => {
  const { stack, browser, page } = await setUp(t, oauth2Stack({ scopes: 'tweet.read users.read users.email offline.access' }));
  assert.equal(await page.getByRole('button', { name: 'Sign up with X' }).count(), 1);
  const callback = new URL(await goThroughTwitter(page, stack));
  assert.ok(callback.searchParams.get('code'), 'the emulator sent a code');
  assert.ok(callback.searchParams.get('state'), 'and the state');
  assert.equal(callback.searchParams.get('oauth_token'), null);

  await waitForView(page, 'Finish signing up');
  assert.deepEqual(await formValues(page), EXPECTED_FORM);
  assert.equal(page.url(), `${stack.base}/`, 'the code is not left in the address bar');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('perch.oauth_token')), null);
  assert.equal(await page.locator('#form-profile .handle').textContent(), `@${DEFAULT_USER.screen_name}`);
  const html = await page.content();
  assert.ok(!html.includes(CLIENT_SECRET), 'the client secret never reaches the page');
  await screenshot(page, 'oauth2-signup-form');

  await page.getByRole('button', { name: 'Create account' }).click();
  await waitForView(page, 'You’re signed in');
  assert.equal(await page.locator('#account-email').textContent(), DEFAULT_USER.email);
  const [row] = queryDatabase(stack.database,
    'SELECT twitter_id, length(access_token) AS oauth1, length(oauth2_access_token) AS access, ' +
    'length(oauth2_refresh_token) AS refresh FROM accounts');
  assert.equal(row.twitter_id, DEFAULT_USER.id_str);
  assert.equal(row.oauth1, 0);
  assert.ok(row.access > 28 && row.refresh > 28, 'both OAuth 2.0 tokens stored sealed');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await waitForView(page, 'Welcome to Perch');
  await goThroughTwitter(page, stack, { button: 'Sign in with X' });
  await waitForView(page, 'You’re signed in');
  assert.equal(accounts(stack), 1);
  assertClean(browser);
});

test('OAuth 2.0 without users.email: the email field is left for the person, never made up', { timeout: 90000 }, async (t) => {
  const { stack, browser, page } = await setUp(t, oauth2Stack());
  await goThroughTwitter(page, stack);
  await waitForView(page, 'Finish signing up');
  assert.deepEqual(await formValues(page), { ...EXPECTED_FORM, email: '' });
  assertClean(browser);
});

test('OAuth 2.0 Cancel: back at the start with "Sign-up cancelled"', { timeout: 90000 }, async (t) => {
  const { stack, browser, page } = await setUp(t, oauth2Stack());
  const calls = recordApiCalls(page);
  const callback = new URL(await goThroughTwitter(page, stack, { consent: 'Cancel' }));
  assert.equal(callback.searchParams.get('error'), 'access_denied');
  await waitForView(page, 'Welcome to Perch');
  assert.match(await page.locator('#start-notice').textContent(), /^Sign-up cancelled/);
  assert.equal(page.url(), `${stack.base}/`);
  assert.deepEqual(calls.filter((c) => c !== 'GET /api/me'), ['POST /api/twitter/start'], 'no exchange after Cancel');
  assert.equal(accounts(stack), 0);
  assertClean(browser);
});

test('OAuth 2.0 tampered state: refused in the browser with no call to the proxy; the proxy refuses it too', { timeout: 90000 }, async (t) => {
  const { stack, browser, page } = await setUp(t, oauth2Stack());
  // Let the consent decision reach the emulator, but keep the browser from
  // following its redirect, so the test can load a callback of its own.
  let resolveUrl;
  const held = new Promise((resolve) => { resolveUrl = resolve; });
  const pattern = `${stack.emulator.url}/i/oauth2/authorize`;
  await page.route(pattern, async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    const response = await route.fetch({ maxRedirects: 0 });
    resolveUrl(response.headers().location);
    return route.fulfill({ status: 200, contentType: 'text/plain', body: 'held by the test' });
  });
  await page.getByRole('button', { name: 'Sign up with X' }).click();
  await page.waitForURL((url) => url.href.startsWith(stack.emulator.url));
  await page.getByRole('button', { name: 'Authorize app' }).click();
  const genuine = new URL(await held);
  await page.unroute(pattern);

  const state = genuine.searchParams.get('state');
  const tampered = new URL(genuine);
  tampered.searchParams.set('state', `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`);
  const calls = recordApiCalls(page);
  await page.goto(tampered.href);
  await waitForView(page, 'Stopped for your safety');
  assert.deepEqual(calls, [], 'nothing was sent to the proxy');
  assert.equal(page.url(), `${stack.base}/`);
  await screenshot(page, 'oauth2-tampered-state');

  // A page that skipped its own check would still be stopped by the proxy.
  const answer = await page.evaluate(async (query) => {
    const response = await fetch('/api/twitter/exchange', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ callback_query: query }),
    });
    return { status: response.status, body: await response.json() };
  }, tampered.search);
  assert.equal(answer.status, 400);
  assert.equal(answer.body.error.code, 'token_mismatch');
  assert.equal(accounts(stack), 0);
  assertClean(browser);
});

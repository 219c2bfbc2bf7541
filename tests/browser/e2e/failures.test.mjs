// What the page does when the flow does not go to plan: Cancel on Twitter, a
// tampered callback, a replayed callback, provider faults, and the callback
// page without what boot.js prepares.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  EXPECTED_FORM, accountCount, assertClean, formValues, goThroughTwitter, nextStartToken, recordApiCalls, screenshot, setFault, setUpAtStart,
  waitForView,
} from './harness.mjs';

const setUp = setUpAtStart;
const accounts = accountCount;

// Lets the consent decision reach the emulator but keeps the browser from
// following its redirect to the callback (Playwright cannot route a redirect's
// target), so a test can load a callback URL of its own choosing while the
// real flow is still pending.
async function holdCallback(page, stack) {
  const pattern = `${stack.emulator.url}/oauth/authorize`;
  let resolveUrl;
  const held = new Promise((resolve) => { resolveUrl = resolve; });
  await page.route(pattern, async (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    const response = await route.fetch({ maxRedirects: 0 });
    assert.equal(response.status(), 302, 'the emulator redirects to the callback');
    resolveUrl(response.headers().location);
    return route.fulfill({ status: 200, contentType: 'text/plain', body: 'held by the test' });
  });
  return { url: held, release: () => page.unroute(pattern) };
}

test('Cancel on the consent page: back at the start with "Sign-up cancelled", nothing exchanged', { timeout: 90000 }, async (t) => {
  const { stack, browser, page } = await setUp(t);
  const calls = recordApiCalls(page);
  await goThroughTwitter(page, stack, { consent: 'Cancel' });
  await waitForView(page, 'Welcome to Perch');
  assert.match(await page.locator('#start-notice').textContent(), /^Sign-up cancelled/);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'start-title', 'focus on the heading');
  assert.equal(page.url(), `${stack.base}/`, 'the denied token is not left in the address bar');
  assert.deepEqual(calls.filter((c) => c !== 'GET /api/me'), ['POST /api/twitter/start'], 'no exchange after Cancel');
  assert.equal(accounts(stack), 0);
  await screenshot(page, 'cancelled');

  // The start buttons still work: a second attempt reaches the form.
  await goThroughTwitter(page, stack);
  await waitForView(page, 'Finish signing up');
  assertClean(browser);
});

test('a callback URL with a tampered oauth_token (or no verifier, or a duplicated token) is refused in the browser, with no call to the proxy', { timeout: 90000 }, async (t) => {
  const { stack, browser, page } = await setUp(t);
  const held = await holdCallback(page, stack);
  await page.getByRole('button', { name: 'Sign up with X' }).click();
  await page.waitForURL((url) => url.href.startsWith(stack.emulator.url));
  await page.getByRole('button', { name: 'Authorize app' }).click();
  const genuine = new URL(await held.url);
  await held.release();

  const token = genuine.searchParams.get('oauth_token');
  const tampered = new URL(genuine);
  tampered.searchParams.set('oauth_token', `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`);
  const calls = recordApiCalls(page);
  await page.goto(tampered.href);
  await waitForView(page, 'Stopped for your safety');
  assert.deepEqual(calls, [], 'nothing was sent to the proxy');
  assert.equal(page.url(), `${stack.base}/`, 'the tampered query is not left in the address bar');
  assert.equal(await page.locator('#error-action').textContent(), 'Start again');
  await screenshot(page, 'tampered-token');

  await page.getByRole('button', { name: 'Start again' }).click();
  await waitForView(page, 'Welcome to Perch');

  // Other broken replies, each checked in the browser only: the verifier
  // missing, and oauth_token given twice.
  const verifier = genuine.searchParams.get('oauth_verifier');
  const variants = [
    [`?oauth_token=${token}`, 'X’s reply was incomplete'],
    [`?oauth_token=${token}&oauth_token=${token}&oauth_verifier=${verifier}`, 'X’s reply could not be read'],
  ];
  for (const [query, title] of variants) {
    await page.evaluate((value) => sessionStorage.setItem('perch.oauth_token', value), token);
    await page.goto(`${stack.base}/signup/callback${query}`);
    await waitForView(page, title);
    assert.equal(page.url(), `${stack.base}/`);
  }
  assert.deepEqual(calls, [], 'nothing was sent to the proxy');
  assert.equal(accounts(stack), 0);
  assertClean(browser);
});

test('a reloaded or replayed callback page never completes a second exchange', { timeout: 120000 }, async (t) => {
  const { stack, browser, page } = await setUp(t);
  const token = nextStartToken(page, stack);
  const callbackUrl = await goThroughTwitter(page, stack);
  await waitForView(page, 'Finish signing up');
  assert.equal(new URL(callbackUrl).searchParams.get('oauth_token'), await token);

  // Reloading the form: the URL was replaced, so the verifier is not sent again.
  let calls = recordApiCalls(page);
  await page.reload();
  await waitForView(page, 'Welcome to Perch');
  assert.deepEqual(calls, ['GET /api/me']);

  // The old callback URL again in this tab: its token was used up, so the
  // browser itself refuses it.
  calls = recordApiCalls(page);
  await page.goto(callbackUrl);
  await waitForView(page, 'No sign-up in progress');
  assert.deepEqual(calls, [], 'no request for a callback this tab is not waiting for');

  // Even with the tab's token put back (a reload that raced the clean-up), the
  // proxy refuses the replayed verifier and the page says so.
  await page.evaluate((value) => sessionStorage.setItem('perch.oauth_token', value), await token);
  const exchanged = page.waitForResponse((r) => r.url().endsWith('/api/twitter/exchange'));
  await page.goto(callbackUrl);
  const response = await exchanged;
  assert.equal(response.status(), 409);
  assert.equal((await response.json()).error.code, 'replayed');
  await waitForView(page, 'This link was already used');
  assert.equal(await page.locator('#error-action').textContent(), 'Try again');
  await screenshot(page, 'replayed');

  // "Try again" starts a fresh flow that completes.
  const again = page.waitForRequest((r) => r.isNavigationRequest() && r.url().startsWith(stack.emulator.url));
  await page.getByRole('button', { name: 'Try again' }).click();
  await again;
  await page.getByRole('button', { name: 'Authorize app' }).click();
  await waitForView(page, 'Finish signing up');
  assert.equal(accounts(stack), 0);
  assertClean(browser);
});

test('provider faults: a clear error and a retry that works, at the start and at the exchange', { timeout: 150000 }, async (t) => {
  const { stack, browser, page } = await setUp(t, { proxyEnv: { PERCH_UPSTREAM_TIMEOUT_MS: '1500' } });

  // request_token fails: the start button leads to an error, not to Twitter.
  await setFault(stack.emulator, { mode: 'http500', on: 'request_token' });
  await page.getByRole('button', { name: 'Sign up with X' }).click();
  await waitForView(page, 'X returned an error');
  assert.equal(page.url(), `${stack.base}/`);
  await screenshot(page, 'fault-start-http500');

  // access_token fails after the person approved: the callback page explains.
  await setFault(stack.emulator, { mode: 'none', on: 'all' });
  const consent = page.waitForRequest((r) => r.isNavigationRequest() && r.url().startsWith(stack.emulator.url));
  await page.getByRole('button', { name: 'Try again' }).click();
  await consent;
  await setFault(stack.emulator, { mode: 'http500', on: 'access_token' });
  const exchanged = page.waitForResponse((r) => r.url().endsWith('/api/twitter/exchange'));
  await page.getByRole('button', { name: 'Authorize app' }).click();
  assert.equal((await exchanged).status(), 502);
  await waitForView(page, 'X returned an error');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'error-title');
  await screenshot(page, 'fault-exchange-http500');

  // A provider that does not answer in time: 504 provider_timeout.
  await setFault(stack.emulator, { mode: 'none', on: 'all' });
  await goThroughTwitter(page, stack, { button: 'Try again' });
  await waitForView(page, 'Finish signing up');
  await page.goto(`${stack.base}/`);
  await waitForView(page, 'Welcome to Perch');
  const consent2 = page.waitForRequest((r) => r.isNavigationRequest() && r.url().startsWith(stack.emulator.url));
  await page.getByRole('button', { name: 'Sign up with X' }).click();
  await consent2;
  await setFault(stack.emulator, { mode: 'slow', on: 'verify_credentials', slow_ms: 5000 });
  const slow = page.waitForResponse((r) => r.url().endsWith('/api/twitter/exchange'));
  await page.getByRole('button', { name: 'Authorize app' }).click();
  assert.equal((await slow).status(), 504);
  await waitForView(page, 'X is not responding');
  await screenshot(page, 'fault-timeout');

  // Recovered provider: "Try again" goes all the way to the form.
  await setFault(stack.emulator, { mode: 'none', on: 'all' });
  await goThroughTwitter(page, stack, { button: 'Try again' });
  await waitForView(page, 'Finish signing up');
  assert.equal(accounts(stack), 0);
  assertClean(browser);
});

// boot.js starts compiling the .wasm on the callback page; without it the
// glue must fetch and compile the module itself and the flow still finish.
for (const [what, block, check] of [
  ['boot.js never loads',
    (page) => page.route(/\/boot\.[0-9a-f]{16}\.js$/, (route) => route.abort()),
    // app.mjs ran with no boot.js before it and claimed perchBoot.
    async (page) => assert.equal(await page.evaluate(() => globalThis.perchBoot), null)],
  ['the compile boot.js starts fails',
    async (page) => {
      // boot.js (async) usually runs before app.mjs, but not always; when
      // app.mjs ran first boot.js does nothing and its failure is not what was
      // tested. So the callback page's app.mjs is held until boot.js has tried.
      let bootTried;
      const tried = new Promise((resolve) => { bootTried = resolve; });
      await page.exposeBinding('perchTestBootTried', () => bootTried());
      await page.addInitScript(() => {
        globalThis.compileStreamingCalls = 0;
        WebAssembly.compileStreaming = () => {
          globalThis.compileStreamingCalls += 1;
          globalThis.perchTestBootTried();
          return Promise.reject(new WebAssembly.CompileError('made to fail by the test'));
        };
      });
      await page.route(/\/app\.[0-9a-f]{16}\.mjs$/, async (route) => {
        if (new URL(route.request().frame().url()).pathname === '/signup/callback') await tried;
        await route.continue();
      });
    },
    async (page) => assert.equal(await page.evaluate(() => globalThis.compileStreamingCalls), 1, 'boot.js tried')],
]) {
  test(`the callback page finishes when ${what}: the glue fetches the .wasm itself`, { timeout: 90000 }, async (t) => {
    const { stack, browser, page } = await setUp(t);
    await block(page);
    await goThroughTwitter(page, stack);
    await waitForView(page, 'Finish signing up');
    assert.deepEqual(await formValues(page), EXPECTED_FORM);
    await check(page);
    assert.deepEqual(browser.record.problems.filter((p) => p.startsWith('pageerror')), [], 'no page error');
  });
}

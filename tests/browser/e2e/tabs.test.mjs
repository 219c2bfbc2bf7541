// Two tabs of one browser sign in at the same time: each completes its own
// flow, neither completes the other's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  EXPECTED_FORM, formValues, goThroughTwitter, launchBrowser, nextStartToken, queryDatabase,
  screenshot, setFault, startStack, waitForView,
} from './harness.mjs';

test('two tabs started in parallel both complete', { timeout: 150000 }, async (t) => {
  const stack = await startStack();
  t.after(() => stack.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const tabs = [await browser.page(), await browser.context.newPage()];
  await Promise.all(tabs.map(async (page) => {
    await page.goto(`${stack.base}/`);
    await waitForView(page, 'Welcome to Perch');
  }));

  // Both start at the same moment: two pending flows, a cookie each.
  const tokens = tabs.map((page) => nextStartToken(page, stack));
  const consents = tabs.map((page) => page.waitForRequest((r) => r.isNavigationRequest() && r.url().startsWith(stack.emulator.url)));
  await Promise.all(tabs.map((page) => page.getByRole('button', { name: 'Sign up with X' }).click()));
  await Promise.all(consents);
  const [tokenA, tokenB] = await Promise.all(tokens);
  assert.notEqual(tokenA, tokenB, 'each tab has its own request token');

  // Both approve at once; each callback carries its own tab's token. A slow
  // verify_credentials makes the two exchanges overlap (the page sends each
  // the moment its core has verified the callback): each starts a session of
  // its own, the cookie keeps the one answered last, and both tabs go on.
  await setFault(stack.emulator, { mode: 'slow', on: 'verify_credentials', slow_ms: 800 });
  const callbacks = tabs.map((page) => page.waitForRequest((r) => r.isNavigationRequest() && r.url().startsWith(`${stack.base}/signup/callback`)));
  const exchanges = tabs.map((page) => page.waitForResponse((r) => r.url().endsWith('/api/twitter/exchange')));
  await Promise.all(tabs.map((page) => page.getByRole('button', { name: 'Authorize app' }).click()));
  const urls = (await Promise.all(callbacks)).map((r) => new URL(r.url()).searchParams.get('oauth_token'));
  assert.deepEqual(urls, [tokenA, tokenB]);
  // An answer this slow makes each page say what it waits for (a quick one does not).
  await Promise.all(tabs.map((page) => page.locator('#busy-title').filter({ hasText: 'Signing you in…' }).waitFor()));
  assert.deepEqual((await Promise.all(exchanges)).map((r) => r.status()), [200, 200]);
  await Promise.all(tabs.map((page) => waitForView(page, 'Finish signing up')));
  await setFault(stack.emulator, { mode: 'none', on: 'all' });
  for (const page of tabs) assert.deepEqual(await formValues(page), EXPECTED_FORM);
  await screenshot(tabs[1], 'two-tabs-form-b');

  // The first tab registers; the second is told the account exists and signs in.
  await tabs[0].getByRole('button', { name: 'Create account' }).click();
  await waitForView(tabs[0], 'You’re signed in');
  await tabs[1].getByRole('button', { name: 'Create account' }).click();
  await tabs[1].locator('#form-status').filter({ hasText: 'This X account already has an account — sign in.' }).waitFor();
  assert.equal(await tabs[1].evaluate(() => document.activeElement.textContent), 'Sign in with X');
  assert.equal(await tabs[1].getByRole('button', { name: 'Create account' }).isVisible(), false);
  await screenshot(tabs[1], 'two-tabs-already-registered');
  await goThroughTwitter(tabs[1], stack, { button: 'Sign in with X' });
  await waitForView(tabs[1], 'You’re signed in');
  assert.equal(queryDatabase(stack.database, 'SELECT count(*) AS n FROM accounts')[0].n, 1);

  // Signed out, then both tabs sign in again in parallel: both end signed in.
  await tabs[0].getByRole('button', { name: 'Sign out' }).click();
  await waitForView(tabs[0], 'Welcome to Perch');
  await tabs[1].reload();
  await waitForView(tabs[1], 'Welcome to Perch');
  await Promise.all(tabs.map((page) => goThroughTwitter(page, stack, { button: 'Sign in with X' })));
  await Promise.all(tabs.map((page) => waitForView(page, 'You’re signed in')));
  for (const [i, page] of tabs.entries()) {
    assert.equal(await page.locator('#account-profile .handle').textContent(), `@${EXPECTED_FORM.username}`);
    await screenshot(page, `two-tabs-signed-in-${'ab'[i]}`);
  }
  assert.equal(queryDatabase(stack.database, 'SELECT count(*) AS n FROM accounts')[0].n, 1);
  assert.deepEqual(browser.record.problems, []);
  assert.deepEqual(browser.record.blocked, []);
});

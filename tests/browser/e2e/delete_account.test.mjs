// "Delete my account" through the real page, perch-proxy and perch-emulator in
// headless chromium: an inline confirmation first (cancel keeps the account),
// then DELETE /api/me, the signed-out view, and a new sign-up next time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  accountCount, assertClean, goThroughTwitter, queryDatabase, recordApiCalls, screenshot, setUpAtStart, waitForView,
} from './harness.mjs';

test('delete my account: confirm inline, the account is gone, the page is signed out, the next sign-in signs up', { timeout: 150000 }, async (t) => {
  const { stack, browser, page } = await setUpAtStart(t);
  await goThroughTwitter(page, stack);
  await waitForView(page, 'Finish signing up');
  await page.getByRole('button', { name: 'Create account' }).click();
  await waitForView(page, 'You’re signed in');
  assert.equal(accountCount(stack), 1);
  const firstId = queryDatabase(stack.database, 'SELECT id FROM accounts')[0].id;

  // No native dialog: the page asks itself, and "Keep my account" changes nothing.
  page.on('dialog', (dialog) => { assert.fail(`unexpected ${dialog.type()} dialog`); });
  const calls = recordApiCalls(page);
  const remove = page.getByRole('button', { name: 'Delete my account', exact: true });
  const confirm = page.getByRole('button', { name: 'Yes, delete my account' });
  assert.equal(await confirm.isVisible(), false);
  await remove.click();
  await confirm.waitFor({ state: 'visible' });
  assert.equal(await remove.getAttribute('aria-expanded'), 'true');
  await screenshot(page, 'delete-confirm');
  await page.getByRole('button', { name: 'Keep my account' }).click();
  await confirm.waitFor({ state: 'hidden' });
  assert.equal(accountCount(stack), 1);
  assert.ok(!calls.includes('DELETE /api/me'));

  await remove.click();
  await confirm.click();
  await waitForView(page, 'Welcome to Perch');
  assert.equal(await page.locator('#start-notice').textContent(), 'Your account is deleted.');
  assert.ok(calls.includes('DELETE /api/me'));
  assert.equal(accountCount(stack), 0);
  const me = await page.evaluate(async () => (await fetch('/api/me', { credentials: 'same-origin' })).status);
  assert.equal(me, 401);
  await page.reload();
  await waitForView(page, 'Welcome to Perch');

  // The same X user again: a new sign-up (the form), a new account with a new id.
  await goThroughTwitter(page, stack, { button: 'Sign in with X' });
  await waitForView(page, 'Finish signing up');
  await page.getByRole('button', { name: 'Create account' }).click();
  await waitForView(page, 'You’re signed in');
  const again = queryDatabase(stack.database, 'SELECT id FROM accounts');
  assert.equal(again.length, 1);
  assert.ok(again[0].id > firstId);
  assertClean(browser);
});

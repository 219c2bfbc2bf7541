// Sign-up, sign-out/sign-in and form validation through the real page, the
// real perch-proxy and perch-emulator, in headless chromium.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CONSUMER_SECRET, captureApi, DEFAULT_USER, EXPECTED_FORM, callbackTimings, formValues, goThroughTwitter, launchBrowser,
  openSealedToken, queryDatabase, recordApiCalls, screenshot, startStack, tempDir, visibleHeading,
  waitForView,
} from './harness.mjs';
import fs from 'node:fs';
import path from 'node:path';

const ACCOUNT_COLUMNS = `SELECT twitter_id, username, first_name, last_name, email, timezone, picture,
  hex(access_token) AS access_token, hex(access_token_secret) AS access_token_secret,
  created_at, last_sign_in_at FROM accounts ORDER BY id`;

async function setUp(t, options = {}) {
  const stack = await startStack(options);
  t.after(() => stack.stop());
  const browser = await launchBrowser(options.browser);
  t.after(() => browser.close());
  const page = await browser.page();
  return { stack, browser, page };
}

function assertClean(browser) {
  assert.deepEqual(browser.record.problems, [], 'no CSP violation, page error or console error');
  assert.deepEqual(browser.record.blocked, [], 'no request left 127.0.0.1 except the Twitter picture');
}

async function apiMe(page) {
  return page.evaluate(async () => {
    const response = await fetch('/api/me', { credentials: 'same-origin' });
    return { status: response.status, body: response.status === 200 ? await response.json() : null };
  });
}

test('sign up: the form is pre-filled from Twitter; submitting signs in and stores one account with encrypted tokens', { timeout: 120000 }, async (t) => {
  const { stack, browser, page } = await setUp(t);
  const api = await captureApi(browser.context);
  await page.goto(`${stack.base}/`);
  await waitForView(page, 'Welcome to Perch');

  const callbackUrl = await goThroughTwitter(page, stack);
  const callback = new URL(callbackUrl);
  assert.ok(callback.searchParams.get('oauth_token'), 'the emulator sent a token');
  assert.ok(callback.searchParams.get('oauth_verifier'), 'the emulator sent a verifier');

  await waitForView(page, 'Finish signing up');
  assert.deepEqual(await formValues(page), EXPECTED_FORM);
  assert.equal(await page.locator('.field-error:not(:empty)').count(), 0, 'a valid pre-fill shows no errors');
  // The verifier does not linger: not in the address bar, and the token is gone from the tab.
  assert.equal(page.url(), `${stack.base}/`);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('perch.oauth_token')), null);
  // Twitter's name and picture, rendered as text and from the original-size URL without a Referer.
  await assert.doesNotReject(page.locator('#form-profile img:not([hidden])').waitFor());
  assert.equal(await page.locator('#form-profile .name').textContent(), DEFAULT_USER.name);
  assert.equal(await page.locator('#form-profile .handle').textContent(), `@${DEFAULT_USER.screen_name}`);
  assert.deepEqual(browser.record.pictures.map((p) => p.url), [DEFAULT_USER.picture_original]);
  assert.equal(browser.record.pictures[0].headers.referer, undefined, 'no Referer sent to Twitter');
  assert.equal(await page.locator('#form-profile img').getAttribute('referrerpolicy'), 'no-referrer');
  for (const name of Object.keys(EXPECTED_FORM)) {
    const input = page.locator(`input[name=${name}]`);
    const label = await page.locator(`label[for="${await input.getAttribute('id')}"]`).textContent();
    assert.ok(label.trim().length > 0, `${name} has a label`);
  }
  const timings = await callbackTimings(page);
  assert.ok(timings['module-ready'] > 0 && timings['exchanged'] >= timings['module-ready']
    && timings['form-ready'] >= timings['exchanged'], `the page marked its progress: ${JSON.stringify(timings)}`);
  await screenshot(page, 'signup-form');

  await page.getByRole('button', { name: 'Create account' }).click();
  await waitForView(page, 'You’re signed in');
  assert.equal(await page.locator('#account-profile .name').textContent(), DEFAULT_USER.name);
  assert.equal(await page.locator('#account-profile .handle').textContent(), `@${EXPECTED_FORM.username}`);
  assert.equal(await page.locator('#account-email').textContent(), EXPECTED_FORM.email);
  assert.equal(await page.locator('#account-timezone').textContent(), EXPECTED_FORM.timezone);
  await screenshot(page, 'signup-signed-in');

  const me = await apiMe(page);
  assert.equal(me.status, 200);
  assert.equal(me.body.user.username, EXPECTED_FORM.username);
  assert.doesNotMatch(JSON.stringify(me.body), /token|secret/i, 'the user object carries no tokens');

  const rows = queryDatabase(stack.database, ACCOUNT_COLUMNS);
  assert.equal(rows.length, 1);
  const row = rows[0];
  assert.deepEqual(
    { twitter_id: row.twitter_id, username: row.username, first_name: row.first_name, last_name: row.last_name, email: row.email, timezone: row.timezone, picture: row.picture },
    { twitter_id: DEFAULT_USER.id_str, ...EXPECTED_FORM, picture: DEFAULT_USER.picture_original });
  const secrets = [CONSUMER_SECRET];
  for (const field of ['access_token', 'access_token_secret']) {
    const plaintext = openSealedToken(stack.tokenKey, row[field], field, row.twitter_id);
    secrets.push(plaintext);
    assert.match(plaintext, /^[\x21-\x7e]{8,}$/, `${field} decrypts to a token`);
    assert.ok(!Buffer.from(row[field], 'hex').includes(Buffer.from(plaintext)), `${field} is not stored in plaintext`);
    assert.throws(() => openSealedToken('00'.repeat(32), row[field], field, row.twitter_id), 'another key cannot open it');
    assert.throws(() => openSealedToken(stack.tokenKey, row[field], field === 'access_token' ? 'access_token_secret' : 'access_token', row.twitter_id),
      'bound to its field');
  }
  // No secret ever reached the browser: not the consumer secret, not the access token or its secret.
  assert.deepEqual(api.map((a) => `${a.status} ${new URL(a.url).pathname}`),
    ['401 /api/me', '200 /api/twitter/start', '200 /api/twitter/exchange', '201 /api/register', '200 /api/me']);
  for (const answer of api) {
    const text = JSON.stringify(answer.headers) + answer.body;
    for (const secret of secrets) assert.ok(!text.includes(secret), `${answer.url} carries no secret`);
  }
  assertClean(browser);
});

test('sign out, then sign in again: the same account, no second one, tokens refreshed', { timeout: 120000 }, async (t) => {
  const { stack, browser, page } = await setUp(t);
  await page.goto(`${stack.base}/`);
  await waitForView(page, 'Welcome to Perch');
  await goThroughTwitter(page, stack);
  await waitForView(page, 'Finish signing up');
  await page.getByRole('button', { name: 'Create account' }).click();
  await waitForView(page, 'You’re signed in');
  const before = queryDatabase(stack.database, ACCOUNT_COLUMNS);

  // A reload while signed in shows the account (GET /api/me), not the start.
  await page.reload();
  await waitForView(page, 'You’re signed in');

  const calls = recordApiCalls(page);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await waitForView(page, 'Welcome to Perch');
  assert.equal(await page.locator('#start-notice').textContent(), 'You are signed out.');
  assert.ok(calls.includes('POST /api/logout'));
  assert.equal((await apiMe(page)).status, 401);
  await page.reload();
  await waitForView(page, 'Welcome to Perch');

  await goThroughTwitter(page, stack, { button: 'Sign in with X' });
  await waitForView(page, 'You’re signed in');
  assert.equal(await page.locator('#account-profile .handle').textContent(), `@${EXPECTED_FORM.username}`);
  assert.equal(await page.locator('#signup-form input[name=username]').isVisible(), false, 'no second sign-up form');
  await screenshot(page, 'signin-again');

  const after = queryDatabase(stack.database, ACCOUNT_COLUMNS);
  assert.equal(after.length, 1, 'still exactly one account');
  assert.equal(after[0].twitter_id, before[0].twitter_id);
  assert.equal(after[0].created_at, before[0].created_at);
  assert.ok(after[0].last_sign_in_at >= before[0].last_sign_in_at);
  assert.notEqual(after[0].access_token, before[0].access_token, 'the access token was refreshed (re-sealed)');
  assertClean(browser);
});

test('validation: a bad email is flagged as the person types; a taken username is flagged from the proxy', { timeout: 150000 }, async (t) => {
  // Two Twitter users share one account database: the first takes "zoe_perch",
  // the second (a different Twitter id with the same handle) must pick another.
  const shared = tempDir('shared-db');
  t.after(() => fs.rmSync(shared, { recursive: true, force: true }));
  const database = path.join(shared, 'perch.db');
  const first = await setUp(t, { database });
  await first.page.goto(`${first.stack.base}/`);
  await goThroughTwitter(first.page, first.stack);
  await waitForView(first.page, 'Finish signing up');
  await first.page.getByRole('button', { name: 'Create account' }).click();
  await waitForView(first.page, 'You’re signed in');
  await first.stack.stop();

  const userFile = path.join(shared, 'other-user.json');
  fs.writeFileSync(userFile, JSON.stringify({
    id_str: '1452019283001737299', screen_name: 'zoe_perch', name: 'Zoe Second',
    email: 'second@example.org', utc_offset: -16200,
    profile_image_url_https: 'https://pbs.twimg.com/profile_images/1/second_bigger.png',
  }));
  const { stack, browser, page } = await setUp(t, { database, tokenKey: first.stack.tokenKey, emulatorArgs: ['--user', userFile] });
  await page.goto(`${stack.base}/`);
  await goThroughTwitter(page, stack);
  await waitForView(page, 'Finish signing up');
  const prefilled = await formValues(page);
  assert.equal(prefilled.timezone, 'UTC-04:30', 'utc_offset -16200 s maps to UTC-04:30');
  assert.equal(prefilled.first_name, 'Zoe');
  assert.equal(prefilled.last_name, 'Second');

  // A bad email: the core's message appears next to the field while typing.
  const email = page.locator('input[name=email]');
  await email.fill('not-an-email');
  const emailError = page.locator('#f-email-error');
  await emailError.filter({ hasText: /\S/ }).waitFor();
  assert.equal(await email.getAttribute('aria-invalid'), 'true');
  assert.match(await email.getAttribute('aria-describedby'), /\bf-email-error\b/);
  const calls = recordApiCalls(page);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.locator('#form-status').filter({ hasText: 'Please correct the highlighted fields.' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.name), 'email', 'focus moves to the bad field');
  assert.deepEqual(calls, [], 'an invalid form is not sent');
  await screenshot(page, 'validation-bad-email');

  await email.fill('second@example.org');
  await page.waitForFunction(() => document.getElementById('f-email-error').textContent === '');
  assert.equal(await email.getAttribute('aria-invalid'), null);

  // Text that reorders itself or shows nothing, and a zone that is no zone:
  // the core's messages, shown as typed.
  const fieldErrors = async (entries) => {
    for (const [name, value] of Object.entries(entries)) await page.locator(`input[name=${name}]`).fill(value);
    await page.waitForFunction((names) => names.every((n) => document.getElementById(`f-${n}-error`).textContent !== ''),
      Object.keys(entries));
    return page.evaluate((names) => Object.fromEntries(names.map((n) => [n, document.getElementById(`f-${n}-error`).textContent])),
      Object.keys(entries));
  };
  assert.deepEqual(await fieldErrors({ first_name: '\u202EeoZ', last_name: '\u200B\u3164', timezone: 'a/b/c/d/e/f/g' }), {
    first_name: 'First name must not contain hidden text-direction characters.',
    last_name: 'Last name must be empty or contain visible characters.',
    timezone: 'Choose a time zone like Europe/Berlin, UTC or UTC+05:30.',
  });
  await screenshot(page, 'validation-invisible-and-bidi');
  await page.locator('input[name=first_name]').fill('Zoe');
  await page.locator('input[name=last_name]').fill('Second');
  await page.locator('input[name=timezone]').fill('Asia/Calcutta');
  await page.waitForFunction(() => document.querySelectorAll('.field-error:not(:empty)').length === 0);

  // The username is taken by the first account: the proxy answers 409 and the
  // message sits next to the username field.
  const registered = page.waitForResponse((r) => r.url().endsWith('/api/register'));
  await page.getByRole('button', { name: 'Create account' }).click();
  assert.equal((await registered).status(), 409);
  const usernameError = page.locator('#f-username-error');
  await usernameError.filter({ hasText: 'That username is taken' }).waitFor();
  assert.equal(await page.locator('input[name=username]').getAttribute('aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.name), 'username');
  await screenshot(page, 'validation-username-taken');

  await page.locator('input[name=username]').fill('zoe_second');
  await page.waitForFunction(() => document.getElementById('f-username-error').textContent === '');
  await page.getByRole('button', { name: 'Create account' }).click();
  await waitForView(page, 'You’re signed in');
  const rows = queryDatabase(database, ACCOUNT_COLUMNS);
  assert.deepEqual(rows.map((r) => [r.twitter_id, r.username]),
    [[DEFAULT_USER.id_str, 'zoe_perch'], ['1452019283001737299', 'zoe_second']]);
  assertClean(browser);
});

test('a session lost before submitting (401) leads to "Start again", and starting again works', { timeout: 120000 }, async (t) => {
  const { stack, browser, page } = await setUp(t);
  await page.goto(`${stack.base}/`);
  await goThroughTwitter(page, stack);
  await waitForView(page, 'Finish signing up');
  await browser.context.clearCookies();  // as if the session expired or the cookie was deleted
  const registered = page.waitForResponse((r) => r.url().endsWith('/api/register'));
  await page.getByRole('button', { name: 'Create account' }).click();
  assert.equal((await registered).status(), 401);
  await waitForView(page, 'Your sign-up session ended');
  await screenshot(page, 'session-ended');
  await page.getByRole('button', { name: 'Start again' }).click();
  await waitForView(page, 'Welcome to Perch');
  await goThroughTwitter(page, stack);
  await waitForView(page, 'Finish signing up');
  await page.getByRole('button', { name: 'Create account' }).click();
  await waitForView(page, 'You’re signed in');
  assert.equal(queryDatabase(stack.database, 'SELECT count(*) AS n FROM accounts')[0].n, 1);
  assertClean(browser);
});

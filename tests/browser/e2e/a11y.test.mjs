// Keyboard, screen-reader wiring, small screens, reduced motion, and hostile
// Twitter profile text — through the real page, proxy and emulator.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  goThroughTwitter, launchBrowser, screenshot, startStack, tempDir, waitForView,
} from './harness.mjs';

async function setUp(t, { stackOptions, browserOptions } = {}) {
  const stack = await startStack(stackOptions);
  t.after(() => stack.stop());
  const browser = await launchBrowser(browserOptions);
  t.after(() => browser.close());
  const page = await browser.page();
  await page.goto(`${stack.base}/`);
  await waitForView(page, 'Welcome to Perch');
  return { stack, browser, page };
}

const activeElement = (page) => page.evaluate(() => {
  const e = document.activeElement;
  return { tag: e.tagName.toLowerCase(), id: e.id, name: e.getAttribute('name') || '', text: e.textContent.trim() };
});

test('keyboard only: Tab reaches the start button, focus lands on each new heading, the form is in reading order', { timeout: 90000 }, async (t) => {
  const { stack, browser, page } = await setUp(t);
  await page.keyboard.press('Tab');
  assert.deepEqual(await activeElement(page), { tag: 'button', id: '', name: '', text: 'Sign up with X' });
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.notEqual(outline, 'none', 'the focused button shows a focus ring');
  await page.keyboard.press('Tab');
  assert.equal((await activeElement(page)).text, 'Sign in with X');

  const consent = page.waitForRequest((r) => r.isNavigationRequest() && r.url().startsWith(stack.emulator.url));
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Enter');
  await consent;
  await page.getByRole('button', { name: 'Authorize app' }).press('Enter');
  await waitForView(page, 'Finish signing up');
  assert.equal((await activeElement(page)).id, 'form-title', 'focus moved to the new heading');

  const order = [];
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press('Tab');
    const e = await activeElement(page);
    order.push(e.name || e.text);
  }
  assert.deepEqual(order, ['username', 'first_name', 'last_name', 'email', 'timezone', 'Create account']);

  // Every field: a label, and aria-describedby pointing at elements that exist.
  const wiring = await page.evaluate(() => Array.from(document.querySelectorAll('#signup-form input'), (input) => ({
    name: input.name,
    label: input.labels.length === 1 && input.labels[0].textContent.trim() !== '',
    describedBy: (input.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean)
      .every((id) => document.getElementById(id) !== null),
  })));
  assert.deepEqual(wiring.map((w) => w.name), ['username', 'first_name', 'last_name', 'email', 'timezone']);
  for (const w of wiring) assert.ok(w.label && w.describedBy, `${w.name} is labelled and described`);
  assert.equal(await page.locator('[aria-live]').count() >= 2, true, 'live regions for announcements and form status');
  assert.deepEqual(browser.record.problems, []);
});

test('at 320 px wide nothing scrolls sideways; with reduced motion the spinner does not spin', { timeout: 90000 }, async (t) => {
  const { stack, browser, page } = await setUp(t, {
    browserOptions: { viewport: { width: 320, height: 640 }, contextOptions: { reducedMotion: 'reduce' } },
  });
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(await overflow(), 0, 'start view fits');
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('.spinner')).animationName), 'none');
  await screenshot(page, 'narrow-start');
  await goThroughTwitter(page, stack);
  await waitForView(page, 'Finish signing up');
  assert.equal(await overflow(), 0, 'form view fits');
  await page.locator('input[name=email]').fill('no-at-sign');
  await page.locator('#f-email-error').filter({ hasText: /\S/ }).waitFor();
  assert.equal(await overflow(), 0, 'form with an error fits');
  await screenshot(page, 'narrow-form');
  assert.deepEqual(browser.record.problems, []);
});

test('hostile profile text from Twitter is shown as text, and a non-https picture is never fetched', { timeout: 90000 }, async (t) => {
  const dir = tempDir('hostile-user');
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const userFile = path.join(dir, 'user.json');
  const name = '<img src=x id=injected> Robert"); <b>Tables</b>';
  fs.writeFileSync(userFile, JSON.stringify({
    id_str: '9007199254740993', screen_name: 'little_bobby', name,
    email: 'bobby@example.org', utc_offset: 19800,
    profile_image_url_https: 'http://evil.example/profile_images/1/x_normal.jpg',
  }));
  const { stack, browser, page } = await setUp(t, { stackOptions: { emulatorArgs: ['--user', userFile] } });
  await goThroughTwitter(page, stack);
  await waitForView(page, 'Finish signing up');
  assert.equal(await page.locator('#form-profile .name').textContent(), name);
  assert.equal(await page.locator('#injected').count(), 0, 'no element was created from the name');
  assert.equal(await page.locator('main b').count(), 0);
  assert.equal(await page.locator('input[name=first_name]').inputValue(), '<img');
  assert.equal(await page.locator('input[name=timezone]').inputValue(), 'UTC+05:30');
  assert.equal(await page.locator('#form-profile img').isVisible(), false, 'no picture from an http: host');
  assert.equal(await page.locator('#form-profile .initial').textContent(), '<');
  assert.deepEqual(browser.record.pictures, []);
  assert.deepEqual(browser.record.blocked, [], 'the browser never asked for evil.example');
  await screenshot(page, 'hostile-profile');
  assert.deepEqual(browser.record.problems, []);
});

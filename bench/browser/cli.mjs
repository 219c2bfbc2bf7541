// What the browser benchmarks share: the repository root and `--name value` options.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// The value after `name` on the command line, or `fallback`.
export function option(name, fallback) {
  const args = process.argv.slice(2);
  const at = args.indexOf(name);
  return at >= 0 && at + 1 < args.length ? args[at + 1] : fallback;
}

// The value a fraction `q` into the sorted values (nearest rank), and the median.
export const quantile = (values, q) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) * q + 0.5)];
export const median = (values) => quantile(values, 0.5);

// Waiting for a page's performance mark without touching the page while it
// is measured: Playwright's waitForFunction injects its own script into the
// document, which took ~11 ms of the callback page's main thread (in a
// Chromium trace) in the middle of the window being measured. Instead a small
// script, added to every document of `context` before its own scripts run,
// reports the marks named on the console; markSeen waits for that line.
export async function reportMarks(context, names) {
  await context.addInitScript((wanted) => {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if (wanted.includes(entry.name)) console.debug(`perch-bench-mark ${entry.name}`);
      }
    }).observe({ type: 'mark' });
  }, names);
}

// Resolves once `page` has reported mark `name` (reportMarks); call it before
// the navigation that leads to the mark.
export function markSeen(page, name, timeout = 30000) {
  const seen = page.waitForEvent('console', { predicate: (m) => m.text() === `perch-bench-mark ${name}`, timeout });
  seen.catch(() => {});  // awaited later, or moot once the run failed before the mark
  return seen;
}

// The whole machine's CPU time so far, busy and in all (/proc/stat, in ticks).
function cpuTicks() {
  const ticks = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((sum, t) => sum + t, 0);
  return { busy: total - ticks[3] - ticks[4], total };  // idle and iowait are not busy
}

// How many runs waitQuiet has waited for, and how many of those it gave up on.
export const quiet = { waits: 0, missed: 0 };

// Waits until the machine has been at most `maxBusy` busy over the last
// `windowMs`, for at most `deadlineMs`: a person clicks on a page they have
// read, not while the browser they just opened is still starting up. Without
// it a run's navigation overlapped a just-launched Chromium's own start-up
// work (and the previous run's browser exiting): the baseline page's
// quartiles over 15 runs were 53–72 ms, and 40–44 ms with it. Resolves to
// whether the machine got that quiet.
export async function waitQuiet({ windowMs = 200, maxBusy = 0.15, deadlineMs = 5000 } = {}) {
  quiet.waits++;
  const deadline = Date.now() + deadlineMs;
  let before = cpuTicks();
  while (Date.now() < deadline) {
    await new Promise((resolve) => { setTimeout(resolve, windowMs); });
    const now = cpuTicks();
    const share = (now.busy - before.busy) / Math.max(1, now.total - before.total);
    before = now;
    if (share <= maxBusy) return true;
  }
  quiet.missed++;
  return false;
}

// One callback run as a person makes it: a fresh browser (HTTP cache on)
// shows "/", goes through the emulator's consent page (pressing its button
// once the machine is quiet: waitQuiet) and lands on the callback page.
// Resolves, once the page has set perch:form-ready, to what
// `measure(page, browser, prepared)` returns; `prepare(page)` runs before "/"
// is loaded (prepared: its result). `harness`: tests/browser/e2e/harness.mjs.
export async function callbackRun(harness, stack, measure, prepare = () => null) {
  const browser = await harness.launchBrowser({ httpCache: true });
  try {
    await reportMarks(browser.context, ['perch:form-ready']);
    const page = await browser.context.newPage();
    const prepared = prepare(page);
    await page.goto(`${stack.base}/`);
    await harness.waitForView(page, 'Welcome to Perch');
    const seen = markSeen(page, 'perch:form-ready');
    await harness.goThroughTwitter(page, stack, { beforeConsent: () => waitQuiet() });
    await seen;
    return await measure(page, browser, prepared);
  } finally {
    await browser.close();
  }
}

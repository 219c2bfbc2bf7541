// The sign-up page as a person meets it, in headless Chromium against a real
// perch-proxy and perch-emulator on 127.0.0.1:
//   node bench/browser/callback.mjs [--site DIR] [--bin DIR] [--runs N (15)]
// Prints one JSON object:
// - bytes: every static file a fresh browser downloads for "/" and then the
//   callback page (each path once, decoded body, gzip -9 summed), by file;
// - callbackMs: from the callback document's request to the pre-filled form
//   (the page's perch:form-ready mark), median of N, a fresh browser context
//   (empty cache) each run, which first visits "/" and goes through the
//   emulator's consent page as a person would;
// - baselineMs: the same measure for a same-origin page that makes one fetch
//   to the proxy (GET /api/me) and nothing else, median of N, a fresh context
//   each that has shown "/" first: the floor a page that talks to the proxy
//   at all cannot beat.
// Both start at requestStart so the consent POST and the redirect, which
// belong to the emulator, are not counted, and both navigations begin once
// the machine is quiet (cli.mjs waitQuiet; notQuiet counts the runs it was
// not). The browser's HTTP cache is on, as
// in a person's browser (the harness's request routing would switch it off):
// what "/" fetched or prefetched may be reused by the callback page, and the
// bytes counted are still every path's first download.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { ROOT, callbackRun, markSeen, median, option, quantile, quiet, reportMarks, waitQuiet } from './cli.mjs';

const SOURCE_SITE = path.resolve(ROOT, option('--site', 'build/site'));
const RUNS = Number(option('--runs', '15'));

// The site under test plus the baseline page, in a scratch copy so the
// assembled site is never touched.
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'perch-bench-site-'));
fs.cpSync(SOURCE_SITE, scratch, { recursive: true });
fs.writeFileSync(path.join(scratch, 'baseline.html'),
  '<!doctype html><meta charset="utf-8"><title>baseline</title>'
  + '<script type="module" src="/baseline.mjs"></script><p id="out">…</p>\n');
fs.writeFileSync(path.join(scratch, 'baseline.mjs'),
  "const response = await fetch('/api/me', { credentials: 'same-origin', cache: 'no-store', "
  + "headers: { Accept: 'application/json' } });\n"
  + "document.getElementById('out').textContent = String(response.status) + ' ' + (await response.text()).length;\n"
  + "performance.mark('baseline:done');\n");
process.env.PERCH_E2E_SITE = scratch;
if (option('--bin', '')) process.env.PERCH_E2E_BIN = path.resolve(ROOT, option('--bin', ''));

const harness = await import('../../tests/browser/e2e/harness.mjs');
const { launchBrowser, recordStaticResponses, startStack, transferSizes, waitForView } = harness;

// Milliseconds from the document's requestStart to a mark already set, on
// the page's clock.
function sinceRequestStart(page, mark) {
  return page.evaluate((name) => {
    const nav = performance.getEntriesByType('navigation')[0];
    return performance.getEntriesByName(name, 'mark')[0].startTime - nav.requestStart;
  }, mark);
}

// One callback run; with `record`, also the bytes of every static file.
function callbackWithBytes(stack, record) {
  const prepare = (page) => (record ? recordStaticResponses(page, stack.base) : null);
  return callbackRun(harness, stack, async (page, browser, statics) => {
    const ms = await sinceRequestStart(page, 'perch:form-ready');
    await waitForView(page, 'Finish signing up');
    if (browser.record.problems.length) throw new Error(browser.record.problems.join('\n'));
    // Let responses still being read (a prefetch) land before counting bytes.
    await page.waitForLoadState('networkidle');
    return { ms, sizes: statics ? transferSizes(statics) : null };
  }, prepare);
}

async function baselineRun(stack) {
  const browser = await launchBrowser({ httpCache: true });
  try {
    await reportMarks(browser.context, ['baseline:done']);
    const page = await browser.context.newPage();
    // Like the callback run, the browser has shown "/" before: both measure a
    // warm browser with an empty cache for the page under test.
    await page.goto(`${stack.base}/`);
    await waitForView(page, 'Welcome to Perch');
    await waitQuiet();  // as the callback run does before pressing the consent button
    const seen = markSeen(page, 'baseline:done');
    await page.goto(`${stack.base}/baseline.html`);
    await seen;
    return await sinceRequestStart(page, 'baseline:done');
  } finally {
    await browser.close();
  }
}

const stack = await startStack();
try {
  const callback = [];
  const baseline = [];
  let sizes = null;
  // Interleaved, so a burst of load elsewhere on the machine hits both alike.
  for (let run = 0; run < RUNS; run++) {
    const result = await callbackWithBytes(stack, run === 0);
    if (result.sizes) sizes = result.sizes;
    callback.push(result.ms);
    baseline.push(await baselineRun(stack));
  }
  const out = {
    site: SOURCE_SITE,
    runs: RUNS,
    bytes: sizes,
    callbackMs: median(callback),
    baselineMs: median(baseline),
    ratio: median(callback) / median(baseline),
    // The spread: one run alone moves by tens of milliseconds on this machine.
    callbackQuartilesMs: [quantile(callback, 0.25), quantile(callback, 0.75)].map((v) => Math.round(v)),
    baselineQuartilesMs: [quantile(baseline, 0.25), quantile(baseline, 0.75)].map((v) => Math.round(v)),
    callbackRunsMs: callback.map((v) => Math.round(v)),
    baselineRunsMs: baseline.map((v) => Math.round(v * 10) / 10),
    // Runs whose measured navigation began before the machine got quiet.
    notQuiet: `${quiet.missed} of ${quiet.waits}`,
    load: fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
} finally {
  await stack.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
}

// Where a callback navigation's time goes: one run as bench/browser/callback.mjs
// makes it (fresh browser context, "/" first, through the emulator's consent
// page), printed as a timeline on the callback document's clock, in ms from
// its requestStart:
//   node bench/browser/timeline.mjs [--site DIR] [--bin DIR] [--runs N]
// Lines: the navigation's own phases, every resource fetched (start, response
// start, end; "cache" when it came from the HTTP cache, transferSize 0), and
// the page's performance marks (perch:*). With --runs N > 1 each line is the
// median over N runs.
import fs from 'node:fs';
import path from 'node:path';

import { ROOT, callbackRun, median, option } from './cli.mjs';

const RUNS = Number(option('--runs', '1'));
process.env.PERCH_E2E_SITE = path.resolve(ROOT, option('--site', 'build/site'));
if (option('--bin', '')) process.env.PERCH_E2E_BIN = path.resolve(ROOT, option('--bin', ''));

const harness = await import('../../tests/browser/e2e/harness.mjs');

function oneRun(stack) {
  return callbackRun(harness, stack, async (page) => {
    await harness.waitForView(page, 'Finish signing up');
    return page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const t0 = nav.requestStart;
      const at = (t) => Math.round((t - t0) * 10) / 10;
      const rows = [
        ['navigation responseStart', at(nav.responseStart)],
        ['navigation responseEnd', at(nav.responseEnd)],
        ['domInteractive', at(nav.domInteractive)],
        ['domContentLoadedEventEnd', at(nav.domContentLoadedEventEnd)],
      ];
      for (const r of performance.getEntriesByType('resource')) {
        const name = new URL(r.name).pathname;
        const how = r.transferSize === 0 && r.decodedBodySize > 0 ? ' (cache)' : '';
        rows.push([`${name}${how} start`, at(r.startTime)]);
        rows.push([`${name}${how} responseStart`, at(r.responseStart)]);
        rows.push([`${name}${how} end`, at(r.responseEnd)]);
      }
      for (const m of performance.getEntriesByType('mark')) rows.push([`mark ${m.name}`, at(m.startTime)]);
      return rows;
    });
  });
}

const stack = await harness.startStack();
try {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await oneRun(stack));
  const byName = new Map();
  for (const rows of runs) for (const [name, ms] of rows) byName.set(name, [...(byName.get(name) || []), ms]);
  const lines = [...byName].map(([name, values]) => [median(values), name]).sort((a, b) => a[0] - b[0]);
  for (const [ms, name] of lines) process.stdout.write(`${ms.toFixed(1).padStart(8)}  ${name}\n`);
  process.stdout.write(`load ${fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`);
} finally {
  await stack.stop();
}

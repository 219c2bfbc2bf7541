// Two (or more) assembled sites side by side: a stack (perch-emulator and
// perch-proxy) serving each, and the same callback run as
// bench/browser/callback.mjs makes it (a fresh browser that shows "/" and goes
// through the consent page), alternating between the sites run by run, so a
// change's effect is compared within one stretch of this machine's noise:
//   node bench/browser/ab.mjs --sites DIR,DIR [--bin DIR] [--runs N (15)]
// Prints each site's medians of the page's marks (ms from the callback
// document's request) and, for two sites, the median of the paired
// differences in form-ready and how many runs the first site was faster.
import path from 'node:path';

import { ROOT, callbackRun, median, option, quiet } from './cli.mjs';

if (option('--bin', '')) process.env.PERCH_E2E_BIN = path.resolve(ROOT, option('--bin', ''));
const harness = await import('../../tests/browser/e2e/harness.mjs');

const SITES = option('--sites', '').split(',').filter((s) => s !== '');
const RUNS = Number(option('--runs', '15'));
const MARKS = ['perch:module-ready', 'perch:verified', 'perch:exchanged', 'perch:form-ready'];
if (SITES.length < 2) throw new Error('usage: ab.mjs --sites DIR,DIR [--bin DIR] [--runs N]');

// The page's marks, in ms from the callback document's request.
const marksOf = (page) => page.evaluate((marks) => {
  const start = performance.getEntriesByType('navigation')[0].requestStart;
  return marks.map((name) => performance.getEntriesByName(name, 'mark')[0].startTime - start);
}, MARKS);

const stacks = [];
const results = SITES.map(() => []);
try {
  for (const site of SITES) stacks.push(await harness.startStack({ proxyEnv: { PERCH_WEB_ROOT: path.resolve(site) } }));
  for (let run = 0; run < RUNS; run++) {
    const order = [...SITES.keys()];
    if (run % 2) order.reverse();
    for (const k of order) results[k].push(await callbackRun(harness, stacks[k], marksOf));
  }
} finally {
  for (const stack of stacks) await stack.stop();
}
for (const [k, site] of SITES.entries()) {
  const medians = MARKS.map((_, m) => median(results[k].map((r) => r[m])).toFixed(1));
  process.stdout.write(`${site}: ${MARKS.map((name, m) => `${name.slice(6)} ${medians[m]}`).join(' · ')} ms\n`);
}
if (SITES.length === 2) {
  const last = MARKS.length - 1;
  const diffs = results[0].map((r, i) => r[last] - results[1][i][last]);
  process.stdout.write(`form-ready, first minus second, paired: median ${median(diffs).toFixed(1)} ms; `
    + `the first faster in ${diffs.filter((d) => d < 0).length} of ${diffs.length}\n`);
}
process.stdout.write(`runs begun before the machine was quiet: ${quiet.missed} of ${quiet.waits}\n`);

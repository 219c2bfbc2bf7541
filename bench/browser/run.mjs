// The browser side of Perch, measured in headless Chromium on 127.0.0.1:
//   node bench/browser/run.mjs [--dist DIR] [--pages N]
// Prints one JSON object: perch.mjs size (raw, gzip -9), import and
// createPerch() times in fresh pages (median of N, each in a new browser
// context, nothing cached), and the median µs per call of verifyCallback,
// mapProfile, prefill, validateRegistration and of the callback page's whole
// sequence, on bench/core_inputs.json (the native benchmark's inputs).
import { readFile, stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { chromium } from 'playwright-core';

import { ROOT, median, option } from './cli.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DIST = path.resolve(ROOT, option('--dist', 'build/bench/wasm/dist'));
const PAGES = Number(option('--pages', '9'));
const STEP_MS = 60_000;
// The sign-up page's policy, so the module runs as it does for users.
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'";
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                       '--disable-component-update', '--disable-sync', '--no-first-run'];

const FILES = {
  '/index.html': [path.join(HERE, 'index.html'), 'text/html; charset=utf-8'],
  '/bench-page.mjs': [path.join(HERE, 'bench-page.mjs'), 'text/javascript; charset=utf-8'],
  '/perch.mjs': [path.join(DIST, 'perch.mjs'), 'text/javascript; charset=utf-8'],
  '/inputs.json': [path.join(ROOT, 'bench/core_inputs.json'), 'application/json'],
};

function startServer() {
  const server = http.createServer(async (request, response) => {
    const headers = { 'Content-Security-Policy': CSP, 'Cache-Control': 'no-store' };
    const pathname = new URL(request.url, 'http://127.0.0.1').pathname;
    if (pathname === '/favicon.ico') {
      response.writeHead(204, headers).end();
      return;
    }
    const file = FILES[pathname];
    if (request.method !== 'GET' || !file) {
      response.writeHead(404, headers).end();
      return;
    }
    try {
      response.writeHead(200, { ...headers, 'Content-Type': file[1] }).end(await readFile(file[0]));
    } catch {
      response.writeHead(500, headers).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

async function measurePage(browser, url) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const problems = [];
    page.on('pageerror', (error) => problems.push(String(error)));
    page.on('console', (message) => { if (message.type() === 'error') problems.push(message.text()); });
    await page.goto(url, { timeout: STEP_MS });
    await page.waitForSelector('#result[data-state]', { state: 'attached', timeout: STEP_MS });
    const report = JSON.parse(await page.textContent('#result'));
    if (report.error || problems.length) throw new Error(`benchmark page failed: ${report.error || problems.join('; ')}`);
    return report;
  } finally {
    await context.close();
  }
}

const moduleBytes = await readFile(FILES['/perch.mjs'][0]).catch(() => {
  throw new Error(`${DIST}/perch.mjs is missing: build the wasm module first (scripts/bench does)`);
});
const server = await startServer();
const origin = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, timeout: STEP_MS });
try {
  const loads = [];
  for (let i = 0; i < PAGES; i++) loads.push(await measurePage(browser, `${origin}/index.html`));
  const calls = await measurePage(browser, `${origin}/index.html?calls=1`);
  const out = {
    dist: DIST,
    chromium: browser.version(),
    size: { raw: (await stat(FILES['/perch.mjs'][0])).size, gzip: gzipSync(moduleBytes, { level: 9 }).length },
    pages: PAGES,
    importMs: median(loads.map((r) => r.importMs)),
    createMs: median(loads.map((r) => r.createMs)),
    callsUs: calls.callsUs,
  };
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
  server.close();
}

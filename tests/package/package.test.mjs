// The npm package @perch/wasm as a stranger gets it: `npm pack` of the dist
// folder, `npm install` of that tarball into a fresh project (offline: a local
// tarball needs no registry), then the installed package imported by name in
// node, in a bundler-free Chromium page (importmap), and type-checked by tsc
// from a TypeScript consumer; a consumer that misuses the types must fail.
// perch.d.ts is also compared with what the module really returns.
//   PERCH_WASM_DIST   the folder to pack (default build/wasm/dist)
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { chromium } from 'playwright-core';
import ts from 'typescript';

const run = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const DIST = path.resolve(ROOT, process.env.PERCH_WASM_DIST || 'build/wasm/dist');
const TSC = path.join(ROOT, 'node_modules/typescript/bin/tsc');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
                       '--disable-component-update', '--disable-sync', '--no-first-run'];
const COMMAND_MS = 120_000;
const STEP_MS = 30_000;
const PACKED = ['README.md', 'package.json', 'perch-web.mjs', 'perch-web.wasm', 'perch.d.ts', 'perch.mjs'];

const USER = { userId: '1466796521412771840', username: 'jose_nunez', fullName: 'José Ñúñez',
               firstName: 'José', lastName: 'Ñúñez', timezone: null, picture: '',
               email: 'jose@example.com' };
const EXPECTED = {
  keys: ['verifyCallback', 'mapProfile', 'prefill', 'validateRegistration', 'percentEncode'],
  frozen: true,
  oauth2: { outcome: 'approved', state: 'st4te-abc', code: 'c0de-xyz', error: '', errorDescription: '' },
  oauth1: { outcome: 'approved', oauthToken: 'tok', oauthVerifier: 'ver' },
  mismatch: { outcome: 'token_mismatch', state: '', code: '', error: '', errorDescription: '' },
  mapped: { ok: true, profile: USER },
  mapError: { ok: false, error: { code: 'invalid_json', message: (m) => typeof m === 'string' && m !== '' } },
  form: { username: 'jose_nunez', first_name: 'José', last_name: 'Ñúñez', email: 'jose@example.com',
          timezone: '' },
  validation: { ok: false, errors: { username: 'Enter a username.' } },
  encoded: 'a%20b%2B%E2%98%83',
};

// deepEqual, except that a function in `expected` is a predicate on the value.
function matches(actual, expected, where = 'report') {
  if (typeof expected === 'function') {
    assert.ok(expected(actual), `${where}: ${JSON.stringify(actual)}`);
  } else if (expected && typeof expected === 'object' && !Array.isArray(expected)) {
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), where);
    for (const key of Object.keys(expected)) matches(actual[key], expected[key], `${where}.${key}`);
  } else {
    assert.deepEqual(actual, expected, where);
  }
}

// The property names of each interface declared in perch.d.ts, read with the
// TypeScript parser (not a regex), to compare with the objects the module returns.
function declaredInterfaces(source) {
  const file = ts.createSourceFile('perch.d.ts', source, ts.ScriptTarget.ES2022, true);
  const interfaces = {};
  for (const statement of file.statements) {
    if (ts.isInterfaceDeclaration(statement)) {
      interfaces[statement.name.text] = statement.members.map((member) => member.name.getText(file)).sort();
    }
  }
  return interfaces;
}

// Serves the consumer project read-only: a path of plain segments under it.
function startServer(rootDir) {
  const types = { '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
                  '.wasm': 'application/wasm', '.json': 'application/json' };
  const server = http.createServer(async (request, response) => {
    const { pathname } = new URL(request.url, 'http://127.0.0.1');
    const name = pathname === '/' ? '/index.html' : pathname;
    const ok = /^(\/[A-Za-z0-9@_-][A-Za-z0-9@._-]*)+$/.test(name) && !name.includes('..');
    const type = types[path.extname(name)];
    try {
      if (request.method !== 'GET' || !ok || !type) throw new Error('not served');
      const body = await readFile(path.join(rootDir, name));
      response.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' }).end(body);
    } catch {
      response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

async function tsc(cwd, project) {
  try {
    const { stdout } = await run(process.execPath, [TSC, '-p', project, '--pretty', 'false'],
                                 { cwd, timeout: COMMAND_MS });
    return { code: 0, output: stdout };
  } catch (error) {
    if (typeof error.code !== 'number') throw error;
    return { code: error.code, output: `${error.stdout}${error.stderr}` };
  }
}

describe('@perch/wasm packed, installed and used', { timeout: 300_000 }, () => {
  let work;
  let app;
  let tarball;
  let packedFiles;

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'perch-package-'));
    const npmEnv = { ...process.env, npm_config_cache: path.join(work, 'npm-cache'),
                     npm_config_update_notifier: 'false' };
    const { stdout } = await run('npm', ['pack', DIST, '--pack-destination', work, '--json', '--silent'],
                                 { cwd: work, env: npmEnv, timeout: COMMAND_MS });
    const [packed] = JSON.parse(stdout);
    tarball = path.join(work, packed.filename);
    packedFiles = packed.files.map((file) => file.path).sort();

    app = path.join(work, 'app');
    await mkdir(app);
    await writeFile(path.join(app, 'package.json'),
                    JSON.stringify({ name: 'perch-consumer', private: true, type: 'module' }));
    await run('npm', ['install', tarball, '--offline', '--no-audit', '--no-fund', '--silent'],
              { cwd: app, env: npmEnv, timeout: COMMAND_MS });
    await cp(path.join(HERE, 'consumer'), app, { recursive: true });
  });

  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  test('npm pack ships the module pair, the single-file module, the types and the README', async () => {
    assert.deepEqual(packedFiles, PACKED);
    const pkg = JSON.parse(await readFile(path.join(app, 'node_modules/@perch/wasm/package.json'), 'utf8'));
    const project = await readFile(path.join(ROOT, 'CMakeLists.txt'), 'utf8');
    assert.equal(pkg.version, /project\(perch VERSION (\d+\.\d+\.\d+)/.exec(project)[1]);
    assert.equal(path.basename(tarball), `perch-wasm-${pkg.version}.tgz`);
    assert.equal(pkg.name, '@perch/wasm');
    assert.equal(pkg.type, 'module');
    assert.equal(typeof pkg.license, 'string');
    const installed = JSON.parse(await readFile(path.join(app, 'package.json'), 'utf8'));
    assert.match(installed.dependencies['@perch/wasm'], /^file:.*perch-wasm-.*\.tgz$/);
  });

  test('node imports the installed package by name and every function works', async () => {
    const { stdout } = await run(process.execPath, ['node-check.mjs'], { cwd: app, timeout: COMMAND_MS });
    matches(JSON.parse(stdout), EXPECTED);
  });

  test('perch.d.ts declares exactly the functions and fields the module returns', async () => {
    const { stdout } = await run(process.execPath, ['node-check.mjs'], { cwd: app, timeout: COMMAND_MS });
    const report = JSON.parse(stdout);
    const declared = declaredInterfaces(
      await readFile(path.join(app, 'node_modules/@perch/wasm/perch.d.ts'), 'utf8'));
    const keys = (value) => Object.keys(value).sort();
    assert.deepEqual(declared.Perch, [...report.keys].sort());
    assert.deepEqual(declared.OAuth2CallbackResult, keys(report.oauth2));
    assert.deepEqual(declared.OAuth1CallbackResult, keys(report.oauth1));
    assert.deepEqual(declared.Profile, keys(report.mapped.profile));
    assert.deepEqual(declared.PerchError, keys(report.mapError.error));
    assert.deepEqual(declared.RegistrationForm, keys(report.form));
    assert.deepEqual(declared.Validation, keys(report.validation));
  });

  test('a bundler-free Chromium page loads both entry points from node_modules', async () => {
    const server = await startServer(app);
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS,
                                            timeout: STEP_MS });
    try {
      const page = await browser.newPage();
      const problems = [];
      const served = [];
      page.on('pageerror', (error) => problems.push(String(error)));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });
      page.on('response', (response) => {
        served.push(new URL(response.url()).pathname);
        if (response.status() !== 200) problems.push(`${response.status()} ${response.url()}`);
      });
      await page.goto(`http://127.0.0.1:${server.address().port}/`, { timeout: STEP_MS });
      await page.waitForSelector('#result[data-state]', { state: 'attached', timeout: STEP_MS });
      const report = JSON.parse(await page.textContent('#result'));
      assert.equal(report.error, undefined, report.error);
      matches(report.main, EXPECTED, 'main');
      matches(report.web, EXPECTED, 'web');
      assert.deepEqual(problems, []);
      for (const file of ['perch.mjs', 'perch-web.mjs', 'perch-web.wasm']) {
        assert.ok(served.includes(`/node_modules/@perch/wasm/${file}`), `${file} was not loaded: ${served}`);
      }
    } finally {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  test('tsc --noEmit accepts a consumer that uses the types as declared', async () => {
    const { code, output } = await tsc(app, 'tsconfig.json');
    assert.equal(output.trim(), '');
    assert.equal(code, 0);
  });

  test('tsc --noEmit rejects a consumer that misuses them, for the misuses only', async () => {
    const { code, output } = await tsc(app, 'tsconfig.wrong.json');
    assert.notEqual(code, 0);
    // One line per error; indented lines elaborate on the one above.
    const errors = output.trim().split('\n').filter((line) => /^\S/.test(line))
      .map((line) => /^(\S+)\((\d+),\d+\): error (TS\d+)/.exec(line));
    assert.ok(errors.every(Boolean), output);
    assert.deepEqual(errors.map(([, file, line, id]) => `${file}:${line} ${id}`),
                     ['wrong.ts:6 TS2554', 'wrong.ts:7 TS2339'], output);
  });
});

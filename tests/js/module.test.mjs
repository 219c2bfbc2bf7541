import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';

import { distDir, importCreatePerch, modulePath, perch } from './load_perch.mjs';

const FUNCTIONS = ['verifyCallback', 'mapProfile', 'prefill', 'validateRegistration', 'percentEncode'];

describe('perch.mjs', () => {
  test('resolves to a frozen object holding exactly the five API functions', () => {
    assert.deepEqual(Object.keys(perch), FUNCTIONS);
    assert.equal(Object.isFrozen(perch), true);
    for (const name of FUNCTIONS) assert.equal(typeof perch[name], 'function', name);
    assert.equal(perch.verifyCallback.length, 2);
    assert.equal(perch.mapProfile.length, 1);
  });

  test('its functions work detached from the object', () => {
    const { percentEncode, verifyCallback } = perch;
    assert.equal(percentEncode('a b'), 'a%20b');
    assert.equal(verifyCallback('?denied=x', '').outcome, 'denied');
  });

  test('creates independent instances that both work', async () => {
    const createPerch = await importCreatePerch();
    const [a, b] = await Promise.all([createPerch(), createPerch()]);
    assert.notEqual(a, b);
    assert.equal(a.percentEncode('a b'), 'a%20b');
    assert.equal(b.percentEncode('a b'), 'a%20b');
  });

  test('installs no process-wide handlers and defines no globals', async () => {
    const before = {
      uncaught: process.listenerCount('uncaughtException'),
      rejection: process.listenerCount('unhandledRejection'),
      globals: Object.getOwnPropertyNames(globalThis).sort(),
    };
    const createPerch = await importCreatePerch();
    await createPerch();
    assert.equal(process.listenerCount('uncaughtException'), before.uncaught);
    assert.equal(process.listenerCount('unhandledRejection'), before.rejection);
    assert.deepEqual(Object.getOwnPropertyNames(globalThis).sort(), before.globals);
  });

  test('never throws, whatever is passed', () => {
    const hostile = [undefined, null, 0, -0, NaN, 1e308, 2n ** 70n, true, '', '\0', '\uD800', '%', '?&=&',
                     Symbol('s'), {}, [], [[]], () => 'x', new Date(0), new Uint8Array([0x61]),
                     Object.create(null), new Proxy({}, { get() { throw new Error('trap'); } }),
                     { toString() { throw new Error('toString'); }, valueOf() { throw new Error('valueOf'); } }];
    for (const a of hostile) {
      for (const b of hostile) {
        const callback = perch.verifyCallback(a, b);
        assert.equal(typeof callback.outcome, 'string');
        assert.equal(callback.oauthToken, '');
      }
      assert.equal(typeof perch.mapProfile(a).ok, 'boolean');
      assert.equal(typeof perch.prefill(a).username, 'string');
      assert.equal(typeof perch.validateRegistration(a).ok, 'boolean');
      assert.equal(typeof perch.percentEncode(a), 'string');
    }
  });

  test('the dist folder holds perch.mjs, the web pair, its types and a package.json that point at each other', async () => {
    const files = (await readdir(distDir)).sort();
    assert.deepEqual(files, ['README.md', 'package.json', 'perch-web.mjs', 'perch-web.wasm', 'perch.d.ts', 'perch.mjs']);
    const pkg = JSON.parse(await readFile(path.join(distDir, 'package.json'), 'utf8'));
    assert.equal(pkg.name, '@perch/wasm');
    assert.equal(pkg.type, 'module');
    assert.equal(pkg.types, './perch.d.ts');
    assert.deepEqual(pkg.exports['.'], { types: './perch.d.ts', import: './perch.mjs', default: './perch.mjs' });
    assert.deepEqual(pkg.exports['./web'], { types: './perch.d.ts', import: './perch-web.mjs', default: './perch-web.mjs' });
    assert.deepEqual([...pkg.files].sort(), files.filter((name) => name !== 'package.json'));
    assert.match(pkg.version, /^\d+\.\d+\.\d+$/);
    const types = await readFile(path.join(distDir, 'perch.d.ts'), 'utf8');
    for (const name of FUNCTIONS) assert.match(types, new RegExp(`\\b${name}\\(`), name);
    assert.match(types, /export default function createPerch\(\): Promise<Readonly<Perch>>;/);
  });

  test('perch.mjs needs no eval and fetches nothing: the wasm is embedded', async () => {
    const source = await readFile(modulePath, 'utf8');
    assert.doesNotMatch(source, /new Function\s*\(/);
    assert.doesNotMatch(source, /\beval\s*\(/);
    assert.match(source, /data:application\/octet-stream;base64,AGFzbQ/);  // "\0asm" magic
    assert.match(source, /export default createPerch;\s*$/);
  });

  test('stays within its size budget (raw and gzip)', async (t) => {
    const source = await readFile(modulePath);
    const gzip = gzipSync(source, { level: 9 }).length;
    t.diagnostic(`perch.mjs: ${source.length} bytes raw, ${gzip} bytes gzip -9`);
    assert.ok(source.length < 384 * 1024, `raw ${source.length}`);
    assert.ok(gzip < 128 * 1024, `gzip ${gzip}`);
  });
});

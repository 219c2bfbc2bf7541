// The account database and the token key, at the process level:
// - an unrelated SQLite file given as PERCH_DATABASE is refused (exit 1, one
//   line naming PERCH_DATABASE) and left byte for byte; an empty or missing
//   file is set up;
// - a start with another PERCH_TOKEN_KEY than the database's is refused (exit 2,
//   one line naming PERCH_TOKEN_KEY) and changes nothing; the right key runs;
// - `perch-proxy rotate-token-key` re-seals every stored token under a new key
//   (checked here with Node's own AES-256-GCM), refuses while a proxy has the
//   database open, and fails closed — nothing written, exit 1, the account row
//   named — on a ciphertext swapped between columns.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import {
  binDir, callbackUrl, consumerKey, consumerSecret, signedUpBrowser, SiteBrowser, recordedAccessTokens,
  sqlite, startProxy, startSecureStack, tempDir, validForm,
} from './lib.mjs';
import { openSealedToken } from '../browser/e2e/harness.mjs';

const proxyBin = path.join(binDir, 'perch-proxy');
const tokenKeyLine = "perch-proxy: PERCH_TOKEN_KEY does not match the key this database's tokens are sealed with " +
  '(see perch-proxy rotate-token-key)';

// perch-proxy run to completion: for starts that must be refused. A start that
// is not refused listens until the timeout kills it, and the test fails on the status.
function runProxy(database, tokenKey) {
  return spawnSync(proxyBin, [
    '--listen', '127.0.0.1:0', '--consumer-key', consumerKey, '--callback-url', callbackUrl,
    '--twitter-api', 'http://127.0.0.1:9', '--database', database,
  ], { env: { PATH: process.env.PATH, PERCH_CONSUMER_SECRET: consumerSecret, PERCH_TOKEN_KEY: tokenKey }, encoding: 'utf8', timeout: 10000 });
}

function rotate(env, args = []) {
  return spawnSync(proxyBin, ['rotate-token-key', ...args], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 20000 });
}

function assertNoSecret(text, keys) {
  for (const secret of [consumerSecret, ...keys]) assert.ok(!text.includes(secret), 'a secret was printed');
}

// Node's own AES-256-GCM, with the binding proxy/src/store/stored_tokens.cpp uses; null when it does not open.
function openSealed(hex, keyHex, column, twitterId) {
  try {
    return openSealedToken(keyHex, hex, column, twitterId);
  } catch {
    return null;
  }
}

function storedRows(database) {
  return sqlite(database, 'SELECT id, twitter_id, hex(access_token) AS token, hex(access_token_secret) AS secret FROM accounts ORDER BY id');
}

test('an unrelated SQLite file as PERCH_DATABASE is refused with exit 1 and left byte for byte', () => {
  const dir = tempDir('foreign-db');
  try {
    const database = path.join(dir, 'notes.db');
    // application_id and user_version stay 0, as most programs leave them.
    execFileSync('sqlite3', [database, "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me');"], { timeout: 10000 });
    const before = fs.readFileSync(database);
    const key = randomBytes(32).toString('hex');
    const result = runProxy(database, key);
    assert.equal(result.status, 1, result.stderr);
    assert.equal(result.stderr,
      `perch-proxy: PERCH_DATABASE ${database} refused: database is not a Perch account database: it has tables but ` +
      "not Perch's schema marker (application_id); give perch-proxy its own database file (a new or empty one is set up)\n");
    assertNoSecret(result.stdout + result.stderr, [key]);
    assert.ok(fs.readFileSync(database).equals(before), 'the file changed');
    assert.deepEqual(fs.readdirSync(dir), ['notes.db'], 'no journal or WAL was left beside it');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an empty or missing PERCH_DATABASE file is set up as a new database', { timeout: 60000 }, async () => {
  const { stack, recorder, dir } = await startSecureStack();
  try {
    for (const name of ['empty.db', 'missing.db']) {
      const database = path.join(dir, name);
      if (name === 'empty.db') fs.writeFileSync(database, '');
      const proxy = await startProxy(stack, recorder.url, { '--database': database });
      assert.equal((await new SiteBrowser(proxy.url).get('/healthz')).status, 200);
      await proxy.stop();
      assert.equal(sqlite(database, 'PRAGMA application_id')[0].application_id, 0x50726368, name);
    }
  } finally {
    await stack.close();
  }
});

test('a start with another PERCH_TOKEN_KEY is refused with exit 2 and changes nothing; the right key runs', { timeout: 90000 }, async () => {
  const { stack, recorder, proxy, database, tokenKey } = await startSecureStack();
  try {
    await signedUpBrowser(proxy.url, { form: validForm('key_check') });
    await proxy.stop();
    const before = fs.readFileSync(database);
    const otherKey = randomBytes(32).toString('hex');
    const refused = runProxy(database, otherKey);
    assert.equal(refused.status, 2, refused.stderr);
    assert.equal(refused.stderr, `${tokenKeyLine}\n`);
    assertNoSecret(refused.stdout + refused.stderr, [tokenKey, otherKey]);
    assert.ok(fs.readFileSync(database).equals(before), 'the refused start changed the database');

    const again = await startProxy(stack, recorder.url, { '--database': database }, { PERCH_TOKEN_KEY: tokenKey });
    assert.equal((await new SiteBrowser(again.url).signInWithTwitter()).json?.status, 'signed_in');
  } finally {
    await stack.close();
  }
});

test('perch-proxy --help mentions rotate-token-key', () => {
  const help = execFileSync(proxyBin, ['--help'], { encoding: 'utf8', timeout: 10000 });
  assert.match(help, /perch-proxy rotate-token-key/);
});

test('rotate-token-key re-seals every token under the new key; the proxy then runs with it and refuses the old', { timeout: 120000 }, async () => {
  const { stack, recorder, proxy, database, dir, tokenKey: oldKey } = await startSecureStack();
  const newKey = randomBytes(32).toString('hex');
  const keyFile = path.join(dir, 'new.key');
  fs.writeFileSync(keyFile, `${newKey}\n`, { mode: 0o600 });
  const env = { PERCH_DATABASE: database, PERCH_TOKEN_KEY: oldKey, PERCH_NEW_TOKEN_KEY_FILE: keyFile };
  try {
    await signedUpBrowser(proxy.url, { form: validForm('rotating') });
    const [issued] = recordedAccessTokens(recorder);

    // A running proxy holds the database open: refused, nothing written.
    const rowsWhileRunning = storedRows(database);
    const busy = rotate(env);
    assert.equal(busy.status, 1, busy.stderr);
    assert.equal(busy.stderr, `perch-proxy rotate-token-key: PERCH_DATABASE ${database} is in use by another process: ` +
      'stop every perch-proxy using it, then run rotate-token-key again; nothing was changed\n');
    assert.deepEqual(storedRows(database), rowsWhileRunning);

    await proxy.stop();
    const rotated = rotate(env);
    assert.equal(rotated.status, 0, rotated.stderr);
    assert.equal(rotated.stdout, `perch-proxy rotate-token-key: re-sealed 2 tokens of 1 accounts in ${database}; ` +
      'start perch-proxy with the new key as PERCH_TOKEN_KEY\n');
    assert.equal(rotated.stderr, '');
    assertNoSecret(rotated.stdout, [oldKey, newKey, issued.token, issued.secret]);

    const [row] = storedRows(database);
    assert.equal(openSealed(row.token, newKey, 'access_token', row.twitter_id), issued.token);
    assert.equal(openSealed(row.secret, newKey, 'access_token_secret', row.twitter_id), issued.secret);
    assert.equal(openSealed(row.token, oldKey, 'access_token', row.twitter_id), null);
    assert.equal(openSealed(row.secret, oldKey, 'access_token_secret', row.twitter_id), null);

    const old = runProxy(database, oldKey);
    assert.equal(old.status, 2, old.stderr);
    assert.equal(old.stderr, `${tokenKeyLine}\n`);

    const renewed = await startProxy(stack, recorder.url, { '--database': database }, { PERCH_TOKEN_KEY: newKey });
    assert.equal((await new SiteBrowser(renewed.url).signInWithTwitter()).json?.status, 'signed_in');
  } finally {
    await stack.close();
  }
});

test('rotate-token-key fails closed on a ciphertext copied to another row: exit 1, the row named, the file unchanged', { timeout: 90000 }, async () => {
  const { stack, proxy, database, tokenKey: oldKey } = await startSecureStack();
  const newKey = randomBytes(32).toString('hex');
  try {
    await signedUpBrowser(proxy.url, { form: validForm('swapped') });
    await proxy.stop();
    // A second row carrying the first row's sealed tokens: valid ciphertexts
    // under the right key, bound to another Twitter id. The first row is
    // re-sealed before the second fails, so an unchanged file means a rollback.
    execFileSync('sqlite3', [database,
      'INSERT INTO accounts (twitter_id, username, first_name, last_name, email, timezone, picture, access_token, ' +
      "access_token_secret, created_at, last_sign_in_at) SELECT '42', 'copycat', first_name, last_name, email, " +
      'timezone, picture, access_token, access_token_secret, created_at, last_sign_in_at FROM accounts'], { timeout: 10000 });
    const before = fs.readFileSync(database);
    const rows = storedRows(database);
    assert.equal(rows.length, 2);

    const result = rotate({ PERCH_DATABASE: database, PERCH_TOKEN_KEY: oldKey, PERCH_NEW_TOKEN_KEY: newKey });
    assert.equal(result.status, 1, result.stderr);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr.split('\n').length, 2, 'one line');
    assert.match(result.stderr, new RegExp(`^perch-proxy rotate-token-key: the stored access_token of account row ${rows[1].id} ` +
      'does not open: .*; nothing was changed\\. Restore that account row from a backup'));
    assertNoSecret(result.stderr, [oldKey, newKey]);
    assert.ok(fs.readFileSync(database).equals(before), 'the failed rotation changed the database');
    assert.deepEqual(storedRows(database), rows);
  } finally {
    await stack.close();
  }
});

// Twitter access tokens are encrypted at rest: the raw bytes of the database
// file, its write-ahead log and shared-memory file never hold an access token
// or its secret (as text, hex or Base64) — while the proxy runs and after it
// stopped — though they do hold the account's plain fields (the control that
// shows the search looks in the right place). The token key is never stored.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import { SiteBrowser, consent, recordedAccessTokens, sqlite, startSecureStack, tempDir, validForm } from './lib.mjs';

function databaseFiles(database) {
  const dir = path.dirname(database);
  const base = path.basename(database);
  return fs.readdirSync(dir).filter((f) => f.startsWith(base)).map((f) => path.join(dir, f));
}

function encodings(value) {
  const bytes = Buffer.from(value, 'utf8');
  return [value, bytes.toString('hex'), bytes.toString('hex').toUpperCase(), bytes.toString('base64'),
    bytes.toString('base64url'), Buffer.from(value, 'utf16le').toString('latin1')];
}

function searchFiles(database, needles) {
  const files = databaseFiles(database);
  const contents = files.map((file) => ({ file, text: fs.readFileSync(file).toString('latin1') }));
  const found = [];
  for (const [what, value] of needles) {
    for (const form of encodings(value)) {
      for (const { file, text } of contents) if (text.includes(form)) found.push(`${what} (${form.slice(0, 12)}…) in ${path.basename(file)}`);
    }
  }
  return { files: files.map((f) => path.basename(f)), found, all: contents.map((c) => c.text).join('') };
}

test('access tokens and their secrets are sealed in the database file and its WAL', { timeout: 90000 }, async () => {
  // Our own folder: the files are read again after the stack (and its folders) is gone.
  const dir = tempDir('at-rest');
  const { stack, proxy, recorder, database, tokenKey } = await startSecureStack({ dir });
  const form = validForm('rest_user');
  let stopped = false;
  try {
    // Register (first tokens), then the same Twitter user signs in again (new tokens replace them).
    const browser = new SiteBrowser(proxy.url);
    const started = await browser.start();
    assert.equal((await browser.exchange(await consent(started.json.authorize_url))).status, 200);
    assert.equal((await browser.register(form)).status, 201);
    const again = new SiteBrowser(proxy.url);
    const second = await again.start();
    const exchanged = await again.exchange(await consent(second.json.authorize_url));
    assert.equal(exchanged.json?.status, 'signed_in', exchanged.body);

    const tokens = recordedAccessTokens(recorder);
    assert.equal(tokens.length, 2, 'two access tokens were issued');
    const needles = [
      ...tokens.flatMap((t, i) => [[`access token ${i + 1}`, t.token], [`access token secret ${i + 1}`, t.secret]]),
      ['token key', tokenKey],
    ];

    const running = searchFiles(database, needles);
    assert.ok(running.files.includes('perch.db'), `files: ${running.files}`);
    assert.ok(running.files.includes('perch.db-wal'), `the test expects WAL mode while running: ${running.files}`);
    assert.ok(running.all.includes(form.email) && running.all.includes(form.username), 'the account is not in the files searched');
    assert.deepEqual(running.found, [], 'found in the database files while running');

    // The stored values are AES-256-GCM sealed: version 0x01, 12-byte nonce, ciphertext, 16-byte tag.
    const [row] = sqlite(database,
      "SELECT typeof(access_token) AS t1, typeof(access_token_secret) AS t2, length(access_token) AS l1, " +
      "length(access_token_secret) AS l2, hex(substr(access_token, 1, 1)) AS v1, hex(substr(access_token_secret, 1, 1)) AS v2 " +
      `FROM accounts WHERE username = '${form.username}'`);
    const latest = tokens[1];
    assert.deepEqual(row, {
      t1: 'blob', t2: 'blob', l1: Buffer.byteLength(latest.token) + 29, l2: Buffer.byteLength(latest.secret) + 29, v1: '01', v2: '01',
    });
  } finally {
    const results = await stack.close();
    stopped = results.every((r) => !r.error);
  }
  assert.ok(stopped, 'the stack stopped cleanly');
  const tokens = recordedAccessTokens(recorder);
  const afterStop = searchFiles(database, [
    ...tokens.flatMap((t, i) => [[`access token ${i + 1}`, t.token], [`access token secret ${i + 1}`, t.secret]]),
    ['token key', tokenKey],
  ]);
  fs.rmSync(dir, { recursive: true, force: true });
  assert.ok(afterStop.all.includes(form.email), 'the account is not in the files searched after stopping');
  assert.deepEqual(afterStop.found, [], 'found in the database files after stopping');
});

// No secret or token leaves perch-proxy: not the consumer secret, the token
// key, a request- or access-token secret, an access token or a verifier — in
// no response (status, headers, body; a request-token secret sealed in a flow
// cookie included), in no line of the proxy's whole stdout and stderr, and not
// in the served site (build/site, including the WebAssembly embedded in
// perch.mjs); a session id or sealed flow nowhere but its own Set-Cookie. A recording forwarder
// between proxy and emulator learns the tokens the emulator made.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

import {
  SiteBrowser, consent, consumerSecret, rawRequest, recordedAccessTokens, recordedSecrets, servedPath, setFault, siteDir,
  startSecureStack, validForm,
} from './lib.mjs';

function filesUnder(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(full) : [full];
  });
}

// perch.mjs is built -sSINGLE_FILE: the module's bytes are a base64 string in it.
function embeddedBinaries(text) {
  return [...text.matchAll(/base64,([A-Za-z0-9+/=]{1000,})/g)].map((m) => Buffer.from(m[1], 'base64'));
}

test('no secret, token, verifier or session id in any response, log line or site file', { timeout: 120000 }, async () => {
  const { stack, emulator, recorder, proxy, tokenKey } = await startSecureStack({
    flags: { '--upstream-timeout-ms': '1000' }, emulatorArgs: ['--slow-ms', '3000'],
  });
  const browsers = [];
  const raw = [];
  const verifiers = [];
  const fresh = () => { const b = new SiteBrowser(proxy.url); browsers.push(b); return b; };
  const approve = async (browser) => {
    const started = await browser.start();
    assert.equal(started.status, 200, started.body);
    const query = await consent(started.json.authorize_url);
    verifiers.push(new URLSearchParams(query).get('oauth_verifier'));
    return query;
  };
  let results;
  try {
    // A new user registers (after a refused attempt with extra fields), reads /api/me, signs out.
    {
      const browser = fresh();
      const exchanged = await browser.exchange(await approve(browser));
      assert.equal(exchanged.json?.status, 'new', exchanged.body);
      assert.equal((await browser.register({ ...validForm(), twitter_id: '1', access_token: 'x' })).status, 400);
      assert.equal((await browser.register(validForm())).status, 201);
      assert.equal((await browser.me()).status, 200);
      assert.equal((await browser.logout()).status, 204);
      assert.equal((await browser.me()).status, 401);
    }
    // The same Twitter user comes back: signed in, new tokens stored; then a replay.
    {
      const browser = fresh();
      const query = await approve(browser);
      const exchanged = await browser.exchange(query);
      assert.equal(exchanged.json?.status, 'signed_in', exchanged.body);
      assert.equal((await browser.me()).status, 200);
      assert.equal((await browser.exchange(query)).status, 409);
    }
    // Cancel, a tampered token, a wrong verifier (Twitter refuses it: 502).
    {
      const browser = fresh();
      const started = await browser.start();
      assert.equal((await browser.exchange(await consent(started.json.authorize_url, { cancel: true }))).status, 400);
      const query = await approve(browser);
      assert.equal((await browser.exchange(query.replace('oauth_token=', 'oauth_token=x'))).status, 400);
      assert.equal((await browser.exchange(query.replace(/oauth_verifier=[^&]*/, 'oauth_verifier=wrong'))).status, 502);
    }
    // Every provider fault on the exchange's calls, and on request_token.
    for (const on of ['access_token', 'verify_credentials']) {
      for (const mode of ['http500', 'http401', 'garbage', 'slow', 'drop']) {
        const browser = fresh();
        const query = await approve(browser);
        await setFault(emulator, mode, on, 3000);
        try {
          const answer = await browser.exchange(query);
          assert.ok([502, 504].includes(answer.status), `${mode} on ${on}: ${answer.status} ${answer.body}`);
        } finally {
          await setFault(emulator, 'none');
        }
      }
    }
    for (const mode of ['http500', 'garbage', 'drop']) {
      const browser = fresh();
      await setFault(emulator, mode, 'request_token');
      try {
        assert.equal((await browser.start()).status, 502);
      } finally {
        await setFault(emulator, 'none');
      }
    }
    // Bad requests and the site itself.
    {
      const browser = fresh();
      await browser.request('/api/twitter/exchange', { body: '{"callback_query":' });
      await browser.request('/api/twitter/exchange', { body: JSON.stringify({ callback_query: '?oauth_token=a&oauth_verifier=b' }) });
      await browser.request('/api/twitter/start', { body: '{}', headers: { origin: 'https://evil.example' } });
      await browser.request('/api/twitter/start', { body: '{}', headers: { 'content-type': 'text/plain' } });
      await browser.request('/api/register', { body: JSON.stringify(validForm()) });
      await browser.request('/api/twitter/start', { body: 'x'.repeat(20000) });
      for (const page of ['/', '/signup/callback', '/perch.mjs', servedPath('app.mjs'), servedPath('api.mjs'), '/nope', '/healthz']) await browser.get(page);
      raw.push(await rawRequest(proxy.url, `GET /${'a'.repeat(9000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
      raw.push(await rawRequest(proxy.url, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(9000)}\r\nConnection: close\r\n\r\n`));
    }
  } finally {
    results = await stack.close();
  }
  const proxyResult = results.find((r) => r.name === 'perch-proxy');
  assert.ok(proxyResult && !proxyResult.error, String(proxyResult?.error));
  const proxyLog = proxyResult.output;  // the whole stdout and stderr

  const accessTokens = recordedAccessTokens(recorder);
  const tokenSecrets = recordedSecrets(recorder.recorded);
  const setCookies = browsers.flatMap((b) => b.seen.flatMap((s) => s.setCookies));
  const sessionIds = setCookies.map((c) => c.match(/^perch_session=([^;]+)/)?.[1]).filter(Boolean);
  // The sealed flows browsers kept: their request-token secrets are searched
  // for in every response byte below, so a secret sealed in clear would fail.
  const sealedFlows = setCookies.map((c) => c.match(/^perch_flow_[^=]+=([^;]+)/)?.[1]).filter(Boolean);
  // Worth something only if it saw what it looks for.
  assert.ok(accessTokens.length >= 5, `access tokens seen: ${accessTokens.length}`);
  assert.ok(tokenSecrets.length >= 15, `token secrets seen: ${tokenSecrets.length}`);
  assert.ok(verifiers.length >= 10 && verifiers.every(Boolean), `verifiers: ${verifiers.length}`);
  assert.ok(sessionIds.length >= 3, `session ids seen: ${sessionIds.length}`);
  assert.ok(sealedFlows.length >= 14, `sealed flows seen: ${sealedFlows.length}`);

  const secrets = [
    ['consumer secret', consumerSecret],
    ['token key', tokenKey], ['token key', tokenKey.toUpperCase()],
    ...tokenSecrets.map((s) => ['token secret', s]),
    ...accessTokens.map((a) => ['access token', a.token]),
    ...verifiers.map((v) => ['verifier', v]),
  ];
  for (const [, value] of secrets) assert.ok(value && value.length >= 10, 'a secret too short to search for');

  const responses = [
    ...browsers.flatMap((b) => b.seen).map((s) => `${s.status}\n${s.headers.map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${s.body}`),
    ...raw.map((r) => r.raw),
  ];
  assert.ok(responses.length >= 50, `responses: ${responses.length}`);
  for (const [what, secret] of secrets) {
    for (const response of responses) assert.ok(!response.includes(secret), `a ${what} is in a response:\n${response.slice(0, 2000)}`);
    assert.ok(!proxyLog.includes(secret), `a ${what} is in the proxy log`);
  }
  // Session ids: only ever in Set-Cookie, never in a body or another header, never logged.
  const withoutSetCookie = browsers.flatMap((b) => b.seen)
    .map((s) => `${s.headers.filter(([k]) => k !== 'set-cookie').map(([k, v]) => `${k}: ${v}`).join('\n')}\n${s.body}`);
  for (const id of [...sessionIds, ...sealedFlows]) {
    assert.ok(!proxyLog.includes(id), 'a session id or sealed flow is in the proxy log');
    for (const text of withoutSetCookie) assert.ok(!text.includes(id), `a session id or sealed flow is outside Set-Cookie:\n${text.slice(0, 2000)}`);
  }
  assert.ok(!/oauth_(verifier|token)=/.test(proxyLog), `a callback query is in the proxy log:\n${proxyLog}`);
  // The log was really captured: an access line per request, provider problems explained.
  const accessLines = proxyLog.split('\n').filter((line) => / (GET|POST|HEAD) \S+ \d{3} [\d.]+ms$/.test(line));
  assert.ok(accessLines.length >= 50, `access lines: ${accessLines.length}\n${proxyLog}`);
  assert.match(proxyLog, /provider_(error|timeout) at access_token/);

  // The served site: every file, and the WebAssembly inside perch.mjs.
  const files = filesUnder(siteDir);
  assert.ok(files.some((f) => f.endsWith('perch.mjs')) && files.some((f) => f.endsWith('index.html')), `site: ${files}`);
  let binaries = 0;
  for (const file of files) {
    const bytes = fs.readFileSync(file);
    const blobs = [bytes, ...embeddedBinaries(bytes.toString('latin1'))];
    binaries += blobs.length - 1;
    for (const blob of blobs) {
      const text = blob.toString('latin1');
      for (const [what, secret] of secrets) assert.ok(!text.includes(secret), `a ${what} is in ${file}`);
      // No secret-bearing setting is wired into the page at all.
      for (const name of ['PERCH_CONSUMER_SECRET', 'PERCH_TOKEN_KEY', 'consumer_secret', 'oauth_token_secret']) {
        assert.ok(!text.includes(name), `${file} mentions ${name}`);
      }
    }
  }
  assert.ok(binaries >= 1, 'the WebAssembly embedded in perch.mjs was not found');
});

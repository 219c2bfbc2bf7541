// A callback that was already used, belongs to another browser, was tampered
// with, was cancelled, or has expired is refused BEFORE any call to the
// provider: the recording forwarder in front of the emulator counts every
// call, and the count must not move. Two racing exchanges of one callback
// cost exactly one access-token call, and so does a copy of a flow cookie
// presented after its flow was used.
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { SiteBrowser, assertError, consent, providerCalls, startSecureStack } from './lib.mjs';

async function approvedFlow(proxyUrl) {
  const browser = new SiteBrowser(proxyUrl);
  const started = await browser.start();
  assert.equal(started.status, 200, started.body);
  return { browser, query: await consent(started.json.authorize_url), token: started.json.oauth_token };
}

describe('replays and mismatches never reach the provider', { timeout: 90000 }, () => {
  let env;
  before(async () => { env = await startSecureStack(); });
  after(async () => { await env.stack.close(); });

  // Runs `action` and checks it made no provider call at all.
  async function noProviderCall(what, action) {
    const before = providerCalls(env.recorder);
    const result = await action();
    assert.deepEqual(providerCalls(env.recorder), before, `${what} called the provider`);
    return result;
  }

  test('a used callback is refused as replayed, in the same browser and in another', async () => {
    const { browser, query } = await approvedFlow(env.proxy.url);
    const first = await browser.exchange(query);
    assert.equal(first.status, 200, first.body);
    assert.equal(providerCalls(env.recorder).access_token, 1);
    assertError(await noProviderCall('a replay', () => browser.exchange(query)), 409, 'replayed');
    // Someone who copied the callback URL (history, a shoulder) has no flow for it.
    const thief = new SiteBrowser(env.proxy.url);
    await thief.start();
    assertError(await noProviderCall("a replay from another browser", () => thief.exchange(query)), 400, 'token_mismatch');
    assertError(await noProviderCall('a replay without a session', () => new SiteBrowser(env.proxy.url).exchange(query)), 400, 'no_session');
  });

  test("another browser's pending callback is a token mismatch there, and still works for its owner", async () => {
    const owner = await approvedFlow(env.proxy.url);
    const attacker = new SiteBrowser(env.proxy.url);
    await attacker.start();
    assertError(await noProviderCall('a foreign callback', () => attacker.exchange(owner.query)), 400, 'token_mismatch');
    const exchanged = await owner.browser.exchange(owner.query);
    assert.equal(exchanged.status, 200, `the attacker's attempt burned the owner's flow: ${exchanged.body}`);
  });

  test('tampered, duplicated or missing callback parameters are refused without a provider call', async () => {
    const { browser, query, token } = await approvedFlow(env.proxy.url);
    const verifier = new URLSearchParams(query).get('oauth_verifier');
    const cases = [
      [query.replace(`oauth_token=${token}`, `oauth_token=${token}x`), 400, 'token_mismatch'],
      [`?oauth_token=${token}&oauth_token=${token}&oauth_verifier=${verifier}`, 400, null],
      [`?oauth_token=${token}`, 400, 'missing_params'],
      [`?oauth_verifier=${verifier}`, 400, null],
      ['', 400, null],
    ];
    for (const [bad, status, code] of cases) {
      const answer = await noProviderCall(`callback ${bad}`, () => browser.exchange(bad));
      assert.equal(answer.status, status, `${bad}: ${answer.body}`);
      if (code) assert.equal(answer.json.error.code, code, `${bad}: ${answer.body}`);
    }
    // None of that consumed the flow: the real callback still completes.
    assert.equal((await browser.exchange(query)).status, 200);
  });

  test('a cancelled flow is over: its cookie is cleared and its token cannot be exchanged afterwards', async () => {
    const browser = new SiteBrowser(env.proxy.url);
    const started = await browser.start();
    const cancelled = await consent(started.json.authorize_url, { cancel: true });
    const answer = await noProviderCall('a cancel', () => browser.exchange(cancelled));
    assertError(answer, 400, 'denied');
    assert.deepEqual(browser.flowCookies, [], `the cancel left the flow cookie: ${answer.setCookies}`);
    const forged = `?oauth_token=${started.json.oauth_token}&oauth_verifier=guessed`;
    assertError(await noProviderCall('an exchange after a cancel', () => browser.exchange(forged)), 400, 'no_session');
    // A callback saying both "approved" and "denied" counts as a cancel: no provider call, flow over.
    const both = await approvedFlow(env.proxy.url);
    const mixed = `${both.query}&denied=${both.token}`;
    assertError(await noProviderCall('approved+denied', () => both.browser.exchange(mixed)), 400, 'denied');
    assertError(await noProviderCall('the approval after a cancel', () => both.browser.exchange(both.query)), 400, 'no_session');
  });

  test('a copy of a used flow cookie is refused as replayed: single use holds across browsers', async () => {
    const { browser, query } = await approvedFlow(env.proxy.url);
    const copy = new SiteBrowser(env.proxy.url);
    for (const name of browser.flowCookies) copy.jar.set(name, browser.jar.get(name));
    assert.equal((await browser.exchange(query)).status, 200);
    assertError(await noProviderCall('a copied flow cookie', () => copy.exchange(query)), 409, 'replayed');
  });

  test('two racing exchanges of one callback: one wins, the other is refused, one access-token call', async () => {
    const { browser, query } = await approvedFlow(env.proxy.url);
    const before = providerCalls(env.recorder);
    const answers = await Promise.all([browser.exchange(query), browser.exchange(query), browser.exchange(query)]);
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [200, 409, 409], answers.map((a) => a.body).join('\n'));
    const afterRace = providerCalls(env.recorder);
    assert.equal(afterRace.access_token - before.access_token, 1);
    assert.equal(afterRace.verify_credentials - before.verify_credentials, 1);
  });
});

test('an expired flow is refused (410) without a provider call', { timeout: 60000 }, async () => {
  const env = await startSecureStack({ flags: { '--flow-ttl-seconds': '1' } });
  try {
    const { browser, query } = await approvedFlow(env.proxy.url);
    // The flow's sealed expiry (whole seconds of wall-clock time) has certainly passed 2 s after it began.
    await delay(2000);
    const before = providerCalls(env.recorder);
    assertError(await browser.exchange(query), 410, 'expired');
    assert.deepEqual(providerCalls(env.recorder), before);
  } finally {
    await env.stack.close();
  }
});

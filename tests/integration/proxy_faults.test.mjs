// Each perch-emulator fault mode, on each provider call, gives the right JSON
// error from perch-proxy, and the proxy stays up.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Browser, Stack, consent, noRateLimits, setFault, startEmulator, startProxy } from './harness.mjs';

// The proxy gives up reading after 1 s; the emulator's slow mode waits 4 s.
const proxyReadTimeoutMs = 1000;
const slowMs = 4000;

const expected = {
  http500: [502, 'provider_error'],
  http401: [502, 'provider_error'],
  garbage: [502, 'provider_error'],
  drop: [502, 'provider_error'],
  slow: [504, 'provider_timeout'],
};

describe('perch-proxy under perch-emulator faults', { timeout: 120000 }, () => {
  const stack = new Stack();
  let emulator;
  let proxy;

  before(async () => {
    emulator = await startEmulator(stack, ['--slow-ms', String(slowMs)]);
    proxy = await startProxy(stack, emulator.url, { ...noRateLimits, '--upstream-timeout-ms': String(proxyReadTimeoutMs) });
  });

  after(async () => {
    await setFault(emulator, 'none').catch(() => {});
    const results = await stack.close();
    for (const result of results) assert.equal(result.code, 0, `${result.name}: ${JSON.stringify(result)}`);
  });

  async function assertUp() {
    const health = await new Browser(proxy.url).get('/healthz');
    assert.equal(health.status, 200);
  }

  function assertFailure(response, mode) {
    const [status, code] = expected[mode];
    assert.equal(response.status, status, `${mode}: ${response.body}`);
    assert.equal(response.json?.error?.code, code, response.body);
    assert.ok(response.json.error.message.length > 0);
    assert.ok(!/<html|<!doctype/i.test(response.body), `an HTML body leaked into the JSON error: ${response.body}`);
  }

  for (const mode of Object.keys(expected)) {
    test(`${mode} on request_token -> ${expected[mode].join(' ')} from start`, async () => {
      await setFault(emulator, mode, 'request_token', slowMs);
      try {
        const browser = new Browser(proxy.url);
        const started = performance.now();
        assertFailure(await browser.start(), mode);
        if (mode === 'slow') assert.ok(performance.now() - started < slowMs, 'the proxy waited for the slow provider');
      } finally {
        await setFault(emulator, 'none');
      }
      await assertUp();
      // And it recovers: the next start works.
      assert.equal((await new Browser(proxy.url).start()).status, 200);
    });

    for (const endpoint of ['access_token', 'verify_credentials']) {
      test(`${mode} on ${endpoint} -> ${expected[mode].join(' ')} from exchange, never retried`, async () => {
        const browser = new Browser(proxy.url);
        const started = await browser.start();
        assert.equal(started.status, 200, started.body);
        const query = await consent(started.json.authorize_url);
        const copy = new Browser(proxy.url);
        for (const name of browser.flowCookies) copy.jar.set(name, browser.jar.get(name));
        await setFault(emulator, mode, endpoint, slowMs);
        try {
          assertFailure(await browser.exchange(query), mode);
        } finally {
          await setFault(emulator, 'none');
        }
        await assertUp();
        // The failed attempt used the flow up: the browser's cookie is cleared,
        // and a kept copy of it is refused as a replay.
        assert.deepEqual(browser.flowCookies, []);
        const again = await browser.exchange(query);
        assert.equal(again.status, 400, again.body);
        assert.equal(again.json.error.code, 'no_session');
        const replayed = await copy.exchange(query);
        assert.equal(replayed.status, 409, replayed.body);
      });
    }
  }
});

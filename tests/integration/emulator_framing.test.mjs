// perch-emulator frames requests like perch-proxy (lib/net/request_head.h):
// a body on a GET, or a head that can be framed more than one way, is never
// read as a second request; the connection ends after the one answer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { statusLines, wholeConversation } from './conversation.mjs';
import { Stack, startEmulator } from './harness.mjs';

describe('perch-emulator request framing', { timeout: 60000 }, () => {
  const stack = new Stack();
  let emulator;
  before(async () => { emulator = await startEmulator(stack); });
  after(async () => { await stack.close(); });

  test('a GET body, or an ambiguous head, is answered once and the connection ends', async () => {
    const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n';
    const cases = [
      ['a body on GET', /^HTTP\/1\.1 404 /, `GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`],
      ['two Content-Lengths', /^HTTP\/1\.1 400 /, `GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`],
      ['Transfer-Encoding with a space', /^HTTP\/1\.1 400 /, `POST /oauth/request_token HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n${smuggled}`],
    ];
    for (const [what, status, bytes] of cases) {
      const answer = await wholeConversation(emulator.url, bytes);
      assert.match(answer, status, `${what}: ${answer.slice(0, 300)}`);
      assert.equal(statusLines(answer).length, 1, `${what}: ${answer.slice(0, 600)}`);
      assert.match(answer, /\r\nConnection: close\r\n/i, what);
    }
    assert.ok(!emulator.stderr.includes('/smuggled'), emulator.stderr);
  });
});

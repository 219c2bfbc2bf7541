// Request smuggling: a request the proxy refuses before reading its body
// (chunked framing, both framings at once, no length, a length over the limit,
// an ambiguous Content-Length) ends its connection, and a body on a route that
// reads none is dropped, so bytes a client labelled as body are never read as
// a second request. The smuggled request here would sign a person out.
// (tests/security/nginx_desync.test.mjs: the same behind nginx.)
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { statusLines, wholeConversation } from '../integration/conversation.mjs';
import { signedUpBrowser, startSecureStack } from './lib.mjs';

describe('a refused request never smuggles another', { timeout: 90000 }, () => {
  let env;
  let victim;
  before(async () => {
    env = await startSecureStack();
    victim = await signedUpBrowser(env.proxy.url);
    assert.equal((await victim.me()).status, 200);
  });
  after(async () => { await env.stack.close(); });

  test('chunked, doubly framed, unframed and oversized requests end their connection after one answer', async () => {
    const origin = env.proxy.url;
    const smuggled = `POST /api/logout HTTP/1.1\r\nHost: x\r\nOrigin: ${origin}\r\nContent-Type: application/json\r\n` +
      `Cookie: perch_session=${victim.cookie}\r\nContent-Length: 2\r\n\r\n{}`;
    const head = `POST /api/twitter/start HTTP/1.1\r\nHost: x\r\nOrigin: ${origin}\r\nContent-Type: application/json\r\n`;
    const cases = [
      ['chunked', 400, `${head}Transfer-Encoding: chunked\r\n\r\n${(smuggled.length + 2).toString(16)}\r\n{}${smuggled}\r\n0\r\n\r\n`],
      ['Content-Length and Transfer-Encoding', 400, `${head}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`],
      ['Transfer-Encoding with a space before the colon', 400, `${head}Content-Length: 2\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n${smuggled}`],
      ['two equal Content-Lengths', 400, `${head}Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}${smuggled}`],
      ['Content-Length: -1', 400, `${head}Content-Length: -1\r\n\r\n{}${smuggled}`],
      ['no length', 411, `${head}\r\n${smuggled}`],
      ['length over the limit', 413, `${head}Content-Length: 20000\r\n\r\n${smuggled}${' '.repeat(20000 - smuggled.length)}`],
    ];
    for (const [what, status, bytes] of cases) {
      const conversation = await wholeConversation(env.proxy.url, bytes);
      const answers = statusLines(conversation);
      assert.deepEqual(answers, [`HTTP/1.1 ${status}`], `${what}: ${conversation.slice(0, 400)}`);
      assert.match(conversation, /\r\nConnection: close\r\n/i, what);
      assert.equal((await victim.me()).status, 200, `${what}: the smuggled logout ran`);
    }
  });

  test('a body on a route that reads none (GET /healthz) is dropped, never run as a request', async () => {
    // curl -X GET --data-binary "$smuggled" http://127.0.0.1:P/healthz, on a kept-alive connection
    const smuggled = `POST /api/logout HTTP/1.1\r\nHost: x\r\nOrigin: ${env.proxy.url}\r\nContent-Type: application/json\r\n` +
      `Cookie: perch_session=${victim.cookie}\r\nContent-Length: 2\r\n\r\n{}`;
    const bytes = `GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}` +
      'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
    const conversation = await wholeConversation(env.proxy.url, bytes);
    assert.deepEqual(statusLines(conversation), ['HTTP/1.1 200', 'HTTP/1.1 200'], conversation.slice(0, 600));
    assert.equal((await victim.me()).status, 200, 'the smuggled logout ran');
    assert.ok(!env.proxy.stderr.includes('POST /api/logout'), env.proxy.stderr);
  });
});

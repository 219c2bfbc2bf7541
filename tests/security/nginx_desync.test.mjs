// Request smuggling behind a reverse proxy that reuses its upstream
// connections (nginx 1.22, `keepalive`): an attacker's GET whose body is the
// unfinished head of a sign-out must not turn the next visitor's request on
// that upstream connection into the sign-out, run with the visitor's cookie.
// perch-proxy drops a body on a route that reads none, so the body is never
// parsed as a request.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { statusLines, wholeConversation } from '../integration/conversation.mjs';
import { nginxBinary, startNginx } from './nginx.mjs';
import { signedUpBrowser, startSecureStack } from './lib.mjs';

describe('behind nginx with upstream keep-alive', { timeout: 120000 }, () => {
  let env;
  let nginx;
  before(async () => {
    env = await startSecureStack();
    nginx = await startNginx(env.stack, env.proxy.url, { keepalive: 1 });
  });
  after(async () => { await env.stack.close(); });

  test(`a GET body holding a sign-out head does not sign out the next visitor (${nginxBinary})`, async () => {
    const visitor = await signedUpBrowser(nginx.url, { origin: env.proxy.url });
    assert.equal((await visitor.me()).status, 200, 'signed in through nginx');

    // The head of a sign-out that passes the Origin and content-type checks,
    // left open at X-Junk: the next request on the connection would complete it.
    const unfinished = `POST /api/logout HTTP/1.1\r\nHost: x\r\nOrigin: ${env.proxy.url}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 0\r\nX-Junk: ';
    const attack = `GET /healthz HTTP/1.1\r\nHost: ${new URL(nginx.url).host}\r\nContent-Length: ${unfinished.length}\r\n` +
      `Connection: close\r\n\r\n${unfinished}`;
    const answer = await wholeConversation(nginx.url, attack);
    assert.match(answer, /^HTTP\/1\.1 200 /, answer.slice(0, 300));
    assert.equal(statusLines(answer).length, 1, answer.slice(0, 600));

    // The visitor's next requests reuse nginx's one kept upstream connection.
    const me = await visitor.me();
    assert.equal(me.status, 200, `the visitor's GET /api/me ran as the smuggled sign-out: ${me.status} ${me.body}`);
    assert.equal(me.json?.user?.username, 'zoe_perch');
    assert.equal((await visitor.me()).status, 200, 'the visitor was signed out');
    assert.ok(!env.proxy.stderr.includes('POST /api/logout'), `a sign-out reached perch-proxy:\n${env.proxy.stderr}`);
  });
});

// A forwarder between perch-proxy and perch-emulator that gives each sign-in
// the Twitter identity the driver chose for it. The emulator signs in one
// user; a soak needs thousands of distinct users (registrations) and the same
// users again (returning sign-ins). OAuth 1.0a does not sign provider
// answers, so the forwarder rewrites the user id and screen name in the
// access-token answer and in verify_credentials, consistently — exactly what
// the proxy would see from Twitter for another person. Everything else
// (signatures, nonces, tokens, faults) is the emulator's own behaviour.
//
//   const forwarder = await startMintingForwarder(emulatorUrl);
//   forwarder.assign(requestToken, { id: '1452019283000000001', screenName: 'u1' });
import http from 'node:http';

const emulatorId = '1452019283001737216';
const emulatorScreenName = 'zoe_perch';

function oauthToken(authorization) {
  const match = /oauth_token="([^"]*)"/.exec(authorization ?? '');
  return match ? decodeURIComponent(match[1]) : '';
}

export async function startMintingForwarder(targetUrl, { maxSockets = 24, timeoutMs = 20000 } = {}) {
  const target = new URL(targetUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const planned = new Map();  // request token -> user
  const byAccess = new Map(); // access token -> user
  const calls = new Map();    // path -> count
  const statuses = new Map(); // "path status" -> count
  const sockets = new Set();

  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const pathname = request.url.split('?')[0];
      calls.set(pathname, (calls.get(pathname) ?? 0) + 1);
      const token = oauthToken(request.headers.authorization);
      const upstream = http.request({
        host: target.hostname, port: target.port, method: request.method, path: request.url,
        headers: request.headers, agent, timeout: timeoutMs,
      }, (answer) => {
        const out = [];
        answer.on('data', (chunk) => out.push(chunk));
        answer.on('end', () => {
          let body = Buffer.concat(out);
          statuses.set(`${pathname} ${answer.statusCode}`, (statuses.get(`${pathname} ${answer.statusCode}`) ?? 0) + 1);
          if (answer.statusCode === 200) body = rewrite(pathname, token, body);
          const headers = { ...answer.headers, 'content-length': String(body.length) };
          delete headers['transfer-encoding'];
          if (response.destroyed) return;
          response.writeHead(answer.statusCode, headers);
          response.end(body);
        });
        answer.on('error', () => response.destroy());
      });
      upstream.on('timeout', () => upstream.destroy());
      // A dropped connection upstream is dropped downstream too (the `drop` fault).
      upstream.on('error', () => response.destroy());
      upstream.end(Buffer.concat(chunks));
    });
  });
  server.keepAliveTimeout = 5000;
  server.on('connection', (socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)); });

  function rewrite(pathname, token, body) {
    if (pathname === '/oauth/access_token') {
      const user = planned.get(token);
      if (!user) return body;
      planned.delete(token);
      const params = new URLSearchParams(body.toString('utf8'));
      if (params.get('user_id') !== emulatorId || !params.get('oauth_token')) return body;
      params.set('user_id', user.id);
      params.set('screen_name', user.screenName);
      byAccess.set(params.get('oauth_token'), user);
      return Buffer.from(params.toString(), 'utf8');
    }
    if (pathname === '/1.1/account/verify_credentials.json') {
      const user = byAccess.get(token);
      if (!user) return body;
      byAccess.delete(token);
      // Text replacement keeps every other number exact (ids above 2^53).
      const text = body.toString('utf8')
        .replaceAll(emulatorId, user.id)
        .replaceAll(`"screen_name":"${emulatorScreenName}"`, `"screen_name":"${user.screenName}"`);
      return Buffer.from(text, 'utf8');
    }
    return body;
  }

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    assign(requestToken, user) {
      if (!/^\d{19}$/.test(user.id) || user.id === emulatorId) throw new Error(`bad minted id ${user.id}`);
      planned.set(requestToken, user);
    },
    forget(requestToken) { planned.delete(requestToken); },
    calls,
    statuses,
    pending() { return { planned: planned.size, byAccess: byAccess.size }; },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
      agent.destroy();
    },
  };
}

// The n-th minted user: 19 digits like a real id (above 2^53), never the emulator's own.
export function mintedUser(n) {
  return { id: `9${String(n).padStart(18, '0')}`, screenName: `soak_${n}` };
}

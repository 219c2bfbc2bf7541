// Debian's nginx as a reverse proxy in front of perch-proxy, for tests: run
// unprivileged-style in the foreground (`daemon off;`) from a temporary prefix
// holding its configuration, logs, pid file and every *_temp_path, on a free
// loopback port, and stopped with the stack.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { Child } from '../integration/harness.mjs';

export const nginxBinary = process.env.PERCH_NGINX ?? '/usr/sbin/nginx';

const readyDeadlineMs = 10000;

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function configuration(dir, port, upstreams, keepalive, site) {
  const at = (name) => path.join(dir, name);
  return `daemon off;
worker_processes 1;
pid ${at('nginx.pid')};
error_log ${at('error.log')} info;
events { worker_connections 64; }
http {
  access_log ${at('access.log')};
  client_body_temp_path ${at('client_body')};
  proxy_temp_path ${at('proxy')};
  fastcgi_temp_path ${at('fastcgi')};
  uwsgi_temp_path ${at('uwsgi')};
  scgi_temp_path ${at('scgi')};
${site ? site(port) : `  upstream perch {
${upstreams.map((upstream) => `    server ${upstream};`).join('\n')}
${keepalive > 0 ? `    keepalive ${keepalive};` : ''}
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://perch;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
    }
  }
`}
}
`;
}

// Resolves once a GET /healthz through nginx is answered 200 (perch-proxy must be up).
async function waitUntilServing(child, url) {
  const until = Date.now() + readyDeadlineMs;
  for (;;) {
    if (child.exit !== null) throw new Error(`nginx exited (${JSON.stringify(child.exit)})\n${child.output()}`);
    try {
      const response = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch { /* not listening yet */ }
    if (Date.now() > until) throw new Error(`nginx did not serve within ${readyDeadlineMs} ms\n${child.output()}`);
    await new Promise((resolve) => { setTimeout(resolve, 50); });
  }
}

// nginx on 127.0.0.1 proxying everything to `proxyUrl` over HTTP/1.1 with
// `keepalive` idle upstream connections kept for reuse (one worker process,
// so the next request reuses the connection the previous one left).
// `proxyUrl` may be a list: nginx then takes turns among them (round robin).
// `port`: listen there (e.g. a public origin the proxies already know).
// `site`: (port) => the text inside http {} in place of that proxying (its own
// upstreams and server; /healthz must still reach perch-proxy).
// Returns the child with `url` and `dir`.
export async function startNginx(stack, proxyUrl, { keepalive = 1, port: fixedPort = null, site = null } = {}) {
  const upstreams = [proxyUrl].flat().map((url) => new URL(url).host);
  for (let attempt = 1; ; attempt += 1) {
    const dir = stack.tempDir();
    const port = fixedPort ?? await freePort();
    const conf = path.join(dir, 'nginx.conf');
    fs.writeFileSync(conf, configuration(dir, port, upstreams, keepalive, site));
    const child = stack.add(new Child('nginx', nginxBinary, ['-p', dir, '-c', conf, '-e', path.join(dir, 'error.log')], {}));
    child.url = `http://127.0.0.1:${port}`;
    child.dir = dir;
    try {
      await waitUntilServing(child, child.url);
      return child;
    } catch (error) {
      // Another process took the free port between our probe and nginx's bind: try another.
      const log = fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : '';
      if (attempt >= 3 || fixedPort !== null || !log.includes('Address already in use')) throw new Error(`${error.message}\n${log}`);
    }
  }
}

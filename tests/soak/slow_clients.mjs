// Is the proxy still there for everyone else while one client misbehaves?
// A second client asks GET /healthz on a fresh connection every 100 ms
// (3 s deadline each) while an attack runs: a flood of start calls,
// oversized requests, or slowloris connections dripping their headers.
// The attacker connects from 127.0.0.1 and the second client from
// 127.0.0.2 (all of 127/8 is loopback), so per-client protections can tell
// them apart as they would two hosts.
import http from 'node:http';
import net from 'node:net';

import { Tally, percentile, sleep } from './client.mjs';

export const attackerAddress = '127.0.0.1';
export const otherClientAddress = '127.0.0.2';

function healthz(url, timeoutMs) {
  const started = performance.now();
  return new Promise((resolve) => {
    const request = http.get(`${url}/healthz`, { agent: false, timeout: timeoutMs, localAddress: otherClientAddress }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode, ms: performance.now() - started }));
    });
    request.on('timeout', () => { request.destroy(); resolve({ status: 0, ms: performance.now() - started, error: 'timeout' }); });
    request.on('error', (error) => resolve({ status: 0, ms: performance.now() - started, error: error.code ?? error.message }));
  });
}

// Runs `attack(untilMs)` and probes healthz until it ends; the probe's figures.
export async function measure(url, label, attack, { durationMs, probeTimeoutMs = 3000 }) {
  const untilMs = performance.now() + durationMs;
  const attackDone = attack ? attack(untilMs) : Promise.resolve({});
  const samples = [];
  while (performance.now() < untilMs) {
    samples.push(await healthz(url, probeTimeoutMs));
    await sleep(100);
  }
  const attackStats = await attackDone;
  const ok = samples.filter((s) => s.status === 200).map((s) => s.ms);
  return {
    label,
    probes: samples.length,
    ok: ok.length,
    failed: samples.length - ok.length,
    p50: percentile(ok, 50),
    p99: percentile(ok, 99),
    max: Math.max(0, ...samples.map((s) => s.ms)),
    attack: attackStats,
  };
}

// One client (one address) calling start as fast as it can, `concurrency` at a time.
export function flood(url, { concurrency = 32 } = {}) {
  return async (untilMs) => {
    const statuses = new Tally();
    let retryAfter = null;
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    const one = () => new Promise((resolve) => {
      const request = http.request(`${url}/api/twitter/start`, {
        method: 'POST', agent, timeout: 10000, localAddress: attackerAddress,
        headers: { origin: url, 'content-type': 'application/json', 'content-length': 2 },
      }, (response) => {
        if (response.statusCode === 429) retryAfter = response.headers['retry-after'] ?? retryAfter;
        response.resume();
        response.on('end', () => { statuses.add(response.statusCode); resolve(); });
      });
      request.on('timeout', () => request.destroy());
      request.on('error', (error) => { statuses.add(`error ${error.code ?? error.message}`); resolve(); });
      request.end('{}');
    });
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (performance.now() < untilMs) await one();
    }));
    agent.destroy();
    return { requests: statuses.total(), statuses: Object.fromEntries(statuses.entries()), retryAfter };
  };
}

// Raw requests that break a limit: long URI, big header, big body, and a
// Content-Length far above the limit with no body behind it.
export function oversize(url, { concurrency = 8 } = {}) {
  const { hostname, port } = new URL(url);
  const kinds = [
    ['uri', `GET /api/${'a'.repeat(9000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`],
    ['header', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(9000)}\r\nConnection: close\r\n\r\n`],
    ['body', `POST /api/twitter/start HTTP/1.1\r\nHost: x\r\nOrigin: ${url}\r\nContent-Type: application/json\r\n` +
      `Content-Length: 40000\r\nConnection: close\r\n\r\n${'x'.repeat(40000)}`],
    ['declared length', `POST /api/twitter/start HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\nConnection: close\r\n\r\n`],
  ];
  return async (untilMs) => {
    const statuses = new Tally();
    const durations = new Map();
    const one = (kind, bytes) => new Promise((resolve) => {
      const started = performance.now();
      const socket = net.connect({ host: hostname, port: Number(port), localAddress: attackerAddress });
      let text = '';
      const done = (status) => {
        socket.destroy();
        clearTimeout(timer);
        statuses.add(`${kind} ${status}`);
        const list = durations.get(kind) ?? [];
        list.push(performance.now() - started);
        durations.set(kind, list);
        resolve();
      };
      const timer = setTimeout(() => done('timeout'), 10000);
      socket.on('connect', () => socket.write(bytes));
      socket.on('data', (chunk) => {
        text += chunk.toString('latin1');
        if (text.includes('\r\n\r\n')) done(text.split(' ')[1]);
      });
      socket.on('error', () => done(text ? text.split(' ')[1] : 'reset'));
      socket.on('end', () => done(text ? text.split(' ')[1] : 'closed'));
    });
    let i = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (performance.now() < untilMs) {
        const [kind, bytes] = kinds[i++ % kinds.length];
        await one(kind, bytes);
      }
    }));
    const p50 = Object.fromEntries([...durations].map(([kind, list]) => [kind, Math.round(percentile(list, 50))]));
    return { requests: statuses.total(), statuses: Object.fromEntries(statuses.entries()), p50ms: p50 };
  };
}

// `connections` sockets that send a request line, then one header byte every
// `dripMs`, never finishing the head, until the attack ends.
export function slowloris(url, { connections = 256, dripMs = 500 } = {}) {
  const { hostname, port } = new URL(url);
  return async (untilMs) => {
    const sockets = [];
    let closedByServer = 0;
    let opened = 0;
    for (let i = 0; i < connections; ++i) {
      const socket = net.connect({ host: hostname, port: Number(port), localAddress: attackerAddress });
      socket.on('connect', () => { opened += 1; socket.write('POST /api/twitter/start HTTP/1.1\r\nHost: 127.0.0.1\r\n'); });
      socket.on('close', () => { if (performance.now() < untilMs) closedByServer += 1; });
      socket.on('error', () => {});
      sockets.push(socket);
    }
    const drip = 'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n';
    let position = 0;
    while (performance.now() < untilMs) {
      const byte = drip[position++ % drip.length];
      for (const socket of sockets) if (!socket.destroyed) socket.write(byte);
      await sleep(Math.min(dripMs, Math.max(0, untilMs - performance.now())));
    }
    const stillOpen = sockets.filter((s) => !s.destroyed).length;
    for (const socket of sockets) socket.destroy();
    return { connections, opened, closedByServer, stillOpenAtEnd: stillOpen, dripMs };
  };
}

#!/usr/bin/env node
// The load and fault soak (run by scripts/soak; see its header for usage).
//
//   node tests/soak/driver.mjs [--seconds N] [--brief] [--report FILE]
//
// 1. Mixed traffic for N seconds in cycles (traffic, then a quiet spell so
//    sessions expire), faults switching at random; RSS sampled every second.
// 2. After the last cycle: wait until every session and flow has certainly
//    expired (sessions swept), check samples of them are refused, check the database.
// 3. Slow clients: healthz latency for a second client during a start flood,
//    oversized requests and slowloris connections.
// 4. kill -9 during registrations, restart on the same database.
// Exits 0 only if every check held. Loopback only; every wait is bounded.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Stack, consumerSecret, startEmulator, startProxy } from '../integration/harness.mjs';
import { Client, percentile, queryRows, rssKiB, sleep, threadsOf } from './client.mjs';
import { crashRound } from './crash.mjs';
import { startMintingForwarder } from './minting_forwarder.mjs';
import { flood, measure, oversize, slowloris } from './slow_clients.mjs';
import { TrafficState, allowedStatuses, runFaults, runWorkers } from './traffic.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const binDir = process.env.PERCH_BIN_DIR ?? path.join(repo, 'build/native/bin');
// Whether this perch-proxy limits clients' rates (the soak runs it with its defaults).
const rateLimited = execFileSync(path.join(binDir, 'perch-proxy'), ['--help'], { encoding: 'utf8', timeout: 10000 })
  .includes('--start-per-minute');

function parseArgs(argv) {
  const options = { seconds: 600, brief: false, report: null };
  for (let i = 0; i < argv.length; ++i) {
    const arg = argv[i];
    if (arg === '--brief') { options.brief = true; options.seconds = 30; }
    else if (arg === '--seconds') options.seconds = Number(argv[++i]);
    else if (arg === '--report') options.report = argv[++i];
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!Number.isInteger(options.seconds) || options.seconds < 10 || options.seconds > 24 * 3600) {
    throw new Error('--seconds must be an integer from 10 to 86400');
  }
  return options;
}

const options = parseArgs(process.argv.slice(2));
const settings = {
  workers: options.brief ? 6 : 8,
  // A cycle: traffic, then quiet. The quiet spell is part of the load profile.
  cycleTrafficS: options.brief ? 10 : 60,
  cycleQuietS: options.brief ? 5 : 22,
  sessionIdleS: 10,   // the proxy's minimum
  sessionMaxAgeS: 60,
  flowTtlS: 5,
  sweepEveryS: 10,    // perch-proxy's main() sweeps expired sessions every 10 s
  upstreamTimeoutMs: 1000,
  slowMs: 1500,       // a `slow` fault outlasts the proxy's upstream timeout: 504
  slowPhaseS: options.brief ? 4 : 15,
  crashRounds: options.brief ? 1 : 3,
  crashRegistrations: options.brief ? 12 : 24,
};
const cycles = Math.max(1, Math.round(options.seconds / (settings.cycleTrafficS + settings.cycleQuietS)));
if (cycles * (settings.cycleTrafficS + settings.cycleQuietS) > options.seconds * 1.5) {
  settings.cycleTrafficS = Math.max(5, options.seconds - settings.cycleQuietS);
}

const log = (...parts) => console.log(`[soak ${new Date().toISOString().slice(11, 19)}]`, ...parts);
const failures = [];
const check = (ok, message) => { if (!ok) failures.push(message); return ok; };

const stack = new Stack();
const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'perch-soak-'));
const tokenKey = randomBytes(32).toString('hex');
const database = path.join(dir, 'perch.db');
const siteDir = process.env.PERCH_SITE_DIR ?? path.join(repo, 'build/site');
const proxyFlags = {
  '--database': database, '--web-root': siteDir,
  '--session-idle-seconds': String(settings.sessionIdleS), '--session-max-age-seconds': String(settings.sessionMaxAgeS),
  '--flow-ttl-seconds': String(settings.flowTtlS), '--upstream-timeout-ms': String(settings.upstreamTimeoutMs),
  ...(process.env.PERCH_SOAK_PROXY_FLAGS ? JSON.parse(process.env.PERCH_SOAK_PROXY_FLAGS) : {}),
};

const report = { options, settings, rateLimited, cycles: [], rss: [], traffic: null, expiry: null, database: null, slowClients: [], crash: [], failures };
let forwarder;
let sampler;

try {
  log(`binaries: ${binDir}; ${options.seconds} s of traffic in ${cycles} cycle(s); rate limits ${rateLimited ? 'on (defaults)' : 'not in this perch-proxy'}; database ${database}`);
  const emulator = await startEmulator(stack, ['--slow-ms', String(settings.slowMs), '--threads', '64', '--token-ttl', '120']);
  forwarder = await startMintingForwarder(emulator.url);
  const env = {
    stack, emulator, forwarder, database, userOffset: 0, rateLimited, allowed: allowedStatuses(rateLimited),
    proxy: await startProxy(stack, forwarder.url, proxyFlags, { PERCH_TOKEN_KEY: tokenKey }),
  };
  env.proxyUrl = env.proxy.url;
  env.restart = async () => {
    env.proxy = await startProxy(stack, forwarder.url, proxyFlags, { PERCH_TOKEN_KEY: tokenKey });
    env.proxyUrl = env.proxy.url;
    return env.proxyUrl;
  };
  const mainProxy = env.proxy;
  const pid = mainProxy.proc.pid;
  const t0 = performance.now();
  const sample = () => report.rss.push({ s: Math.round((performance.now() - t0) / 1000), kib: rssKiB(pid), threads: threadsOf(pid) });
  sample();
  sampler = setInterval(sample, 1000);

  // 1. Mixed traffic in cycles.
  const state = new TrafficState();
  for (let cycle = 1; cycle <= cycles; ++cycle) {
    const startedAt = performance.now();
    const requestsBefore = state.requests;
    const untilMs = startedAt + settings.cycleTrafficS * 1000;
    await Promise.all([
      runWorkers(env, state, { workers: settings.workers, untilMs }),
      runFaults(env, state, { untilMs, slowMs: settings.slowMs }),
    ]);
    const trafficEnd = report.rss.length;
    await sleep(settings.cycleQuietS * 1000);
    const during = report.rss.filter((r) => r.s >= (startedAt - t0) / 1000).map((r) => r.kib).filter(Boolean);
    const entry = {
      cycle, requests: state.requests - requestsBefore, seconds: Math.round((performance.now() - startedAt) / 1000),
      peakKiB: Math.max(...during), endOfTrafficKiB: report.rss[trafficEnd - 1]?.kib, afterQuietKiB: rssKiB(pid),
      acked: state.acked.length,
    };
    report.cycles.push(entry);
    log(`cycle ${cycle}/${cycles}: ${entry.requests} requests, RSS peak ${entry.peakKiB} KiB, after quiet ${entry.afterQuietKiB} KiB, ${state.acked.length} accounts`);
    if (mainProxy.exit) break;
  }

  // 2. Expiry: every session idle for longer than its lifetime, and a sweep
  // since; every abandoned flow past its lifetime (the browser still holds it).
  const expiredAt = state.lastActivity + (settings.sessionIdleS + settings.sweepEveryS + 2) * 1000;
  await sleep(Math.max(0, expiredAt - performance.now()));
  const flowProbes = state.abandoned.slice(0, 40);
  let flowsExpired = 0;
  for (const { cookies, token } of flowProbes) {
    const client = new Client(env.proxyUrl);
    client.jar = new Map(cookies);
    const answer = await client.exchange(`?oauth_token=${token}&oauth_verifier=probe`);
    if (answer.status === 410 && answer.json?.error?.code === 'expired') flowsExpired += 1;
  }
  const sessionProbes = state.sessions.slice(0, 40);
  let sessionsGone = 0;
  for (const cookie of sessionProbes) {
    const client = new Client(env.proxyUrl);
    client.cookie = cookie;
    const answer = await client.me();
    if (answer.status === 401 && answer.json?.error?.code === 'not_authenticated') sessionsGone += 1;
  }
  report.expiry = {
    flowsProbed: flowProbes.length, flowsExpired, sessionsProbed: sessionProbes.length, sessionsGone,
    rssAfterExpiryKiB: rssKiB(pid),
  };
  check(flowProbes.length > 0, 'no abandoned flow to probe');
  check(flowsExpired === flowProbes.length, `${flowProbes.length - flowsExpired} of ${flowProbes.length} abandoned flows not refused as expired`);
  check(sessionProbes.length > 0, 'no session to probe');
  check(sessionsGone === sessionProbes.length, `${sessionProbes.length - sessionsGone} of ${sessionProbes.length} sessions still live after expiry`);

  // Memory flat: warmed-up cycles do not grow (the first cycle warms caches, arenas, threads).
  const peaks = report.cycles.map((c) => c.peakKiB);
  const reference = peaks.length >= 3 ? peaks[1] : peaks[0];
  const later = peaks.length >= 3 ? peaks.slice(2) : peaks.slice(1);
  const allowance = (kib) => kib * 1.15 + 8192;
  for (const [i, peak] of later.entries()) {
    check(peak <= allowance(reference), `RSS grew: cycle ${i + (peaks.length >= 3 ? 3 : 2)} peak ${peak} KiB > 1.15 x ${reference} + 8 MiB`);
  }
  check(report.expiry.rssAfterExpiryKiB <= Math.max(...peaks) + 2048, `RSS after expiry ${report.expiry.rssAfterExpiryKiB} KiB above the traffic peaks`);

  // Traffic verdicts.
  report.traffic = {
    requests: state.requests,
    actions: Object.fromEntries(state.actions.entries()),
    statuses: Object.fromEntries(state.statuses.entries()),
    providerErrors: Object.fromEntries(state.providerErrors.entries()),
    other5xx: Object.fromEntries(state.fivexx.entries()),
    transportErrors: Object.fromEntries(state.transportErrors.entries()),
    unexpectedCount: state.unexpectedCount,
    unexpected: state.unexpected,
    faults: Object.fromEntries(state.faults.entries()),
    acked: state.acked.length,
    latencyMs: Object.fromEntries([...state.latencies].map(([step, list]) => [step, { p50: Math.round(percentile(list, 50)), p99: Math.round(percentile(list, 99)) }])),
  };
  check(state.requests > 0, 'no traffic');
  check(state.fivexx.total() === 0, `5xx other than provider 502/504: ${JSON.stringify(report.traffic.other5xx)}`);
  check(state.transportErrors.total() === 0, `requests without an answer: ${JSON.stringify(report.traffic.transportErrors)}`);
  check(state.unexpectedCount === 0, `${state.unexpectedCount} unexpected answers (first: ${JSON.stringify(state.unexpected.slice(0, 3))})`);
  check(state.acked.length > 0, 'no registration completed');
  check(state.providerErrors.total() > 0, 'no provider fault was ever seen: the fault switch did not work');

  // Every acknowledged registration is in the database.
  const rows = queryRows(database, 'SELECT twitter_id, username FROM accounts');
  const byId = new Map(rows.map((r) => [r.twitter_id, r.username]));
  const missing = state.acked.filter((a) => byId.get(a.twitterId) !== a.username);
  report.database = { rows: rows.length, acked: state.acked.length, missing: missing.length, integrity: queryRows(database, 'PRAGMA integrity_check')[0].integrity_check };
  check(missing.length === 0, `${missing.length} acknowledged registrations missing from the database`);
  check(rows.length === state.acked.length, `database rows ${rows.length} != acknowledged registrations ${state.acked.length}`);
  check(report.database.integrity === 'ok', `integrity_check: ${report.database.integrity}`);
  check(mainProxy.exit === null, `perch-proxy exited during the traffic: ${JSON.stringify(mainProxy.exit)}`);
  check((await new Client(env.proxyUrl).healthz()).status === 200, 'healthz is not 200 after the traffic');
  log(`traffic: ${state.requests} requests, ${state.acked.length} accounts, ${state.providerErrors.total()} provider 502/504, ${state.fivexx.total()} other 5xx, ${state.unexpectedCount} unexpected`);

  // 3. Slow clients: is the proxy still there for a second client?
  const durationMs = settings.slowPhaseS * 1000;
  for (const [label, attack] of [
    ['baseline', null],
    ['start flood (1 client, 32 at a time)', flood(env.proxyUrl)],
    ['oversized requests (8 at a time)', oversize(env.proxyUrl)],
    ['slowloris (256 connections)', slowloris(env.proxyUrl)],
  ]) {
    const result = await measure(env.proxyUrl, label, attack, { durationMs });
    result.recoveredMs = null;
    const recoverStart = performance.now();
    for (let i = 0; i < 100; ++i) {
      if ((await new Client(env.proxyUrl).request('/healthz', { method: 'GET', headers: { origin: null }, timeoutMs: 3000 })).status === 200) {
        result.recoveredMs = Math.round(performance.now() - recoverStart);
        break;
      }
    }
    report.slowClients.push(result);
    log(`${label}: healthz ${result.ok}/${result.probes} ok, p50 ${result.p50?.toFixed(1)} ms, p99 ${result.p99?.toFixed(1)} ms, max ${result.max.toFixed(0)} ms; attack ${JSON.stringify(result.attack)}`);
    check(result.failed === 0, `${label}: ${result.failed} of ${result.probes} healthz probes failed (3 s deadline)`);
    check(result.p99 !== null && result.p99 <= 1000, `${label}: healthz p99 ${result.p99?.toFixed(0)} ms > 1000 ms`);
    check(result.recoveredMs !== null, `${label}: the proxy did not answer healthz afterwards`);
    if (label.startsWith('start flood') && rateLimited) {
      const statuses = result.attack.statuses ?? {};
      check((statuses['429'] ?? 0) > 0 && /^\d+$/.test(String(result.attack.retryAfter)), `${label}: no 429 with a Retry-After for the flooding client`);
      // 10 at once, then 30 a minute (the defaults), plus slack for the clock.
      const allowed = 10 + Math.ceil((settings.slowPhaseS + 1) / 2) + 2;
      check((statuses['200'] ?? 0) + (statuses['502'] ?? 0) <= allowed, `${label}: ${statuses['200']} starts passed the rate limit (at most ${allowed})`);
    }
  }
  check(mainProxy.exit === null, `perch-proxy exited during the slow-client phase: ${JSON.stringify(mainProxy.exit)}`);

  // 4. kill -9 during registrations; restart on the same database.
  env.userOffset = 0;  // minted ids continue from state.userCounter
  for (let round = 1; round <= settings.crashRounds; ++round) {
    const result = await crashRound(env, state, round, { registrations: settings.crashRegistrations, flowTtlS: settings.flowTtlS });
    report.crash.push(result);
    log(`kill -9 round ${round}: killed after ${result.killedAfterAcks} acks; ${result.acknowledged} acknowledged, ${result.inDoubt} in doubt (${result.inDoubtLanded} landed); rows ${result.rowsBefore} -> ${result.rowsAfter}; integrity ${result.integrity}; old sessions answered ${result.sessionStatuses}`);
    for (const problem of result.problems) failures.push(`kill -9 round ${round}: ${problem}`);
  }

  // The last proxy stops cleanly; no secret in any proxy's output.
  clearInterval(sampler);
  const results = await stack.close();
  for (const result of results.filter((r) => r.name === 'perch-proxy')) {
    const output = result.output ?? '';
    check(!output.includes(consumerSecret), 'the consumer secret is in a proxy log');
    check(!output.includes(tokenKey), 'the token key is in a proxy log');
  }
  const last = results.find((r) => r.name === 'perch-proxy');
  check(last && last.code === 0, `the last perch-proxy did not exit 0 on SIGTERM: ${JSON.stringify({ code: last?.code, signal: last?.signal, error: String(last?.error ?? '') })}`);
} catch (error) {
  failures.push(`driver error: ${error.stack ?? error}`);
} finally {
  clearInterval(sampler);
  await stack.close().catch(() => {});
  await forwarder?.close().catch(() => {});
  fs.rmSync(dir, { recursive: true, force: true });
}

printSummary(report);
if (options.report) fs.writeFileSync(options.report, `${JSON.stringify(report, null, 2)}\n`);
console.log(failures.length === 0 ? '\nsoak: PASSED' : `\nsoak: FAILED\n${failures.map((f) => `  - ${f}`).join('\n')}`);
process.exit(failures.length === 0 ? 0 : 1);

function printSummary(r) {
  const out = [];
  out.push('\n## Soak summary\n');
  if (r.traffic) {
    out.push(`requests ${r.traffic.requests}; accounts acknowledged ${r.traffic.acked}; unexpected ${r.traffic.unexpectedCount}`);
    out.push('\n| step status | count |\n| --- | ---: |');
    for (const [key, count] of Object.entries(r.traffic.statuses)) out.push(`| ${key} | ${count} |`);
    out.push(`\nprovider 502/504: ${JSON.stringify(r.traffic.providerErrors)}`);
    out.push(`other 5xx: ${JSON.stringify(r.traffic.other5xx)}; no answer: ${JSON.stringify(r.traffic.transportErrors)}`);
    out.push(`latency ms (p50/p99): ${Object.entries(r.traffic.latencyMs).map(([k, v]) => `${k} ${v.p50}/${v.p99}`).join('; ')}`);
    out.push(`faults switched: ${Object.values(r.traffic.faults).reduce((a, b) => a + b, 0)} times`);
  }
  if (r.cycles.length) {
    out.push('\n| cycle | requests | RSS peak KiB | end of traffic KiB | after quiet KiB | accounts |\n| ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const c of r.cycles) out.push(`| ${c.cycle} | ${c.requests} | ${c.peakKiB} | ${c.endOfTrafficKiB} | ${c.afterQuietKiB} | ${c.acked} |`);
  }
  if (r.expiry) {
    out.push(`\nexpiry: ${r.expiry.flowsExpired}/${r.expiry.flowsProbed} abandoned flows refused as expired; `
      + `${r.expiry.sessionsGone}/${r.expiry.sessionsProbed} sessions gone; RSS after expiry ${r.expiry.rssAfterExpiryKiB} KiB`);
  }
  if (r.rss.length) {
    const step = Math.max(1, Math.floor(r.rss.length / 24));
    out.push(`RSS over time (s:KiB): ${r.rss.filter((_, i) => i % step === 0).map((x) => `${x.s}:${x.kib}`).join(' ')}`);
  }
  if (r.database) out.push(`database: ${r.database.rows} rows, ${r.database.acked} acknowledged, ${r.database.missing} missing, integrity ${r.database.integrity}`);
  if (r.slowClients.length) {
    out.push('\n| attack | healthz ok | p50 ms | p99 ms | max ms | recovered ms | attack figures |\n| --- | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const s of r.slowClients) {
      out.push(`| ${s.label} | ${s.ok}/${s.probes} | ${s.p50?.toFixed(1) ?? '-'} | ${s.p99?.toFixed(1) ?? '-'} | ${s.max.toFixed(0)} | ${s.recoveredMs ?? '-'} | ${JSON.stringify(s.attack)} |`);
    }
  }
  for (const c of r.crash) {
    out.push(`kill -9 round ${c.round}: ${c.registrations} registrations in flight, killed after ${c.killedAfterAcks} acks; ${c.acknowledged} acknowledged all present=${!c.problems.some((p) => p.includes('missing'))}; ${c.inDoubt} in doubt (${c.inDoubtLanded} landed whole); integrity ${c.integrity}; old sessions -> ${c.sessionStatuses}; problems ${c.problems.length}`);
  }
  console.log(out.join('\n'));
}

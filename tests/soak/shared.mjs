#!/usr/bin/env node
// The shared-backend soak (scripts/soak --shared): two perch-proxy instances
// on one Redis (sessions, single use, rate limits) and one PostgreSQL
// (accounts), behind nginx taking turns, under concurrent sign-ups and
// returning sign-ins from many client addresses. In the middle Redis is
// killed (-9) and started again on the same port and folder (append-only
// file, synced before every answer), later PostgreSQL gets a fast shutdown
// and starts again. Then:
//   - nothing acknowledged is lost: every 201 registration is in PostgreSQL
//     and signs in again; every session a 201 (with its new cookie) or a 200
//     signed in still opens, every one logged out (204) stays out;
//   - the only failures are 503 `unavailable` (documented), and only while a
//     dependency is down or just back; any other status, or a request left
//     without an answer within its deadline, fails the soak;
//   - each outage was seen (at least one 503 while it lasted) and traffic
//     succeeded again after each.
// Prints the counts per phase and status. Loopback only; every wait is bounded.
//
//   node tests/soak/shared.mjs [--seconds N] [--report FILE]
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { Stack, startEmulator, startProxy } from '../integration/harness.mjs';
import { startPostgres, startRedis } from '../integration/servers.mjs';
import { freePort, startNginx } from '../security/nginx.mjs';
import { Client, Tally, consent, sleep } from './client.mjs';
import { mintedUser, startMintingForwarder } from './minting_forwarder.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const options = { seconds: 60, report: null };
for (let i = 2; i < process.argv.length; ++i) {
  if (process.argv[i] === '--seconds') options.seconds = Number(process.argv[++i]);
  else if (process.argv[i] === '--report') options.report = process.argv[++i];
  else throw new Error(`unknown argument ${process.argv[i]}`);
}
if (!Number.isInteger(options.seconds) || options.seconds < 30 || options.seconds > 3600) {
  throw new Error('--seconds must be an integer from 30 to 3600');
}
const workers = 8;
const outageS = 3;
// Redis goes down a quarter of the way in, PostgreSQL just after half way.
const schedule = { redisAtS: Math.round(options.seconds * 0.25), postgresAtS: Math.round(options.seconds * 0.55) };

const log = (...parts) => console.log(`[soak --shared ${new Date().toISOString().slice(11, 19)}]`, ...parts);
const failures = [];
const check = (ok, message) => { if (!ok) failures.push(message); return ok; };

// What the traffic saw, by phase: "steady", "redis down", "redis back", ...
let phase = 'steady';
const statuses = new Tally();   // "phase | step status[ code]" -> count
const unexpected = [];
let unexpectedCount = 0;
const acked = [];               // {twitterId, username}: answered 201
const inDoubt = new Set();      // twitter ids whose registration answered 503
const sessions = [];            // {client, username, expect: 200 | 401} after an acknowledged answer
const outageSeen = new Tally(); // phase -> 503s
const successes = new Tally();  // phase -> acknowledged answers
let userCounter = 0;
const registeredWithoutSession = new Tally(); // phase -> 201s without a session cookie

// Records an answer; true if it is `expected`, false for a 503 unavailable
// (allowed, the flow stops there); anything else is a failure of the soak.
function record(step, answer, expected) {
  const code = answer.status === 503 ? ` ${answer.json?.error?.code}` : '';
  statuses.add(`${phase} | ${step} ${answer.status}${code}`);
  if (answer.status === expected) {
    successes.add(phase);
    return true;
  }
  if (answer.status === 503 && answer.json?.error?.code === 'unavailable') {
    outageSeen.add(phase);
    return false;
  }
  unexpectedCount += 1;
  if (unexpected.length < 20) {
    unexpected.push({ phase, step, status: answer.status, error: answer.error, body: (answer.body ?? '').slice(0, 200) });
  }
  return false;
}

async function signIn(env, user) {
  const client = new Client(env.url);
  const started = await client.start();
  if (!record('start', started, 200)) return null;
  env.forwarder.assign(started.json.oauth_token, user);
  const query = await consent(started.json.authorize_url);
  if (!query) {
    env.forwarder.forget(started.json.oauth_token);
    record('consent', { status: 0, error: 'the consent page did not redirect' }, 200);
    return null;
  }
  const exchanged = await client.exchange(query);
  if (!record('exchange', exchanged, 200)) {
    env.forwarder.forget(started.json.oauth_token);
    return null;
  }
  return { client, exchanged };
}

async function signUp(env) {
  const user = mintedUser(++userCounter);
  const signedIn = await signIn(env, user);
  if (!signedIn) return;
  if (signedIn.exchanged.json?.status !== 'new') {
    record('exchange (expected new)', { ...signedIn.exchanged, status: -1 }, 200);
    return;
  }
  const form = { username: user.screenName, first_name: 'Shared', last_name: 'Soak', email: `${user.screenName}@example.org`, timezone: 'UTC' };
  const registered = await signedIn.client.register(form);
  if (!record('register', registered, 201)) {
    if (registered.status === 503) inDoubt.add(user.id);
    return;
  }
  acked.push({ twitterId: user.id, username: form.username });
  // A 201 signs the browser in with a new session cookie, unless the session
  // store failed just after the account was committed: then the account
  // stands and the answer carries no cookie (the person signs in again).
  if (registered.setCookies.some((cookie) => /^perch_session=[^;]/.test(cookie))) {
    sessions.push({ client: signedIn.client, username: form.username, expect: 200, since: `${phase} register` });
  } else {
    registeredWithoutSession.add(phase);
  }
}

async function returning(env) {
  if (acked.length === 0) return signUp(env);
  const known = acked[Math.floor(Math.random() * acked.length)];
  const signedIn = await signIn(env, { id: known.twitterId, screenName: known.username });
  if (!signedIn) return;
  if (signedIn.exchanged.json?.status !== 'signed_in') {
    record('exchange (expected signed_in)', { ...signedIn.exchanged, status: -1 }, 200);
    return;
  }
  const { client } = signedIn;
  const me = await client.me();
  if (!record('me', me, 200)) return;
  if (me.json?.user?.username !== known.username) record('me (wrong account)', { ...me, status: -1 }, 200);
  if (Math.random() < 0.5) {
    sessions.push({ client, username: known.username, expect: 200, since: `${phase} me` });
    return;
  }
  if (record('logout', await client.logout(), 204)) sessions.push({ client, username: known.username, expect: 401, since: `${phase} logout` });
}

async function traffic(env, untilMs) {
  const loop = async () => {
    while (performance.now() < untilMs) {
      try {
        await (Math.random() < 0.5 ? signUp(env) : returning(env));
      } catch (error) {
        record('driver', { status: 0, error: String(error.stack ?? error) }, 200);
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, loop));
}

// Kills or stops a dependency at `atS`, waits `outageS`, starts it again.
async function outage(name, t0, atS, stop, start) {
  await sleep(Math.max(0, t0 + atS * 1000 - performance.now()));
  phase = `${name} down`;
  log(`${name}: down`);
  await stop();
  await sleep(outageS * 1000);
  await start();
  phase = `${name} back`;
  log(`${name}: back`);
}

const stack = new Stack();
const tokenKey = randomBytes(32).toString('hex');
const report = { options, schedule, statuses: null, unexpected, acked: 0, inDoubt: 0, database: null, afterwards: null, failures };
let forwarder;
try {
  const redis = await startRedis(stack, { persist: true });
  const postgres = await startPostgres(stack);
  const emulator = await startEmulator(stack, ['--threads', '64', '--token-ttl', '600']);
  forwarder = await startMintingForwarder(emulator.url);
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const flags = {
    '--session-store': redis.url, '--database': postgres.url, '--public-origin': origin,
    '--callback-url': `${origin}/signup/callback`, '--web-root': process.env.PERCH_SITE_DIR ?? path.join(repo, 'build/site'),
    '--trust-forwarded-for': '1',
  };
  const instances = [];
  for (let i = 0; i < 2; ++i) instances.push(await startProxy(stack, forwarder.url, flags, { PERCH_TOKEN_KEY: tokenKey }));
  // Round robin; each client's own loopback address goes on, so per-client limits see many people.
  const upstreams = instances.map((instance) => new URL(instance.url).host);
  const nginx = await startNginx(stack, instances.map((i) => i.url), {
    port,
    site: (listen) => `  upstream perch { ${upstreams.map((u) => `server ${u};`).join(' ')} }
  server {
    listen 127.0.0.1:${listen};
    location / {
      proxy_pass http://perch;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
    }
  }
`,
  });
  const env = { url: nginx.url, forwarder };
  log(`two instances behind ${nginx.url}; Redis ${redis.port}, PostgreSQL ${postgres.port}; ${options.seconds} s of traffic, ${workers} workers`);

  const t0 = performance.now();
  await Promise.all([
    traffic(env, t0 + options.seconds * 1000),
    (async () => {
      await outage('redis', t0, schedule.redisAtS, () => redis.stopServer('SIGKILL'), () => redis.startServer());
      await outage('postgres', t0, schedule.postgresAtS, () => postgres.stopServer(), () => postgres.startServer());
    })(),
  ]);
  phase = 'afterwards';
  log(`traffic done: ${acked.length} registrations acknowledged, ${inDoubt.size} answered 503`);

  // Every acknowledged registration is in PostgreSQL; anything else there answered 503.
  const rows = new Map(postgres.psql("SELECT twitter_id || ' ' || username FROM accounts").trim().split('\n')
    .filter(Boolean).map((line) => line.split(' ')));
  const missing = acked.filter((a) => rows.get(a.twitterId) !== a.username);
  const extra = [...rows.keys()].filter((id) => !acked.some((a) => a.twitterId === id));
  report.database = { rows: rows.size, acked: acked.length, missing: missing.length, landedAfter503: extra.length };
  check(missing.length === 0, `${missing.length} acknowledged registrations missing from PostgreSQL: ${JSON.stringify(missing.slice(0, 5))}`);
  check(extra.every((id) => inDoubt.has(id)), `rows no registration asked for: ${extra.filter((id) => !inDoubt.has(id)).join(', ')}`);

  // Every acknowledged session still answers as it did; every account signs in again.
  const eachOf = (list, work) => Promise.all(Array.from({ length: workers }, async () => {
    for (let item = list.pop(); item; item = list.pop()) await work(item);
  }));
  let sessionsHeld = 0;
  await eachOf([...sessions], async (session) => {
    const me = await session.client.me();
    const held = me.status === session.expect && (session.expect !== 200 || me.json?.user?.username === session.username);
    if (held) sessionsHeld += 1;
    else record(`session answered ${session.expect} (${session.since})`, { ...me, status: me.status === session.expect ? -1 : me.status }, session.expect);
  });
  let signedInAgain = 0;
  await eachOf([...acked], async (account) => {
    const again = await signIn(env, { id: account.twitterId, screenName: account.username });
    if (again?.exchanged.json?.status === 'signed_in' && again.exchanged.json?.user?.username === account.username) signedInAgain += 1;
  });
  report.afterwards = { sessions: sessions.length, sessionsHeld, accounts: acked.length, signedInAgain };
  check(sessionsHeld === sessions.length, `${sessions.length - sessionsHeld} of ${sessions.length} acknowledged sessions changed`);
  check(signedInAgain === acked.length, `${acked.length - signedInAgain} of ${acked.length} acknowledged accounts did not sign in again`);
  for (const instance of instances) {
    check((await new Client(instance.url).healthz()).status === 200, `${instance.url}/healthz is not 200 afterwards`);
    check(instance.exit === null, `an instance exited: ${JSON.stringify(instance.exit)}`);
  }

  check(unexpectedCount === 0, `${unexpectedCount} answers other than the expected one or 503 unavailable: ${JSON.stringify(unexpected.slice(0, 5))}`);
  check(acked.length > 0, 'no registration was acknowledged');
  for (const name of ['steady', 'afterwards']) check(registeredWithoutSession.get(name) === 0, `${registeredWithoutSession.get(name)} registrations answered 201 without a session with every dependency up (${name})`);
  for (const name of ['steady', 'afterwards']) check(outageSeen.get(name) === 0, `${outageSeen.get(name)} 503s with every dependency up (${name})`);
  for (const name of ['redis down', 'postgres down']) check(outageSeen.get(name) > 0, `no 503 while ${name}: the outage was not exercised`);
  for (const name of ['redis back', 'postgres back']) check(successes.get(name) > 0, `no request succeeded once ${name}`);
} catch (error) {
  failures.push(`driver error: ${error.stack ?? error}`);
} finally {
  await stack.close().catch(() => {});
  await forwarder?.close().catch(() => {});
}

report.statuses = Object.fromEntries(statuses.entries());
report.acked = acked.length;
report.inDoubt = inDoubt.size;
report.registeredWithoutSession = Object.fromEntries(registeredWithoutSession.entries());
console.log('\n## Shared soak: answers by phase and status\n\n| phase | step status | count |\n| --- | --- | ---: |');
const phases = ['steady', 'redis down', 'redis back', 'postgres down', 'postgres back', 'afterwards'];
for (const name of phases) {
  for (const [key, count] of statuses.entries()) {
    if (key.startsWith(`${name} | `)) console.log(`| ${name} | ${key.slice(name.length + 3)} | ${count} |`);
  }
}
if (report.database) console.log(`\nPostgreSQL: ${JSON.stringify(report.database)}`);
if (report.afterwards) console.log(`afterwards: ${JSON.stringify(report.afterwards)}; 201s without a session cookie: ${JSON.stringify(report.registeredWithoutSession)}`);
if (options.report) fs.writeFileSync(options.report, `${JSON.stringify(report, null, 2)}\n`);
console.log(failures.length === 0 ? '\nsoak --shared: PASSED' : `\nsoak --shared: FAILED\n${failures.map((f) => `  - ${f}`).join('\n')}`);
process.exit(failures.length === 0 ? 0 : 1);

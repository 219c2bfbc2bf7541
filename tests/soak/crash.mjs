// kill -9 of perch-proxy while registrations are in flight, then a restart on
// the same database: every registration that was answered 201 is there, the
// database is intact, no row is half-written, the sessions the dead process
// held (identities waiting to register, signed-in people) fail cleanly with a
// 4xx JSON error, and sign-ins that were only started complete: the browser
// holds them, sealed under the same token key.
import { Client, consent, queryRows, requestTimeoutMs } from './client.mjs';
import { mintedUser } from './minting_forwarder.mjs';

// Rows that are complete: every text field set, both tokens sealed (version 1).
const completeRowCheck = `SELECT count(*) AS n FROM accounts WHERE length(twitter_id) > 0 AND length(username) > 0
  AND length(first_name) > 0 AND length(email) > 0 AND length(timezone) > 0 AND length(created_at) = 20
  AND typeof(access_token) = 'blob' AND length(access_token) > 29 AND hex(substr(access_token, 1, 1)) = '01'
  AND typeof(access_token_secret) = 'blob' AND length(access_token_secret) > 29 AND hex(substr(access_token_secret, 1, 1)) = '01'`;

async function identityReady(env, user) {
  const client = new Client(env.proxyUrl);
  const started = await client.start();
  if (started.status !== 200) throw new Error(`start: ${started.status} ${started.body}`);
  env.forwarder.assign(started.json.oauth_token, user);
  const query = await consent(started.json.authorize_url);
  const exchanged = await client.exchange(query);
  if (exchanged.json?.status !== 'new') throw new Error(`exchange: ${exchanged.status} ${exchanged.body}`);
  return client;
}

async function pendingFlow(env) {
  const client = new Client(env.proxyUrl);
  const startedAt = performance.now();
  const started = await client.start();
  if (started.status !== 200) throw new Error(`start: ${started.status} ${started.body}`);
  return { client, startedAt, query: await consent(started.json.authorize_url) };
}

// Moves a client's cookies to the restarted proxy (a new port: a new origin too).
function rehome(client, proxyUrl) {
  const moved = new Client(proxyUrl, { address: client.address });
  moved.jar = new Map(client.jar);
  return moved;
}

// One round. `env.restart()` starts a new proxy on the same database and key
// and returns its URL; `env.proxy` is the running child.
export async function crashRound(env, state, round, { registrations = 24, pending = 6, flowTtlS }) {
  const problems = [];
  const before = queryRows(env.database, 'SELECT count(*) AS n FROM accounts')[0].n;

  const ready = [];
  for (let i = 0; i < registrations; ++i) {
    const user = mintedUser(++state.userCounter + env.userOffset);
    ready.push({ user, client: await identityReady(env, user) });
  }
  const flows = [];
  for (let i = 0; i < pending; ++i) flows.push(await pendingFlow(env));
  const signedIn = [];
  if (state.acked.length > 0) {
    // A returning user signed in on the old process.
    const known = state.acked[state.acked.length - 1];
    const client = new Client(env.proxyUrl);
    const started = await client.start();
    env.forwarder.assign(started.json.oauth_token, { id: known.twitterId, screenName: known.username });
    const exchanged = await client.exchange(await consent(started.json.authorize_url));
    if (exchanged.json?.status === 'signed_in') signedIn.push(client);
  }

  // All registrations at once; SIGKILL after a random number of them were acknowledged.
  const killAfter = 1 + Math.floor(Math.random() * Math.max(1, Math.floor(registrations / 2)));
  let acks = 0;
  let killedAt = null;
  const pid = env.proxy.proc.pid;
  const outcomes = await Promise.all(ready.map(async ({ user, client }) => {
    const form = { username: user.screenName, first_name: 'Crash', last_name: `Round ${round}`, email: `${user.screenName}@example.org`, timezone: 'UTC' };
    const answer = await client.register(form);
    if (answer.status === 201) {
      acks += 1;
      if (acks >= killAfter && killedAt === null) {
        killedAt = acks;
        process.kill(pid, 'SIGKILL');
      }
    }
    return { user, form, client, status: answer.status, error: answer.error };
  }));
  if (killedAt === null) {
    // Every registration finished before the kill threshold could be seen: kill now anyway.
    killedAt = acks;
    process.kill(pid, 'SIGKILL');
  }
  let deadline;
  const exit = await Promise.race([env.proxy.exited, new Promise((resolve) => { deadline = setTimeout(() => resolve(null), 5000); })]);
  clearTimeout(deadline);
  if (!exit || exit.signal !== 'SIGKILL') problems.push(`the proxy did not die of SIGKILL: ${JSON.stringify(exit)}`);

  const acked = outcomes.filter((o) => o.status === 201);
  const inDoubt = outcomes.filter((o) => o.status === 0);
  const refused = outcomes.filter((o) => o.status !== 201 && o.status !== 0);
  for (const o of refused) problems.push(`a registration answered ${o.status} before the kill`);

  // Restart on the same database.
  const proxyUrl = await env.restart();

  const integrity = queryRows(env.database, 'PRAGMA integrity_check').map((r) => r.integrity_check).join(',');
  if (integrity !== 'ok') problems.push(`integrity_check: ${integrity}`);
  const rows = queryRows(env.database, 'SELECT twitter_id, username FROM accounts');
  const byId = new Map(rows.map((r) => [r.twitter_id, r.username]));
  for (const o of acked) {
    if (byId.get(o.user.id) !== o.form.username) problems.push(`acknowledged registration ${o.user.id} is missing`);
    else state.acked.push({ twitterId: o.user.id, username: o.form.username });
  }
  let inDoubtLanded = 0;
  for (const o of inDoubt) {
    if (byId.has(o.user.id)) {
      inDoubtLanded += 1;
      state.acked.push({ twitterId: o.user.id, username: o.form.username });
    }
  }
  const complete = queryRows(env.database, completeRowCheck)[0].n;
  if (complete !== rows.length) problems.push(`${rows.length - complete} half-written rows`);
  if (rows.length !== before + acked.length + inDoubtLanded) {
    problems.push(`rows ${rows.length} != before ${before} + acknowledged ${acked.length} + in-doubt landed ${inDoubtLanded}`);
  }

  // The dead process's sessions: clean 4xx JSON on the new one, never 5xx.
  const sessionAnswers = [];
  const expectClean = (what, answer, status, code) => {
    sessionAnswers.push(answer.status);
    if (answer.status !== status || answer.json?.error?.code !== code) {
      problems.push(`${what} after restart: ${answer.status} ${answer.body.slice(0, 200)} (expected ${status} ${code})`);
    }
  };
  for (const { client, startedAt, query } of flows) {
    // Expiry is in whole wall-clock seconds: a flow may end up to a second early.
    const late = performance.now() - startedAt >= (flowTtlS - 1) * 1000;
    const answer = await rehome(client, proxyUrl).exchange(query);
    sessionAnswers.push(answer.status);
    if (answer.status !== 200 && !(late && answer.status === 410)) {
      problems.push(`a pending flow after restart: ${answer.status} ${answer.body.slice(0, 200)} (expected 200)`);
    }
  }
  for (const o of [...inDoubt, ...refused]) {
    expectClean('an identity waiting to register', await rehome(o.client, proxyUrl).register(o.form), 401, 'not_authenticated');
  }
  for (const o of acked.slice(0, 5)) expectClean('a registered session', await rehome(o.client, proxyUrl).me(), 401, 'not_authenticated');
  for (const client of signedIn) expectClean('a signed-in session', await rehome(client, proxyUrl).me(), 401, 'not_authenticated');

  // And the accounts work on the new process: an acknowledged user signs in again.
  if (acked.length > 0) {
    const again = new Client(proxyUrl);
    const started = await again.start();
    env.forwarder.assign(started.json.oauth_token, acked[0].user);
    const exchanged = await again.exchange(await consent(started.json.authorize_url, { timeoutMs: requestTimeoutMs }));
    if (exchanged.json?.status !== 'signed_in') problems.push(`an acknowledged user could not sign in after restart: ${exchanged.status} ${exchanged.body.slice(0, 200)}`);
  }

  return {
    round, registrations, killedAfterAcks: killedAt, acknowledged: acked.length, inDoubt: inDoubt.length, inDoubtLanded,
    rowsBefore: before, rowsAfter: rows.length, integrity, sessionStatuses: [...new Set(sessionAnswers)], problems,
  };
}

// Mixed traffic against one perch-proxy: full sign-ups, returning sign-ins,
// abandoned flows, replays and bad requests from several concurrent workers,
// while the emulator's faults switch at random. Every answer is checked
// against the statuses its request may get; anything else is recorded.
import { setFault } from '../integration/harness.mjs';
import { Client, Tally, consent, sleep } from './client.mjs';
import { mintedUser } from './minting_forwarder.mjs';

// Only the routes that call Twitter may answer 502/504 (provider_error, provider_timeout).
const providerSteps = new Set(['start', 'exchange', 'flood start']);

export class TrafficState {
  statuses = new Tally();     // "step status" -> count
  unexpected = [];            // first problems, with detail
  unexpectedCount = 0;
  transportErrors = new Tally();
  fivexx = new Tally();       // 5xx other than provider 502/504
  providerErrors = new Tally();
  actions = new Tally();
  faults = new Tally();
  acked = [];                 // registrations answered 201: {twitterId, username}
  abandoned = [];             // {cookies, token} of flows started and never finished (bounded sample)
  sessions = [];              // session ids of people who registered (bounded sample)
  lastActivity = 0;           // performance.now() of the last request that may have touched a session
  userCounter = 0;
  requests = 0;
  latencies = new Map();      // step -> [ms]

  record(step, response, allowed, detail = '') {
    this.requests += 1;
    this.lastActivity = performance.now();
    this.statuses.add(`${step} ${response.status}`);
    const list = this.latencies.get(step) ?? [];
    if (list.length < 20000) list.push(response.ms);
    this.latencies.set(step, list);
    if (response.status === 0) {
      this.transportErrors.add(`${step}: ${response.error}`);
      this.problem(step, response, detail || 'no answer (connection failed)');
      return false;
    }
    if (response.status >= 500) {
      if ((response.status === 502 || response.status === 504) && providerSteps.has(step)) {
        this.providerErrors.add(`${step} ${response.status} ${response.json?.error?.code}`);
      } else {
        this.fivexx.add(`${step} ${response.status}`);
      }
    }
    if (!allowed.includes(response.status)) {
      this.problem(step, response, detail || `status not in [${allowed}]`);
      return false;
    }
    return true;
  }

  problem(step, response, why) {
    this.unexpectedCount += 1;
    if (this.unexpected.length < 25) {
      this.unexpected.push({ step, status: response.status, why, body: (response.body ?? '').slice(0, 300), error: response.error });
    }
  }

  rememberAbandoned(client, token) {
    remember(this.abandoned, { cookies: new Map(client.jar), token });
  }

  rememberSession(client) {
    remember(this.sessions, client.cookie);
  }
}

function pick(list) { return list[Math.floor(Math.random() * list.length)]; }

// Keeps at most 400 entries, a random sample of all it was given.
function remember(list, entry) {
  if (list.length < 400) list.push(entry);
  else list[Math.floor(Math.random() * list.length)] = entry;
}

function formFor(user) {
  return { username: user.screenName, first_name: 'Soak', last_name: `Tester ${user.id.slice(-4)}`, email: `${user.screenName}@example.org`, timezone: pick(['UTC', 'Europe/Berlin', 'UTC+05:30', 'America/Argentina/Buenos_Aires']) };
}

// start -> consent as `user` -> exchange. Returns {client, exchanged} or null when a step failed (recorded).
async function signIn(env, state, user, client = new Client(env.proxyUrl)) {
  const started = await client.start();
  if (!state.record('start', started, env.allowed.start)) return null;
  if (started.status !== 200) return null;
  env.forwarder.assign(started.json.oauth_token, user);
  let query;
  try {
    query = await consent(started.json.authorize_url);
  } catch (error) {
    query = null;
  }
  if (!query) {
    env.forwarder.forget(started.json.oauth_token);
    state.problem('consent', { status: 0, body: '' }, 'the consent page did not redirect');
    return null;
  }
  const exchanged = await client.exchange(query);
  if (!state.record('exchange', exchanged, env.allowed.exchange)) return null;
  if (exchanged.status !== 200) {
    env.forwarder.forget(started.json.oauth_token);
    return null;
  }
  return { client, exchanged, query };
}

const actions = {
  async register(env, state) {
    const user = mintedUser(++state.userCounter + env.userOffset);
    const signedIn = await signIn(env, state, user);
    if (!signedIn) return;
    const { client, exchanged } = signedIn;
    if (exchanged.json?.status !== 'new' || exchanged.json?.twitter_user?.id_str !== user.id) {
      state.problem('exchange', exchanged, `expected a new user ${user.id}`);
      return;
    }
    const form = formFor(user);
    const registered = await client.register(form);
    if (!state.record('register', registered, [201])) return;
    if (registered.json?.user?.twitter_id !== user.id) state.problem('register', registered, 'wrong twitter id');
    state.acked.push({ twitterId: user.id, username: form.username });
    state.rememberSession(client);
  },

  async returning(env, state) {
    if (state.acked.length === 0) return actions.register(env, state);
    const known = pick(state.acked);
    const user = { id: known.twitterId, screenName: known.username };
    const signedIn = await signIn(env, state, user);
    if (!signedIn) return;
    const { client, exchanged } = signedIn;
    if (exchanged.json?.status !== 'signed_in' || exchanged.json?.user?.twitter_id !== user.id) {
      state.problem('exchange', exchanged, `expected returning user ${user.id} signed in`);
      return;
    }
    const me = await client.me();
    if (state.record('me', me, [200]) && me.json?.user?.username !== known.username) state.problem('me', me, 'wrong account');
    state.record('logout', await client.logout(), [204]);
    state.record('me after logout', await client.me(), [401]);
  },

  async abandon(env, state) {
    const client = new Client(env.proxyUrl);
    const started = await client.start();
    if (!state.record('start', started, env.allowed.start) || started.status !== 200) return;
    if (Math.random() < 0.5) {
      try { await consent(started.json.authorize_url); } catch { /* the verifier is never used anyway */ }
    }
    state.rememberAbandoned(client, started.json.oauth_token);
  },

  async replay(env, state) {
    const known = state.acked.length > 0 ? pick(state.acked) : null;
    const user = known ? { id: known.twitterId, screenName: known.username } : mintedUser(++state.userCounter + env.userOffset);
    const signedIn = await signIn(env, state, user);
    if (!signedIn) return;
    state.record('replay', await signedIn.client.exchange(signedIn.query), env.rateLimited ? [409, 429] : [409]);
  },

  async bad(env, state) {
    const client = new Client(env.proxyUrl);
    const [name, send, allowed, reachesLimitedRoute] = pick(badRequests);
    state.actions.add(`bad: ${name}`);
    state.record(`bad ${name}`, await send(client, env), reachesLimitedRoute && env.rateLimited ? [...allowed, 429] : allowed);
  },
};

const badRequests = [
  // [name, send, allowed statuses, reaches a rate-limited route's handler]
  ['malformed json', (c) => c.request('/api/twitter/exchange', { body: '{"callback_query":' }), [400], true],
  ['invalid utf-8', (c) => c.request('/api/twitter/exchange', { body: Buffer.from('{"callback_query":"\xff"}', 'latin1') }), [400], true],
  ['deep json', (c) => c.request('/api/twitter/exchange', { body: `{"callback_query":${'['.repeat(400)}${']'.repeat(400)}}` }), [400], true],
  ['wrong content type', (c) => c.request('/api/twitter/start', { body: '{}', headers: { 'content-type': 'text/plain' } }), [415]],
  ['foreign origin', (c) => c.request('/api/twitter/start', { body: '{}', headers: { origin: 'https://evil.example' } }), [403]],
  ['no origin', (c) => c.request('/api/register', { body: '{}', headers: { origin: null } }), [403]],
  ['oversize body', (c) => c.request('/api/twitter/exchange', { body: JSON.stringify({ callback_query: 'x'.repeat(40000) }) }), [413]],
  ['oversize uri', (c) => c.request(`/api/${'a'.repeat(9000)}`, { method: 'GET', headers: { origin: null } }), [414]],
  ['oversize header', (c) => c.request('/healthz', { method: 'GET', headers: { origin: null, 'x-big': 'b'.repeat(9000) } }), [400, 431]],
  ['unknown api route', (c) => c.request('/api/nope', { body: '{}' }), [404]],
  ['get on a post route', (c) => c.request('/api/twitter/start', { method: 'GET', headers: { origin: null } }), [405]],
  ['exchange without session', (c) => c.exchange('?oauth_token=a&oauth_verifier=b'), [400], true],
  ['register without session', (c) => c.register({ username: 'x', first_name: 'x', last_name: '', email: 'x@example.org', timezone: 'UTC' }), [401]],
  ['forged session cookie', (c) => { c.cookie = 'A'.repeat(43); return c.me(); }, [401]],
  ['extra register fields', (c) => c.register({ twitter_id: '1', username: 'x' }), [400, 401]],
  ['page', (c) => c.request('/', { method: 'GET', headers: { origin: null } }), [200]],
];

const weights = [['register', 25], ['returning', 20], ['abandon', 20], ['replay', 7], ['bad', 28]];

function pickAction() {
  let roll = Math.random() * 100;
  for (const [name, weight] of weights) {
    roll -= weight;
    if (roll < 0) return name;
  }
  return 'bad';
}

// What start and exchange may answer: 200, the provider's 502/504, for exchange
// 410 when the flow outlived PERCH_FLOW_TTL_SECONDS on an overloaded machine,
// and 429 when the proxy limits clients' rates.
export function allowedStatuses(rateLimited) {
  const limited = rateLimited ? [429] : [];
  return { start: [200, 502, 504, ...limited], exchange: [200, 410, 502, 504, ...limited] };
}

export async function runWorkers(env, state, { workers, untilMs }) {
  const loop = async () => {
    while (performance.now() < untilMs) {
      const name = pickAction();
      state.actions.add(name);
      try {
        await actions[name](env, state);
      } catch (error) {
        state.problem(name, { status: 0, body: '' }, `driver error: ${error.stack ?? error}`);
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, loop));
}

// Switches the emulator's fault every 0.5-2.5 s: half the time none, else a
// random mode on a random endpoint. Ends with no fault.
export async function runFaults(env, state, { untilMs, slowMs }) {
  const modes = ['http500', 'http401', 'garbage', 'slow', 'drop'];
  const endpoints = ['request_token', 'access_token', 'verify_credentials', 'all'];
  while (performance.now() < untilMs) {
    const mode = Math.random() < 0.5 ? 'none' : pick(modes);
    const on = pick(endpoints);
    try {
      await setFault(env.emulator, mode, on, slowMs);
      state.faults.add(mode === 'none' ? 'none' : `${mode} on ${on}`);
    } catch (error) {
      state.problem('fault switch', { status: 0, body: String(error) }, 'the emulator refused a fault');
    }
    await sleep(Math.min(500 + Math.random() * 2000, Math.max(0, untilMs - performance.now())));
  }
  await setFault(env.emulator, 'none');
}

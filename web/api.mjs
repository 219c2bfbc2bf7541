// The proxy's JSON API. Every call resolves (never throws) to
//   { ok: true, status, data }  or  { ok: false, status, code, message, fields }
// so callers branch on codes, not on exceptions.

const TIMEOUT_MS = 30000;

async function call(method, path, body) {
  const init = {
    method,
    credentials: 'same-origin',
    cache: 'no-store',
    headers: { Accept: 'application/json' },
    signal: AbortSignal.timeout(TIMEOUT_MS),
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    const code = e && e.name === 'TimeoutError' ? 'network_timeout' : 'network';
    return { ok: false, status: 0, code, message: '', fields: {} };
  }
  let data = null;
  if (response.status !== 204) {
    try { data = await response.json(); } catch { data = null; }
  }
  if (response.ok) return { ok: true, status: response.status, data };
  const error = data && typeof data.error === 'object' && data.error !== null ? data.error : {};
  return {
    ok: false,
    status: response.status,
    code: typeof error.code === 'string' ? error.code : `http_${response.status}`,
    message: typeof error.message === 'string' ? error.message : '',
    fields: typeof error.fields === 'object' && error.fields !== null ? error.fields : {},
  };
}

// Registering, signing out and deleting run one at a time across this
// browser's tabs (Web Locks), each on the session the one before left. An
// exchange does not wait for the lock: it is sent the moment the core has
// verified the callback, and a tab's first lock request took 16-49 ms to be
// granted in headless Chromium here. Two tabs' exchanges may overlap: each
// starts a session of its own and the cookie keeps the one answered last (as
// it would have in turn), the other is never presented again and expires.
// A start sets only a cookie of its own (one per pending sign-in), so tabs
// may start at the same moment too.
// The caller gets the answer as soon as the task has it, not one more round
// trip to the browser later when the lock is released.
function oneAtATime(task) {
  if (!navigator.locks) return task();
  return new Promise((resolve, reject) => {
    navigator.locks.request('perch-session', () => {
      const done = task();
      done.then(resolve, reject);
      return done;
    }).catch(reject);
  });
}

export const startFlow = () => call('POST', '/api/twitter/start', {});
// Only once the core has verified `callbackQuery` (app.mjs).
export const exchange = (callbackQuery) => call('POST', '/api/twitter/exchange', { callback_query: callbackQuery });
export const register = (form) => oneAtATime(() => call('POST', '/api/register', form));
export const me = () => call('GET', '/api/me');
export const logout = () => oneAtATime(() => call('POST', '/api/logout', {}));
export const deleteAccount = () => oneAtATime(() => call('DELETE', '/api/me'));

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

// Calls that set or rotate the session cookie run one at a time across this
// browser's tabs (Web Locks): two overlapping exchanges would otherwise each
// present an id the other has just replaced. A start sets only a cookie of
// its own (one per pending sign-in), so tabs may start at the same moment.
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

// A browser's first lock request for this site is slow (15-55 ms in headless
// Chromium here, later ones 4-25 ms): "/" asks the lock manager once at idle
// so that the callback page, whose exchange waits for the lock, is not first.
export function wakeLocks() {
  if (navigator.locks) navigator.locks.query().catch(() => {});
}

export const startFlow = () => call('POST', '/api/twitter/start', {});
// The lock is asked for at once, so getting it overlaps loading the module;
// the exchange is sent only once `approved` resolves true (the core has
// verified the callback), else the lock is let go and `answer` resolves null.
// `sent` resolves once the request is out (or will not be sent).
export function exchangeOnceApproved(approved, callbackQuery) {
  let markSent;
  const sent = new Promise((resolve) => { markSent = resolve; });
  const answer = oneAtATime(async () => {
    if (!(await approved)) { markSent(); return null; }
    const exchanged = call('POST', '/api/twitter/exchange', { callback_query: callbackQuery });
    markSent();
    return exchanged;
  });
  answer.then(markSent, markSent);
  return { sent, answer };
}
export const register = (form) => oneAtATime(() => call('POST', '/api/register', form));
export const me = () => call('GET', '/api/me');
export const logout = () => oneAtATime(() => call('POST', '/api/logout', {}));
export const deleteAccount = () => oneAtATime(() => call('DELETE', '/api/me'));

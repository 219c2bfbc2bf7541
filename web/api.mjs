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
function oneAtATime(task) {
  return navigator.locks ? navigator.locks.request('perch-session', task) : task();
}

export const startFlow = () => call('POST', '/api/twitter/start', {});
export const exchange = (callbackQuery) =>
  oneAtATime(() => call('POST', '/api/twitter/exchange', { callback_query: callbackQuery }));
export const register = (form) => oneAtATime(() => call('POST', '/api/register', form));
export const me = () => call('GET', '/api/me');
export const logout = () => oneAtATime(() => call('POST', '/api/logout', {}));
export const deleteAccount = () => oneAtATime(() => call('DELETE', '/api/me'));

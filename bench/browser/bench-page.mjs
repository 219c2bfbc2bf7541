// Runs in headless Chromium under the sign-up page's CSP. Reports, as JSON in
// #result: how long importing perch.mjs and createPerch() took in this fresh
// page, and (when the URL has ?calls=1) the median time per call of the
// callback page's core calls, timed in batches because performance.now() is
// coarsened to 100 µs in pages that are not cross-origin isolated.
const report = { };
const result = document.getElementById('result');

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

// Microseconds per call of fn: `samples` batches of `batch` calls each.
function time(fn, batch, samples) {
  for (let i = 0; i < batch; i++) fn();  // warm-up, lets the engine tier up
  const perCall = [];
  for (let s = 0; s < samples; s++) {
    const started = performance.now();
    for (let i = 0; i < batch; i++) fn();
    perCall.push(((performance.now() - started) * 1000) / batch);
  }
  return median(perCall);
}

function check(condition, what) {
  if (!condition) throw new Error(`unexpected result: ${what}`);
}

async function run() {
  const started = performance.now();
  const module = await import('/perch.mjs');
  const imported = performance.now();
  const perch = await module.default();
  const created = performance.now();
  report.importMs = imported - started;
  report.createMs = created - imported;
  if (!new URLSearchParams(location.search).has('calls')) return;

  const inputs = await (await fetch('/inputs.json')).json();
  const { callback_query: query, expected_token: token, user_json: userJson } = inputs;
  // Twitter's default user has no utc_offset: the page fills in the browser's zone.
  const pagePrefill = (profile) => {
    const form = perch.prefill(profile);
    if (!form.timezone) form.timezone = 'Europe/Oslo';
    return form;
  };

  const verdict = perch.verifyCallback(query, token);
  check(verdict.outcome === 'approved', 'verifyCallback');
  const mapped = perch.mapProfile(userJson);
  check(mapped.ok && mapped.profile.userId === '1452019283001737216', 'mapProfile');
  const form = pagePrefill(mapped.profile);
  check(form.username === 'zoe_perch', 'prefill');
  check(perch.validateRegistration(form).ok, 'validateRegistration');

  const batch = Number(new URLSearchParams(location.search).get('batch') || 200);
  const samples = Number(new URLSearchParams(location.search).get('samples') || 31);
  let sink = 0;
  report.callsUs = {
    verifyCallback: time(() => { sink += perch.verifyCallback(query, token).outcome.length; }, batch * 10, samples),
    mapProfile: time(() => { sink += perch.mapProfile(userJson).ok; }, batch, samples),
    prefill: time(() => { sink += perch.prefill(mapped.profile).username.length; }, batch * 10, samples),
    validateRegistration: time(() => { sink += perch.validateRegistration(form).ok; }, batch * 10, samples),
    sequence: time(() => {
      perch.verifyCallback(query, token);
      const profile = perch.mapProfile(userJson).profile;
      sink += perch.validateRegistration(pagePrefill(profile)).ok;
    }, batch, samples),
  };
  report.sink = sink > 0;
}

run().then(
  () => { result.textContent = JSON.stringify(report); result.dataset.state = 'done'; },
  (error) => { result.textContent = JSON.stringify({ error: String(error && error.stack || error) }); result.dataset.state = 'error'; },
);

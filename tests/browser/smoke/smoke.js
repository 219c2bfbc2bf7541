// Loads perch.mjs under the test server's CSP, calls every function once (and
// some with hostile input), and publishes the results for the test to compare.
import createPerch from '/dist/perch.mjs';

const violations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  violations.push({ directive: event.effectiveDirective, blocked: event.blockedURI });
});

const TOKEN = 'NPcudxy0yU5T3tBzho7iCotZ3cnetKwcTIRlX0iwRl0';
const VERIFIER = 'uw7NjWHT6OJ1MpJOXsHfNxoAhPKpgI8BlYDhxEjIBY';
// JSON text, so the 64-bit id keeps its digits (JSON.parse would round it).
const USER_JSON = '{"id":1466796521412771840,"id_str":"1466796521412771840","name":"José Ñúñez 🐦",' +
  '"screen_name":"jose_nunez","utc_offset":-16200,"email":"jose@example.com",' +
  '"profile_image_url_https":"https://pbs.twimg.com/profile_images/1/kX3f_normal.jpg"}';

function run(perch) {
  const profile = perch.mapProfile(USER_JSON);
  const form = perch.prefill(profile.profile);
  return {
    callbacks: {
      approved: perch.verifyCallback(`?oauth_token=${TOKEN}&oauth_verifier=${VERIFIER}`, TOKEN),
      denied: perch.verifyCallback(`?denied=${TOKEN}`, TOKEN),
      noSession: perch.verifyCallback(`?oauth_token=${TOKEN}&oauth_verifier=${VERIFIER}`, ''),
      missingParams: perch.verifyCallback(`?oauth_token=${TOKEN}`, TOKEN),
      tokenMismatch: perch.verifyCallback(`?oauth_token=other&oauth_verifier=${VERIFIER}`, TOKEN),
      malformed: perch.verifyCallback(`?oauth_token=${TOKEN}&oauth_token=${TOKEN}&oauth_verifier=v`, TOKEN),
      fromUndefined: perch.verifyCallback(undefined, TOKEN),
    },
    profile,
    profileError: perch.mapProfile(42),
    form,
    validForm: perch.validateRegistration(form),
    emptyForm: perch.validateRegistration(null),
    percentEncoded: perch.percentEncode('Ladies + Gentlemen ☃'),
    loneSurrogate: perch.percentEncode('\uD800'),
    keys: Object.keys(perch),
  };
}

const output = document.getElementById('result');
let report;
try {
  const started = performance.now();
  const perch = await createPerch();
  const createMs = performance.now() - started;
  report = { results: run(perch), createMs };
} catch (error) {
  report = { error: String((error && error.stack) || error) };
}
// Let any violation event queued during loading be delivered before reporting.
await new Promise((resolve) => setTimeout(resolve, 0));
report.violations = violations;
output.textContent = JSON.stringify(report);
output.dataset.state = report.error ? 'error' : 'done';

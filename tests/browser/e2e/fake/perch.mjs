// DEV ONLY: a rough JS stand-in for build/wasm/dist/perch.mjs, used by
// fake-server.mjs to develop the page before the real module lands.
// The real tests never load this file.
export default async function createPerch() {
  const tokenText = /^[A-Za-z0-9._~-]{1,256}$/;
  return {
    verifyCallback(search, expected) {
      const none = (outcome) => ({ outcome, oauthToken: '', oauthVerifier: '' });
      const params = new URLSearchParams(search);
      if (params.has('denied')) return none('denied');
      if (!expected) return none('no_session');
      const tokens = params.getAll('oauth_token'), verifiers = params.getAll('oauth_verifier');
      if (tokens.length > 1 || verifiers.length > 1) return none('malformed');
      if (!tokens[0] || !verifiers[0]) return none('missing_params');
      if (!tokenText.test(tokens[0]) || !tokenText.test(verifiers[0])) return none('malformed');
      if (tokens[0] !== expected) return none('token_mismatch');
      return { outcome: 'approved', oauthToken: tokens[0], oauthVerifier: verifiers[0] };
    },
    mapProfile(text) {
      let u; try { u = JSON.parse(text); } catch { return { ok: false, error: { code: 'invalid_json', message: 'bad' } }; }
      const name = String(u.name).trim(); const i = name.search(/\s/);
      return { ok: true, profile: {
        userId: u.id_str, username: u.screen_name, fullName: u.name,
        firstName: i < 0 ? name : name.slice(0, i), lastName: i < 0 ? '' : name.slice(i).trim(),
        timezone: u.utc_offset == null ? null : u.utc_offset / 3600,
        picture: String(u.profile_image_url_https || '').replace(/_(normal|bigger|mini)(\.\w+)?$/, '$2'),
        email: u.email || '' } };
    },
    prefill(p) {
      return { username: p.username, first_name: p.firstName, last_name: p.lastName, email: p.email,
        timezone: p.timezone == null ? '' : `UTC${p.timezone >= 0 ? '+' : '-'}${String(Math.trunc(Math.abs(p.timezone))).padStart(2, '0')}:${String(Math.round(Math.abs(p.timezone) % 1 * 60)).padStart(2, '0')}` };
    },
    validateRegistration(f) {
      const errors = {};
      if (!/^[A-Za-z0-9_]{3,15}$/.test(f.username)) errors.username = 'Use 3–15 letters, digits or underscores.';
      if (!f.first_name.trim()) errors.first_name = 'Enter your first name.';
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(f.email)) errors.email = 'Enter an email address, like name@example.com.';
      if (!f.timezone) errors.timezone = 'Enter a time zone.';
      return { ok: Object.keys(errors).length === 0, errors };
    },
    percentEncode: (t) => encodeURIComponent(t),
  };
}

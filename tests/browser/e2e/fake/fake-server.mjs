// DEV ONLY: a tiny stand-in for perch-proxy + perch-emulator, to develop the
// page before they land:  node tests/browser/e2e/fake/fake-server.mjs [PORT]
// Serves web/ (+ fake/perch.mjs) with the proxy's CSP. The real tests never use it.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';

const here = path.dirname(new URL(import.meta.url).pathname);
const web = path.resolve(here, '../../../../web');
const port = Number(process.argv[2] || 0);
const types = { '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' };
const pending = new Map(); // token -> verifier
let signedIn = null, identity = null, accounts = [];
const user = { id_str: '1234567890123456789', screen_name: 'ada_perch', name: 'Adá  Lovelace-Ünïcode', utc_offset: null, email: 'ada@example.com',
  profile_image_url_https: `http://127.0.0.1:PORT/avatar_normal.png` };

function json(res, status, body) { res.writeHead(status, { 'Content-Type': 'application/json' }); res.end(body === undefined ? '' : JSON.stringify(body)); }
const err = (res, status, code, message) => json(res, status, { error: { code, message } });

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  let body = ''; for await (const c of req) body += c;
  const self = `http://127.0.0.1:${server.address().port}`;
  if (url.pathname === '/api/twitter/start') {
    if (process.env.FAKE_FAULT === 'start') return err(res, 502, 'provider_error', 'Twitter answered 500');
    const token = crypto.randomBytes(8).toString('hex'); pending.set(token, crypto.randomBytes(8).toString('hex'));
    return json(res, 200, { authorize_url: `${self}/oauth/authenticate?oauth_token=${token}`, oauth_token: token });
  }
  if (url.pathname === '/oauth/authenticate') {
    const t = url.searchParams.get('oauth_token');
    res.writeHead(200, { 'Content-Type': 'text/html' });
    return res.end(`<h1>Authorize?</h1><a href="/signup/callback?oauth_token=${t}&oauth_verifier=${pending.get(t)}">Authorize app</a> <a href="/signup/callback?denied=${t}">Cancel</a>`);
  }
  if (url.pathname === '/api/twitter/exchange') {
    const q = new URLSearchParams(JSON.parse(body).callback_query);
    const t = q.get('oauth_token');
    if (!pending.has(t)) return err(res, 409, 'replayed', 'already used');
    pending.delete(t);
    if (process.env.FAKE_FAULT === 'exchange') return err(res, 502, 'provider_error', 'Twitter answered 500');
    identity = user.id_str;
    const acct = accounts.find((a) => a.twitter_id === identity);
    if (acct) { signedIn = acct; return json(res, 200, { status: 'signed_in', user: acct }); }
    return json(res, 200, { status: 'new', twitter_user: { ...user, profile_image_url_https: user.profile_image_url_https.replace('PORT', server.address().port) } });
  }
  if (url.pathname === '/api/register') {
    if (!identity) return err(res, 401, 'unauthorized', 'no session');
    const f = JSON.parse(body);
    if (!f.email.includes('@')) return json(res, 422, { error: { code: 'invalid', message: 'invalid', fields: { email: 'Enter an email address.' } } });
    if (f.username === 'taken') return err(res, 409, 'username_taken', 'taken');
    if (accounts.some((a) => a.twitter_id === identity)) return err(res, 409, 'already_registered', 'registered');
    signedIn = { ...f, twitter_id: identity, picture: user.profile_image_url_https.replace('PORT', server.address().port).replace('_normal', '') };
    accounts.push(signedIn);
    return json(res, 201, { user: signedIn });
  }
  if (url.pathname === '/api/me') return signedIn ? json(res, 200, { user: signedIn }) : err(res, 401, 'unauthorized', 'not signed in');
  if (url.pathname === '/api/logout') { signedIn = null; identity = null; return json(res, 204); }
  let file = url.pathname === '/' || url.pathname === '/signup/callback' ? 'index.html' : url.pathname.slice(1);
  let full = file === 'perch.mjs' ? path.join(here, 'perch.mjs') : path.join(web, path.normalize(file));
  if (file.startsWith('avatar')) full = '/dev/null';
  if (!full.startsWith(web) && !full.startsWith(here) && full !== '/dev/null' || !fs.existsSync(full)) return err(res, 404, 'not_found', 'no');
  res.writeHead(200, { 'Content-Type': types[path.extname(full)] || 'image/png',
    'Content-Security-Policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' http://127.0.0.1:*; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    'Referrer-Policy': 'no-referrer' });
  fs.createReadStream(full).pipe(res);
});
server.listen(port, '127.0.0.1', () => console.log(`fake listening on http://127.0.0.1:${server.address().port}`));

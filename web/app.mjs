// Perch's sign-up page: one document serves "/" and "/signup/callback".
import * as api from './api.mjs';
import { prepareForm, rememberTimeZone, showForm } from './form.mjs';
import { CANCELLED_NOTICE, describe } from './messages.mjs';
import createPerch from './perch-web.mjs';
import { announce, keepOpeningView, renderProfile, showBusy, showError, showStart, showView } from './views.mjs';

// sessionStorage: what this tab's sign-in is named by in X's reply: the
// OAuth 2.0 `state` or the OAuth 1.0a request token (whichever the proxy uses).
const TOKEN_KEY = 'perch.oauth_token';
const CALLBACK_PATH = '/signup/callback';
// How long the exchange may take before the page says it is talking to X.
const SLOW_ANSWER_MS = 300;

// The .wasm boot.js is compiling on the callback page, or null; an app.mjs
// that runs first claims perchBoot so boot.js does nothing.
let booted = globalThis.perchBoot ? globalThis.perchBoot.module : (globalThis.perchBoot = null);

let perchPromise = null;
function loadPerch() {
  // Only the callback page instantiates the core ("/" prefetches its .wasm at
  // idle). The glue is a static import: a dynamic import() of it, even from
  // the cache, held the callback page up by tens of milliseconds.
  perchPromise ??= instantiate(booted);
  booted = null;  // a second try fetches afresh
  perchPromise.catch(() => { perchPromise = null; });
  return perchPromise;
}

// The glue instantiates the module boot.js compiled, if it did; else (or
// when that failed) it fetches and compiles the .wasm itself.
async function instantiate(compiling) {
  const compiled = compiling ? await compiling.catch(() => null) : null;
  if (!compiled) return createPerch();
  return new Promise((resolve, reject) => {
    createPerch({
      instantiateWasm(imports, receive) {
        WebAssembly.instantiate(compiled, imports).then((instance) => receive(instance), reject);
        return {};
      },
    }).then(resolve, reject);
  });
}

function fail(code, serverMessage) {
  showError(describe(code, serverMessage), (action) => {
    if (action === 'retry') beginSignIn();
    else if (action === 'reload') location.reload();
    else goToStart('');
  });
}

function goToStart(notice) {
  if (location.pathname !== '/') history.replaceState(null, '', '/');
  showStart(notice);
}

function displayName(user) {
  return [user.first_name, user.last_name].filter((part) => part).join(' ') || user.username || '';
}

function showSignedIn(user) {
  if (!user || typeof user !== 'object') { goToStart(''); return; }
  renderProfile(document.getElementById('account-profile'), {
    picture: user.picture,
    name: displayName(user),
    handle: user.username ? `@${user.username}` : '',
  });
  document.getElementById('account-email').textContent = user.email || '—';
  document.getElementById('account-timezone').textContent = user.timezone || '—';
  showDeleteConfirm(false);
  showView('signed-in');
  announce(`Signed in as ${user.username || displayName(user)}.`);
}

// Only ever navigate to an https: provider (or perch-emulator on loopback).
function providerUrl(text) {
  if (typeof text !== 'string') return '';
  let url;
  try { url = new URL(text); } catch { return ''; }
  const loopback = url.hostname === '127.0.0.1' || url.hostname === '[::1]' || url.hostname === 'localhost';
  return url.protocol === 'https:' || (url.protocol === 'http:' && loopback) ? url.href : '';
}

// One flow serves sign-up and sign-in: the proxy tells us which it was.
async function beginSignIn() {
  for (const button of document.querySelectorAll('[data-action=start]')) button.disabled = true;
  showBusy('Connecting to X…', 'Asking X to start signing you in.');
  const started = api.startFlow();
  rememberTimeZone();  // while the start is on its way
  const response = await started;
  for (const button of document.querySelectorAll('[data-action=start]')) button.disabled = false;
  const data = response.data || {};
  const target = response.ok ? providerUrl(data.authorize_url) : '';
  const expected = typeof data.state === 'string' ? data.state : data.oauth_token;
  if (!target || typeof expected !== 'string' || expected === '') {
    fail(response.ok ? 'provider_error' : response.code, response.message);
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, expected);
  location.assign(target);
}

async function handleCallback() {
  const search = location.search;
  const expected = sessionStorage.getItem(TOKEN_KEY) || '';
  // The document opens on its busy view ("Loading…"): nothing to change or
  // announce while the module loads, which would cost a layout and a paint.
  keepOpeningView();
  let perch;
  let verdict;
  try {
    perch = await loadPerch();
    performance.mark('perch:module-ready');
    verdict = perch.verifyCallback(search, expected);
    performance.mark('perch:verified');
  } catch {
    fail('module');  // the token and URL stay, so reloading can still finish
    return;
  }
  // Sent the moment the core has approved, before the page tidies up.
  const answer = verdict.outcome === 'approved' ? api.exchange(search) : null;
  // The token (state) is single-use and the verifier (code) must not linger
  // in the address bar or history: both go now, whatever the outcome.
  sessionStorage.removeItem(TOKEN_KEY);
  history.replaceState(null, '', '/');

  if (verdict.outcome === 'denied') { showStart(CANCELLED_NOTICE); return; }
  if (verdict.outcome !== 'approved') { fail(verdict.outcome); return; }

  prepareForm();  // while the answer is awaited
  // Only a slow answer is worth saying so: changing the view costs the page a
  // layout and a paint while the answer is on its way.
  const slow = setTimeout(() => showBusy('Signing you in…', 'Talking to X.'), SLOW_ANSWER_MS);
  const response = await answer;
  clearTimeout(slow);
  performance.mark('perch:exchanged');
  if (!response.ok) {
    if (response.code === 'denied') showStart(CANCELLED_NOTICE);
    else fail(response.code, response.message);
    return;
  }
  const data = response.data || {};
  if (data.status === 'signed_in') { showSignedIn(data.user); return; }
  if (data.status !== 'new' || typeof data.twitter_user !== 'object' || data.twitter_user === null) {
    fail('provider_error');
    return;
  }
  const mapped = perch.mapProfile(JSON.stringify(data.twitter_user));
  if (!mapped || !mapped.ok) { fail('profile'); return; }
  const profile = mapped.profile;
  renderProfile(document.getElementById('form-profile'), {
    picture: profile.picture,
    name: profile.fullName,
    handle: profile.username ? `@${profile.username}` : '',
  });
  showForm(perch, perch.prefill(profile), {
    onRegistered: showSignedIn,
    onSessionEnded: () => fail('unauthorized'),
  });
  showView('form');
  performance.mark('perch:form-ready');
  announce('Your details from X are filled in. Check them and create your account.');
}

async function showHome() {
  (window.requestIdleCallback || setTimeout)(() => rememberTimeZone());
  const response = await api.me();
  if (response.ok && response.data && response.data.user) showSignedIn(response.data.user);
  else showStart('');
}

async function signOut() {
  showBusy('Signing out…', 'Signing you out.');
  const response = await api.logout();
  if (!response.ok && response.status !== 401) { fail(response.code, response.message); return; }
  showStart('You are signed out.');
}

// Deleting asks once more in the page itself (no window.confirm: it blocks the
// page and browsers let a site suppress it).
function showDeleteConfirm(open) {
  document.getElementById('delete-confirm').hidden = !open;
  const action = document.querySelector('button[data-action="delete-account"]');
  action.setAttribute('aria-expanded', String(open));
  if (open) document.querySelector('button[data-action="delete-cancel"]').focus();
}

async function deleteAccount() {
  showBusy('Deleting your account…', 'Deleting your account.');
  const response = await api.deleteAccount();
  if (!response.ok && response.status !== 401) { fail(response.code, response.message); return; }
  showStart('Your account is deleted.');
}

document.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  const action = button.dataset.action;
  if (action === 'start') beginSignIn();
  else if (action === 'sign-out') signOut();
  else if (action === 'delete-account') showDeleteConfirm(true);
  else if (action === 'delete-cancel') showDeleteConfirm(false);
  else if (action === 'delete-confirm') deleteAccount();
});

// Coming back with the browser's back button restores a frozen page; start fresh.
window.addEventListener('pageshow', (event) => { if (event.persisted) location.reload(); });

if (location.pathname === CALLBACK_PATH) handleCallback();
else showHome();

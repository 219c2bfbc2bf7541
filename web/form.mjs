// The registration form: pre-filled from X, validated by the core as
// the person types, submitted to POST /api/register.
import * as api from './api.mjs';
import { ALREADY_REGISTERED, USERNAME_TAKEN, describe } from './messages.mjs';

export const FIELDS = ['username', 'first_name', 'last_name', 'email', 'timezone'];

const form = () => document.getElementById('signup-form');
const input = (name) => document.getElementById(`f-${name}`);
const status = (text) => { document.getElementById('form-status').textContent = text; };

let state = null;  // { perch, touched:Set, handlers }

function values() {
  const out = {};
  for (const name of FIELDS) out[name] = input(name).value;
  return out;
}

function setFieldError(name, message) {
  document.getElementById(`f-${name}-error`).textContent = message;
  if (message) input(name).setAttribute('aria-invalid', 'true');
  else input(name).removeAttribute('aria-invalid');
}

// Shows the core's messages for the fields in `only` (all when omitted).
function validate(only) {
  const result = state.perch.validateRegistration(values());
  const errors = (result && result.errors) || {};
  for (const name of FIELDS) {
    if (!only || only.has(name)) setFieldError(name, typeof errors[name] === 'string' ? errors[name] : '');
  }
  return { ok: Boolean(result && result.ok), errors };
}

function focusFirstInvalid(errors) {
  const name = FIELDS.find((field) => errors[field]);
  if (name) input(name).focus();
}

// The browser's time zone, only ever a suggestion the person can change. A
// page's first Intl.DateTimeFormat costs 15-30 ms (the zone data loads), and
// on the callback page that held up the exchange: "/" works it out before
// going to X and the callback page takes it from sessionStorage.
const ZONE_KEY = 'perch.time_zone';
let zoneOfBrowser = null;
function browserTimeZone() {
  if (zoneOfBrowser === null) {
    try { zoneOfBrowser = sessionStorage.getItem(ZONE_KEY); } catch { zoneOfBrowser = null; }
  }
  if (zoneOfBrowser === null) {
    try { zoneOfBrowser = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch { zoneOfBrowser = ''; }
  }
  return zoneOfBrowser;
}

export function rememberTimeZone() {
  try { sessionStorage.setItem(ZONE_KEY, browserTimeZone()); } catch { /* the callback page works it out */ }
}

export function prepareForm() {
  browserTimeZone();
}

function fillTimeZones() {
  const list = document.getElementById('timezones');
  if (list.childElementCount > 0 || typeof Intl.supportedValuesOf !== 'function') return;
  const fragment = document.createDocumentFragment();
  for (const zone of Intl.supportedValuesOf('timeZone')) {
    const option = document.createElement('option');
    option.value = zone;
    fragment.append(option);
  }
  list.append(fragment);
}

async function submit(event) {
  event.preventDefault();
  if (state.busy) return;
  for (const name of FIELDS) state.touched.add(name);
  const check = validate();
  document.getElementById('form-sign-in').hidden = true;
  if (!check.ok) {
    status('Please correct the highlighted fields.');
    focusFirstInvalid(check.errors);
    return;
  }
  state.busy = true;
  const button = form().querySelector('button[type=submit]');
  button.disabled = true;
  form().setAttribute('aria-busy', 'true');
  status('Creating your account…');
  const response = await api.register(values());
  state.busy = false;
  button.disabled = false;
  form().removeAttribute('aria-busy');

  if (response.ok) {
    status('');
    state.handlers.onRegistered(response.data && response.data.user);
    return;
  }
  if (response.status === 401) {
    state.handlers.onSessionEnded();
    return;
  }
  if (response.code === 'invalid') {
    for (const [name, message] of Object.entries(response.fields)) {
      if (FIELDS.includes(name) && typeof message === 'string') setFieldError(name, message);
    }
    status('Please correct the highlighted fields.');
    focusFirstInvalid(response.fields);
  } else if (response.code === 'username_taken') {
    setFieldError('username', USERNAME_TAKEN);
    status('Please choose another username.');
    input('username').focus();
  } else if (response.code === 'already_registered') {
    // Creating is pointless now: signing in is the one way forward.
    status(ALREADY_REGISTERED);
    button.hidden = true;
    const signIn = document.getElementById('form-sign-in');
    signIn.hidden = false;
    signIn.focus();
  } else {
    status(describe(response.code, response.message).message);
  }
}

function onInput(event) {
  const name = event.target.name;
  if (!FIELDS.includes(name)) return;
  state.touched.add(name);
  status('');
  validate(state.touched);
}

// `prefilled` is prefill()'s result; handlers: onRegistered(user), onSessionEnded().
export function showForm(perch, prefilled, handlers) {
  const first = state === null;
  state = { perch, touched: new Set(), handlers, busy: false };
  for (const name of FIELDS) {
    const value = prefilled && typeof prefilled[name] === 'string' ? prefilled[name] : '';
    input(name).value = value;
    // Pre-filled values that are already wrong are flagged at once; empty
    // ones wait until the person has typed or submitted.
    if (value !== '') state.touched.add(name);
  }
  if (input('timezone').value === '') {
    input('timezone').value = browserTimeZone();
    if (input('timezone').value !== '') state.touched.add('timezone');
  }
  status('');
  form().querySelector('button[type=submit]').hidden = false;
  document.getElementById('form-sign-in').hidden = true;
  validate();
  for (const name of FIELDS) if (!state.touched.has(name)) setFieldError(name, '');
  // The suggestions are for typing, which comes later: not before the form shows.
  setTimeout(fillTimeZones, 0);
  if (first) {
    form().addEventListener('submit', submit);
    form().addEventListener('input', onInput);
  }
}

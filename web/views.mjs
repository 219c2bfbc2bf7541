// Switching views and rendering X data safely: text goes in with
// textContent, attributes with setAttribute, never innerHTML.

const VIEWS = ['busy', 'start', 'error', 'form', 'signed-in'];
let first = true;

const $ = (id) => document.getElementById(id);

// Shows one view. Focus moves to its heading so keyboard and screen-reader
// users land on the new content — except on the very first render, where
// the browser's own start-of-page position is right.
export function showView(name) {
  for (const view of VIEWS) $(`view-${view}`).hidden = view !== name;
  const heading = $(`view-${name}`).querySelector('h1');
  if (!first) heading.focus();
  first = false;
  document.title = `${heading.textContent} — Perch`;
}

// The callback page keeps the document's own opening view ("Loading…") while
// the module loads, without showing it again: that counts as the first render,
// so focus moves to whichever view comes next.
export function keepOpeningView() {
  first = false;
}

export function announce(text) {
  const region = $('announcer');
  region.textContent = '';
  // A separate task so the same text twice is still announced.
  setTimeout(() => { region.textContent = text; }, 50);
}

export function showBusy(title, detail) {
  $('busy-title').textContent = title;
  $('busy-detail').textContent = detail;
  showView('busy');
  announce(detail);
}

export function showStart(notice = '') {
  const box = $('start-notice');
  box.textContent = notice;
  box.hidden = notice === '';
  showView('start');
  if (notice) announce(notice);
}

// `error` is { title, message, action } from messages.mjs.
export function showError(error, onAction) {
  $('error-title').textContent = error.title;
  $('error-message').textContent = error.message;
  const button = $('error-action');
  button.textContent = error.action === 'start' ? 'Start again' : 'Try again';
  button.onclick = () => onAction(error.action);
  showView('error');
  announce(error.message);
}

// Pictures are shown only from https: URLs (or the emulator on loopback).
export function safePictureUrl(text) {
  if (typeof text !== 'string' || text === '') return '';
  let url;
  try { url = new URL(text); } catch { return ''; }
  if (url.protocol === 'https:') return url.href;
  if (url.protocol === 'http:' && url.hostname === '127.0.0.1') return url.href;
  return '';
}

// Fills a .profile block: picture (or an initial), name, and a handle line.
export function renderProfile(container, { picture, name, handle }) {
  const img = container.querySelector('img');
  const initial = container.querySelector('.initial');
  const letter = Array.from((name || handle || '?').trim())[0] || '?';
  initial.textContent = letter.toLocaleUpperCase();
  const src = safePictureUrl(picture);
  const showInitial = () => { img.hidden = true; initial.hidden = false; };
  img.onerror = showInitial;
  img.onload = () => { img.hidden = false; initial.hidden = true; };
  showInitial();  // until the picture has loaded, if it ever does
  if (src) {
    img.setAttribute('referrerpolicy', 'no-referrer');
    img.setAttribute('src', src);
  } else {
    img.removeAttribute('src');
  }
  container.querySelector('.name').textContent = name;
  container.querySelector('.handle').textContent = handle;
}

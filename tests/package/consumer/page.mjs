// Both entry points of the installed package, resolved through the page's importmap.
import createPerch from '@perch/wasm';
import createPerchWeb from '@perch/wasm/web';
import { exercise } from './exercise.mjs';

const out = document.getElementById('result');
try {
  out.textContent = JSON.stringify({ main: await exercise(createPerch), web: await exercise(createPerchWeb) });
  out.dataset.state = 'done';
} catch (error) {
  out.textContent = JSON.stringify({ error: String(error && error.stack || error) });
  out.dataset.state = 'failed';
}

// Where the built module lives, and one shared instance for the API tests.
// PERCH_WASM_DIST points at another build's dist folder (default build/wasm/dist).
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const distDir = path.resolve(repoRoot, process.env.PERCH_WASM_DIST || 'build/wasm/dist');
export const modulePath = path.join(distDir, 'perch.mjs');

export async function importCreatePerch() {
  const module = await import(pathToFileURL(modulePath).href);
  return module.default;
}

const createPerch = await importCreatePerch();
export const perch = await createPerch();

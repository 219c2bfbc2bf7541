// The callback page's first script: a classic async script, so it runs while
// the page is still being parsed, well before the modules (which run only
// once parsing is done and took until 10-25 ms after that to have the core
// compiled). It starts compiling the core's .wasm, which app.mjs then has the
// glue instantiate (globalThis.perchBoot). Whichever of the two scripts runs
// first claims perchBoot; if app.mjs did, this does nothing.
(() => {
  if (location.pathname !== '/signup/callback' || globalThis.perchBoot !== undefined) return;
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.compileStreaming !== 'function') return;
  // The same request as the page's <link rel=preload as=fetch crossorigin>.
  const module = WebAssembly.compileStreaming(fetch('/perch-web.wasm', { credentials: 'same-origin' }));
  module.catch(() => {});  // app.mjs sees the failure and lets the glue fetch the module itself
  globalThis.perchBoot = { module };
})();

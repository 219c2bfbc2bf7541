// Inserted at the top of the module factory (--pre-js). Emscripten 3.1.6's
// loader fetch()es the wasm whenever fetch exists, even the data: URL that
// SINGLE_FILE embeds; under the sign-up page's CSP (connect-src 'self' via
// default-src) that is a reported violation before it falls back to decoding
// the bytes. With fetch shadowed inside the factory the loader decodes the
// embedded bytes directly, in browsers, workers and node alike. Nothing else
// in the module uses fetch.
var fetch;

// The control for smoke.js: under the same CSP, eval must be refused (and the
// refusal reported as a violation) while WebAssembly compilation is allowed.
// If the CSP were not enforced no violation would arrive, the page would never
// report, and the test would fail at its deadline.
const output = document.getElementById('result');
const report = {};

const violation = new Promise((resolve) => {
  document.addEventListener('securitypolicyviolation', (event) => {
    resolve({ directive: event.effectiveDirective, blocked: event.blockedURI });
  }, { once: true });
});

try {
  report.evalResult = String(new Function('return 1')());
} catch (error) {
  report.evalError = error.name;
}
// The smallest valid module: "\0asm" and version 1.
const wasm = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
try {
  await WebAssembly.compile(wasm);
  report.wasm = 'compiled';
} catch (error) {
  report.wasm = error.name;
}
report.violation = await violation;
output.textContent = JSON.stringify(report);
output.dataset.state = 'done';

// Reading perch-proxy's side listeners in tests: the URL each printed, and
// /metrics parsed by python3-prometheus-client's own text parser.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

// The URL a side listener printed: "perch-proxy <name> listening on URL".
export function listenerUrl(proxy, name) {
  const match = proxy.stdout.match(new RegExp(`^perch-proxy ${name} listening on (http://\\S+)$`, 'm'));
  assert.ok(match, `no ${name} listening line\n${proxy.output()}`);
  return match[1];
}

// /metrics parsed by prometheus_client: {family: {type, samples}}.
export async function scrape(metricsUrl) {
  const response = await fetch(`${metricsUrl}/metrics`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const parsed = spawnSync('/usr/bin/python3', [path.join(here, 'parse_metrics.py')],
    { input: await response.text(), encoding: 'utf8', timeout: 20000 });
  assert.equal(parsed.status, 0, parsed.stderr);
  return JSON.parse(parsed.stdout);
}

// One sample's value (0 when the series does not exist yet).
export function sample(families, family, name, labels = {}) {
  const found = families[family]?.samples.find((s) => s.name === name &&
    Object.keys(labels).length === Object.keys(s.labels).length &&
    Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return found ? found.value : 0;
}

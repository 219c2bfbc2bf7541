// A webhook receiver on loopback for the tests: it keeps every delivery
// (headers, raw body, arrival time), answers as the test's `answer` says (a
// status, or 'hang' to never answer), and lets a test wait for deliveries
// with a deadline instead of sleeping.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function startReceiver(stack) {
  const receiver = {
    deliveries: [],  // {at, headers, body: Buffer, json, closedAt}
    answer: () => 200,  // (delivery, index) => status | 'hang'
    waiters: [],
    url: '',
    // Resolves once predicate(deliveries) holds; rejects after `ms`.
    until(predicate, ms, what) {
      if (predicate(this.deliveries)) return Promise.resolve(this.deliveries);
      return new Promise((resolve, reject) => {
        const waiter = () => {
          if (!predicate(this.deliveries)) return false;
          clearTimeout(timer);
          resolve(this.deliveries);
          return true;
        };
        const timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new Error(`${what}: not within ${ms} ms; deliveries: ${JSON.stringify(this.deliveries.map((d) => d.json?.type ?? d.body.toString()))}`));
        }, ms);
        this.waiters.push(waiter);
      });
    },
    notify() { this.waiters = this.waiters.filter((waiter) => !waiter()); },
  };
  const sockets = new Set();
  const server = http.createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      let json = null;
      try { json = JSON.parse(body.toString('utf8')); } catch { /* the test checks */ }
      const delivery = { at: performance.now(), method: request.method, url: request.url, headers: request.headers, body, json, closedAt: null };
      const index = receiver.deliveries.length;
      receiver.deliveries.push(delivery);
      request.socket.once('close', () => { delivery.closedAt = performance.now(); receiver.notify(); });
      const answer = receiver.answer(delivery, index);
      if (answer !== 'hang') {
        response.writeHead(answer, { 'content-type': 'text/plain' });
        response.end('ok');
      }
      receiver.notify();
    });
  });
  server.on('connection', (socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)); });
  const close = server.close.bind(server);
  server.close = (callback) => { for (const socket of sockets) socket.destroy(); close(callback); };
  stack.addServer(server);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${server.address().port}/hooks/perch`;
  return receiver;
}

// The README's "Webhooks" section's code block in `language`, verbatim.
export function readmeSnippet(language) {
  const readme = fs.readFileSync(path.join(repo, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Webhooks\n');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 5));
  const match = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(section);
  if (!match) throw new Error(`no ${language} block under "## Webhooks" in README.md`);
  return match[1];
}

// The README's Node verifier, imported as written (plus an export line).
export async function readmeNodeVerifier(stack) {
  const file = path.join(stack.tempDir(), 'verify.mjs');
  fs.writeFileSync(file, `${readmeSnippet('js')}\nexport { verifyPerchSignature };\n`);
  return (await import(pathToFileURL(file).href)).verifyPerchSignature;
}

// The README's Python verifier, run as written by /usr/bin/python3 on each
// case {secret, header, body (Buffer)}; returns its answers.
export function readmePythonVerifier(stack, cases) {
  const file = path.join(stack.tempDir(), 'verify.py');
  fs.writeFileSync(file, `${readmeSnippet('python')}
import base64, json, sys
for case in json.load(sys.stdin):
    print(json.dumps(verify_perch_signature(case["secret"].encode(), case["header"], base64.b64decode(case["body"]))))
`);
  const input = JSON.stringify(cases.map((c) => ({ secret: c.secret, header: c.header, body: c.body.toString('base64') })));
  const result = spawnSync('/usr/bin/python3', [file], { input, encoding: 'utf8', timeout: 20000 });
  if (result.status !== 0) throw new Error(`python3 failed: ${result.stderr}`);
  return result.stdout.trim().split('\n').map((line) => JSON.parse(line));
}


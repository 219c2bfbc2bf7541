// Real Redis and PostgreSQL servers for the scale-out tests, on free loopback
// ports in temporary folders, stopped with the stack. PostgreSQL's initdb
// refuses root: when the tests run as root, the server runs as `postgres`.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

import { Child } from './harness.mjs';
import { freePort } from '../security/nginx.mjs';

export { freePort };

const readyDeadlineMs = 20000;
const pgBin = '/usr/lib/postgresql/15/bin';

async function waitFor(what, child, ready) {
  const until = Date.now() + readyDeadlineMs;
  for (;;) {
    if (child.exit !== null) throw new Error(`${what} exited (${JSON.stringify(child.exit)})\n${child.output()}`);
    if (await ready()) return;
    if (Date.now() > until) throw new Error(`${what} was not ready within ${readyDeadlineMs} ms\n${child.output()}`);
    await new Promise((resolve) => { setTimeout(resolve, 25); });
  }
}

function accepts(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('connect', () => { socket.destroy(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
}

// redis-server; `password` sets requirepass. No persistence, unless
// `persist`: then an append-only file synced before every answer, so a
// server killed with -9 keeps everything it acknowledged. Returns {port, url
// (redis://[:password@]127.0.0.1:port/0), cli(...args) (its text answer),
// stopServer(signal = SIGTERM), startServer() (same port and folder: empty
// again, unless `persist`)}.
export async function startRedis(stack, { password = '', persist = false } = {}) {
  const dir = stack.tempDir();
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir,
    ...(persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'])];
  if (password) args.push('--requirepass', password);
  let child = null;
  const handle = {
    port,
    url: `redis://${password ? `:${encodeURIComponent(password)}@` : ''}127.0.0.1:${port}/0`,
    cli(...command) {
      const auth = password ? ['-a', password, '--no-auth-warning'] : [];
      const result = spawnSync('/usr/bin/redis-cli', ['-p', String(port), ...auth, '--raw', ...command], { encoding: 'utf8', timeout: 10000 });
      if (result.status !== 0) throw new Error(`redis-cli ${command.join(' ')}: ${result.stderr}`);
      return result.stdout;
    },
    async startServer() {
      child = stack.add(new Child('redis-server', '/usr/bin/redis-server', args, {}));
      await waitFor('redis-server', child, () => accepts(port));
    },
    async stopServer(signal = 'SIGTERM') {
      await child.stop(signal);
      stack.children = stack.children.filter((c) => c !== child);
    },
  };
  await handle.startServer();
  return handle;
}

// PostgreSQL 15 with a SCRAM password for user perch and a database perch.
// Returns the child with `port`, `url` (postgresql://perch:…@127.0.0.1:port/perch),
// `password`, `psql(sql)` (rows as text) and `restart()`.
export async function startPostgres(stack, { password = `pg-${process.pid}-${Date.now().toString(36)}` } = {}) {
  const dir = stack.tempDir();
  const asPostgres = process.getuid() === 0;
  const ids = asPostgres ? { uid: Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout), gid: Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout) } : {};
  if (asPostgres) fs.chownSync(dir, ids.uid, ids.gid);
  const pwfile = path.join(dir, 'pw');
  fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (asPostgres) fs.chownSync(pwfile, ids.uid, ids.gid);
  const data = path.join(dir, 'data');
  const init = spawnSync(`${pgBin}/initdb`, ['-D', data, '-U', 'perch', '--pwfile', pwfile, '-A', 'scram-sha-256', '--no-sync', '-E', 'UTF8', '--locale=C.UTF-8'],
    { encoding: 'utf8', timeout: 60000, ...ids });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  fs.rmSync(pwfile);
  const port = await freePort();
  const env = { PGPASSWORD: password };
  const psqlArgs = (database) => ['-h', '127.0.0.1', '-p', String(port), '-U', 'perch', '-d', database, '-At', '-v', 'ON_ERROR_STOP=1'];
  const launch = async () => stack.add(new Child('postgres', `${pgBin}/postgres`,
    ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'], {}, ids));
  let child = await launch();
  const ready = () => spawnSync(`${pgBin}/pg_isready`, ['-h', '127.0.0.1', '-p', String(port), '-q'], { timeout: 5000 }).status === 0;
  await waitFor('postgres', child, ready);
  const psql = (sql, database = 'perch') => {
    const result = spawnSync('/usr/bin/psql', [...psqlArgs(database), '-c', sql], { encoding: 'utf8', timeout: 20000, env: { ...process.env, ...env } });
    if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
    return result.stdout;
  };
  psql('CREATE DATABASE perch', 'postgres');
  const handle = {
    port,
    password,
    url: `postgresql://perch:${encodeURIComponent(password)}@127.0.0.1:${port}/perch`,
    psql,
    get child() { return child; },
    // Fast shutdown, and start again on the same data and port.
    async stopServer() {
      await child.stop('SIGINT');  // fast shutdown: the proxies' pooled connections are cut
      stack.children = stack.children.filter((c) => c !== child);
    },
    async startServer() {
      child = await launch();
      await waitFor('postgres', child, ready);
    },
    async restart() {
      await this.stopServer();
      await this.startServer();
    },
  };
  return handle;
}


#!/usr/bin/env node
// Runs a command beside a throwaway native PostgreSQL with pgvector:
//   node scripts/native-postgres.js <command> [args...]
// initdb into a temporary folder, a server on 127.0.0.1 (a free port, trust auth for the superuser
// `grokcat`), then the command with TEST_DATABASE_URL naming that server; the server is stopped and
// its folder removed when the command ends, and the command's exit status is ours.
// The server: Debian's PostgreSQL 15 (or PG_BIN, a folder with initdb and postgres) with pgvector
// installed into it, e.g. by ../shared/vendor/install-pgvector.sh. As root, it runs as `postgres`.
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const command = process.argv.slice(2);
if (command.length === 0) {
  process.stderr.write('usage: native-postgres.js <command> [args...]\n');
  process.exit(2);
}

function findBin() {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  return newest ? path.join(root, newest, 'bin') : null;
}

function fail(message) {
  process.stderr.write(`native-postgres: ${message}\n`);
  process.exit(1);
}

const bin = findBin();
if (!bin || !existsSync(path.join(bin, 'initdb'))) {
  fail('no PostgreSQL server found (apt-get install postgresql-15, or set PG_BIN)');
}
const share = spawnSync(path.join(bin, 'pg_config'), ['--sharedir'], { encoding: 'utf8' }).stdout?.trim();
if (!share || !existsSync(path.join(share, 'extension', 'vector.control'))) {
  fail(`pgvector is not installed into ${bin} (../shared/vendor/install-pgvector.sh builds and installs it)`);
}

const asRoot = process.getuid?.() === 0;
const folder = mkdtempSync(path.join(os.tmpdir(), 'grokcat-pg-'));
const data = path.join(folder, 'data');
// initdb refuses root: the server runs as the `postgres` user that Debian's package creates.
const run = (file, args) => (asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args]);
if (asRoot) {
  const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (ids.status !== 0) fail('running as root needs a `postgres` user to run the server as');
  chownSync(folder, Number(ids.stdout.trim()), Number(gid.stdout.trim()));
}

const port = await new Promise((resolve, reject) => {
  const probe = net.createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = probe.address();
    probe.close(() => resolve(free));
  });
  probe.on('error', reject);
});

const [initFile, initArgs] = run(path.join(bin, 'initdb'), [
  '-D',
  data,
  '-U',
  'grokcat',
  '--auth=trust',
  '--encoding=UTF8',
  '--no-sync',
]);
const init = spawnSync(initFile, initArgs, { encoding: 'utf8' });
if (init.status !== 0) fail(`initdb failed: ${init.stderr || init.stdout}`);

// A test server: durability off (the tests crash grokcat's processes, never this server).
const [serverFile, serverArgs] = run(path.join(bin, 'postgres'), [
  '-D',
  data,
  '-h',
  '127.0.0.1',
  '-p',
  String(port),
  '-k',
  folder,
  '-c',
  'max_connections=300',
  '-c',
  'fsync=off',
  '-c',
  'synchronous_commit=off',
  '-c',
  'full_page_writes=off',
]);
const server = spawn(serverFile, serverArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
let serverLog = '';
server.stderr.on('data', (chunk) => {
  serverLog = (serverLog + chunk).slice(-4000);
});
let stopped = false;
// pg_ctl signals the postmaster through its pid file: a signal to runuser would not reach it.
const stop = () => {
  if (stopped || server.exitCode !== null) return;
  stopped = true;
  const [ctlFile, ctlArgs] = run(path.join(bin, 'pg_ctl'), ['stop', '-D', data, '-m', 'fast', '-w']);
  const result = spawnSync(ctlFile, ctlArgs, { stdio: 'ignore', timeout: 30_000 });
  if (result.status !== 0) server.kill('SIGKILL');
};
process.on('exit', () => {
  stop();
  rmSync(folder, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

const url = `postgres://grokcat@127.0.0.1:${port}/postgres`;
const deadline = Date.now() + 30_000;
for (;;) {
  const ready = spawnSync(path.join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)]);
  if (ready.status === 0) break;
  if (server.exitCode !== null || Date.now() > deadline) fail(`the server did not start:\n${serverLog}`);
  await new Promise((resolve) => setTimeout(resolve, 100));
}
process.stderr.write(`native-postgres: PostgreSQL (${bin}) with pgvector on ${url}\n`);

const child = spawn(command[0], command.slice(1), {
  stdio: 'inherit',
  env: { ...process.env, TEST_DATABASE_URL: url },
});
const status = await new Promise((resolve) => {
  child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
});
stop();
await new Promise((resolve) => (server.exitCode !== null ? resolve() : server.on('exit', resolve)));
process.exit(status);

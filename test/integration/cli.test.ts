import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { openDatabase } from '../../shared/db/open-database.ts';
import { silentLogger } from '../../shared/log/logger.ts';
import { runCli, startCli, waitForExit } from '../support/cli-process.ts';
import { cleanEnv, tempHome, testConfig } from '../support/temp-home.ts';

const READY = /grokcat is running/;

describe('grokcat CLI', () => {
  const { home: scratch, cleanup } = tempHome();
  after(cleanup);

  test('--help works on every command, even with a broken configuration', async () => {
    const env = cleanEnv({ GROKCAT_LOG_LEVEL: 'loud' });
    for (const args of [
      ['--help'],
      ['start', '--help'],
      ['db', '--help'],
      ['db', 'check', '--help'],
      ['config', '--help'],
    ]) {
      const result = await runCli(args, env);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stdout, /Usage: grokcat/);
    }
  });

  test('a bad configuration is refused naming every bad variable, before anything starts', async () => {
    const result = await runCli(
      ['db', 'check', '--json'],
      cleanEnv({ GROKCAT_LOG_LEVEL: 'loud', GROKCAT_DB_POOL_MAX: 'many', DATABASE_URL: 'http://x' }),
    );
    assert.equal(result.code, 2, 'a configuration error exits 2');
    for (const name of ['GROKCAT_LOG_LEVEL', 'GROKCAT_DB_POOL_MAX', 'DATABASE_URL']) {
      assert.match(result.stderr, new RegExp(name));
    }
    assert.deepEqual((result.json as { error: { code: string } }).error.code, 'CONFIG_INVALID');
  });

  test('grokcat config prints no secret of the variable table, in either format', async () => {
    const env = cleanEnv({
      DATABASE_URL: 'postgres://app:Sekr1t-db@127.0.0.1:9/grokcat',
      KAFKA_BROKERS: '127.0.0.1:9',
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'grokcat',
      KAFKA_SASL_PASSWORD: 'Sekr1t-sasl',
      GROKCAT_API_SIGNING_KEY: 'Sekr1t-signing-key-0123456789',
      SCHEMA_REGISTRY_URL: 'https://reg:Sekr1t-reg@127.0.0.1:9',
    });
    for (const args of [['config'], ['config', '--json']]) {
      const result = await runCli(args, env);
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stdout + result.stderr, /Sekr1t/, `${args.join(' ')} printed a secret`);
    }
  });

  test('db check fails clearly on an unreachable DATABASE_URL', async () => {
    const result = await runCli(
      ['db', 'check', '--json'],
      cleanEnv({
        DATABASE_URL: 'postgres://grokcat:pw@127.0.0.1:9/grokcat',
        GROKCAT_DB_CONNECT_TIMEOUT_MS: '2000',
      }),
    );
    assert.equal(result.code, 3, 'an unreachable database exits 3: retry later');
    assert.match(
      result.stderr,
      /DB_UNREACHABLE: Cannot reach Postgres at postgres:\/\/grokcat:\*\*\*@127\.0\.0\.1:9/,
    );
    assert.deepEqual(result.json, {
      ok: false,
      error: {
        code: 'DB_UNREACHABLE',
        message: (result.json as { error: { message: string } }).error.message,
        retriable: true,
      },
    });
    assert.doesNotMatch(result.stdout + result.stderr, /:pw@/, 'the password is never printed');
  });

  test('db check on a fresh home reports the pending migrations and exits non-zero', async () => {
    const result = await runCli(
      ['db', 'check', '--json'],
      cleanEnv({ GROKCAT_HOME: path.join(scratch, 'fresh') }),
    );
    assert.equal(result.code, 1);
    const json = result.json as { ok: boolean; migrations: string; pgvector: boolean; pending: string[] };
    assert.equal(json.ok, false);
    assert.equal(json.pgvector, true);
    assert.equal(json.migrations, 'pending');
    assert.ok(json.pending.length >= 8);
  });

  test('start creates ./.grokcat, seeds the demo on an empty catalogue, serves db check, stops cleanly on SIGINT and reuses its data', async () => {
    const cwd = path.join(scratch, 'project');
    const home = path.join(cwd, '.grokcat');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(cwd);
    const env = cleanEnv({ GROKCAT_DEMO_SEED_LISTINGS: '12' });

    const first = await startCli(['start'], env, /demo marketplace seeded/, { cwd, timeoutMs: 120_000 });
    assert.match(first.output().stderr, /"listings":12,"enriched":12,/);
    assert.ok(existsSync(path.join(home, 'pgdata')), 'the default GROKCAT_HOME is ./.grokcat');
    assert.match(first.output().stderr, new RegExp(`embedded database at ${path.join(home, 'pgdata')}`));

    const check = await runCli(['db', 'check', '--json'], env, cwd);
    assert.equal(check.code, 0, check.stderr);
    const json = check.json as Record<string, unknown>;
    assert.equal(json.ok, true);
    assert.equal(json.pgvector, true);
    assert.equal(json.migrations, 'latest');
    assert.match(String(json.server_version), /^\d+/);

    // Write a row through the running server, as another process would.
    const joined = await openDatabase(testConfig({ GROKCAT_HOME: home, DATABASE_URL: '' }), {
      log: silentLogger(),
    });
    assert.equal(joined.embeddedOwner, false);
    await joined.knex('listings').insert({ id: 'kept-1', title: 'survives restarts' });
    await joined.close();

    first.child.kill('SIGINT');
    const stopped = await waitForExit(first.child);
    assert.deepEqual(stopped, { code: 0, signal: null }, first.output().stderr);
    assert.match(first.output().stderr, /stopped cleanly/);
    assert.ok(!existsSync(path.join(home, 'run', '.s.PGSQL.5432')), 'the socket is removed on a clean stop');

    // Second start: same data. Then a SIGKILL, which leaves no chance to clean up, and a third start.
    const second = await startCli(['start'], env, READY, { cwd });
    second.child.kill('SIGKILL');
    await waitForExit(second.child);

    const third = await startCli(['start'], env, READY, { cwd });
    const reopened = await openDatabase(testConfig({ GROKCAT_HOME: home, DATABASE_URL: '' }), {
      log: silentLogger(),
    });
    try {
      const row = await reopened.knex('listings').where({ id: 'kept-1' }).first();
      assert.equal(row?.title, 'survives restarts');
    } finally {
      await reopened.close();
    }
    third.child.kill('SIGTERM');
    assert.deepEqual(await waitForExit(third.child), { code: 0, signal: null }, third.output().stderr);
  });
});

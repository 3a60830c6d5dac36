import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { type GrokcatError, isGrokcatError } from '../errors/error-catalogue.ts';
import { SECRET_VARIABLE_NAMES } from './config-redaction.ts';
import { CONFIG_VARIABLE_NAMES } from './config-variables.ts';
import { describeConfig, loadConfig, redactUrl } from './load-config.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'grokcat-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function configError(run: () => unknown): GrokcatError {
  try {
    run();
  } catch (error) {
    assert.ok(isGrokcatError(error, 'CONFIG_INVALID'), `expected CONFIG_INVALID, got ${String(error)}`);
    return error;
  }
  assert.fail('expected loadConfig to throw');
}

describe('loadConfig', () => {
  test('uses the documented defaults with an empty environment', () => {
    const config = loadConfig({ env: {}, cwd: dir });
    assert.equal(config.home, path.join(dir, '.grokcat'));
    assert.equal(config.configFile, null);
    assert.deepEqual(config.database, {
      url: null,
      poolMax: 10,
      connectTimeoutMs: 5000,
      vacuumIntervalMs: 30_000,
    });
    assert.deepEqual(config.log, { level: 'info', format: 'auto' });
    assert.equal(config.shutdownTimeoutMs, 15000);
    assert.ok(Object.isFrozen(config));
  });

  test('treats an empty variable as unset', () => {
    const config = loadConfig({ env: { DATABASE_URL: '', GROKCAT_LOG_LEVEL: '' }, cwd: dir });
    assert.equal(config.database.url, null);
    assert.equal(config.log.level, 'info');
  });

  test('names every invalid variable in one error', () => {
    const error = configError(() =>
      loadConfig({
        env: {
          GROKCAT_LOG_LEVEL: 'loud',
          GROKCAT_DB_POOL_MAX: '0',
          GROKCAT_DB_CONNECT_TIMEOUT_MS: 'soon',
          DATABASE_URL: 'mysql://root:hunter2@db/x',
          GROKCAT_HOMEE: '/tmp/x',
        },
        cwd: dir,
      }),
    );
    for (const name of [
      'GROKCAT_LOG_LEVEL',
      'GROKCAT_DB_POOL_MAX',
      'GROKCAT_DB_CONNECT_TIMEOUT_MS',
      'DATABASE_URL',
      'GROKCAT_HOMEE',
    ]) {
      assert.match(error.message, new RegExp(`\\b${name}\\b`), `${name} missing from:\n${error.message}`);
    }
    assert.match(error.message, /5 problems/);
    assert.match(error.message, /did you mean GROKCAT_HOME\?/);
    assert.doesNotMatch(error.message, /hunter2/, 'a secret value must never be echoed');
    assert.equal((error.details.problems as unknown[]).length, 5);
  });

  test('reads grokcat.config.json; the environment wins over it', () => {
    const file = path.join(dir, 'grokcat.config.json');
    writeFileSync(file, JSON.stringify({ GROKCAT_LOG_LEVEL: 'debug', GROKCAT_DB_POOL_MAX: 3 }));
    try {
      const config = loadConfig({ env: { GROKCAT_DB_POOL_MAX: '7' }, cwd: dir });
      assert.equal(config.configFile, file);
      assert.equal(config.log.level, 'debug');
      assert.equal(config.database.poolMax, 7);
    } finally {
      rmSync(file);
    }
  });

  test('names bad and unknown keys in the config file, with the environment problems', () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ GROKCAT_LOG_FORMAT: 'xml', LOG_LEVEL: 'info', GROKCAT_HOME: {} }));
    const error = configError(() =>
      loadConfig({ env: { GROKCAT_CONFIG: file, GROKCAT_SHUTDOWN_TIMEOUT_MS: '-1' }, cwd: dir }),
    );
    assert.match(error.message, /GROKCAT_LOG_FORMAT \(config file\)/);
    assert.match(error.message, /LOG_LEVEL \(config file\): is not a grokcat variable/);
    assert.match(error.message, /GROKCAT_HOME \(config file\): must be a string, number or boolean/);
    assert.match(error.message, /GROKCAT_SHUTDOWN_TIMEOUT_MS \(environment\)/);
  });

  test('refuses a named config file that is missing or not JSON', () => {
    assert.match(
      configError(() => loadConfig({ env: { GROKCAT_CONFIG: 'nope.json' }, cwd: dir })).message,
      /GROKCAT_CONFIG .*does not exist/,
    );
    const file = path.join(dir, 'broken.json');
    writeFileSync(file, '{ "GROKCAT_HOME": ');
    assert.match(
      configError(() => loadConfig({ env: { GROKCAT_CONFIG: file }, cwd: dir })).message,
      /is not valid JSON/,
    );
  });

  // One sample per secret variable of the table; a secret added without a sample fails the first test.
  const secretSamples: Record<string, Record<string, string>> = {
    DATABASE_URL: { DATABASE_URL: 'postgres://app:Sekr1t-db@db:5432/grokcat' },
    KAFKA_SASL_PASSWORD: {
      KAFKA_BROKERS: 'kafka:9092',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'grokcat',
      KAFKA_SASL_PASSWORD: 'Sekr1t-sasl',
    },
    GROKCAT_API_SIGNING_KEY: { GROKCAT_API_SIGNING_KEY: 'Sekr1t-signing-key-0123456789' },
  };

  test('every secret variable of the table has a redaction test', () => {
    assert.ok(SECRET_VARIABLE_NAMES.length >= 3);
    assert.deepEqual([...SECRET_VARIABLE_NAMES].sort(), Object.keys(secretSamples).sort());
  });

  for (const [name, env] of Object.entries(secretSamples)) {
    test(`describeConfig hides ${name}`, () => {
      const config = loadConfig({ env, cwd: dir });
      const shown = JSON.stringify(describeConfig(config));
      assert.doesNotMatch(shown, /Sekr1t/, `${name} printed in clear: ${shown}`);
    });
  }

  test('describeConfig masks credentials inside any URL, not only the secret ones', () => {
    const config = loadConfig({
      env: { KAFKA_BROKERS: 'kafka:9092', SCHEMA_REGISTRY_URL: 'https://reg-user:Sekr1t-reg@registry:8081' },
      cwd: dir,
    });
    const shown = JSON.stringify(describeConfig(config));
    assert.doesNotMatch(shown, /Sekr1t/);
    assert.match(shown, /https:\/\/reg-user:\*\*\*@registry:8081/);
    assert.equal(redactUrl('https://Sekr1tToken@host/x'), 'https://***@host/x');
  });

  test('describeConfig hides the database password', () => {
    const config = loadConfig({ env: { DATABASE_URL: 'postgres://app:s3cret@db:5432/grokcat' }, cwd: dir });
    const shown = JSON.stringify(describeConfig(config));
    assert.doesNotMatch(shown, /s3cret/);
    assert.match(shown, /postgres:\/\/app:\*\*\*@db:5432\/grokcat/);
  });

  test('the README documents every variable', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const name of CONFIG_VARIABLE_NAMES) {
      assert.match(readme, new RegExp(`^\\| \`${name}\` *\\|`, 'm'), `README table has no row for ${name}`);
    }
  });
});

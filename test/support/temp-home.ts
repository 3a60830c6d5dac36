import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config, LogLevel } from '../../shared/config/load-config.ts';
import { loadConfig } from '../../shared/config/load-config.ts';
import { createLogger, type Logger, silentLogger } from '../../shared/log/logger.ts';
import { nativeDatabaseFor, nativeServerUrl } from './native-database.ts';

/** A fresh GROKCAT_HOME under the temp dir, removed by `cleanup`. */
export function tempHome(prefix = 'grokcat-test-'): { home: string; cleanup: () => void } {
  const home = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/**
 * The environment of this process without any grokcat variable, so tests choose their own. Under
 * `npm run test:postgres` a home that names no DATABASE_URL gets its own database on the native
 * server; a test that needs the embedded PGlite itself says `DATABASE_URL: ''`.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('GROKCAT_') && name !== 'DATABASE_URL' && name !== 'TEST_DATABASE_URL')
      env[name] = value;
  }
  const native =
    nativeServerUrl() && extra.GROKCAT_HOME && !('DATABASE_URL' in extra)
      ? { DATABASE_URL: nativeDatabaseFor(extra.GROKCAT_HOME) }
      : {};
  // No page-photo detector unless a test asks (GROKCAT_DETECTOR=auto): converting it costs seconds per home.
  return {
    ...env,
    GROKCAT_LOG_FORMAT: 'json',
    GROKCAT_HTTP_PORT: '0',
    GROKCAT_DETECTOR: 'off',
    ...native,
    ...extra,
  };
}

/** A validated config for a test, as loadConfig would build it from these variables. */
export function testConfig(variables: Record<string, string>): Config {
  return loadConfig({ env: cleanEnv(variables), cwd: os.tmpdir() });
}

/** Silent unless TEST_LOG names a level (TEST_LOG=debug npm test): then JSON lines on stderr. */
export function testLogger(): Logger {
  const level = process.env.TEST_LOG as LogLevel | undefined;
  return level ? createLogger({ log: { level, format: 'json' } }, { service: 'test' }) : silentLogger();
}

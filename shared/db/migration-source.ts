import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** `20261124214500_create_listings.ts`: a UTC timestamp, then what the one change does. */
const MIGRATION_FILE = /^(\d{14}_[a-z0-9_]+)\.(ts|js)$/;

interface MigrationModule {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
  /** Set to false for statements Postgres refuses inside a transaction (CREATE INDEX CONCURRENTLY). */
  config?: { transaction?: boolean };
}

/**
 * Our own migration source instead of knex's directory loader: it imports ESM TypeScript through the
 * running loader and records names without their extension, so a compiled build (`.js`) sees the
 * same history as a source checkout (`.ts`).
 */
export function createMigrationSource(dir: string = MIGRATIONS_DIR): Knex.MigrationSource<string> {
  return {
    async getMigrations() {
      return listMigrationFiles(dir);
    },
    getMigrationName(file) {
      return migrationName(file);
    },
    async getMigration(file) {
      const module = (await import(pathToFileURL(path.join(dir, file)).href)) as MigrationModule;
      return { up: module.up, down: module.down, ...(module.config ? { config: module.config } : {}) };
    },
  };
}

export function listMigrationFiles(dir: string = MIGRATIONS_DIR): string[] {
  return readdirSync(dir)
    .filter((file) => MIGRATION_FILE.test(file) && !file.endsWith('.test.ts'))
    .sort();
}

export function migrationName(file: string): string {
  return file.replace(/\.(ts|js)$/, '');
}

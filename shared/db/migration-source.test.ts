import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import {
  createMigrationSource,
  listMigrationFiles,
  MIGRATIONS_DIR,
  migrationName,
} from './migration-source.ts';

test('migrations are timestamped, unique, ordered, and each has up and down', async () => {
  const files = listMigrationFiles();
  assert.ok(files.length >= 8, 'the first schema has at least eight migrations');
  const stamps = files.map((file) => file.slice(0, 14));
  assert.equal(new Set(stamps).size, stamps.length, 'two migrations share a timestamp');
  assert.deepEqual([...stamps].sort(), stamps);
  const source = createMigrationSource();
  for (const file of await source.getMigrations([])) {
    const migration = await source.getMigration(file);
    assert.equal(typeof migration.up, 'function', `${file} has no up`);
    assert.equal(typeof migration.down, 'function', `${file} has no down`);
    assert.equal(source.getMigrationName(file), migrationName(file));
    assert.doesNotMatch(source.getMigrationName(file), /\.(ts|js)$/);
  }
});

test('every file in migrations/ is a migration, so none is silently skipped', () => {
  const present = readdirSync(MIGRATIONS_DIR).filter((file) => file !== 'README.md');
  assert.deepEqual(present.sort(), listMigrationFiles());
});

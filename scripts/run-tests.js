#!/usr/bin/env node
// Runs node's test runner over our TypeScript tests, by suite:
//   unit         *.test.ts beside the code in shared/ and services/
//   integration  test/integration/**/*.test.ts (PGlite, real processes)
//   kafka        test/kafka/**/*.test.ts (librdkafka's mock cluster: needs the librdkafka1 package)
//   e2e          test/e2e/**/*.test.ts (the console in headless Chromium: needs the chromium package)
//   faults       test/faults/**/*.test.ts (thousands of listings through injected faults: minutes)
//   fuzz         *.fuzz.test.ts (fast-check properties; FUZZ_SECONDS per property, 3 by default)
// Node 20's runner takes no globs, so the files are listed here. Extra arguments after `--` go to node.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const suites = {
  unit: ['shared', 'services', 'migrations'],
  integration: ['test/integration'],
  kafka: ['test/kafka'],
  e2e: ['test/e2e'],
  faults: ['test/faults'],
  fuzz: ['shared', 'services', 'test/integration'],
};
// The fuzz suite is the *.fuzz.test.ts files of the others, which also run them (3 s per property).
const suffix = (name) => (name === 'fuzz' ? '.fuzz.test.ts' : '.test.ts');

function findTests(dir, ending) {
  const entries = readdirSync(path.join(root, dir), { withFileTypes: true });
  return entries.flatMap((entry) => {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : findTests(relative, ending);
    return entry.name.endsWith(ending) ? [relative] : [];
  });
}

const separator = process.argv.indexOf('--');
const names = process.argv.slice(2, separator === -1 ? undefined : separator);
const extra = separator === -1 ? [] : process.argv.slice(separator + 1);
const unknown = names.filter((name) => !(name in suites));
if (names.length === 0 || unknown.length > 0) {
  process.stderr.write(`usage: run-tests.js <${Object.keys(suites).join('|')}>... [-- node-args]\n`);
  process.exit(2);
}
const files = [
  ...new Set(names.flatMap((name) => suites[name].flatMap((dir) => findTests(dir, suffix(name))))),
].sort();
if (files.length === 0) {
  process.stderr.write(`no test files found for ${names.join(', ')}\n`);
  process.exit(1);
}
const reporter = process.env.CI ? ['--test-reporter=spec'] : [];
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', ...reporter, ...extra, ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);

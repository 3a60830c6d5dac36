import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { runCli } from '../support/cli-process.ts';
import { nativeServerUrl } from '../support/native-database.ts';
import { cleanEnv, tempHome } from '../support/temp-home.ts';

// The figure: at least 5,000 listings through the faults. FAULT_LISTINGS=500 for a quick look.
const LISTINGS = Number(process.env.FAULT_LISTINGS ?? 5000);
const { home, cleanup } = tempHome('grokcat-faults-test-');
after(cleanup);

interface FaultBenchJson {
  ok: boolean;
  events: number;
  listings: number;
  faults_injected: number;
  faults: Record<string, number>;
  lost: number;
  duplicated: number;
  dead_lettered: number;
  dead_lettered_expected: number;
  wrongly_dead_lettered: number;
  order_violations: number;
  split_products: number;
  database: string;
  catalogers: number;
  problems: string[];
}

// Under `npm run test:postgres` the catalogue is on the native PostgreSQL, else on PGlite.
const postgres = nativeServerUrl();

test(`${LISTINGS} listings through broker outages, request errors, killed services, a lost database and slow images, two catalogers racing: none lost, none duplicated`, async () => {
  const result = await runCli(
    [
      'bench',
      'faults',
      '--listings',
      String(LISTINGS),
      '--catalogers',
      '2',
      ...(postgres ? ['--postgres', postgres] : []),
      '--json',
    ],
    cleanEnv({ GROKCAT_HOME: home, GROKCAT_LOG_LEVEL: 'warn' }),
  );
  const json = result.json as FaultBenchJson | undefined;
  // The figures, in the CI log.
  process.stdout.write(`# bench faults: ${JSON.stringify(json ?? result.stderr.slice(-2000))}\n`);
  assert.ok(json, `no JSON result: ${result.stderr.slice(-2000)}`);
  assert.deepEqual(json.problems, []);
  assert.equal(json.lost, 0);
  assert.equal(json.duplicated, 0);
  assert.equal(json.order_violations, 0);
  // Reported, not asserted: at 5,000 listings a few photos' listings end in two products even where
  // the race is excluded (docs/catalog.md); test/integration/cataloger-race.test.ts asserts the race.
  process.stdout.write(`# photos split over products: ${json.split_products}\n`);
  assert.equal(json.database, postgres ? 'postgresql' : 'pglite');
  assert.equal(json.catalogers, 2);
  assert.equal(json.wrongly_dead_lettered, 0);
  assert.equal(json.dead_lettered, json.dead_lettered_expected);
  assert.ok(json.events >= LISTINGS);
  for (const kind of [
    'broker_down',
    'produce_errors',
    'fetch_errors',
    'enricher_killed',
    'cataloger_killed',
    'database_dropped',
    'images_slow',
  ]) {
    assert.ok((json.faults[kind] ?? 0) >= 1, `fault ${kind} injected`);
  }
  assert.equal(json.ok, true);
  assert.equal(result.code, 0);
});

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { benchGrowth } from '../../services/bench/report/growth-bench.ts';
import { ensureModel } from '../../shared/model/model-store.ts';
import { testConfig, testLogger } from '../support/temp-home.ts';

// `grokcat bench all --suites growth` fills the catalogue to 500 and 5,000 listings; here a small
// run checks the measurement itself: every window cataloged, one product per five listings, CPU
// counted, and the ratio taken between the first and the last point.
test('cost per listing as the catalogue grows: each point measured on a catalogue of the stated size', async () => {
  const log = testLogger();
  const model = await ensureModel(testConfig({}), log);
  const run = await benchGrowth({
    modelDir: path.dirname(model.onnxPath),
    log,
    sizes: [40, 10],
    window: 20,
  });
  assert.equal(run.database, 'pglite');
  assert.deepEqual(
    run.points.map((p) => p.catalogue_listings),
    [10, 40],
    'points in order of size',
  );
  // Listings 0-29 and 0-59 (fill + window) show photos floor(i / 5): 6 and 12 products.
  assert.deepEqual(
    run.points.map((p) => p.products),
    [6, 12],
  );
  for (const p of run.points) {
    assert.ok(p.cpu_ms_per_listing.process > 0, JSON.stringify(p));
    assert.equal(p.cpu_ms_per_listing.database_server, 0, 'no native server: PGlite runs in the process');
    assert.ok(p.wall_ms_per_listing > 0 && p.seconds > 0, JSON.stringify(p));
  }
  const [first, last] = run.points as [(typeof run.points)[0], (typeof run.points)[0]];
  assert.equal(
    run.cpu_ratio,
    Math.round((last.cpu_ms_per_listing.total / first.cpu_ms_per_listing.total) * 100) / 100,
  );
});

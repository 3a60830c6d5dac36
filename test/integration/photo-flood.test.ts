import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runPhotoFloodBench } from '../../services/bench/photo-flood-bench.ts';
import { testConfig, testLogger } from '../support/temp-home.ts';

// The hostile case of many large photos per listing: `grokcat bench photo-flood` runs it at size and
// reports peak memory against the bound (docs/security.md); here a small flood checks that it runs,
// fetches every photo over HTTP and stays within the bound.
test('a flood of listings with 20 large photos each: every listing enriched, memory growth within the stated bound', async () => {
  const result = await runPhotoFloodBench({
    config: testConfig({}),
    log: testLogger(),
    listings: 5,
    photosPerListing: 20,
  });
  assert.equal(result.photos, 100);
  assert.equal(result.enriched, 5);
  assert.ok(result.photo_bytes_total_mb > 100, `${result.photo_bytes_total_mb} MiB of photos`);
  assert.equal(result.fetch_concurrency, 64);
  assert.ok(result.within_bound, JSON.stringify(result));
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openDatabase } from '../../shared/db/open-database.ts';
import { createFeatureCacheRepository } from '../../shared/training/feature-cache.repository.ts';
import { tempHome, testConfig, testLogger } from '../support/temp-home.ts';

test('trunk features are cached per image and extractor in half precision, idempotently', async () => {
  const { home, cleanup } = tempHome();
  const db = await openDatabase(testConfig({ GROKCAT_HOME: home }), { log: testLogger() });
  try {
    const cache = createFeatureCacheRepository(db.knex, 'mobilenet_v2/block_13_expand_relu/gem3');
    const other = createFeatureCacheRepository(db.knex, 'inception_v3/mixed7/gem3');
    const features = Float32Array.from({ length: 576 }, (_, i) => Math.cos(i) / 24);
    await cache.put([{ imageSha256: 'a'.repeat(64), features }]);
    await cache.put([{ imageSha256: 'a'.repeat(64), features: new Float32Array(576) }]); // a redelivery: kept as first written
    const found = await cache.getMany(['a'.repeat(64), 'b'.repeat(64)]);
    assert.equal(found.size, 1);
    const back = found.get('a'.repeat(64)) as Float32Array;
    assert.equal(back.length, 576);
    back.forEach((v, i) => {
      assert.ok(Math.abs(v - (features[i] as number)) < 1e-4);
    });
    assert.equal(await cache.count(), 1);
    assert.equal(await other.count(), 0, 'features of another extractor are kept apart');
    const { rows } = await db.knex.raw<{ rows: { bytes: number }[] }>(
      'select octet_length(features) as bytes from image_features',
    );
    assert.equal(rows[0]?.bytes, 1152, 'two bytes a value');
  } finally {
    await db.close();
    cleanup();
  }
});

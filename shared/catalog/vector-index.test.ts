import assert from 'node:assert/strict';
import { test } from 'node:test';
import { vectorLiteral, vectorSql } from './vector-index.ts';

test('vector SQL inlines only plain embedding-space names and sane dimensions', () => {
  const sql = vectorSql('reference-fmnist-v3', 256);
  assert.equal(sql.where('e'), "e.embedding_space = 'reference-fmnist-v3'");
  assert.equal(sql.cast, 'embedding::vector(256)');
  assert.match(sql.indexName, /^enrichments_hnsw_[0-9a-f]{16}$/);
  assert.throws(() => vectorSql("x'; DROP TABLE listings; --", 256), /not a plain name/);
  assert.throws(() => vectorSql('ok', 0), /dimension/);
  assert.equal(vectorLiteral(new Float32Array([0.5, -1])), '[0.5,-1]');
});

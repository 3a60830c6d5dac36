import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CatalogRepository } from '../../shared/catalog/catalog.repository.ts';
import { MIN_LABELS_PER_OUTCOME, thresholdFromLabels } from './match-labels.ts';

const catalogWith = (pairs: { image: number; titleA: string; titleB: string; same: boolean }[]) =>
  ({ labelledPairs: async () => pairs }) as unknown as CatalogRepository;

test('the match threshold comes from product-match labels once there are enough of both outcomes', async () => {
  const same = Array.from({ length: MIN_LABELS_PER_OUTCOME }, (_, i) => ({
    image: 0.7 + i * 0.01,
    titleA: 'red tote bag',
    titleB: 'red tote bag',
    same: true,
  }));
  const different = Array.from({ length: MIN_LABELS_PER_OUTCOME }, (_, i) => ({
    image: 0.2 + i * 0.01,
    titleA: 'red tote bag',
    titleB: 'navy mug',
    same: false,
  }));
  const calibrated = await thresholdFromLabels(catalogWith([...same, ...different]), 'space', 0.35);
  assert.ok(calibrated);
  assert.equal(calibrated.f1, 1);
  assert.equal(calibrated.pairs, 2 * MIN_LABELS_PER_OUTCOME);
  // Between the best "different" fused score and the worst "same" one.
  assert.ok(
    calibrated.threshold > 0.65 * 0.39 && calibrated.threshold < 0.65 * 0.7 + 0.35,
    `${calibrated.threshold}`,
  );
  assert.equal(await thresholdFromLabels(catalogWith(same.concat(different.slice(1))), 'space', 0.35), null);
});

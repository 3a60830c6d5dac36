import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededUniform } from '../training/seeded-random.ts';
import { averageLinkage, cutDendrogram } from './average-linkage.ts';

/** Textbook greedy UPGMA: join the pair of clusters with the highest mean cross similarity. */
function greedyHeights(s: Float64Array, n: number): number[] {
  let clusters = Array.from({ length: n }, (_, i) => [i]);
  const heights: number[] = [];
  while (clusters.length > 1) {
    let best = { x: 0, y: 1, score: Number.NEGATIVE_INFINITY };
    for (let x = 0; x < clusters.length; x++)
      for (let y = x + 1; y < clusters.length; y++) {
        let sum = 0;
        for (const i of clusters[x] as number[])
          for (const j of clusters[y] as number[]) sum += s[i * n + j] as number;
        const score = sum / ((clusters[x] as number[]).length * (clusters[y] as number[]).length);
        if (score > best.score) best = { x, y, score };
      }
    heights.push(best.score);
    const joined = [...(clusters[best.x] as number[]), ...(clusters[best.y] as number[])];
    clusters = clusters.filter((_, k) => k !== best.x && k !== best.y);
    clusters.push(joined);
  }
  return heights;
}

const symmetric = (n: number, seed: number) => {
  const random = seededUniform(seed);
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const v = random() * 2 - 1;
      s[i * n + j] = v;
      s[j * n + i] = v;
    }
  return s;
};

test('the nearest-neighbour chain merges at the heights greedy average linkage does', () => {
  for (const seed of [1, 2, 3]) {
    const n = 24;
    const s = symmetric(n, seed);
    const chain = averageLinkage(s, n).map((m) => m.height);
    const greedy = greedyHeights(s, n).sort((a, b) => b - a);
    assert.equal(chain.length, n - 1);
    for (const [k, h] of chain.entries())
      assert.ok(Math.abs(h - (greedy[k] as number)) < 1e-9, `merge ${k}: ${h} vs ${greedy[k]}`);
  }
});

test('one close pair does not chain two products together (single linkage would)', () => {
  // Products A = 0..2 and B = 3..5: 0.9 within, 0.2 across, except one bridge pair (2, 3) at 0.85.
  const n = 6;
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++)
      s[i * n + j] = i === j ? 1 : Math.floor(i / 3) === Math.floor(j / 3) ? 0.9 : 0.2;
  s[2 * n + 3] = 0.85;
  s[3 * n + 2] = 0.85;
  const clusters = cutDendrogram(averageLinkage(s, n), n, 0.8);
  assert.equal(new Set(clusters.slice(0, 3)).size, 1);
  assert.equal(new Set(clusters.slice(3)).size, 1);
  assert.notEqual(clusters[0], clusters[3]);
  // Cut below every merge: one cluster; above every merge: singletons.
  assert.equal(new Set(cutDendrogram(averageLinkage(s, n), n, 0)).size, 1);
  assert.equal(new Set(cutDendrogram(averageLinkage(s, n), n, 0.99)).size, n);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeGfl } from './gfl-decode.ts';

// A 64 x 64 input with one level of stride 32 (2 x 2 cells), 2 classes and reg_max 3 (4 bins).
const card = {
  input: {
    name: 'image',
    size: 64,
    channels: 'bgr' as const,
    mean: [0, 0, 0] as [number, number, number],
    std: [1, 1, 1] as [number, number, number],
  },
  decoding: { kind: 'gfl' as const, reg_max: 3, levels: [{ stride: 32, scores: 's', boxes: 'b' }] },
  classes: ['chair', 'lamp'],
};
/** Logits that put all of a side's mass on one bin. */
const sides = (bins: [number, number, number, number]) =>
  bins.flatMap((bin) => [0, 1, 2, 3].map((b) => (b === bin ? 50 : 0)));

test('a cell decodes to its centre minus and plus the expected distances, as fractions of the input', () => {
  const scores = new Float32Array(4 * 2);
  scores[3 * 2 + 1] = 0.9; // cell (1, 1): centre (48, 48), a lamp
  const boxes = new Float32Array(4 * 16);
  boxes.set(sides([1, 1, 0, 0]), 3 * 16); // 32 px to the left and to the top, 0 to the right and bottom
  const [box, ...rest] = decodeGfl(card, { s: scores, b: boxes }, { minScore: 0.3, iou: 0.5, maxBoxes: 10 });
  assert.equal(rest.length, 0);
  assert.equal(box?.label, 'lamp');
  assert.ok(Math.abs((box?.score ?? 0) - 0.9) < 1e-6);
  assert.deepEqual(
    [box?.left, box?.top, box?.width, box?.height].map((v) => Number(v?.toFixed(3))),
    [0.25, 0.25, 0.5, 0.5],
  );
  boxes.set(sides([1, 0, 0, 0]), 3 * 16);
  assert.equal(
    decodeGfl(card, { s: scores, b: boxes }, { minScore: 0.3, iou: 0.5, maxBoxes: 10 }).length,
    0,
    'no height, no box',
  );
});

test('overlapping boxes of one class keep the best; another class overlapping is kept; weak cells are dropped', () => {
  const scores = new Float32Array(4 * 2);
  scores[0 * 2 + 0] = 0.8; // cell (0, 0) chair
  scores[1 * 2 + 0] = 0.7; // cell (1, 0) chair, the same big box
  scores[2 * 2 + 1] = 0.6; // cell (0, 1) lamp, the same big box
  scores[3 * 2 + 0] = 0.2; // below the floor
  const boxes = new Float32Array(4 * 16);
  // Every cell predicts the whole 64 x 64 input: distances from its centre to the four edges.
  boxes.set(sides([1, 1, 2, 2]), 0);
  boxes.set(sides([2, 1, 1, 2]), 16);
  boxes.set(sides([1, 2, 2, 1]), 32);
  boxes.set(sides([2, 2, 1, 1]), 48);
  const found = decodeGfl(card, { s: scores, b: boxes }, { minScore: 0.3, iou: 0.5, maxBoxes: 10 });
  assert.deepEqual(
    found.map((b) => [b.label, Number(b.score.toFixed(2)), b.left, b.top, b.width, b.height]),
    [
      ['chair', 0.8, 0, 0, 1, 1],
      ['lamp', 0.6, 0, 0, 1, 1],
    ],
  );
  assert.equal(decodeGfl(card, { s: scores, b: boxes }, { minScore: 0.3, iou: 0.5, maxBoxes: 1 }).length, 1);
  assert.throws(() => decodeGfl(card, { s: scores }, { minScore: 0.3, iou: 0.5, maxBoxes: 1 }), /no output/);
});

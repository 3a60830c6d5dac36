import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  minePairs,
  multiLabelArcFace,
  multiLabelSoftmax,
  pairwiseDoubleMargin,
  softmaxCrossEntropy,
  weightedSum,
} from './grok-losses.ts';

before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

const value = (scalar: tf.Scalar) => scalar.dataSync()[0] as number;
const close = (actual: number, expected: number, tolerance = 1e-4) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${actual} is not ${expected} (±${tolerance})`);

/** Central finite differences of f at x, element by element, against tf.grad. */
function checkGradient(f: (x: tf.Tensor2D) => tf.Scalar, x: tf.Tensor2D, step = 1e-2, tolerance = 3e-3) {
  const analytic = tf
    .grad((t: tf.Tensor) => f(t as tf.Tensor2D))(x)
    .dataSync();
  const data = x.dataSync();
  for (let i = 0; i < data.length; i++) {
    const shifted = (delta: number) => {
      const copy = Float32Array.from(data);
      copy[i] = (copy[i] as number) + delta;
      return value(f(tf.tensor2d(copy, x.shape)));
    };
    const numeric = (shifted(step) - shifted(-step)) / (2 * step);
    assert.ok(
      Math.abs((analytic[i] as number) - numeric) <= tolerance,
      `d/dx[${i}]: analytic ${analytic[i]} vs numeric ${numeric}`,
    );
  }
}

describe('softmax cross-entropy (categories)', () => {
  test('matches hand-computed values; unlabelled rows add nothing', () => {
    // row 1: -log(e^3 / (e + e^2 + e^3)) = 0.4076060; row 2: log 3 = 1.0986123
    const loss = softmaxCrossEntropy(
      tf.tensor2d([
        [1, 2, 3],
        [1, 1, 1],
        [9, 0, 0],
      ]),
      tf.tensor1d([2, 0, -1], 'int32'),
    );
    close(value(loss), (0.407606 + 1.0986123) / 2);
  });
  test('gradient matches finite differences', () => {
    const labels = tf.tensor1d([0, 2, 1], 'int32');
    checkGradient(
      (x) => softmaxCrossEntropy(x, labels),
      tf.tensor2d([
        [0.3, -1.2, 0.8],
        [1.5, 0.1, -0.4],
        [0, 0.2, 0.1],
      ]),
    );
  });
});

describe('multi-label softmax (attributes, queries)', () => {
  test('spreads the target uniformly over the positive labels', () => {
    close(value(multiLabelSoftmax(tf.tensor2d([[0, 0, 0, 0]]), tf.tensor2d([[1, 1, 0, 0]]))), Math.log(4));
    // log-sum-exp(2, 0, 0) = log(e^2 + 2) = 2.2395447; targets 0 and 2 at 0.5 each
    const loss = multiLabelSoftmax(
      tf.tensor2d([
        [2, 0, 0],
        [5, 5, 5],
      ]),
      tf.tensor2d([
        [1, 0, 1],
        [0, 0, 0],
      ]),
    );
    close(value(loss), 0.5 * (2.2395447 - 2) + 0.5 * 2.2395447);
  });
  test('gradient matches finite differences', () => {
    const targets = tf.tensor2d([
      [1, 0, 1, 0],
      [0, 1, 0, 0],
    ]);
    checkGradient(
      (x) => multiLabelSoftmax(x, targets),
      tf.tensor2d([
        [0.2, -0.5, 1.1, 0.3],
        [-0.7, 0.4, 0.0, 0.9],
      ]),
    );
  });
});

describe('multi-label ArcFace (product identities)', () => {
  const centres = tf.tensor2d([
    [1, 0],
    [0, 1],
  ]);
  const options = { margin: 0.5, scale: 2 };
  test('widens the angle to positive centres by the margin', () => {
    // embedding at 60 degrees: cos to c0 = 0.5 -> cos(60deg + 0.5) = 0.0235980 (positive, widened);
    // cos to c1 = 0.8660254 (negative, unchanged). Loss = log(1 + e^(2 * (0.8660254 - 0.0235980))).
    const loss = multiLabelArcFace(
      tf.tensor2d([[0.5, Math.sqrt(3) / 2]]),
      centres,
      tf.tensor2d([[1, 0]]),
      options,
    );
    close(value(loss), Math.log(1 + Math.exp(2 * (0.8660254 - 0.023598))), 1e-3);
  });
  test('a larger margin costs more; zero margin is plain normalised softmax', () => {
    const e = tf.tensor2d([[0.6, 0.8]]);
    const targets = tf.tensor2d([[1, 0]]);
    const zero = value(multiLabelArcFace(e, centres, targets, { margin: 0, scale: 2 }));
    close(zero, Math.log(1 + Math.exp(2 * (0.8 - 0.6))), 1e-4);
    assert.ok(value(multiLabelArcFace(e, centres, targets, { margin: 0.3, scale: 2 })) > zero);
  });
  test('gradients (embeddings and centres) match finite differences', () => {
    const targets = tf.tensor2d([
      [1, 0, 1],
      [0, 1, 0],
    ]);
    const c3 = tf.tensor2d([
      [0.9, 0.2, -0.1],
      [-0.3, 0.8, 0.4],
      [0.1, -0.5, 0.9],
    ]);
    const e = tf.tensor2d([
      [0.4, 0.3, -0.8],
      [0.2, 0.9, 0.1],
    ]);
    checkGradient((x) => multiLabelArcFace(x, c3, targets, options), e);
    checkGradient((x) => multiLabelArcFace(e, x, targets, options), c3);
  });
});

describe('pairwise double-margin (embeddings)', () => {
  const options = { positiveMargin: 0.5, negativeMargin: 1 };
  test('pulls positives inside one margin and pushes negatives beyond the other', () => {
    const e = tf.tensor2d([
      [1, 0],
      [0, 1],
      [1, 0],
    ]);
    // positive (0,1): d = sqrt 2 -> 1.4142136 - 0.5; negative (0,2): d = 0 -> 1 - 0
    close(
      value(pairwiseDoubleMargin(e, { positives: [[0, 1]], negatives: [[0, 2]] }, options)),
      (0.9142136 + 1) / 2,
      1e-3,
    );
    close(value(pairwiseDoubleMargin(e, { positives: [[0, 2]], negatives: [[0, 1]] }, options)), 0, 1e-3);
    assert.equal(value(pairwiseDoubleMargin(e, { positives: [], negatives: [] }, options)), 0);
  });
  test('mines every same-product pair and the hardest negative of each anchor', () => {
    const e = tf.tensor2d([
      [1, 0],
      [0.9, 0.1],
      [0, 1],
      [0.8, 0.2],
      [1, 0.01],
    ]);
    assert.deepEqual(minePairs(e, [7, 7, 3, 5, -1]), {
      positives: [[0, 1]],
      negatives: [
        [0, 3],
        [1, 3],
      ],
    });
  });
  test('gradient matches finite differences', () => {
    const pairs = {
      positives: [[0, 1]] as [number, number][],
      negatives: [
        [0, 2],
        [1, 2],
      ] as [number, number][],
    };
    checkGradient(
      (x) => pairwiseDoubleMargin(x, pairs, { positiveMargin: 0.1, negativeMargin: 1.5 }),
      tf.tensor2d([
        [0.9, 0.3],
        [0.2, 1.1],
        [0.7, 0.6],
      ]),
    );
  });
});

test('losses combine as a weighted sum', () => {
  close(
    value(
      weightedSum([
        { loss: tf.scalar(2), weight: 0.5 },
        { loss: tf.scalar(3), weight: 2 },
      ]),
    ),
    7,
  );
});

test('every loss and its gradient agree on the wasm backend (the trainer default) and the cpu backend', async () => {
  await import('@tensorflow/tfjs-backend-wasm');
  const logits = [
    [2, -1, 0.5, 0.1],
    [0.3, 0.2, -0.4, 1.5],
    [-1, 0.7, 0.2, 0.9],
  ];
  const evaluate = () =>
    tf.tidy(() => {
      const x = tf.tensor2d(logits);
      const targets = tf.tensor2d([
        [1, 0, 1, 0],
        [0, 0, 0, 1],
        [0, 1, 0, 0],
      ]);
      const centres = tf.tensor2d([
        [1, 0, 0, 0],
        [0, 1, 0, 0],
        [0, 0, 1, 1],
        [1, 1, 0, 0],
      ]);
      const pairs = minePairs(x, [0, 0, 1]);
      const all = (t: tf.Tensor2D) =>
        weightedSum([
          { loss: softmaxCrossEntropy(t, tf.tensor1d([0, 3, 1], 'int32')), weight: 1 },
          { loss: multiLabelSoftmax(t, targets), weight: 0.5 },
          { loss: multiLabelArcFace(t, centres, targets, { margin: 0.5, scale: 30 }), weight: 1 },
          { loss: pairwiseDoubleMargin(t, pairs, { positiveMargin: 0.3, negativeMargin: 1 }), weight: 1 },
        ]);
      const gradient = tf.grad((t: tf.Tensor) => all(t as tf.Tensor2D))(x);
      return [value(all(x)), ...gradient.dataSync()];
    });
  await tf.setBackend('wasm');
  const wasm = evaluate();
  await tf.setBackend('cpu');
  const cpu = evaluate();
  assert.equal(wasm.length, cpu.length);
  wasm.forEach((v, i) => {
    close(v, cpu[i] as number, 1e-3);
  });
});

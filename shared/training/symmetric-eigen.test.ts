import assert from 'node:assert/strict';
import { test } from 'node:test';
import { symmetricEigen } from './symmetric-eigen.ts';

test('symmetricEigen: a 2x2 matrix by hand', () => {
  // [[2, 1], [1, 2]] has eigenvalues 3 (vector (1,1)/sqrt2) and 1 (vector (1,-1)/sqrt2).
  const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
  assert.ok(Math.abs((values[0] as number) - 3) < 1e-12);
  assert.ok(Math.abs((values[1] as number) - 1) < 1e-12);
  assert.ok(Math.abs(Math.abs(vectors[0] as number) - Math.SQRT1_2) < 1e-12);
  assert.ok(Math.abs((vectors[0] as number) - (vectors[2] as number)) < 1e-12);
});

test('symmetricEigen: A V = V diag(values), V orthonormal, on a dense 40x40 matrix', () => {
  const n = 40;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      const x = Math.sin(i * 7 + j * 3);
      a[i * n + j] = x;
      a[j * n + i] = x;
    }
  const { values, vectors } = symmetricEigen(a, n);
  for (let k = 1; k < n; k++) assert.ok((values[k - 1] as number) >= (values[k] as number));
  for (let c = 0; c < n; c++) {
    for (let i = 0; i < n; i++) {
      let av = 0;
      for (let k = 0; k < n; k++) av += (a[i * n + k] as number) * (vectors[k * n + c] as number);
      assert.ok(Math.abs(av - (values[c] as number) * (vectors[i * n + c] as number)) < 1e-9);
    }
    for (let d = 0; d < n; d++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += (vectors[k * n + c] as number) * (vectors[k * n + d] as number);
      assert.ok(Math.abs(dot - (c === d ? 1 : 0)) < 1e-9);
    }
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Dense } from '../model/grok/head-weights.ts';
import { fitStandardiser, foldIntoRaw, standardise, unfoldFromRaw } from './feature-standardiser.ts';

const features = Float32Array.from([0.5, 0.1, 0.9, 0.3, 0.2, 0.4, 0.7, 0.3, 0.1]);
const layer: Dense = {
  inputs: 3,
  outputs: 2,
  weight: Float32Array.from([1, -2, 0.5, 3, -1, 0.25]),
  bias: Float32Array.from([0.1, -0.2]),
};
const apply = (x: Float32Array, rows: number, d: Dense) =>
  Array.from({ length: rows * d.outputs }, (_, k) => {
    const [r, o] = [Math.floor(k / d.outputs), k % d.outputs];
    let sum = d.bias[o] as number;
    for (let i = 0; i < d.inputs; i++)
      sum += (x[r * d.inputs + i] as number) * (d.weight[i * d.outputs + o] as number);
    return sum;
  });

test('standardised features have mean 0 and scale 1 per dimension; a constant dimension stays finite', () => {
  const s = fitStandardiser(features, 3, 3);
  const z = standardise(features, 3, s);
  for (let d = 0; d < 3; d++) {
    const column = [z[d], z[3 + d], z[6 + d]] as number[];
    assert.ok(Math.abs(column.reduce((a, b) => a + b, 0)) < 1e-5);
    assert.ok(Math.abs(column.reduce((a, b) => a + b * b, 0) / 3 - 1) < 1e-4);
  }
  const constant = fitStandardiser(Float32Array.from([2, 2, 2]), 3, 1);
  assert.equal(constant.scale[0], 1);
});

test('a layer on standardised features, folded, gives the same outputs on raw features; unfold inverts fold', () => {
  const s = fitStandardiser(features, 3, 3);
  const onZ = apply(standardise(features, 3, s), 3, layer);
  const folded = foldIntoRaw(layer, s);
  for (const [k, v] of apply(features, 3, folded).entries())
    assert.ok(Math.abs(v - (onZ[k] as number)) < 1e-4);
  const back = unfoldFromRaw(folded, s);
  for (const [k, w] of back.weight.entries()) assert.ok(Math.abs(w - (layer.weight[k] as number)) < 1e-4);
  for (const [k, b] of back.bias.entries()) assert.ok(Math.abs(b - (layer.bias[k] as number)) < 1e-4);
});

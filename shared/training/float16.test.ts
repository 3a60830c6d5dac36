import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeFloat16, encodeFloat16, fromFloat16Bits, toFloat16Bits } from './float16.ts';

test('known half-precision bit patterns', () => {
  const cases: [number, number][] = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff], // largest finite half
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [Number.POSITIVE_INFINITY, 0x7c00],
    [1e6, 0x7c00], // overflow
    [1 / 3, 0x3555],
  ];
  for (const [value, bits] of cases) {
    assert.equal(toFloat16Bits(value), bits, `${value}`);
    if (Number.isFinite(value) && value < 65520)
      assert.equal(fromFloat16Bits(bits), Math.fround(fromFloat16Bits(bits)));
  }
  assert.ok(Number.isNaN(fromFloat16Bits(toFloat16Bits(Number.NaN))));
});

test('round trip keeps 11 significant bits: relative error under 2^-11 for normal values', () => {
  const values = Float32Array.from({ length: 2000 }, (_, i) => Math.sin(i * 12.9898) * 10 ** ((i % 9) - 4));
  const back = decodeFloat16(encodeFloat16(values));
  assert.equal(encodeFloat16(values).length, 4000, 'two bytes a value');
  values.forEach((v, i) => {
    if (Math.abs(v) < 2 ** -14 || Math.abs(v) > 65504) return;
    assert.ok(Math.abs((back[i] as number) - v) <= Math.abs(v) * 2 ** -11, `${v} -> ${back[i]}`);
  });
});

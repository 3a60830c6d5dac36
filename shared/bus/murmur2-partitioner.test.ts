import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Partitioners } from 'kafkajs';
import { murmur2, partitionForKey } from './murmur2-partitioner.ts';

test('murmur2 matches the Java client (Kafka UtilsTest vectors)', () => {
  const vectors: [string, number][] = [
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ];
  for (const [input, expected] of vectors) assert.equal(murmur2(Buffer.from(input)), expected, input);
});

test('keys land on the same partition as with kafkajs, so both buses agree', () => {
  const partitioner = Partitioners.DefaultPartitioner();
  for (const partitions of [1, 4, 8, 13]) {
    const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    for (let i = 0; i < 200; i++) {
      const key = `listing-${i * 7919}`;
      const expected = partitioner({ topic: 't', partitionMetadata, message: { key, value: 'v' } });
      assert.equal(partitionForKey(key, partitions), expected, `${key} over ${partitions}`);
    }
  }
});

import assert from 'node:assert/strict';
import os from 'node:os';
import { test } from 'node:test';
import { type Config, loadConfig } from '../config/load-config.ts';
import { TOPICS } from '../events/topics.ts';
import { topicPlan } from './topic-plan.ts';

const testConfigOf = (variables: Record<string, string>): Config =>
  loadConfig({ env: variables, cwd: os.tmpdir() });

test('topic plan: every topic and its dead-letter topic, partitions and retention from the configuration', () => {
  const plan = topicPlan(testConfigOf({ GROKCAT_BUS_PARTITIONS: '12', GROKCAT_BUS_RETENTION_HOURS: '24' }));
  assert.equal(plan.length, 2 * Object.keys(TOPICS).length);
  const created = plan.find((t) => t.topic === 'listings.created');
  const dlq = plan.find((t) => t.topic === 'listings.created.dlq');
  assert.deepEqual(created, { topic: 'listings.created', partitions: 12, retentionMs: 24 * 3_600_000 });
  assert.deepEqual(dlq, { topic: 'listings.created.dlq', partitions: 12, retentionMs: 720 * 3_600_000 });
  const forever = topicPlan(
    testConfigOf({ GROKCAT_BUS_RETENTION_HOURS: '0', GROKCAT_DLQ_RETENTION_HOURS: '0' }),
  );
  assert.ok(forever.every((t) => t.retentionMs === null && t.partitions === 8));
});

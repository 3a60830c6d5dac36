import type { Config } from '../config/load-config.ts';
import { deadLetterTopic, TOPICS } from '../events/topics.ts';
import type { Bus, TopicInfo, TopicSpec } from './bus.ts';

/**
 * Every topic grokcat uses and its dead-letter topic, with partitions and retention from the
 * configuration (GROKCAT_BUS_PARTITIONS, GROKCAT_BUS_RETENTION_HOURS, GROKCAT_DLQ_RETENTION_HOURS).
 * Dead-letter topics have as many partitions as their source: a replay back keeps per-key order.
 */
export function topicPlan(config: Pick<Config, 'bus'>): TopicSpec[] {
  return Object.values(TOPICS).flatMap((topic) => [
    { topic, partitions: config.bus.partitions, retentionMs: config.bus.retentionMs },
    {
      topic: deadLetterTopic(topic),
      partitions: config.bus.partitions,
      retentionMs: config.bus.deadLetterRetentionMs,
    },
  ]);
}

export interface TopicSetup {
  created: TopicSpec[];
  /** Topics that were there already, with their partitions and the planned count. */
  existing: (TopicInfo & { planned: number })[];
}

/**
 * Creates the planned topics that are missing and reports the others. An existing topic is never
 * changed: adding partitions moves keys to other partitions, which breaks per-listing order for
 * events already written; that stays an operator's decision (docs/operations.md).
 */
export async function ensureTopics(bus: Bus, plan: TopicSpec[], dryRun = false): Promise<TopicSetup> {
  const before = new Map((await bus.listTopics()).map((t) => [t.topic, t]));
  const missing = plan.filter((spec) => !before.has(spec.topic));
  if (!dryRun && missing.length > 0) await bus.createTopics(missing);
  return {
    created: missing,
    existing: plan.flatMap((spec) => {
      const found = before.get(spec.topic);
      return found ? [{ ...found, planned: spec.partitions }] : [];
    }),
  };
}

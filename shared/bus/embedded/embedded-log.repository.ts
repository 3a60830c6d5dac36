import type { Knex } from 'knex';
import type { BusMessage, PartitionOffset } from '../bus.ts';

interface RecordRow {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  timestamp: Date;
}

export interface AppendRecord {
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  timestamp: number;
}

/** SQL of the embedded log. Offsets travel as decimal strings (bigint in Postgres). */
export function createEmbeddedLogRepository(knex: Knex) {
  return {
    async topicPartitions(topic: string): Promise<number | null> {
      const row = await knex('bus_topics')
        .where({ topic })
        .first<{ partitions: number } | undefined>('partitions');
      return row?.partitions ?? null;
    },

    async listTopics(): Promise<{ topic: string; partitions: number; retentionMs: number | null }[]> {
      const rows = await knex('bus_topics')
        .orderBy('topic')
        .select<{ topic: string; partitions: number; retention_ms: string | number | null }[]>(
          'topic',
          'partitions',
          'retention_ms',
        );
      return rows.map((r) => ({
        topic: r.topic,
        partitions: r.partitions,
        retentionMs: r.retention_ms === null ? null : Number(r.retention_ms),
      }));
    },

    async createTopic(topic: string, partitions: number, retentionMs: number | null): Promise<void> {
      await knex.transaction(async (trx) => {
        const inserted = await trx('bus_topics')
          .insert({ topic, partitions, retention_ms: retentionMs })
          .onConflict('topic')
          .ignore()
          .returning('topic');
        if (inserted.length === 0) return;
        await trx('bus_partitions').insert(
          Array.from({ length: partitions }, (_, partition) => ({ topic, partition })),
        );
      });
    },

    /** Appends to one partition inside `trx`; the partition row lock orders concurrent publishers. */
    async append(
      trx: Knex.Transaction,
      topic: string,
      partition: number,
      records: AppendRecord[],
    ): Promise<void> {
      const [row] = await trx('bus_partitions')
        .where({ topic, partition })
        .increment('next_offset', records.length)
        .returning<{ next_offset: string }[]>('next_offset');
      const first = BigInt(row?.next_offset ?? 0) - BigInt(records.length);
      await trx('bus_records').insert(
        records.map((record, i) => ({
          topic,
          partition,
          offset: (first + BigInt(i)).toString(),
          key: record.key,
          value: record.value,
          headers: record.headers,
          timestamp: new Date(record.timestamp),
        })),
      );
    },

    async fetch(topic: string, partition: number, fromOffset: string, limit: number): Promise<BusMessage[]> {
      const rows = await knex('bus_records')
        .where({ topic, partition })
        .andWhere('offset', '>=', fromOffset)
        .orderBy('offset')
        .limit(limit)
        .select<RecordRow[]>('*');
      return rows.map((row) => ({
        topic: row.topic,
        partition: row.partition,
        offset: String(row.offset),
        key: row.key,
        value: row.value,
        headers: row.headers,
        timestamp: row.timestamp.getTime(),
      }));
    },

    async bounds(topic: string): Promise<{ partition: number; low: string; high: string }[]> {
      const { rows } = await knex.raw<{ rows: { partition: number; low: string | null; high: string }[] }>(
        `select p.partition, p.next_offset as high,
                (select min(r.offset) from bus_records r where r.topic = p.topic and r.partition = p.partition) as low
           from bus_partitions p where p.topic = ? order by p.partition`,
        [topic],
      );
      return rows.map((row) => ({
        partition: row.partition,
        low: String(row.low ?? row.high),
        high: String(row.high),
      }));
    },

    async offsetsForTimestamp(topic: string, timestamp: number): Promise<PartitionOffset[]> {
      const { rows } = await knex.raw<{ rows: { partition: number; offset: string }[] }>(
        `select p.partition,
                coalesce((select min(r.offset) from bus_records r
                           where r.topic = p.topic and r.partition = p.partition and r.timestamp >= ?),
                         p.next_offset) as offset
           from bus_partitions p where p.topic = ? order by p.partition`,
        [new Date(timestamp), topic],
      );
      return rows.map((row) => ({ partition: row.partition, offset: String(row.offset) }));
    },

    async groupOffsets(group: string, topic: string): Promise<PartitionOffset[]> {
      const rows = await knex('bus_group_offsets')
        .where({ group_id: group, topic })
        .orderBy('partition')
        .select<{ partition: number; next_offset: string }[]>('partition', 'next_offset');
      return rows.map((row) => ({ partition: row.partition, offset: String(row.next_offset) }));
    },

    /** Commits only while `member` holds the partition's lease; false means the partition moved on. */
    async commitIfOwner(
      group: string,
      member: string,
      topic: string,
      partition: number,
      next: string,
    ): Promise<boolean> {
      const result = await knex.raw<{ rowCount: number }>(
        `insert into bus_group_offsets (group_id, topic, partition, next_offset, updated_at)
         select ?::text, ?::text, ?::int, ?::bigint, now()
          where exists (select 1 from bus_partition_owners
                         where group_id = ? and topic = ? and partition = ? and member_id = ? and expires_at > now())
         on conflict (group_id, topic, partition) do update set next_offset = excluded.next_offset, updated_at = now()`,
        [group, topic, partition, next, group, topic, partition, member],
      );
      return result.rowCount > 0;
    },

    /** Records the member's heartbeat, forgets members silent for longer than the session, lists the live ones. */
    async heartbeat(group: string, member: string, topics: string[], sessionMs: number): Promise<string[]> {
      return knex.transaction(async (trx) => {
        await trx('bus_group_members')
          .insert({ group_id: group, member_id: member, topics, heartbeat_at: trx.fn.now() })
          .onConflict(['group_id', 'member_id'])
          .merge(['heartbeat_at', 'topics']);
        await trx('bus_group_members')
          .where({ group_id: group })
          .andWhere('heartbeat_at', '<', trx.raw("now() - (? * interval '1 millisecond')", [sessionMs]))
          .delete();
        const rows = await trx('bus_group_members')
          .where({ group_id: group })
          .orderBy('member_id')
          .select('member_id');
        return rows.map((row: { member_id: string }) => row.member_id);
      });
    },

    /** Takes or renews the lease of each partition that is free, expired or already ours; returns those held. */
    async claim(
      group: string,
      member: string,
      wanted: { topic: string; partition: number }[],
      leaseMs: number,
    ) {
      const held: { topic: string; partition: number }[] = [];
      for (const { topic, partition } of wanted) {
        const { rows } = await knex.raw<{ rows: unknown[] }>(
          `insert into bus_partition_owners (group_id, topic, partition, member_id, expires_at)
           values (?, ?, ?, ?, now() + (? * interval '1 millisecond'))
           on conflict (group_id, topic, partition) do update
              set member_id = excluded.member_id, expires_at = excluded.expires_at
            where bus_partition_owners.member_id = excluded.member_id or bus_partition_owners.expires_at < now()
           returning 1`,
          [group, topic, partition, member, leaseMs],
        );
        if (rows.length > 0) held.push({ topic, partition });
      }
      return held;
    },

    async release(
      group: string,
      member: string,
      partitions?: { topic: string; partition: number }[],
    ): Promise<void> {
      const query = knex('bus_partition_owners').where({ group_id: group, member_id: member });
      if (partitions) {
        if (partitions.length === 0) return;
        query.whereIn(
          ['topic', 'partition'],
          partitions.map((p) => [p.topic, p.partition]),
        );
      }
      await query.delete();
    },

    async leave(group: string, member: string): Promise<void> {
      await knex('bus_group_members').where({ group_id: group, member_id: member }).delete();
      await knex('bus_partition_owners').where({ group_id: group, member_id: member }).delete();
    },

    /** Deletes records older than each topic's retention; returns how many went. */
    async enforceRetention(): Promise<number> {
      const result = await knex.raw<{ rowCount: number }>(
        `delete from bus_records r using bus_topics t
          where r.topic = t.topic and t.retention_ms is not null
            and r.timestamp < now() - (t.retention_ms * interval '1 millisecond')`,
      );
      return result.rowCount;
    },
  };
}

export type EmbeddedLogRepository = ReturnType<typeof createEmbeddedLogRepository>;

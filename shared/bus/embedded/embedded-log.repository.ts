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

    /**
     * Up to `limit` records from `fromOffset` and the partition's high watermark, read in one
     * statement (one snapshot: the watermark is never behind the records returned).
     */
    async fetchWithHigh(
      topic: string,
      partition: number,
      fromOffset: string,
      limit: number,
    ): Promise<{ messages: BusMessage[]; high: string }> {
      const { rows } = await knex.raw<{
        rows: (Omit<RecordRow, 'offset'> & { offset: string | null; high: string })[];
      }>(
        `select p.next_offset as high, r.offset, r.key, r.value, r.headers, r.timestamp
           from bus_partitions p
           left join lateral (select "offset", key, value, headers, timestamp from bus_records b
                               where b.topic = p.topic and b.partition = p.partition and b."offset" >= ?
                               order by b."offset" limit ?) r on true
          where p.topic = ? and p.partition = ?
          order by r.offset`,
        [fromOffset, limit, topic, partition],
      );
      const high = String(rows[0]?.high ?? fromOffset);
      const messages = rows
        .filter((row) => row.offset !== null)
        .map((row) => ({
          topic,
          partition,
          offset: String(row.offset),
          key: row.key,
          value: row.value,
          headers: row.headers,
          timestamp: row.timestamp.getTime(),
        }));
      return { messages, high };
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

    /**
     * Records the member's heartbeat, forgets members silent for longer than the session, lists the
     * live ones (this one included). One statement: every part sees the same snapshot, so the list
     * filters on the heartbeat rather than on what the delete left.
     */
    async heartbeat(group: string, member: string, topics: string[], sessionMs: number): Promise<string[]> {
      const { rows } = await knex.raw<{ rows: { member_id: string }[] }>(
        `with beat as (
           insert into bus_group_members (group_id, member_id, topics, heartbeat_at)
           values (?, ?, ?::text[], now())
           on conflict (group_id, member_id) do update set heartbeat_at = excluded.heartbeat_at, topics = excluded.topics
           returning member_id),
         gone as (
           delete from bus_group_members
            where group_id = ? and member_id <> ? and heartbeat_at < now() - (? * interval '1 millisecond')
           returning member_id)
         select member_id from bus_group_members
          where group_id = ? and member_id <> ? and heartbeat_at >= now() - (? * interval '1 millisecond')
         union
         select member_id from beat
         order by member_id`,
        [group, member, topics, group, member, sessionMs, group, member, sessionMs],
      );
      return rows.map((row) => row.member_id);
    },

    /** Takes or renews the lease of each partition that is free, expired or already ours; returns those held. */
    async claim(
      group: string,
      member: string,
      wanted: { topic: string; partition: number }[],
      leaseMs: number,
    ) {
      if (wanted.length === 0) return [];
      const { rows } = await knex.raw<{ rows: { topic: string; partition: number }[] }>(
        `insert into bus_partition_owners (group_id, topic, partition, member_id, expires_at)
         select ?, t.topic, t.partition, ?, now() + (? * interval '1 millisecond')
           from unnest(?::text[], ?::int[]) as t(topic, partition)
         on conflict (group_id, topic, partition) do update
            set member_id = excluded.member_id, expires_at = excluded.expires_at
          where bus_partition_owners.member_id = excluded.member_id or bus_partition_owners.expires_at < now()
         returning topic, partition`,
        [group, member, leaseMs, wanted.map((w) => w.topic), wanted.map((w) => w.partition)],
      );
      const held = new Set(rows.map((r) => `${r.topic}\u0000${r.partition}`));
      return wanted.filter((w) => held.has(`${w.topic}\u0000${w.partition}`));
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

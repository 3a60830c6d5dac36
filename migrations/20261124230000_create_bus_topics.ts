import type { Knex } from 'knex';

// The embedded bus (no KAFKA_BROKERS): a durable partitioned log kept in this database.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('bus_topics', (table) => {
    table.text('topic').primary();
    table.integer('partitions').notNullable();
    table.check('partitions between 1 and 1024', [], 'bus_topics_partitions_check');
    table
      .bigInteger('retention_ms')
      .nullable()
      .comment('records older than this are deleted; null keeps them');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('bus_topics');
}

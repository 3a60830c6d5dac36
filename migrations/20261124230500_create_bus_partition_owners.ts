import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // A lease per partition and group: only its holder processes and commits the partition, so two
  // members never work on one partition at once; a dead member's lease simply expires.
  await knex.schema.createTable('bus_partition_owners', (table) => {
    table.text('group_id').notNullable();
    table.text('topic').notNullable();
    table.integer('partition').notNullable();
    table.text('member_id').notNullable();
    table.timestamp('expires_at', { useTz: true }).notNullable();
    table.primary(['group_id', 'topic', 'partition']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('bus_partition_owners');
}

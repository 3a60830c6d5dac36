import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('bus_group_offsets', (table) => {
    table.text('group_id').notNullable();
    table.text('topic').notNullable();
    table.integer('partition').notNullable();
    table.bigInteger('next_offset').notNullable().comment('the next record the group will read, as in Kafka');
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['group_id', 'topic', 'partition']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('bus_group_offsets');
}

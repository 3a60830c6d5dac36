import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('bus_group_members', (table) => {
    table.text('group_id').notNullable();
    table.text('member_id').notNullable();
    table.specificType('topics', 'text[]').notNullable();
    table.timestamp('heartbeat_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['group_id', 'member_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('bus_group_members');
}

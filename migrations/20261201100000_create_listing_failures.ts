import type { Knex } from 'knex';

// Why a listing was dead-lettered, so its status can say failed instead of looking pending forever.
// No foreign key: a listing refused before the enricher wrote it has no listings row.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('listing_failures', (table) => {
    table.text('listing_id').primary().comment('the event key: the listing id');
    table.text('code').notNullable().comment('error catalogue code');
    table.text('reason').notNullable();
    table.text('topic').notNullable().comment('the topic the failed event came from');
    table.text('origin').notNullable().comment('topic/partition/offset of the failed event');
    table.timestamp('failed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('listing_failures');
}

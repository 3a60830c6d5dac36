import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('bus_partitions', (table) => {
    table.text('topic').notNullable().references('topic').inTable('bus_topics').onDelete('CASCADE');
    table.integer('partition').notNullable();
    // Publishers take this row's lock to number their records: offsets are gap-free and in commit order.
    table.bigInteger('next_offset').notNullable().defaultTo(0);
    table.primary(['topic', 'partition']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('bus_partitions');
}

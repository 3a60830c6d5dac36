import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('bus_records', (table) => {
    table.text('topic').notNullable();
    table.integer('partition').notNullable();
    table.bigInteger('offset').notNullable();
    table.text('key').nullable();
    table.binary('value').notNullable();
    table.jsonb('headers').notNullable().defaultTo('{}');
    table.timestamp('timestamp', { useTz: true }).notNullable();
    table.primary(['topic', 'partition', 'offset']);
    table
      .foreign(['topic', 'partition'])
      .references(['topic', 'partition'])
      .inTable('bus_partitions')
      .onDelete('CASCADE');
    table.index(['topic', 'partition', 'timestamp']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('bus_records');
}

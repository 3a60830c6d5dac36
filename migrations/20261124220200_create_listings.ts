import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('listings', (table) => {
    table.text('id').primary().comment("the marketplace's listing id, also the event key");
    table.text('title').notNullable().defaultTo('');
    table.text('description').notNullable().defaultTo('');
    table.bigInteger('price_minor').nullable().comment('asking price in minor units (cents)');
    table.specificType('currency', 'char(3)').nullable().comment('ISO 4217');
    table.check('price_minor is null or price_minor >= 0', [], 'listings_price_check');
    table.check('(price_minor is null) = (currency is null)', [], 'listings_price_currency_check');
    table.text('seller_id').nullable();
    table.text('marketplace_category').nullable().comment("the seller's own category, if any");
    table.text('source_event_id').nullable().comment('the event that last wrote this row');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('listings');
}

import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('price_suggestions', (table) => {
    table.bigIncrements('id').primary();
    table.text('listing_id').notNullable().references('id').inTable('listings').onDelete('CASCADE');
    table.text('model_version').notNullable().references('version').inTable('model_versions');
    table.text('status').notNullable();
    table.check("status in ('suggested', 'insufficient_data')", [], 'price_suggestions_status_check');
    table.bigInteger('price_minor').nullable();
    table.bigInteger('low_minor').nullable();
    table.bigInteger('high_minor').nullable();
    table.specificType('currency', 'char(3)').nullable();
    table.float('confidence').nullable();
    table.text('method').notNullable().comment('how the price was found, e.g. product_median');
    table
      .jsonb('comparables')
      .notNullable()
      .defaultTo('[]')
      .comment('[{ listing_id, similarity, price_minor }]');
    table.text('reason').nullable().comment('why there is no suggestion, when there is none');
    table.check(
      "status <> 'suggested' or (price_minor is not null and currency is not null)",
      [],
      'price_suggestions_price_check',
    );
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.unique(['listing_id', 'model_version']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('price_suggestions');
}

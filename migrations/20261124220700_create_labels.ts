import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('labels', (table) => {
    table.bigIncrements('id').primary();
    table.text('event_id').notNullable().unique().comment('the label event, so a redelivery is a no-op');
    table.text('kind').notNullable();
    table.check(
      "kind in ('category', 'attributes', 'product_match', 'query_click')",
      [],
      'labels_kind_check',
    );
    // Not a foreign key: a label may arrive before the listing it names.
    table.text('listing_id').nullable();
    table.text('image_ref').nullable();
    table.jsonb('payload').notNullable();
    table
      .text('source')
      .notNullable()
      .defaultTo('unknown')
      .comment('who labelled: console user, API key, import');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('received_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.index(['kind', 'created_at']);
    table.index(['listing_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('labels');
}

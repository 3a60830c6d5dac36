import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Page photos and the catalogue products found in them (photos.tagged), for look-ups and evaluation.
  await knex.schema.createTable('photo_tags', (table) => {
    table.text('photo_id').notNullable();
    table.text('model_version').notNullable().references('version').inTable('model_versions');
    table.text('page_id').nullable();
    table.text('image_ref').notNullable();
    table.text('category').notNullable();
    table
      .jsonb('products')
      .notNullable()
      .defaultTo('[]')
      .comment('[{ product_id, listing_id, score }] best first');
    table.text('source_event_id').notNullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['photo_id', 'model_version']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('photo_tags');
}

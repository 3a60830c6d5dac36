import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('enrichments', (table) => {
    table.bigIncrements('id').primary();
    table.text('listing_id').notNullable().references('id').inTable('listings').onDelete('CASCADE');
    table.text('model_version').notNullable().references('version').inTable('model_versions');
    table.text('category').notNullable();
    table.float('category_confidence').notNullable();
    table.check('category_confidence between 0 and 1', [], 'enrichments_confidence_check');
    table
      .jsonb('attributes')
      .notNullable()
      .defaultTo('{}')
      .comment('{ group: [{ label, p }] } above threshold');
    table.jsonb('queries').notNullable().defaultTo('[]').comment('[{ query, p }] likely search queries');
    // No fixed dimension: each model version has its own D, and its HNSW index is built on a cast
    // `(embedding::vector(D))` restricted to that version.
    table.specificType('embedding', 'vector').notNullable().comment('L2-normalised');
    table.bigInteger('product_id').nullable().references('id').inTable('products').onDelete('SET NULL');
    table.text('source_event_id').nullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.unique(['listing_id', 'model_version']);
    table.index(['product_id']);
    table.index(['model_version', 'category']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('enrichments');
}

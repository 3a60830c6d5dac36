import type { Knex } from 'knex';

// The crops of recently tagged page photos, per embedding space: the pool against which each
// product's usual similarity to page photos is measured (hubness correction, docs/catalog.md).
// Pruned to GROKCAT_TAG_HUB_POOL rows per space by the enricher.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('page_photo_regions', (table) => {
    table.bigIncrements('id').primary();
    table.text('embedding_space').notNullable();
    table.text('photo_id').notNullable();
    table.smallint('region').notNullable().comment('index in the photo: 0 the whole photo, then its crops');
    table.specificType('embedding', 'vector').notNullable().comment('L2-normalised');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.unique(['embedding_space', 'photo_id', 'region']);
    table.index(['embedding_space', 'id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('page_photo_regions');
}

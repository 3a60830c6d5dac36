import type { Knex } from 'knex';

// A product's members and price comparables are its most recently updated listings: this index
// reads them in order, so a product of thousands of listings costs what a small one does.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('listings', (table) => {
    table.index(['product_id', 'updated_at'], 'listings_product_id_updated_at_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('listings', (table) => {
    table.dropIndex(['product_id', 'updated_at'], 'listings_product_id_updated_at_index');
  });
}

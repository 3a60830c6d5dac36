import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('listings', (table) => {
    // The listing's canonical product: sticky once set (a later model run may merge products but
    // never moves a listing out of its product; a label may).
    table.bigInteger('product_id').nullable().references('id').inTable('products').onDelete('SET NULL');
    table.index(['product_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('listings', (table) => {
    table.dropIndex(['product_id']);
    table.dropColumn('product_id');
  });
}

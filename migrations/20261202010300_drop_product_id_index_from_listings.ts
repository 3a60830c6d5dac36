import type { Knex } from 'knex';

// (product_id, updated_at) serves every lookup by product; with this one beside it the planner read a
// popular product's listings whole and sorted them rather than the newest few in index order.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('listings', (table) => {
    table.dropIndex(['product_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('listings', (table) => {
    table.index(['product_id']);
  });
}

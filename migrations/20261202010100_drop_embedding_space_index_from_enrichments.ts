import type { Knex } from 'knex';

// One value per embedding space: the planner used this index to join a product's listings to the
// whole space's enrichments (66 million tuples read in a flood of 500 listings, issue 21). Queries
// reach enrichments by listing id or by the space's HNSW index instead.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('enrichments', (table) => {
    table.dropIndex(['embedding_space']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('enrichments', (table) => {
    table.index(['embedding_space']);
  });
}

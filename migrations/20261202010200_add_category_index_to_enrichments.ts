import type { Knex } from 'knex';

// The category price sample (the newest listings predicted in one category, then those of the
// space) is read in order by this index. The embedding space is left out on purpose: a btree led by
// or holding it (one value per model) is one the planner ANDs into every lookup of one listing's
// enrichment, reading the whole space's entries each time (measured with EXPLAIN ANALYZE, issue 21).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('enrichments', (table) => {
    table.index(['category', 'updated_at'], 'enrichments_category_updated_at_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('enrichments', (table) => {
    table.dropIndex(['category', 'updated_at'], 'enrichments_category_updated_at_index');
  });
}

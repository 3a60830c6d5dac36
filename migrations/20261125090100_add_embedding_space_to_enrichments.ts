import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('enrichments', (table) => {
    // Nearest-neighbour queries filter on it: embeddings of two projections are never compared.
    table.text('embedding_space').nullable().comment("the model card's embedding space");
    table.index(['embedding_space']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('enrichments', (table) => {
    table.dropIndex(['embedding_space']);
    table.dropColumn('embedding_space');
  });
}

import type { Knex } from 'knex';

// Open-set answers (docs/model.md): false when the model declared the listing's photos outside
// what it knows; the category column then holds its closest guess, not a label to trust.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('enrichments', (table) => {
    table
      .boolean('category_known')
      .notNullable()
      .defaultTo(true)
      .comment('false: the model said it does not know this kind of photo');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('enrichments', (table) => {
    table.dropColumn('category_known');
  });
}

import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('listings', (table) => {
    // listings.created v2: price suggestions compare like with like (a used item against new ones).
    table.text('condition').nullable();
    table.check(
      "condition is null or condition in ('new', 'like_new', 'used', 'for_parts')",
      [],
      'listings_condition_check',
    );
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('listings', (table) => {
    table.dropChecks(['listings_condition_check']);
    table.dropColumn('condition');
  });
}

import type { Knex } from 'knex';

// Inline photos arrive inside the event and cannot be fetched again: their bytes are kept here
// (at most 256 KiB each, the event schema's bound). URL and file photos keep only their reference.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('listing_images', (table) => {
    table.binary('inline_bytes').nullable().comment('bytes of an inline photo that decoded');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('listing_images', (table) => {
    table.dropColumn('inline_bytes');
  });
}

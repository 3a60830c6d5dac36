import type { Knex } from 'knex';

// Objects the model folder's detector found in a page photo, each with the product its crop
// matched (the `boxes` of photos.tagged v3); empty when the photo was searched by the fixed grid.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('photo_tags', (table) => {
    table
      .jsonb('boxes')
      .notNullable()
      .defaultTo('[]')
      .comment('[{ label, score, left, top, width, height, product_id, listing_id, similarity }]');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('photo_tags', (table) => {
    table.dropColumn('boxes');
  });
}

import type { Knex } from 'knex';

// Trunk features per image, so that retraining the heads never runs the trunk again.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('image_features', (table) => {
    table.text('image_sha256').notNullable().comment('of the image bytes');
    table.text('extractor').notNullable().comment('what produced them: trunk, cut, pooling, version');
    table.integer('dims').notNullable();
    table.text('encoding').notNullable().defaultTo('f16');
    table.check("encoding in ('f16')", [], 'image_features_encoding_check');
    table.binary('features').notNullable().comment('little-endian half floats');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.primary(['image_sha256', 'extractor']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('image_features');
}

import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('products', (table) => {
    table.bigIncrements('id').primary().comment('a canonical product: one cluster of duplicate listings');
    table.text('category').nullable();
    table.text('title').nullable();
    table
      .bigInteger('representative_image_id')
      .nullable()
      .references('id')
      .inTable('listing_images')
      .onDelete('SET NULL');
    table
      .bigInteger('merged_into')
      .nullable()
      .references('id')
      .inTable('products')
      .comment('set when a transitive match merged this product into another (union-find)');
    table.integer('listing_count').notNullable().defaultTo(0);
    table.text('model_version').nullable().references('version').inTable('model_versions');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.index(['merged_into']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('products');
}

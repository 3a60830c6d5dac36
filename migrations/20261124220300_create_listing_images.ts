import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('listing_images', (table) => {
    table.bigIncrements('id').primary();
    table.text('listing_id').notNullable().references('id').inTable('listings').onDelete('CASCADE');
    table.integer('position').notNullable().comment("order within the listing's photos");
    table.text('ref_kind').notNullable();
    table.check("ref_kind in ('url', 'file', 'inline')", [], 'listing_images_ref_kind_check');
    table.text('ref').notNullable().comment('URL or path; inline images are stored as sha256:<hex>');
    table.text('sha256').nullable().comment('of the fetched bytes');
    table.integer('width').nullable();
    table.integer('height').nullable();
    table.text('status').notNullable().defaultTo('pending');
    table.check("status in ('pending', 'ok', 'failed')", [], 'listing_images_status_check');
    table.text('error_code').nullable();
    table.text('error_message').nullable();
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.unique(['listing_id', 'position']);
    table.index(['sha256']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('listing_images');
}

import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('api_keys', (table) => {
    table.text('id').primary().comment('public id, also the first part of the key after gk_');
    table.text('name').notNullable().comment('who or what uses the key; the source of its label events');
    // sha256 of the whole key: keys are 256 random bits, so a slow password hash adds nothing.
    table.text('key_hash').notNullable().unique();
    table.specificType('scopes', 'text[]').notNullable().defaultTo('{read,write}');
    table.integer('rate_limit').nullable().comment('requests per minute; null: GROKCAT_API_RATE_LIMIT');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('last_used_at', { useTz: true }).nullable();
    table.timestamp('revoked_at', { useTz: true }).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('api_keys');
}

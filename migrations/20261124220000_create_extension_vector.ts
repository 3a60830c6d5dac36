import type { Knex } from 'knex';

// pgvector holds every embedding; openDatabase checks first that the server has it to install.
export async function up(knex: Knex): Promise<void> {
  await knex.raw('CREATE EXTENSION IF NOT EXISTS vector');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP EXTENSION IF EXISTS vector');
}

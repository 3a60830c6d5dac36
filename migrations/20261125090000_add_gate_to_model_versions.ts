import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('model_versions', (table) => {
    table
      .jsonb('gate')
      .nullable()
      .comment('the publish decision: pass, the serving metrics compared, regressions, cleaning report');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('model_versions', (table) => {
    table.dropColumn('gate');
  });
}

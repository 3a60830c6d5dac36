import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('model_versions', (table) => {
    table.text('version').primary();
    table.text('status').notNullable().defaultTo('candidate');
    table.check(
      "status in ('candidate', 'serving', 'retired', 'rejected')",
      [],
      'model_versions_status_check',
    );
    table.text('artifact_uri').notNullable().comment('where the ONNX file lives');
    table.text('sha256').nullable().comment('of the ONNX file, checked before serving');
    table.jsonb('card').notNullable().comment('the model card: labels, thresholds, preprocessing, D');
    table.jsonb('metrics').notNullable().defaultTo('{}');
    table.text('parent_version').nullable().references('version').inTable('model_versions');
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('published_at', { useTz: true }).nullable();
  });
  // At most one version serves at a time; a rollback flips two rows in one transaction.
  await knex.raw(
    "CREATE UNIQUE INDEX model_versions_one_serving ON model_versions ((true)) WHERE status = 'serving'",
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('model_versions');
}

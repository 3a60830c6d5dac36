import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('training_runs', (table) => {
    table.bigIncrements('id').primary();
    table.text('trigger').notNullable().comment('labels (enough new ones), command (grokcat train)');
    table.text('dataset').notNullable().comment('labels, fashion-mnist or a dataset folder');
    table.text('status').notNullable().defaultTo('running');
    table.check(
      "status in ('running', 'published', 'kept', 'rejected', 'failed')",
      [],
      'training_runs_status_check',
    );
    table.bigInteger('labels_through').nullable().comment('the highest labels.id the run saw');
    table.text('candidate_version').nullable();
    table.jsonb('metrics').notNullable().defaultTo('{}');
    table.jsonb('report').notNullable().defaultTo('{}').comment('cleaning, gate, row counts, timings');
    table.text('error').nullable();
    table.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    table.timestamp('finished_at', { useTz: true }).nullable();
    table.index(['started_at']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('training_runs');
}

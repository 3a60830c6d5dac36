import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { createEventPublisher } from '../../../shared/bus/event-publisher.ts';
import { openBus, openCodec } from '../../../shared/bus/open-bus.ts';
import { openDatabase } from '../../../shared/db/open-database.ts';
import { GrokcatError } from '../../../shared/errors/error-catalogue.ts';
import { saveHeadWeights } from '../../../shared/model/grok/head-weights.ts';
import { embeddingSpace } from '../../../shared/model/grok/model-card.ts';
import { createModelRegistry, ensureServingModel } from '../../../shared/model/model-registry.repository.ts';
import { REFERENCE_ASSETS } from '../../../shared/model/model-store.ts';
import { trainReferenceHeads } from '../../../shared/model/reference/train-reference-heads.ts';
import { DEFAULT_CUTS, importTrunk } from '../../../shared/model/trunk/import-trunk.ts';
import type { TrunkName } from '../../../shared/model/trunk/nsfwjs-models.ts';
import { rollbackModel } from '../../../shared/training/model-rollback.ts';
import { ensureEmbeddedTopics } from '../../system/system.ts';
import { runCommand } from '../command-runtime.ts';
import { registerImportDetectorCommand } from './model-detector.command.ts';

const count = (value: string) => Number.parseInt(value, 10);

export function registerModelCommands(program: Command): void {
  const model = program.command('model').description('import trunks and build grokcat models');
  registerImportDetectorCommand(model);
  model
    .command('import-trunk')
    .description('convert an ImageNet trunk shipped in nsfwjs to ONNX, check it against Keras, cache it')
    .option('--trunk <name>', 'mobilenet_v2 or inception_v3', 'mobilenet_v2')
    .option('--cut <layer>', 'Keras layer whose feature map the trunk ends at (default per trunk)')
    .option('--force', 'convert again even when a checked artifact is cached')
    .option('--json', 'print the result as one JSON line')
    .action(
      runCommand(
        async ({ config, log, print }, options: { trunk: string; cut?: string; force?: boolean }) => {
          if (!(options.trunk in DEFAULT_CUTS)) {
            throw new GrokcatError(
              'USAGE_INVALID',
              `unknown trunk ${options.trunk}: mobilenet_v2 or inception_v3`,
            );
          }
          const trunk = await importTrunk({
            home: config.home,
            trunk: options.trunk as TrunkName,
            ...(options.cut ? { cut: options.cut } : {}),
            log,
            force: options.force === true,
          });
          print(
            { ok: true, ...trunk },
            `${trunk.trunk} cut at ${trunk.cut}: features ${trunk.featureShape.join('x')}, ${(trunk.macs / 1e6).toFixed(0)} M multiply-adds/image\n` +
              `checked on ${trunk.check.images} images: max relative error ${trunk.check.maxRelativeError.toExponential(2)}` +
              `${trunk.cached ? ' (cached)' : ''}\n${trunk.onnxPath}`,
          );
        },
      ),
    );

  model
    .command('train-reference')
    .description(
      'train the reference heads on Fashion-MNIST (Debian dataset-fashion-mnist) and write them as the shipped assets',
    )
    .option('--per-class <n>', 'training images per class', count, 1000)
    .option('--test-per-class <n>', 'test images per class', count, 100)
    .option('--epochs <n>', 'the most epochs per fit (early stopping picks fewer)', count, 60)
    .option('--out <dir>', 'where to write the heads and card', REFERENCE_ASSETS)
    .option('--json', 'print the result as one JSON line')
    .action(
      runCommand(
        async (
          { log, print },
          options: { perClass: number; testPerClass: number; epochs: number; out: string },
        ) => {
          const { heads, card } = await trainReferenceHeads({
            perClass: options.perClass,
            testPerClass: options.testPerClass,
            epochs: options.epochs,
            log,
          });
          saveHeadWeights(path.join(options.out, 'heads'), heads);
          writeFileSync(path.join(options.out, 'card.json'), `${JSON.stringify(card, null, 2)}\n`);
          print(
            { ok: true, version: card.version, metrics: card.metrics, out: options.out },
            `${card.version}: ${JSON.stringify(card.metrics)}\nwritten to ${options.out}`,
          );
        },
      ),
    );

  model
    .command('list')
    .description('model versions, newest first: status, metrics, embedding space')
    .option('--json', 'print the result as one JSON line')
    .action(
      runCommand(async ({ config, log, print }) => {
        const database = await openDatabase(config, { log });
        try {
          await ensureServingModel(config, database.knex, log);
          const rows = await createModelRegistry(database.knex).list();
          const versions = rows.map((row) => ({
            version: row.version,
            status: row.status,
            created_at: row.created_at,
            published_at: row.published_at,
            embedding_space: embeddingSpace(row.card),
            metrics: row.metrics,
            gate: row.gate,
          }));
          print(
            { ok: true, versions },
            versions
              .map((v) => `${v.status.padEnd(9)} ${v.version}  ${JSON.stringify(v.metrics)}`)
              .join('\n'),
          );
        } finally {
          await database.close();
        }
      }),
    );

  model
    .command('rollback <version>')
    .description(
      'serve an earlier version again; enrichers hot-swap to it (models.published, action ROLLBACK)',
    )
    .option('--force', 'also serve a version the gate refused')
    .option('--json', 'print the result as one JSON line')
    .addHelpText('after', '\nExample:\n  grokcat model rollback reference-fmnist-v3')
    .action(
      runCommand(async ({ config, log, print }, version: string, options: { force?: boolean }) => {
        const database = await openDatabase(config, { log });
        const bus = openBus(config, { database, log });
        try {
          await ensureEmbeddedTopics(bus, config);
          await ensureServingModel(config, database.knex, log);
          const { previous_version, backfill_required: backfill } = await rollbackModel({
            knex: database.knex,
            publisher: createEventPublisher({ bus, codec: openCodec(config) }),
            version,
            force: options.force === true,
          });
          print(
            { ok: true, version, previous_version, backfill_required: backfill },
            `${version} serves again (was ${previous_version ?? 'none'})` +
              (backfill
                ? `\nits embedding space differs: run a backfill: grokcat replay --topic listings.created --from earliest`
                : ''),
          );
        } finally {
          await bus.close();
          await database.close();
        }
      }),
    );
}

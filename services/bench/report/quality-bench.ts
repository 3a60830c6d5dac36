import path from 'node:path';
import { createEventPublisher } from '../../../shared/bus/event-publisher.ts';
import { openCodec } from '../../../shared/bus/open-bus.ts';
import { createCatalogRepository } from '../../../shared/catalog/catalog.repository.ts';
import type { Config } from '../../../shared/config/load-config.ts';
import type { Logger } from '../../../shared/log/logger.ts';
import { embeddingSpace } from '../../../shared/model/grok/model-card.ts';
import type { ModelRuntime } from '../../../shared/model/model-runtime.ts';
import { evaluateFashionMnist } from '../../../shared/training/evaluate-fashion-mnist.ts';
import { evaluateReference } from '../../../shared/training/evaluate-reference.ts';
import { loadLabelledDataset } from '../../../shared/training/load-dataset.ts';
import { runTrainingJob, trainingSettings } from '../../../shared/training/training-job.ts';
import { evaluateGrocery } from '../../catalog-eval/dataset-eval.ts';
import { evaluateDemo, readGroundTruth } from '../../catalog-eval/demo-eval.ts';
import { evaluateRoomScenes } from '../../catalog-eval/room-scene-eval.ts';
import { evaluateSearch } from '../../catalog-eval/search-eval.ts';
import { configuredMatchSettings } from '../../cataloger/canonicalize.ts';
import { demoFolder, runDemo } from '../../demo/demo-run.ts';
import { startSystem } from '../../system/system.ts';
import { datasetsAvailable } from '../datasets.ts';

/**
 * Published Fashion-MNIST test accuracies to set ours against (quoted, not re-measured): the
 * scikit-learn baselines of the dataset's paper (Xiao, Rasul, Vollgraf 2017, arXiv:1708.07747) and
 * rows of the benchmark table in github.com/zalandoresearch/fashion-mnist's README.
 */
export const FASHION_MNIST_PUBLISHED = [
  {
    method: 'Human performance (crowd-sourced, 1,000 test images)',
    top1: 0.835,
    source: 'fashion-mnist README',
  },
  { method: 'Logistic regression on pixels (best of the grid)', top1: 0.842, source: 'Xiao et al. 2017' },
  { method: 'SVC, RBF kernel, on pixels (best of the grid)', top1: 0.897, source: 'Xiao et al. 2017' },
  { method: '2 conv layers, < 100K parameters', top1: 0.925, source: 'fashion-mnist README' },
  { method: 'ResNet18, with augmentation', top1: 0.949, source: 'fashion-mnist README' },
  { method: 'MobileNet, horizontal flips', top1: 0.95, source: 'fashion-mnist README' },
  { method: 'WRN40-4 (8.9M parameters), with augmentation', top1: 0.967, source: 'fashion-mnist README' },
] as const;

export interface QualityOptions {
  /** The bench's own configuration (a temporary home, the served model pinned). */
  config: Config;
  log: Logger;
  runtime: ModelRuntime;
  demoListings: number;
  datasetsDir: string;
  /** Train heads on each dataset's dev split (minutes) for its category accuracy. */
  trainOnDatasets: boolean;
  fashionLimit?: number;
  onStep?: (step: string) => void;
}

/**
 * Quality as a user sees it: the category accuracy of the serving model on Fashion-MNIST against
 * the published table; canonicalization F1 of the pipeline against perceptual hashes and price
 * error against the category median on a demo marketplace with known truth; and, where
 * ../shared/datasets is present, the same measures on real product photos.
 */
export async function benchQuality(options: QualityOptions) {
  const { config, log, runtime } = options;
  options.onStep?.('Fashion-MNIST test images');
  const fashion = await evaluateFashionMnist({
    runtime,
    log,
    ...(options.fashionLimit ? { limit: options.fashionLimit } : {}),
  });

  options.onStep?.(`demo marketplace of ${options.demoListings} listings`);
  const system = await startSystem({
    config,
    log,
    services: ['enricher', 'cataloger', 'trainer'],
    api: false,
  });
  try {
    const summary = await runDemo({
      ...system,
      config,
      codec: openCodec(config),
      log,
      listings: options.demoListings,
    });
    const demo = await evaluateDemo({
      truth: readGroundTruth(demoFolder(config), summary.run),
      catalog: createCatalogRepository(system.database.knex),
      space: embeddingSpace(runtime.files.card),
      match: configuredMatchSettings(config.catalog),
      neighbours: config.catalog.neighbours,
    });

    const datasets: Record<string, unknown> = {};
    if (!datasetsAvailable(options.datasetsDir)) {
      datasets.skipped = `no labelled photo sets at ${options.datasetsDir}`;
    } else {
      options.onStep?.('the serving model on real photos');
      datasets.reference = await evaluateReference({
        runtime,
        datasetsDir: options.datasetsDir,
        maxPixels: config.model.maxPixels,
        log,
      });
      options.onStep?.('grocery-store duplicates');
      datasets['grocery-store'] = await evaluateGrocery(
        path.join(options.datasetsDir, 'grocery-store'),
        runtime,
      );
      options.onStep?.('ikea-catalog room scenes');
      datasets['ikea-catalog'] = await evaluateRoomScenes(
        path.join(options.datasetsDir, 'ikea-catalog'),
        runtime,
        undefined,
        config.catalog.tagHubPool,
      );
      options.onStep?.('grocery-store visual search');
      datasets['grocery-store-search'] = await evaluateSearch({
        dir: path.join(options.datasetsDir, 'grocery-store'),
        runtime,
      });
      const trained: Record<string, unknown> = {};
      if (options.trainOnDatasets) {
        const publisher = createEventPublisher({ bus: system.bus, codec: openCodec(config) });
        for (const name of ['fashion-small', 'grocery-store', 'ikea-catalog']) {
          options.onStep?.(`${name}: heads trained on dev, measured on test`);
          const job = await runTrainingJob({
            config,
            knex: system.database.knex,
            log,
            dataset: loadLabelledDataset({ dataset: path.join(options.datasetsDir, name) }),
            trigger: 'command',
            settings: trainingSettings(config, { losses: 'all' }),
            publish: false,
            publisher,
            command: 'grokcat bench all',
          });
          trained[name] = {
            train_rows: job.run.trainRows,
            eval_rows: job.run.evalRows,
            metrics: job.run.metrics,
          };
        }
      } else {
        trained.skipped = 'left out (--quick)';
      }
      datasets.trained_heads = trained;
      datasets.prices = 'not measurable: none of the photo sets has prices (../shared/datasets/README.md)';
    }
    return {
      fashion_mnist: { ...fashion, published: FASHION_MNIST_PUBLISHED },
      demo: { summary, evaluation: demo },
      datasets,
    };
  } finally {
    await system.stop();
  }
}

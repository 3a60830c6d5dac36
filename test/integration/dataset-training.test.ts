import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { augmentImage, encodePng } from '../../shared/image/image-augment.ts';
import { PRODUCT_COLOURS, renderShapeProduct, SHAPE_COUNT } from '../../shared/image/product-render.ts';
import {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DIR,
  readFashionMnist,
} from '../../shared/model/reference/fashion-mnist.ts';
import { runCli } from '../support/cli-process.ts';
import { cleanEnv, tempHome } from '../support/temp-home.ts';

const PRODUCTS = 16;
const PHOTOS = 4;
const COLOURS = ['black', 'white', 'navy', 'olive'];
const SHAPES = ['Bag', 'Mug', 'Lamp', 'Box', 'Plate', 'Bucket'];

type Iconic = (p: number) => Promise<{ png: Buffer; category: string }>;

/** Products our own code draws: any machine has them. */
const renderedIconic: Iconic = async (p) => ({
  png: await renderShapeProduct(
    p % SHAPE_COUNT,
    PRODUCT_COLOURS[p % PRODUCT_COLOURS.length]?.rgb ?? [0, 0, 0],
    p % 3,
    p,
  ),
  category: SHAPES[p % SHAPE_COUNT] as string,
});

/** Fashion-MNIST garments (Debian dataset-fashion-mnist). */
const fashionMnistIconic = (): Iconic => {
  const source = readFashionMnist('train');
  return async (p) => ({
    png: await encodePng(
      source.images.subarray(p * 784, (p + 1) * 784).map((v) => 255 - v),
      28,
      28,
      1,
    ),
    category: FASHION_MNIST_CLASSES[source.labels[p] as number] as string,
  });
};

/**
 * A dataset folder in the documented format: 16 products, each with an iconic image and 4 photos
 * (seeded crops, turns, light, recompression), split by product.
 */
async function writeDatasetFolder(
  dir: string,
  iconicOf: Iconic,
): Promise<{ testPhotos: number; testProducts: number }> {
  mkdirSync(path.join(dir, 'images'), { recursive: true });
  const lines = ['image,split,product_id,title,category,base_colour,image_type'];
  let testPhotos = 0;
  for (let p = 0; p < PRODUCTS; p++) {
    const { png: iconic, category } = await iconicOf(p);
    const split = p % 4 === 3 ? 'test' : 'dev';
    const colour = COLOURS[Math.floor(p / 2) % COLOURS.length] as string;
    const title = `${colour} ${category.toLowerCase()} item ${p}`;
    writeFileSync(path.join(dir, 'images', `p${p}-iconic.png`), iconic);
    lines.push(`images/p${p}-iconic.png,${split},P${p},${title},${category},${colour},iconic`);
    for (let k = 0; k < PHOTOS; k++) {
      writeFileSync(path.join(dir, 'images', `p${p}-${k}.jpg`), await augmentImage(iconic, `P${p}:${k}`));
      lines.push(`images/p${p}-${k}.jpg,${split},P${p},${title},${category},${colour},natural`);
      if (split === 'test') testPhotos += 1;
    }
  }
  lines.push('images/p0-0.jpg,holdout,P0,left out,Shirt,black,natural');
  writeFileSync(path.join(dir, 'labels.csv'), `${lines.join('\n')}\n`);
  return { testPhotos, testProducts: PRODUCTS / 4 };
}

test('grokcat train --dataset DIR and grokcat eval --dataset DIR: the documented folder format end to end (rendered products)', async () => {
  await trainAndEvaluate(renderedIconic);
});

test('the same on a folder of Fashion-MNIST garments', async (t) => {
  if (!existsSync(FASHION_MNIST_DIR)) {
    t.skip(`Fashion-MNIST is not at ${FASHION_MNIST_DIR}: install the Debian package dataset-fashion-mnist`);
    return;
  }
  await trainAndEvaluate(fashionMnistIconic());
});

async function trainAndEvaluate(iconicOf: Iconic): Promise<void> {
  const { home, cleanup } = tempHome();
  try {
    const dir = path.join(home, 'my-catalogue');
    const { testPhotos, testProducts } = await writeDatasetFolder(dir, iconicOf);
    const env = cleanEnv({
      GROKCAT_HOME: home,
      GROKCAT_TRAINER_EPOCHS: '5',
      GROKCAT_TRAINER_BATCH_SIZE: '32',
    });

    const trained = await runCli(['train', '--dataset', dir, '--no-publish', '--json'], env);
    assert.equal(trained.code, 0, trained.stderr);
    const run = trained.json as {
      version: string;
      dataset: string;
      train_rows: number;
      eval_rows: number;
      metrics: Record<string, number>;
      embedding: { trained: boolean; init: string; product_recall_at_1_before_losses: number };
    };
    assert.equal(run.dataset, 'my-catalogue');
    // 12 dev products x 5 images; every product has several photos, so no augmented extra views.
    assert.equal(run.train_rows, 12 * (PHOTOS + 1));
    assert.equal(run.eval_rows, testProducts * (PHOTOS + 1));
    assert.equal(run.embedding.trained, true);
    assert.equal(run.embedding.init, 'learned-whitening');
    for (const metric of [
      'category_top1',
      'category_top5',
      'attribute_map',
      'query_recall_at_10',
      'product_recall_at_1',
      'product_queries',
      'category_ceiling',
      'category_ncm_top1',
      'category_majority_top1',
      'train_category_top1',
      'category_classes_predicted',
      'unknown_rate',
    ])
      assert.equal(typeof run.metrics[metric], 'number', metric);
    // Chosen on validation rows carved from training, never on test; the open set rides along.
    const { selection, open_set } = trained.json as {
      selection: { validation_rows: number; tried: unknown[]; epochs: number };
      open_set: { threshold: number } | null;
    };
    assert.ok(selection.validation_rows > 0 && selection.tried.length === 3, JSON.stringify(selection));
    assert.ok((open_set?.threshold ?? 0) > 0, 'the candidate says when it does not know');
    assert.ok(
      (run.metrics.category_top1 as number) > (run.metrics.category_ncm_top1 as number) ||
        run.metrics.category_top1 === run.metrics.category_ceiling,
      `the gate let through only a head that beats the nearest class mean: ${JSON.stringify(run.metrics)} ${JSON.stringify(selection)}`,
    );

    // The exported candidate, run by the serving runtime on the images, scores what training measured.
    const evaluated = await runCli(['eval', '--dataset', dir, '--model', run.version, '--json'], env);
    assert.equal(evaluated.code, 0, evaluated.stderr);
    const result = evaluated.json as {
      model_version: string;
      images: number;
      retrieval: { protocol: string; queries: number; gallery: number };
      metrics: Record<string, number>;
    };
    assert.equal(result.model_version, run.version);
    assert.equal(result.images, testProducts * (PHOTOS + 1));
    assert.deepEqual(result.retrieval, { protocol: 'photos', queries: testPhotos, gallery: testProducts });
    // Chance is 1 in 4 products; the projection whitened from the 12 training products finds most.
    assert.ok((run.metrics.product_recall_at_1 as number) >= 0.5, JSON.stringify(run.metrics));
    assert.ok((run.metrics.attribute_map as number) > 0, JSON.stringify(run.metrics));
    for (const metric of ['category_top1', 'product_recall_at_1', 'attribute_map']) {
      const gap = Math.abs((result.metrics[metric] as number) - (run.metrics[metric] as number));
      assert.ok(gap <= 0.06, `${metric}: eval ${result.metrics[metric]} vs training ${run.metrics[metric]}`);
    }

    const missing = await runCli(['eval', '--dataset', path.join(home, 'nowhere'), '--json'], env);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /neither fashion-mnist nor a folder/);
  } finally {
    cleanup();
  }
}

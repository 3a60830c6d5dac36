import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeImage } from '../image/image-decoder.ts';
import type { Logger } from '../log/logger.ts';
import type { ModelRuntime } from '../model/model-runtime.ts';
import { isKnown } from '../model/postprocess.ts';
import type { FASHION_MNIST_CLASSES } from '../model/reference/fashion-mnist.ts';
import { readCsvRecords } from './csv.ts';

type FashionClass = (typeof FASHION_MNIST_CLASSES)[number];

/**
 * fashion-small's article types that are one of the ten Fashion-MNIST classes (Myntra's names).
 * Left out: article types with no Fashion-MNIST class (watches, heels, kurtas, sunglasses...);
 * formal shoes, heels and flats are not sneakers, sandals or ankle boots. No Myntra ankle boots in
 * the sample.
 */
export const FASHION_SMALL_CLASSES: Readonly<Record<string, FashionClass>> = {
  Tshirts: 'T-shirt/top',
  Tops: 'T-shirt/top',
  Trousers: 'Trouser',
  Jeans: 'Trouser',
  'Track Pants': 'Trouser',
  Sweaters: 'Pullover',
  Sweatshirts: 'Pullover',
  Dresses: 'Dress',
  Jackets: 'Coat',
  Sandals: 'Sandal',
  'Sports Sandals': 'Sandal',
  'Flip Flops': 'Sandal',
  Shirts: 'Shirt',
  'Sports Shoes': 'Sneaker',
  'Casual Shoes': 'Sneaker',
  Handbags: 'Bag',
  Backpacks: 'Bag',
};

export interface ReferenceEvaluation {
  model_version: string;
  /** Test-split fashion-small photos of the ten classes, and the share right (an unknown answer is not right). */
  fashion_small_rows: number;
  fashion_small_top1: number;
  /** Among the photos the model answered (declared known): the share right. */
  fashion_small_top1_answered: number | null;
  fashion_small_false_unknown: number;
  /** Baseline on the same rows: always the most frequent of the ten classes there. */
  fashion_small_majority_top1: number;
  grocery_rows: number;
  grocery_unknown_rate: number;
  ikea_rows: number;
  ikea_unknown_rate: number;
  /** Share of the fashion-small photos' answers per predicted class (a collapse shows here). */
  fashion_small_predicted: Record<string, number>;
  open_set: boolean;
  images_per_second: number;
}

const round = (v: number) => Number(v.toFixed(4));

/**
 * The serving model on real photos, with no training: the test splits of fashion-small (garments
 * of the ten Fashion-MNIST classes), grocery-store and ikea-catalog (none of them garments), run
 * through the serving runtime and preparation. docs/model.md, "Reference model on real photos".
 */
export async function evaluateReference(args: {
  runtime: ModelRuntime;
  datasetsDir: string;
  maxPixels: number;
  log: Logger;
}): Promise<ReferenceEvaluation> {
  const { runtime } = args;
  const { card } = runtime.files;
  const { size, fit, mean, std } = card.input;
  const started = performance.now();
  let images = 0;
  const run = async (dataset: string, keep: (row: Record<string, string>) => boolean) => {
    const { rows } = readCsvRecords(path.join(args.datasetsDir, dataset, 'labels.csv'));
    const picked = rows.filter((row) => row.split === 'test' && keep(row));
    const answers: { row: Record<string, string>; label: string; known: boolean }[] = [];
    for (let start = 0; start < picked.length; start += 64) {
      const batch = picked.slice(start, start + 64);
      answers.push(
        ...(await Promise.all(
          batch.map(async (row) => {
            const bytes = readFileSync(path.join(args.datasetsDir, dataset, row.image ?? ''));
            const { chw } = await decodeImage(bytes, { size, fit, mean, std, maxPixels: args.maxPixels });
            const raw = await runtime.infer(chw);
            const best = raw.category.indexOf(Math.max(...raw.category));
            return { row, label: card.categories.labels[best] ?? '', known: isKnown(card, raw.novelty) };
          }),
        )),
      );
    }
    images += picked.length;
    args.log.info({ dataset, images: picked.length }, 'evaluated the reference model on real photos');
    return answers;
  };
  const fashion = await run(
    'fashion-small',
    (row) => FASHION_SMALL_CLASSES[row.article_type ?? ''] !== undefined,
  );
  const grocery = await run('grocery-store', () => true);
  const ikea = await run('ikea-catalog', () => true);
  const truth = (a: (typeof fashion)[number]) => FASHION_SMALL_CLASSES[a.row.article_type ?? ''];
  const right = fashion.filter((a) => a.known && a.label === truth(a)).length;
  const answered = fashion.filter((a) => a.known);
  const counts = new Map<string, number>();
  for (const a of fashion) counts.set(truth(a) ?? '', (counts.get(truth(a) ?? '') ?? 0) + 1);
  const predicted = new Map<string, number>();
  for (const a of fashion) predicted.set(a.label, (predicted.get(a.label) ?? 0) + 1);
  const unknown = (answers: typeof fashion) =>
    answers.length === 0 ? 0 : round(answers.filter((a) => !a.known).length / answers.length);
  return {
    model_version: runtime.version,
    fashion_small_rows: fashion.length,
    fashion_small_top1: round(right / Math.max(1, fashion.length)),
    fashion_small_top1_answered: answered.length === 0 ? null : round(right / answered.length),
    fashion_small_false_unknown: unknown(fashion),
    fashion_small_majority_top1: round(Math.max(0, ...counts.values()) / Math.max(1, fashion.length)),
    grocery_rows: grocery.length,
    grocery_unknown_rate: unknown(grocery),
    ikea_rows: ikea.length,
    ikea_unknown_rate: unknown(ikea),
    fashion_small_predicted: Object.fromEntries(
      [...predicted.entries()]
        .sort((a, b) => b[1] - a[1])
        .map(([label, n]) => [label, round(n / fashion.length)]),
    ),
    open_set: card.open_set !== undefined,
    images_per_second: Math.round(images / Math.max(1e-9, (performance.now() - started) / 1000)),
  };
}

import { prepareRawPixels } from '../image/image-decoder.ts';
import type { Logger } from '../log/logger.ts';
import type { ModelRuntime } from '../model/model-runtime.ts';
import { isKnown } from '../model/postprocess.ts';
import { FASHION_MNIST_CLASSES, readFashionMnist } from '../model/reference/fashion-mnist.ts';

export interface FashionMnistEvaluation {
  dataset: 'fashion-mnist';
  split: 't10k';
  images: number;
  model_version: string;
  top1: number;
  top5: number;
  /** Test images the model declares unknown (open-set models; 0 for the others). */
  unknown_rate: number;
  per_class_top1: Record<string, number>;
  images_per_second: number;
}

/**
 * Category accuracy of a model on the Fashion-MNIST test images, through the same batched runtime
 * and preparation (grey levels inverted to dark-on-white, resized to the model input) as serving.
 * The model's category labels must be the ten Fashion-MNIST classes, in any order.
 */
export async function evaluateFashionMnist(args: {
  runtime: ModelRuntime;
  log: Logger;
  limit?: number;
  fashionMnistDir?: string;
}): Promise<FashionMnistEvaluation> {
  const { runtime, log } = args;
  const test = readFashionMnist('t10k', args.fashionMnistDir);
  const count = Math.min(args.limit ?? test.count, test.count);
  const { card } = runtime.files;
  const labelIndex = FASHION_MNIST_CLASSES.map((name) => card.categories.labels.indexOf(name));
  const missing = FASHION_MNIST_CLASSES.filter((_, i) => labelIndex[i] === -1);
  if (missing.length > 0) throw new Error(`model ${card.version} has no categories ${missing.join(', ')}`);
  const { size, fit, mean, std } = card.input;
  let top1 = 0;
  let top5 = 0;
  let unknown = 0;
  const perClass = FASHION_MNIST_CLASSES.map(() => ({ right: 0, total: 0 }));
  const started = performance.now();
  const window = 64; // images in flight: enough to fill the runtime's batches
  for (let start = 0; start < count; start += window) {
    const indices = Array.from({ length: Math.min(window, count - start) }, (_, i) => start + i);
    await Promise.all(
      indices.map(async (index) => {
        const pixels = test.images.subarray(index * 784, (index + 1) * 784).map((v) => 255 - v);
        const raw = await runtime.infer(await prepareRawPixels(pixels, 28, 28, 1, { size, fit, mean, std }));
        const truth = labelIndex[test.labels[index] as number] as number;
        if (!isKnown(card, raw.novelty)) unknown += 1;
        const ranked = [...raw.category.keys()].sort(
          (a, b) => (raw.category[b] as number) - (raw.category[a] as number),
        );
        const stats = perClass[test.labels[index] as number] as { right: number; total: number };
        stats.total += 1;
        if (ranked[0] === truth) {
          top1 += 1;
          stats.right += 1;
        }
        if (ranked.slice(0, 5).includes(truth)) top5 += 1;
      }),
    );
    if (start % 2048 === 0)
      log.info({ done: start + indices.length, of: count }, 'evaluating on Fashion-MNIST');
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    dataset: 'fashion-mnist',
    split: 't10k',
    images: count,
    model_version: runtime.version,
    top1: Number((top1 / count).toFixed(4)),
    top5: Number((top5 / count).toFixed(4)),
    unknown_rate: Number((unknown / count).toFixed(4)),
    per_class_top1: Object.fromEntries(
      FASHION_MNIST_CLASSES.map((name, i) => [
        name,
        Number(((perClass[i]?.right ?? 0) / Math.max(1, perClass[i]?.total ?? 0)).toFixed(4)),
      ]),
    ),
    images_per_second: Math.round(count / seconds),
  };
}

import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { Config } from '../config/load-config.ts';
import { GrokcatError } from '../errors/error-catalogue.ts';
import { decodeImage, decodeRegions, type Region } from '../image/image-decoder.ts';
import type { Logger } from '../log/logger.ts';
import { type DecodeSettings, type DetectedBox, decodeGfl } from './detector/gfl-decode.ts';
import { createModelMetrics } from './model-metrics.ts';
import type { ModelFiles } from './model-store.ts';
import type { OnnxSession, SessionOptions } from './onnx-session.ts';
import { createOnnxWorkerSession } from './onnx-worker-session.ts';
import { type Prediction, postprocess, type RawOutputs } from './postprocess.ts';

export interface RuntimeOptions extends SessionOptions {
  /** Most images in one model run. */
  maxBatch: number;
  /** How long the first waiting request holds an idle model for others to join its batch. */
  maxWaitMs: number;
  maxPixels: number;
  /** Load the model folder's detector when it has one (GROKCAT_DETECTOR=auto); default true. */
  detector?: boolean;
}

/** The runtime settings of the configuration (GROKCAT_MODEL_*, GROKCAT_IMAGE_MAX_PIXELS). */
export function runtimeOptions(config: Pick<Config, 'model'>): RuntimeOptions {
  const { providers, intraOpThreads, interOpThreads, maxBatch, maxWaitMs, maxPixels } = config.model;
  return {
    executionProviders: providers,
    intraOpThreads: intraOpThreads === 0 ? servingIntraOpThreads() : intraOpThreads,
    interOpThreads,
    maxBatch,
    maxWaitMs,
    maxPixels,
    detector: config.model.detector === 'auto',
  };
}

/**
 * Intra-op threads when the configuration leaves it to us: one core fewer than the machine has, since
 * the event loop and the embedded database's thread work beside the model. Measured on 2 cores, flood
 * of 500 listings, no spinning: 1 thread 25.8 listings/s, ONNX Runtime's default (2) 22.7 (issue 21).
 */
export function servingIntraOpThreads(cores = os.availableParallelism()): number {
  return Math.max(1, cores - 1);
}

interface Loaded {
  files: ModelFiles;
  session: OnnxSession;
  /** The model folder's detector of page photos, when it has one. */
  detector: OnnxSession | null;
  /** Runs in flight on this session; it is released only when they are done. */
  inFlight: number;
  retired: boolean;
}

interface Waiting {
  input: Float32Array;
  loaded: Loaded;
  resolve: (outputs: RawOutputs) => void;
  reject: (error: unknown) => void;
}

export interface ModelRuntime {
  readonly version: string;
  readonly files: ModelFiles;
  /** Decodes, checks and prepares an image, runs it in a shared batch, and post-processes. */
  enrich(bytes: Uint8Array): Promise<Prediction & { model_version: string }>;
  /**
   * Decodes an image (and optionally regions of it) and runs them in shared batches, all on one
   * model version, which it returns with the raw outputs: the whole image first, then each region.
   */
  run(
    bytes: Uint8Array,
    regions?: Region[],
  ): Promise<{ files: ModelFiles; outputs: RawOutputs[]; width: number; height: number }>;
  /** Runs one prepared CHW input through the shared batcher. */
  infer(chw: Float32Array): Promise<RawOutputs>;
  /**
   * Objects in a photo by the model folder's detector (boxes as fractions of the oriented image),
   * best first; null when the serving model has no detector.
   */
  detect(bytes: Uint8Array, settings?: Partial<DecodeSettings>): Promise<DetectedBox[] | null>;
  /** Loads another model version and switches to it; requests in flight finish on the old one. */
  swap(files: ModelFiles): Promise<void>;
  stats(): { batches: number; images: number; largestBatch: number };
  close(): Promise<void>;
}

async function load(files: ModelFiles, options: SessionOptions & { detector?: boolean }): Promise<Loaded> {
  const session = await createOnnxWorkerSession(readFileSync(files.onnxPath), options);
  for (const output of Object.values(files.card.outputs)) {
    if (!session.outputNames.includes(output)) {
      throw new GrokcatError(
        'MODEL_INVALID',
        `model ${files.version} has no output "${output}" (has ${session.outputNames.join(', ')})`,
      );
    }
  }
  const detector =
    files.detector && options.detector !== false
      ? await createOnnxWorkerSession(readFileSync(files.detector.onnxPath), options)
      : null;
  return { files, session, detector, inFlight: 0, retired: false };
}

/** Boxes kept by default: NanoDet's usual score floor, and a dozen objects at most per photo. */
export const DETECTION_DEFAULTS: DecodeSettings = { minScore: 0.3, iou: 0.5, maxBoxes: 12 };

/**
 * One ONNX Runtime session per model version behind a dynamic micro-batcher: callers anywhere in
 * the process submit single images; while a batch runs, new requests gather, and they run together
 * as soon as the model is free (or after maxWaitMs when it is idle). Decoding with sharp runs on
 * libvips threads, so preprocessing of the next images overlaps inference.
 */
export async function createModelRuntime(
  files: ModelFiles,
  options: RuntimeOptions,
  log: Logger,
): Promise<ModelRuntime> {
  let current = await load(files, options);
  let queue: Waiting[] = [];
  // Two runs may be in flight: while ONNX Runtime computes one batch on its threads, the next is
  // assembled and queued, so the JavaScript side's copying never leaves the cores idle.
  const PIPELINE = 2;
  let running = 0;
  const spare: Float32Array[] = [];
  let timer: NodeJS.Timeout | null = null;
  const counters = { batches: 0, images: 0, largestBatch: 0 };
  const metrics = createModelMetrics(() => current.files.version);

  const release = async (loaded: Loaded) => {
    if (loaded.retired && loaded.inFlight === 0) {
      await loaded.session.release();
      await loaded.detector?.release();
    }
  };

  const runBatch = async () => {
    if (running >= PIPELINE || queue.length === 0) return;
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    running += 1;
    // A batch uses one session: requests queued before a swap finish on the version they started on.
    const loaded = (queue[0] as Waiting).loaded;
    const batch = queue.filter((w) => w.loaded === loaded).slice(0, options.maxBatch);
    queue = queue.filter((w) => !batch.includes(w));
    const { card } = loaded.files;
    const size = card.input.size;
    const per = 3 * size * size;
    // Batch buffers are reused (one per run in flight): 32 images are 19 MB, not worth a fresh allocation each time.
    const buffer = spare.pop() ?? new Float32Array(options.maxBatch * per);
    const input =
      buffer.length >= batch.length * per
        ? buffer.subarray(0, batch.length * per)
        : new Float32Array(batch.length * per);
    batch.forEach((w, i) => {
      input.set(w.input, i * per);
    });
    loaded.inFlight += 1;
    const started = performance.now();
    try {
      const out = await loaded.session.run({
        [card.input.name]: { data: input, dims: [batch.length, 3, size, size] },
      });
      const slice = (name: string, i: number) => {
        const tensor = out[name];
        const width = tensor ? (tensor.dims[1] ?? 0) : 0;
        return tensor ? tensor.data.slice(i * width, (i + 1) * width) : new Float32Array();
      };
      batch.forEach((w, i) => {
        w.resolve({
          embedding: slice(card.outputs.embedding, i),
          category: slice(card.outputs.category, i),
          attributes: slice(card.outputs.attributes, i),
          queries: slice(card.outputs.queries, i),
          ...(card.outputs.novelty ? { novelty: slice(card.outputs.novelty, i)[0] ?? 0 } : {}),
        });
      });
      metrics.run(batch.length, performance.now() - started, loaded.files.version);
      counters.batches += 1;
      counters.images += batch.length;
      counters.largestBatch = Math.max(counters.largestBatch, batch.length);
    } catch (error) {
      for (const w of batch) w.reject(error);
    } finally {
      loaded.inFlight -= 1;
      running -= 1;
      if (buffer.length === options.maxBatch * per) spare.push(buffer);
      await release(loaded);
      schedule();
    }
  };

  const schedule = () => {
    if (running >= PIPELINE || queue.length === 0) return;
    // Busy model: whatever gathered runs next, at once. Idle model: give others maxWaitMs to join.
    if (running > 0 || queue.length >= options.maxBatch || options.maxWaitMs === 0) {
      void runBatch();
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = null;
        void runBatch();
      }, options.maxWaitMs);
    }
  };

  const inferOn = (loaded: Loaded, chw: Float32Array) =>
    new Promise<RawOutputs>((resolve, reject) => {
      const expected = 3 * loaded.files.card.input.size ** 2;
      if (chw.length !== expected) {
        reject(
          new GrokcatError('USAGE_INVALID', `input has ${chw.length} values, the model takes ${expected}`),
        );
        return;
      }
      queue.push({ input: chw, loaded, resolve, reject });
      schedule();
    });
  const infer = (chw: Float32Array) => inferOn(current, chw);
  /**
   * Runs `work` on the current version, holding its session open: a swap while the image is being
   * decoded must neither mix two models' outputs nor release the session it will run on.
   */
  const pinned = async <R>(work: (loaded: Loaded) => Promise<R>): Promise<R> => {
    const loaded = current;
    loaded.inFlight += 1;
    try {
      return await work(loaded);
    } finally {
      loaded.inFlight -= 1;
      await release(loaded);
    }
  };
  const decodeOptions = (loaded: Loaded) => {
    const { input } = loaded.files.card;
    return {
      size: input.size,
      fit: input.fit,
      mean: input.mean,
      std: input.std,
      maxPixels: options.maxPixels,
    };
  };

  return {
    get version() {
      return current.files.version;
    },
    get files() {
      return current.files;
    },
    infer,
    async enrich(bytes) {
      return pinned(async (loaded) => {
        const image = await decodeImage(bytes, decodeOptions(loaded));
        const raw = await inferOn(loaded, image.chw);
        return { ...postprocess(loaded.files.card, raw), model_version: loaded.files.version };
      });
    },
    detect(bytes, settings = {}) {
      return pinned(async (loaded) => {
        const detector = loaded.files.detector;
        if (!loaded.detector || !detector) return null;
        const { input } = detector.card;
        const image = await decodeImage(bytes, {
          size: input.size,
          fit: 'fill',
          mean: input.mean,
          std: input.std,
          channels: input.channels,
          maxPixels: options.maxPixels,
        });
        const out = await loaded.detector.run({
          [input.name]: { data: image.chw, dims: [1, 3, input.size, input.size] },
        });
        const outputs = Object.fromEntries(Object.entries(out).map(([name, t]) => [name, t.data]));
        return decodeGfl(detector.card, outputs, { ...DETECTION_DEFAULTS, ...settings });
      });
    },
    run(bytes, regions = []) {
      return pinned(async (loaded) => {
        const image = await decodeImage(bytes, decodeOptions(loaded));
        const crops = regions.length > 0 ? await decodeRegions(bytes, regions, decodeOptions(loaded)) : [];
        const outputs = await Promise.all([image.chw, ...crops].map((chw) => inferOn(loaded, chw)));
        return { files: loaded.files, outputs, width: image.width, height: image.height };
      });
    },
    async swap(next) {
      if (next.sha256 === current.files.sha256) return;
      const loaded = await load(next, options);
      const previous = current;
      current = loaded;
      previous.retired = true;
      log.info({ from: previous.files.version, to: next.version }, 'model swapped');
      schedule();
      await release(previous);
    },
    stats: () => ({ ...counters }),
    async close() {
      if (timer) clearTimeout(timer);
      metrics.close();
      while (running > 0 || queue.length > 0) await new Promise((resolve) => setTimeout(resolve, 5));
      current.retired = true;
      await release(current);
    },
  };
}

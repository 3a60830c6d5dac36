import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { GrokcatError } from '../../errors/error-catalogue.ts';

/** COCO's 80 detection classes, in the order of the detectors' score outputs. */
export const COCO_CLASSES = [
  'person',
  'bicycle',
  'car',
  'motorcycle',
  'airplane',
  'bus',
  'train',
  'truck',
  'boat',
  'traffic light',
  'fire hydrant',
  'stop sign',
  'parking meter',
  'bench',
  'bird',
  'cat',
  'dog',
  'horse',
  'sheep',
  'cow',
  'elephant',
  'bear',
  'zebra',
  'giraffe',
  'backpack',
  'umbrella',
  'handbag',
  'tie',
  'suitcase',
  'frisbee',
  'skis',
  'snowboard',
  'sports ball',
  'kite',
  'baseball bat',
  'baseball glove',
  'skateboard',
  'surfboard',
  'tennis racket',
  'bottle',
  'wine glass',
  'cup',
  'fork',
  'knife',
  'spoon',
  'bowl',
  'banana',
  'apple',
  'sandwich',
  'orange',
  'broccoli',
  'carrot',
  'hot dog',
  'pizza',
  'donut',
  'cake',
  'chair',
  'couch',
  'potted plant',
  'bed',
  'dining table',
  'toilet',
  'tv',
  'laptop',
  'mouse',
  'remote',
  'keyboard',
  'cell phone',
  'microwave',
  'oven',
  'toaster',
  'sink',
  'refrigerator',
  'book',
  'clock',
  'vase',
  'scissors',
  'teddy bear',
  'hair drier',
  'toothbrush',
];

const triple = z.tuple([z.number(), z.number(), z.number()]);

/**
 * `detector.json` beside `detector.onnx` in a model folder (docs/model-contract.md): how to feed
 * the detector and how to read its outputs. `gfl` is NanoDet's head: per level, class scores after
 * a sigmoid and, per side, a distribution over reg_max + 1 distance bins (Li et al., "Generalized
 * Focal Loss", 2020).
 */
export const detectorCardSchema = z.object({
  format: z.literal('grokcat-detector/1'),
  name: z.string().min(1),
  source: z.string(),
  licence: z.string(),
  input: z.object({
    name: z.string(),
    size: z.number().int().positive(),
    channels: z.enum(['rgb', 'bgr']),
    mean: triple,
    std: triple,
  }),
  decoding: z.object({
    kind: z.literal('gfl'),
    reg_max: z.number().int().positive(),
    levels: z
      .array(z.object({ stride: z.number().int().positive(), scores: z.string(), boxes: z.string() }))
      .min(1),
  }),
  classes: z.array(z.string()).min(1),
  check: z.object({ inputs: z.number().int(), max_abs_error: z.number(), max_relative_error: z.number() }),
  converter_version: z.number().int(),
});

export type DetectorCard = z.infer<typeof detectorCardSchema>;

export function readDetectorCard(file: string): DetectorCard {
  const parsed = detectorCardSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success)
    throw new GrokcatError(
      'MODEL_INVALID',
      `${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

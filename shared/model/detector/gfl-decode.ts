import type { DetectorCard } from './detector-card.ts';

/** A detected object, its box in fractions of the image's width and height. */
export interface DetectedBox {
  label: string;
  score: number;
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface DecodeSettings {
  /** Lowest class score kept. */
  minScore: number;
  /** Boxes of one class overlapping a better one by more than this IoU are dropped. */
  iou: number;
  /** Most boxes returned, best first. */
  maxBoxes: number;
}

const iouOf = (a: DetectedBox, b: DetectedBox) => {
  const w = Math.max(0, Math.min(a.left + a.width, b.left + b.width) - Math.max(a.left, b.left));
  const h = Math.max(0, Math.min(a.top + a.height, b.top + b.height) - Math.max(a.top, b.top));
  const overlap = w * h;
  return overlap / (a.width * a.height + b.width * b.height - overlap || 1);
};

/**
 * NanoDet's generalized-focal-loss head decoded: each cell of a level (stride s, cells in row-major
 * order over the square input) predicts class scores and, per side (left, top, right, bottom), a
 * softmax over reg_max + 1 bins whose expectation times s is the distance from the cell's centre
 * ((x + 0.5) s, (y + 0.5) s) to that side. Then per-class non-maximum suppression.
 */
export function decodeGfl(
  card: Pick<DetectorCard, 'input' | 'decoding' | 'classes'>,
  outputs: Record<string, Float32Array>,
  settings: DecodeSettings,
): DetectedBox[] {
  const size = card.input.size;
  const bins = card.decoding.reg_max + 1;
  const classes = card.classes.length;
  const found: DetectedBox[] = [];
  for (const level of card.decoding.levels) {
    const scores = outputs[level.scores];
    const boxes = outputs[level.boxes];
    if (!scores || !boxes)
      throw new RangeError(`the detector has no output ${level.scores} or ${level.boxes}`);
    const side = Math.round(size / level.stride);
    for (let cell = 0; cell < side * side; cell++) {
      let best = 0;
      let label = 0;
      for (let c = 0; c < classes; c++) {
        const s = scores[cell * classes + c] as number;
        if (s > best) [best, label] = [s, c];
      }
      if (best < settings.minScore) continue;
      const distance = [0, 1, 2, 3].map((k) => {
        const at = cell * 4 * bins + k * bins;
        let max = Number.NEGATIVE_INFINITY;
        for (let b = 0; b < bins; b++) max = Math.max(max, boxes[at + b] as number);
        let sum = 0;
        let expected = 0;
        for (let b = 0; b < bins; b++) {
          const p = Math.exp((boxes[at + b] as number) - max);
          sum += p;
          expected += p * b;
        }
        return (expected / sum) * level.stride;
      });
      const cx = ((cell % side) + 0.5) * level.stride;
      const cy = (Math.floor(cell / side) + 0.5) * level.stride;
      const clamp = (v: number) => Math.min(size, Math.max(0, v));
      const [x1, y1, x2, y2] = [
        clamp(cx - (distance[0] as number)),
        clamp(cy - (distance[1] as number)),
        clamp(cx + (distance[2] as number)),
        clamp(cy + (distance[3] as number)),
      ];
      if (x2 - x1 < 1 || y2 - y1 < 1) continue;
      found.push({
        label: card.classes[label] ?? String(label),
        score: best,
        left: x1 / size,
        top: y1 / size,
        width: (x2 - x1) / size,
        height: (y2 - y1) / size,
      });
    }
  }
  found.sort((a, b) => b.score - a.score);
  const kept: DetectedBox[] = [];
  for (const box of found) {
    if (kept.length >= settings.maxBoxes) break;
    if (kept.every((k) => k.label !== box.label || iouOf(k, box) <= settings.iou)) kept.push(box);
  }
  return kept;
}

import type { Region } from '../../shared/image/image-decoder.ts';
import type { DetectedBox } from '../../shared/model/detector/gfl-decode.ts';

/**
 * Where products are looked for in a page photo besides the whole of it: a 2x2 and a 3x3 grid of
 * overlapping crops (13 regions). A room scene shows a sofa, a lamp and a rug; the whole photo's
 * embedding resembles none of them, a crop around each does. Used when the model has no detector
 * or it found nothing.
 */
export function pagePhotoRegions(): Region[] {
  const grid = (cells: number, side: number): Region[] => {
    const step = cells > 1 ? (1 - side) / (cells - 1) : 0;
    return Array.from({ length: cells * cells }, (_, i) => ({
      left: (i % cells) * step,
      top: Math.floor(i / cells) * step,
      width: side,
      height: side,
    }));
  };
  return [...grid(2, 0.6), ...grid(3, 0.45)];
}

/** Classes a detector finds that are never a catalogue product of a marketplace. */
const NOT_PRODUCTS = new Set(['person']);
/** Context around a box, as a share of its side: a tight crop cuts off legs and edges. */
const MARGIN = 0.05;

/**
 * GrokNet's way: a crop per detected object (boxes widened by 5 % each side, people left out);
 * the fixed grid when there are none. `boxes[i]` is the object of `regions[i]` (null for the grid).
 */
export function searchRegions(detected: DetectedBox[] | null): {
  regions: Region[];
  boxes: (DetectedBox | null)[];
} {
  const objects = (detected ?? []).filter((box) => !NOT_PRODUCTS.has(box.label));
  if (objects.length === 0) {
    const grid = pagePhotoRegions();
    return { regions: grid, boxes: grid.map(() => null) };
  }
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  const regions = objects.map((box) => {
    const left = clamp(box.left - box.width * MARGIN);
    const top = clamp(box.top - box.height * MARGIN);
    return {
      left,
      top,
      width: Math.max(0.01, clamp(box.left + box.width * (1 + MARGIN)) - left),
      height: Math.max(0.01, clamp(box.top + box.height * (1 + MARGIN)) - top),
    };
  });
  return { regions, boxes: objects };
}

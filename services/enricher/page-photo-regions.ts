import type { Region } from '../../shared/image/image-decoder.ts';

/**
 * Where products are looked for in a page photo besides the whole of it: a 2x2 and a 3x3 grid of
 * overlapping crops (14 regions). A room scene shows a sofa, a lamp and a rug; the whole photo's
 * embedding resembles none of them, a crop around each does. GrokNet used detected object boxes;
 * a fixed grid needs no detector and costs 14 model runs per photo.
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

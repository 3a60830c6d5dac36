import sharp from 'sharp';

export type Rgb = readonly [number, number, number];

/** Colours products come in: a colour is part of what makes two products different. */
export const PRODUCT_COLOURS: readonly { name: string; rgb: Rgb }[] = [
  { name: 'red', rgb: [196, 32, 38] },
  { name: 'navy', rgb: [28, 46, 112] },
  { name: 'black', rgb: [24, 24, 24] },
  { name: 'mustard', rgb: [214, 170, 40] },
  { name: 'green', rgb: [36, 128, 64] },
  { name: 'grey', rgb: [128, 128, 132] },
  { name: 'brown', rgb: [112, 66, 30] },
  { name: 'sky blue', rgb: [96, 160, 214] },
  { name: 'pink', rgb: [222, 120, 160] },
  { name: 'cream', rgb: [226, 214, 182] },
];

/**
 * A catalogue-style photo of a grey-level product silhouette (Fashion-MNIST: white garment on black):
 * the garment in `colour`, shaded by its grey levels, on a light background, upscaled to `side`.
 */
export function renderSilhouette(
  pixels: Uint8Array,
  width: number,
  height: number,
  colour: Rgb,
  side = 192,
  background: Rgb = [246, 246, 244],
): Promise<Buffer> {
  const rgb = Buffer.alloc(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const alpha = (pixels[i] as number) / 255;
    for (let c = 0; c < 3; c++) {
      rgb[i * 3 + c] = Math.round((background[c] as number) * (1 - alpha) + (colour[c] as number) * alpha);
    }
  }
  return sharp(rgb, { raw: { width, height, channels: 3 } })
    .resize(side, side, { kernel: 'lanczos3' })
    .png()
    .toBuffer();
}

/**
 * A product drawn by our own code when no photo set is at hand: a shape (bag, mug, lamp, box...) in
 * a colour with a pattern, as SVG rasterised by sharp. `variant` picks the shape's proportions.
 */
export function renderShapeProduct(
  shape: number,
  colour: Rgb,
  pattern: number,
  variant: number,
): Promise<Buffer> {
  const [r, g, b] = colour;
  const fill = `rgb(${r},${g},${b})`;
  const dark = `rgb(${Math.round(r * 0.55)},${Math.round(g * 0.55)},${Math.round(b * 0.55)})`;
  const k = 0.8 + (variant % 5) * 0.08;
  const shapes = [
    `<rect x="${96 - 50 * k}" y="70" width="${100 * k}" height="90" rx="10" fill="${fill}"/><path d="M${96 - 25 * k} 70 Q96 ${20 - 10 * k} ${96 + 25 * k} 70" stroke="${dark}" stroke-width="8" fill="none"/>`,
    `<rect x="56" y="${60 - 10 * k}" width="70" height="${90 + 20 * k}" rx="6" fill="${fill}"/><path d="M126 80 h${20 * k} v40 h-${20 * k}" stroke="${fill}" stroke-width="10" fill="none"/>`,
    `<polygon points="${96 - 40 * k},60 ${96 + 40 * k},60 ${96 + 20 * k},110 ${96 - 20 * k},110" fill="${fill}"/><rect x="92" y="110" width="8" height="50" fill="${dark}"/><rect x="66" y="160" width="60" height="10" fill="${dark}"/>`,
    `<rect x="${96 - 55 * k}" y="${96 - 40 * k}" width="${110 * k}" height="${80 * k}" fill="${fill}"/><polygon points="${96 - 55 * k},${96 - 40 * k} ${96 - 30 * k},${76 - 40 * k} ${126 + 25 * k},${76 - 40 * k} ${96 + 55 * k},${96 - 40 * k}" fill="${dark}"/>`,
    `<ellipse cx="96" cy="100" rx="${60 * k}" ry="${45 / k}" fill="${fill}"/><ellipse cx="96" cy="100" rx="${20 * k}" ry="${15 / k}" fill="${dark}"/>`,
    `<path d="M40 150 L70 50 L122 50 L152 150 Z" fill="${fill}"/><rect x="${70 + 10 * k}" y="40" width="${52 - 20 * k}" height="14" fill="${dark}"/>`,
  ];
  const patterns = [
    '',
    `<g stroke="${dark}" stroke-width="4" opacity="0.6">${[0, 1, 2, 3, 4].map((i) => `<line x1="20" y1="${70 + i * 20}" x2="172" y2="${70 + i * 20}"/>`).join('')}</g>`,
    `<g fill="${dark}" opacity="0.6">${[0, 1, 2, 3].flatMap((i) => [0, 1, 2].map((j) => `<circle cx="${66 + i * 20}" cy="${80 + j * 25}" r="5"/>`)).join('')}</g>`,
    `<g stroke="white" stroke-width="3" opacity="0.7">${[0, 1, 2, 3].map((i) => `<line x1="${40 + i * 30}" y1="60" x2="${70 + i * 30}" y2="160"/>`).join('')}</g>`,
  ];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="192" height="192"><rect width="192" height="192" fill="rgb(246,246,244)"/>${shapes[shape % shapes.length]}${patterns[pattern % patterns.length]}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** How many distinct shapes and patterns renderShapeProduct draws. */
export const SHAPE_COUNT = 6;
export const PATTERN_COUNT = 4;

/**
 * A large, barely compressible photo (seeded noise over a gradient, JPEG at quality 95): what a phone
 * camera uploads, for benchmarks of fetch and memory bounds. About 3 bytes per pixel.
 */
export function renderLargePhoto(seed: number, width = 1600, height = 1200): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < raw.length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    raw[i] = ((state >>> 0) & 0x7f) + ((i / 3) % width) * (128 / width);
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 95 })
    .toBuffer();
}

import type { FeatureRequest } from './dataset-features.ts';
import type { LabelledDataset, LabelledImage } from './labelled-dataset.ts';

/** One row of features: an image, or an augmented view of it standing for another photo. */
export interface TrainingRow extends FeatureRequest {
  image: LabelledImage;
}

export interface RowPlan {
  rows: TrainingRow[];
  train: number[];
  evaluation: number[];
  /** Product retrieval: queries matched against a gallery of one image per product. */
  queries: number[];
  gallery: number[];
  retrieval: 'photos' | 'views' | 'none';
}

/**
 * Which feature rows a run needs. Training: every training image, plus one augmented view of each
 * image whose product has a single training photo when the product losses are on (ArcFace and the
 * pairwise loss need two images per product). Evaluation: every evaluation image; retrieval queries
 * are the other photos of products with several distinct photos (gallery: the iconic image, else
 * the first; a byte-identical copy of the gallery image is never a query), or, when no product has
 * two distinct photos, an augmented view of each (gallery: the originals).
 */
export function planRows(dataset: LabelledDataset, productLosses: boolean): RowPlan {
  const rows: TrainingRow[] = [];
  const add = (image: LabelledImage, view?: string) => {
    rows.push({ key: image.key, source: image.source, image, ...(view ? { view } : {}) });
    return rows.length - 1;
  };
  const countBy = (images: LabelledImage[]) => {
    const counts = new Map<string, number>();
    for (const image of images)
      if (image.product) counts.set(image.product, (counts.get(image.product) ?? 0) + 1);
    return counts;
  };
  const trainImages = dataset.images.filter((i) => i.split === 'train');
  const trainCounts = countBy(trainImages);
  const train: number[] = [];
  for (const image of trainImages) {
    train.push(add(image));
    if (productLosses && image.product && trainCounts.get(image.product) === 1)
      train.push(add(image, 'train-view'));
  }
  const evalImages = dataset.images.filter((i) => i.split === 'eval');
  const evaluation = evalImages.map((image) => add(image));
  // A query must be another photo: byte-identical copies (one image listed under several ids) are
  // found by any embedding and would report recall 1.00 for nothing.
  const keysOf = new Map<string, Set<string>>();
  for (const image of evalImages)
    if (image.product) keysOf.set(image.product, (keysOf.get(image.product) ?? new Set()).add(image.key));
  const queries: number[] = [];
  const gallery: number[] = [];
  let retrieval: RowPlan['retrieval'] = 'none';
  if ([...keysOf.values()].some((keys) => keys.size >= 2)) {
    retrieval = 'photos';
    const galleryOf = new Map<string, number>();
    evaluation.forEach((row) => {
      const { product, iconic } = (rows[row] as TrainingRow).image;
      if (!product) return;
      const current = galleryOf.get(product);
      if (current === undefined || (iconic && !(rows[current] as TrainingRow).image.iconic))
        galleryOf.set(product, row);
    });
    gallery.push(...galleryOf.values());
    const inGallery = new Set(gallery);
    for (const row of evaluation) {
      const { product, key } = (rows[row] as TrainingRow).image;
      if (!product || inGallery.has(row)) continue;
      const galleryRow = rows[galleryOf.get(product) as number] as TrainingRow;
      if (galleryRow.image.key !== key) queries.push(row);
    }
  } else if (keysOf.size > 0) {
    retrieval = 'views';
    const seen = new Set<string>();
    for (const row of evaluation) {
      const { image } = rows[row] as TrainingRow;
      if (!image.product || seen.has(image.product)) continue;
      seen.add(image.product);
      gallery.push(row);
      queries.push(add(image, 'eval-view'));
    }
  }
  return { rows, train, evaluation, queries, gallery, retrieval };
}

import {
  type DatasetRow,
  DEFAULT_DATASETS_DIR,
  datasetImagePath,
  datasetsAvailable,
  readDataset,
} from '../../services/bench/datasets.ts';

/** `../shared/datasets` beside the checkout, when this machine has it; tests skip without it. */
export function datasetsDir(): string | null {
  return datasetsAvailable() ? DEFAULT_DATASETS_DIR : null;
}

export function readLabels(dataset: string): DatasetRow[] {
  return datasetsDir() ? readDataset(dataset) : [];
}

export const imagePath = (dataset: string, image: string) => datasetImagePath(dataset, image);

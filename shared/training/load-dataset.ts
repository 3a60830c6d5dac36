import { existsSync } from 'node:fs';
import { GrokcatError } from '../errors/error-catalogue.ts';
import { readDatasetFolder } from './dataset-folder.ts';
import { fashionMnistDataset, type LabelledDataset } from './labelled-dataset.ts';

export interface DatasetChoice {
  /** `fashion-mnist` or a dataset folder (docs/training.md). */
  dataset: string;
  perClass?: number;
  evalLimit?: number;
  categoryColumn?: string;
  /** Comma-separated column names. */
  attributeColumns?: string;
}

/** The labelled dataset a command names: Fashion-MNIST (Debian package) or a folder. */
export function loadLabelledDataset(choice: DatasetChoice): LabelledDataset {
  if (choice.dataset === 'fashion-mnist') {
    return fashionMnistDataset({
      ...(choice.perClass ? { perClass: choice.perClass } : {}),
      ...(choice.evalLimit ? { evalLimit: choice.evalLimit } : {}),
    });
  }
  if (!existsSync(choice.dataset))
    throw new GrokcatError(
      'USAGE_INVALID',
      `--dataset ${choice.dataset}: neither fashion-mnist nor a folder`,
    );
  return readDatasetFolder(choice.dataset, {
    ...(choice.categoryColumn ? { categoryColumn: choice.categoryColumn } : {}),
    ...(choice.attributeColumns
      ? { attributeColumns: choice.attributeColumns.split(',').map((c) => c.trim()) }
      : {}),
  });
}

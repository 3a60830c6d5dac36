import { applyIsotonic, fitIsotonic, type IsotonicMap, thresholdForPrecision } from './calibration.ts';
import type { Scored, Vocabulary } from './evaluate-heads.ts';
import { expectedCalibrationError } from './evaluation-metrics.ts';
import type { RowPlan, TrainingRow } from './training-rows.ts';

/**
 * A run's calibration and per-label thresholds, fitted on the even evaluation rows; the odd rows
 * measure the calibration (`category_ece` before, `category_ece_calibrated` after).
 */
export function calibrateRun(args: {
  evaluation: Scored;
  vocabulary: Vocabulary;
  plan: RowPlan;
  targetPrecision: number;
}): {
  calibration: IsotonicMap;
  metrics: { category_ece: number; category_ece_calibrated: number };
  attributeThresholds: number[];
  queryThresholds: number[];
} {
  const { evaluation, vocabulary, plan } = args;
  const { categoryScores, categoryLabels } = evaluation;
  const width = vocabulary.categories.length;
  const top = Array.from(categoryLabels, (_, i) => {
    const row = categoryScores.subarray(i * width, (i + 1) * width);
    let best = 0;
    for (let c = 1; c < width; c++) if ((row[c] as number) > (row[best] as number)) best = c;
    return { confidence: row[best] as number, correct: best === categoryLabels[i] };
  });
  const judged = top.map((t, i) => ({ ...t, i })).filter(({ i }) => (categoryLabels[i] as number) >= 0);
  const fit = judged.filter(({ i }) => i % 2 === 0);
  const check = judged.filter(({ i }) => i % 2 === 1);
  const calibration = fitIsotonic(
    fit.map((t) => t.confidence),
    fit.map((t) => (t.correct ? 1 : 0)),
  );
  const ece = (confidence: (t: (typeof check)[number]) => number) =>
    Number(
      expectedCalibrationError(
        check.map(confidence),
        check.map((t) => t.correct),
      ).toFixed(4),
    );
  const even = evaluation.rows.map((_, i) => i).filter((i) => i % 2 === 0);
  const thresholds = (scores: Float32Array, field: 'attributes' | 'queries', labels: string[]) =>
    labels.map((label, j) =>
      thresholdForPrecision(
        even.map((i) => scores[i * labels.length + j] as number),
        even.map((i) =>
          (plan.rows[evaluation.rows[i] as number] as TrainingRow).image[field].includes(label) ? 1 : 0,
        ),
        args.targetPrecision,
      ),
    );
  return {
    calibration,
    metrics: {
      category_ece: ece((t) => t.confidence),
      category_ece_calibrated: ece((t) => applyIsotonic(calibration, t.confidence)),
    },
    attributeThresholds: thresholds(evaluation.outputs.attributes, 'attributes', vocabulary.attributes),
    queryThresholds: thresholds(evaluation.outputs.queries, 'queries', vocabulary.queries),
  };
}

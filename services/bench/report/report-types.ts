import type { DetectorResult, ProviderResult } from '../inference-bench.ts';
import type { SoakResult } from '../soak-bench.ts';
import type { GrowthRun } from './growth-bench.ts';
import type { MachineInfo } from './machine-info.ts';
import type { MatmulResult } from './matmul-bench.ts';
import type { PipelineParts } from './pipeline-parts.ts';
import type { benchQuality } from './quality-bench.ts';
import type { ScalingRun } from './scaling-bench.ts';
import type { VectorScaleResult } from './vector-bench.ts';

export type SuiteName = 'inference' | 'pipeline' | 'vectors' | 'quality' | 'scaling' | 'growth' | 'soak';

/** GPU figures measured on another machine (scripts/gpu-bench), shown with that machine. */
export interface GpuReport {
  machine: { gpu: string; driver?: string; cpu_cores?: number; date: string };
  command: string;
  results: { framework: string; precision: string; batch: number; img_s: number; note?: string }[];
  onnxruntime_webgpu?: { ok: boolean; detail: string; batches?: { batch: number; img_s: number }[] };
  notes: string[];
}

/** Everything `grokcat bench all` measured: results.json, from which README.md is written. */
export interface BenchReport {
  machine: MachineInfo;
  quick: boolean;
  command: string;
  model: { version: string; macs_per_image: number };
  suites: {
    inference?: {
      matmul: MatmulResult;
      providers: ProviderResult[];
      preprocessing_img_s: number;
      /** Reports before 2026-12-01 have none. */
      detector?: DetectorResult;
      seconds: number;
    };
    pipeline?: { parts: PipelineParts; buses: SoakResult[]; seconds: number };
    vectors?: { source: string; scales: VectorScaleResult[]; seconds: number };
    quality?: Awaited<ReturnType<typeof benchQuality>> & { seconds: number };
    scaling?: { runs: ScalingRun[]; seconds: number };
    /** Reports before 2026-12-02 have none. */
    growth?: { runs: GrowthRun[]; seconds: number };
    /** The long steady load on Kafka; reports before 2026-12-02 have none. */
    soak?: { runs: SoakResult[]; seconds: number };
  };
  gpu?: GpuReport;
  /**
   * Suites run again later with `--suites` into the same --out, over the earlier report: what was
   * re-run, when, with which command and model (the header's run is the earliest).
   */
  reruns?: {
    suites: SuiteName[];
    date: string;
    command: string;
    model: { version: string; macs_per_image: number };
  }[];
  failed: { suite: string; error: string }[];
  seconds: number;
}

/** A pipeline run's name in tables and charts: its bus, and its database where not the embedded PGlite. */
export const runLabel = (b: { bus: string; database?: string }) =>
  `${b.bus} bus${b.database === 'postgresql' ? ', native PostgreSQL' : ''}`;

/** The file of a run's lag and latency chart: a pipeline suite's short soak, or the soak suite's (`long`). */
export const soakChartFile = (b: { bus: string; database?: string }, long = false) =>
  `soak-${long ? 'long-' : ''}${b.bus}${b.database === 'postgresql' ? '-postgresql' : ''}.svg`;

/** A database's name in tables. */
export const databaseLabel = (database: string) =>
  database === 'postgresql' ? 'native PostgreSQL' : 'PGlite';

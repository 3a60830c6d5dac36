import { soakChart } from '../soak-chart.ts';
import { barChart } from './bar-chart.ts';
import { machineCaption } from './machine-info.ts';
import { type BenchReport, runLabel, soakChartFile } from './report-types.ts';

const num = (x: number | null | undefined, digits = 1) =>
  x === null || x === undefined ? '-' : x.toLocaleString('en-US', { maximumFractionDigits: digits });

/** The SVG charts of the report, by file name. */
export function reportCharts(report: BenchReport): Record<string, string> {
  const caption = machineCaption(report.machine);
  const charts: Record<string, string> = {};
  const { inference, pipeline, vectors, quality, scaling, soak } = report.suites;
  const cpu = inference?.providers.find((p) => p.provider === 'cpu' && !p.error);
  if (inference && cpu) {
    charts['inference.svg'] = barChart({
      title: 'Model throughput: grokcat runtime vs bare ONNX Runtime',
      unit: 'images/s',
      caption,
      groups: cpu.batches.map((b) => ({
        label: `batch ${b.batch}`,
        bars: [
          { series: 'runtime (single-image requests, micro-batched)', value: b.runtime_img_s },
          { series: 'bare session.run', value: b.bare_img_s },
        ],
      })),
    });
    charts['inference-gflops.svg'] = barChart({
      title: 'Model arithmetic rate vs the machine’s matrix-multiply rate',
      unit: 'GFLOP/s',
      caption,
      groups: cpu.batches.map((b) => ({
        label: `batch ${b.batch}`,
        bars: [{ series: 'model (runtime)', value: b.gflop_s }],
      })),
      reference: {
        value: inference.matmul.gflop_s,
        label: `fp32 SGEMM ${inference.matmul.size}³: ${inference.matmul.gflop_s} GFLOP/s`,
      },
    });
  }
  if (pipeline) {
    charts['pipeline.svg'] = barChart({
      title: 'End to end, event to Postgres row: capacity against the pipeline’s own parts',
      unit: 'listings/s',
      caption,
      groups: pipeline.buses.map((b) => ({
        label: runLabel(b),
        bars: [{ series: 'whole pipeline (flood)', value: b.capacity_per_s }],
      })),
      reference: {
        value: pipeline.parts.parts_bound_per_s,
        label: `decode + inference alone: ${pipeline.parts.parts_bound_per_s}/s`,
      },
    });
    charts['latency.svg'] = barChart({
      title: 'Event-to-row latency at 50 % of capacity',
      unit: 'ms',
      caption,
      groups: pipeline.buses.map((b) => ({
        label: `${runLabel(b)} (${b.rate_per_s}/s)`,
        bars: [
          { series: 'p50', value: b.latency_ms.p50 },
          { series: 'p95', value: b.latency_ms.p95 },
          { series: 'p99', value: b.latency_ms.p99 },
        ],
      })),
    });
  }
  for (const bus of pipeline?.buses ?? []) {
    const soakCaption = `steady load at 50% of capacity, ${runLabel(bus)}: ${bus.rate_per_s} listings/s for ${bus.minutes} min; ${caption}`;
    charts[soakChartFile(bus)] = soakChart(bus.samples, soakCaption);
  }
  for (const run of soak?.runs ?? []) {
    const soakCaption = `steady load at 50% of capacity, ${runLabel(run)}: ${run.rate_per_s} listings/s for ${run.minutes} min; ${caption}`;
    charts[soakChartFile(run, true)] = soakChart(run.samples, soakCaption);
  }
  if (vectors) {
    charts['vectors.svg'] = barChart({
      title: 'Nearest-neighbour query time (k = 10, 256-d, pgvector in PGlite)',
      unit: 'ms per query, mean',
      caption,
      log: true,
      groups: vectors.scales.map((s) => ({
        label: `${num(s.embeddings, 0)} embeddings`,
        bars: s.methods.map((m) => ({ series: shortMethod(m.method), value: m.mean_ms })),
      })),
    });
  }
  if (quality) {
    const fm = quality.fashion_mnist;
    charts['quality-fashion-mnist.svg'] = barChart({
      title: 'Fashion-MNIST test accuracy: grokcat’s reference model and published results',
      unit: 'top-1',
      caption,
      groups: [
        { label: 'grokcat', bars: [{ series: 'top-1', value: fm.top1 }] },
        ...fm.published.map((p) => ({
          label: p.method.split(/[,(]/)[0]?.trim() ?? p.method,
          bars: [{ series: 'top-1', value: p.top1 }],
        })),
      ],
    });
    const c = quality.demo.evaluation.canonicalization;
    charts['quality-canonicalization.svg'] = barChart({
      title: 'Canonicalization on the demo marketplace (pairwise F1, test half)',
      unit: 'F1',
      caption,
      groups: [
        { label: 'pipeline', bars: [{ series: 'F1', value: c.pipeline.test_half.pairwise.f1 }] },
        { label: 'fused', bars: [{ series: 'F1', value: c.fused.pairwise.f1 }] },
        { label: 'image', bars: [{ series: 'F1', value: c.image.pairwise.f1 }] },
        { label: 'title', bars: [{ series: 'F1', value: c.text.pairwise.f1 }] },
        { label: 'pHash', bars: [{ series: 'F1', value: c.phash.pairwise.f1 }] },
        { label: 'dHash', bars: [{ series: 'F1', value: c.dhash.pairwise.f1 }] },
      ],
    });
  }
  if (scaling) {
    charts['scaling.svg'] = barChart({
      title: 'Enricher processes on the Kafka mock cluster (8 partitions), one cataloger',
      unit: 'listings/s',
      caption,
      groups: scaling.runs.map((r) => ({
        label: `${r.enrichers} enricher${r.enrichers > 1 ? 's' : ''}${r.database === 'postgresql' ? ', native PostgreSQL' : ''}`,
        bars: [{ series: 'listings/s', value: r.listings_per_s }],
      })),
    });
  }
  return charts;
}

const shortMethod = (m: string) =>
  m
    .replace('exact (sequential scan)', 'exact')
    .replace(/HNSW, ef_search (\d+).*/, 'HNSW ef $1')
    .replace(/binary code scan, top (\d+).*/, 'bits scan top $1')
    .replace(/binary code HNSW, top (\d+).*/, 'bits HNSW top $1');

export { benchmarkReadme } from './benchmark-readme.ts';

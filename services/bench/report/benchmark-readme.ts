import { backlogSentence } from './backlog-verdict.ts';
import { machineCaption } from './machine-info.ts';
import { num, pct, table } from './markdown-table.ts';
import { qualitySection } from './quality-readme.ts';
import { type BenchReport, runLabel, soakChartFile } from './report-types.ts';
import { growthSection, mockWaitSentence, scalingSection, soakSection } from './throughput-readme.ts';

type Suites = BenchReport['suites'];

function inferenceSection(r: BenchReport, s: NonNullable<Suites['inference']>): string[] {
  const gflop = (2 * r.model.macs_per_image) / 1e9;
  const cpu = s.providers.find((p) => p.provider === 'cpu');
  const others = s.providers.filter((p) => p.provider !== 'cpu');
  return [
    '## Inference',
    '',
    `Model \`${r.model.version}\`: ${num(r.model.macs_per_image / 1e6, 0)} M multiply-adds = ${gflop.toFixed(2)} GFLOP per image. ` +
      `The runtime takes single-image requests and batches them itself (as the enricher and API use it); bare ONNX Runtime runs ready batch tensors. ` +
      `Median of three alternating runs per batch size. The machine's ceiling, measured in the same run: **${s.matmul.gflop_s} GFLOP/s** (${s.matmul.note}).`,
    '',
    table(
      ['batch', 'runtime img/s', 'bare img/s', 'runtime / bare', 'GFLOP/s (runtime)', 'of the SGEMM ceiling'],
      (cpu?.batches ?? []).map((b) => [
        b.batch,
        num(b.runtime_img_s),
        num(b.bare_img_s),
        b.ratio.toFixed(2),
        num(b.gflop_s),
        pct(b.gflop_s / s.matmul.gflop_s),
      ]),
    ),
    '',
    `Preprocessing (decode, EXIF, resize, normalise) of 1024 x 1024 JPEGs, four at a time: ${num(s.preprocessing_img_s)} img/s.`,
    ...(s.detector
      ? [
          'skipped' in s.detector
            ? `\nPage-photo detector: not measured (${s.detector.skipped}).`
            : `\nPage-photo detector \`${s.detector.name}\`: **${s.detector.ms_per_photo} ms per photo** (${s.detector.note}; ${s.detector.photos} photos).`,
        ]
      : []),
    ...others.map((p) =>
      p.error
        ? `\nExecution provider \`${p.provider}\` on this machine: not available (${p.error.slice(0, 300)}).`
        : `\nExecution provider \`${p.provider}\`: ${p.batches.map((b) => `batch ${b.batch} ${num(b.runtime_img_s)} img/s`).join(', ')}.`,
    ),
    '',
    '![runtime vs bare ONNX Runtime](inference.svg)',
    '![GFLOP/s against the matrix-multiply ceiling](inference-gflops.svg)',
    '',
  ];
}

function pipelineSection(s: NonNullable<Suites['pipeline']>): string[] {
  const { parts } = s;
  return [
    '## End to end: event to Postgres row',
    '',
    "The enricher and cataloger in one process on the embedded database, on each bus (Kafka: librdkafka's mock cluster, 8 partitions). " +
      "Capacity: a flood of listings (one photo each) timed from the first publish to the last `listings.cataloged` event, which is published once the listing's rows are committed. " +
      'Then a steady load at 50 % of that capacity; latency is publish to `listings.cataloged` per listing.',
    '',
    `The pipeline's own parts, measured alone on the same photos: decode ${parts.decode_ms_per_image} ms + inference ${parts.inference_ms_per_image} ms per image ` +
      `(${parts.note}) = at most **${parts.parts_bound_per_s} listings/s** if nothing else cost anything.`,
    '',
    table(
      [
        'bus',
        'capacity listings/s',
        'of decode + inference',
        'load',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'most in flight',
        'memory growth after warm-up',
      ],
      s.buses.map((b) => [
        runLabel(b),
        num(b.capacity_per_s),
        pct(b.capacity_per_s / parts.parts_bound_per_s),
        `${num(b.rate_per_s)}/s for ${b.minutes} min`,
        num(b.latency_ms.p50, 0),
        num(b.latency_ms.p95, 0),
        num(b.latency_ms.p99, 0),
        b.max_in_flight,
        `${b.memory.growth_percent} % (${b.memory.warm_rss_mb} -> ${b.memory.end_rss_mb} MiB)`,
      ]),
    ),
    '',
    ...s.buses.flatMap((b) => [backlogSentence(runLabel(b), b.samples), '']),
    ...mockWaitSentence(s.buses),
    "The rest of the gap to the parts is the work around the model: fetching, hashing and storing each photo, the enricher's and cataloger's " +
      'transactions (upserts, HNSW neighbours, union-find, price comparables), Avro encoding, and the bus itself, all on the same two cores.',
    '',
    '![capacity against the parts](pipeline.svg)',
    '![latency at half load](latency.svg)',
    '',
    ...s.buses.map((b) => `![lag and latency over time, ${runLabel(b)}](${soakChartFile(b)})`),
    '',
  ];
}

function vectorSection(s: NonNullable<Suites['vectors']>): string[] {
  const out = [
    '## Nearest neighbours',
    '',
    `pgvector in the embedded Postgres (PGlite, over its socket, as the cataloger queries it), cosine distance, k = 10. Embeddings: ${s.source}. ` +
      'Recall@10 is against exact search. HNSW is built as the cataloger builds it (m 16, ef_construction 64). The binary-code pre-filter takes ' +
      "candidates by Hamming distance on the model's 256-bit sign code (`bit(256)`, by a scan or its own HNSW index) and re-ranks them by exact cosine.",
    '',
  ];
  for (const scale of s.scales) {
    out.push(
      `### ${num(scale.embeddings, 0)} embeddings`,
      '',
      `Load ${scale.insert_s} s; HNSW build ${scale.hnsw_build_s} s (${scale.hnsw_index_mb} MB); binary-code HNSW build ${scale.bit_index_build_s} s (${scale.bit_index_mb} MB); ${scale.queries} queries.`,
      '',
      table(
        ['method', 'recall@10', 'mean ms', 'p95 ms'],
        scale.methods.map((m) => [m.method, m.recall_at_10.toFixed(3), num(m.mean_ms, 2), num(m.p95_ms, 2)]),
      ),
      '',
    );
  }
  out.push('![query time by method](vectors.svg)', '');
  return out;
}

function gpuSection(r: BenchReport): string[] {
  const parts = r.suites.pipeline?.parts;
  const cpuBest = Math.max(
    0,
    ...(r.suites.inference?.providers.find((p) => p.provider === 'cpu')?.batches ?? []).map(
      (b) => b.bare_img_s,
    ),
  );
  const out = ['## On a GPU', ''];
  if (!r.gpu) {
    out.push(
      'Not measured: no GPU figures beside this report (`gpu.json`, written by `scripts/gpu-bench/run.sh` on a GPU machine; ' +
        'the session that wrote the suite had no GPU machine). What follows is arithmetic on measured CPU figures, not a measurement.',
      '',
    );
    if (parts) {
      const gflop = (2 * r.model.macs_per_image) / 1e9;
      const decodeCores = (photos: number) => (photos * parts.decode_ms_per_image) / 1000;
      out.push(
        `**Extrapolation.** The model needs ${gflop.toFixed(2)} GFLOP per image; this machine runs it at up to ${num(cpuBest, 0)} img/s. ` +
          "A data-centre GPU such as an H100 or H200 is rated near 1,000 TFLOP/s of dense bf16; MobileNetV2's small and depthwise convolutions use " +
          `a small share of that, but even 1 % of it is ${num((0.01 * 1e6) / gflop, 0)} img/s, some ${num((0.01 * 1e6) / gflop / Math.max(1, cpuBest), 0)} times this machine. ` +
          `The model then stops being the limit: decoding stays on the CPU at ${parts.decode_ms_per_image} ms per photo and core here, so ` +
          `1,000 photos/s take about ${num(decodeCores(1000), 0)} cores of decoding and a 16-core GPU machine tops out near ${num(16000 / parts.decode_ms_per_image, 0)} photos/s ` +
          '(set `GROKCAT_MODEL_PROVIDERS=webgpu,cpu` or `cuda,cpu`, and `GROKCAT_MODEL_MAX_BATCH` to 64-128). Beyond one such machine the cataloger and Postgres set the pace (Scaling above).',
        '',
      );
    }
    return out;
  }
  const g = r.gpu;
  const best = Math.max(...g.results.map((x) => x.img_s));
  out.push(
    `Measured separately on ${g.machine.gpu}${g.machine.cpu_cores ? ` (${g.machine.cpu_cores} CPU cores)` : ''}, ${g.machine.date.slice(0, 10)}, with \`${g.command}\`: ` +
      'the same ONNX graph (`model.onnx` of this model version) executed on the GPU.',
    '',
    table(
      ['framework', 'precision', 'batch', 'img/s', 'note'],
      g.results.map((x) => [x.framework, x.precision, x.batch, num(x.img_s, 0), x.note ?? '']),
    ),
    '',
  );
  if (g.onnxruntime_webgpu) {
    out.push(
      `onnxruntime-node's bundled WebGPU provider there: ${g.onnxruntime_webgpu.ok ? 'ran' : 'did not run'}: ${g.onnxruntime_webgpu.detail}` +
        (g.onnxruntime_webgpu.batches
          ? ` (${g.onnxruntime_webgpu.batches.map((b) => `batch ${b.batch}: ${num(b.img_s, 0)} img/s`).join(', ')})`
          : ''),
      '',
    );
  }
  out.push(...g.notes.map((n) => `- ${n}`), '');
  if (parts) {
    const coresToFeed = (best * parts.decode_ms_per_image) / 1000;
    out.push(
      `**Extrapolation.** The GPU runs the model at up to ${num(best, 0)} img/s, ${num(best / Math.max(1, cpuBest), 0)} times this machine's best (${num(cpuBest, 0)} img/s). ` +
        `Decoding stays on the CPU at ${parts.decode_ms_per_image} ms per photo and core here, so feeding the GPU takes about ${num(coresToFeed, 0)} cores of decoding: ` +
        'a GPU enricher is decode-bound unless it has that many cores (or decodes on the GPU, which grokcat does not do yet). ' +
        `A 16-core GPU machine would enrich about ${num(Math.min(best, 16000 / parts.decode_ms_per_image), 0)} photos/s; the cataloger and Postgres then set the pace (see Scaling).`,
      '',
    );
  }
  return out;
}

/** docs/benchmarks/README.md: every figure with the machine it ran on and the date. */
export function benchmarkReadme(r: BenchReport): string {
  const m = r.machine;
  const { inference, pipeline, vectors, quality, scaling, growth, soak } = r.suites;
  const lines = [
    '# grokcat benchmarks',
    '',
    `Written by \`${r.command}\` on **${machineCaption(m)}** (${m.memory_gib} GiB, ${m.os}; CPU features ${m.cpu_flags.join(', ') || 'unknown'}; ` +
      `Node ${m.node}, ONNX Runtime ${m.onnxruntime}, grokcat ${m.grokcat}) in ${Math.round(r.seconds / 60)} minutes${r.quick ? ', with --quick (smaller runs)' : ''}. ` +
      'Every figure below is from that run unless it says otherwise; `results.json` holds them all. Run it again on your machine before sizing anything ' +
      '(docs/operations.md); figures on 2 shared cores move by about ±10 % from run to run.',
    '',
    // A suite re-run again later is described by its latest re-run only.
    ...(r.reruns ?? [])
      .filter((rerun, i, all) =>
        rerun.suites.some((suite) => !all.slice(i + 1).some((later) => later.suites.includes(suite))),
      )
      .flatMap((rerun) => [
        `Re-run later: the ${rerun.suites.join(', ')} suite${rerun.suites.length > 1 ? 's' : ''} on ${rerun.date.slice(0, 10)} ` +
          `with \`${rerun.command}\` (model \`${rerun.model.version}\`); their figures below are from that run.`,
        '',
      ]),
    ...(r.failed.length > 0
      ? [`**Failed suites:** ${r.failed.map((f) => `${f.suite} (${f.error})`).join('; ')}`, '']
      : []),
    ...(inference ? inferenceSection(r, inference) : []),
    ...(pipeline ? pipelineSection(pipeline) : []),
    ...(vectors ? vectorSection(vectors) : []),
    ...(quality ? qualitySection(quality) : []),
    ...(scaling ? scalingSection(r, scaling) : []),
    ...(growth ? growthSection(growth) : []),
    ...(soak ? soakSection(soak) : []),
    ...gpuSection(r),
    '## Reproduce',
    '',
    '```sh',
    'grokcat bench all --out docs/benchmarks            # everything: about an hour on 2 cores (the 100k embeddings are cached per model version)',
    'grokcat bench all --rewrite --out docs/benchmarks  # README.md and charts again from results.json, measuring nothing',
    'grokcat bench all --quick --suites inference,vectors --out /tmp/bench   # a quick look at some suites',
    '```',
    '',
  ];
  return `${lines.join('\n')}`;
}

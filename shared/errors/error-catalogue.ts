/**
 * The one catalogue of grokcat errors. Codes are stable: logs, dead-letter headers, API bodies and
 * CLI exit messages carry them, so never rename one; add a new code instead.
 *
 * `retriable` is what the consumer runtime reads to decide between a bounded retry and the
 * dead-letter topic; `status` is the HTTP status the API answers with.
 */
export const ERROR_CATALOGUE = {
  CONFIG_INVALID: { retriable: false, status: 500, summary: 'configuration is invalid' },
  USAGE_INVALID: { retriable: false, status: 400, summary: 'the command or request is not valid' },
  DB_UNREACHABLE: { retriable: true, status: 503, summary: 'the database cannot be reached' },
  DB_PGVECTOR_MISSING: { retriable: false, status: 500, summary: 'the database has no pgvector extension' },
  DB_MIGRATIONS_PENDING: { retriable: false, status: 503, summary: 'the database schema is not up to date' },
  DB_MIGRATION_FAILED: { retriable: false, status: 500, summary: 'a database migration failed' },
  DB_EMBEDDED_LOCKED: {
    retriable: true,
    status: 503,
    summary: 'the embedded database is held by another process that does not answer',
  },
  DB_TRANSIENT: { retriable: true, status: 503, summary: 'a transient database error occurred' },
  DB_QUERY_FAILED: { retriable: false, status: 500, summary: 'a database query failed' },
  CATALOG_CONFLICT: {
    retriable: true,
    status: 409,
    summary:
      'another cataloger changed a product this batch relies on (merged it, or is founding one); retried',
  },
  EVENT_INVALID: { retriable: false, status: 400, summary: 'an event does not match its topic schema' },
  EVENT_UNDECODABLE: { retriable: false, status: 400, summary: 'a message cannot be decoded' },
  EVENT_SCHEMA_UNKNOWN: {
    retriable: false,
    status: 400,
    summary: 'a message was written with a schema this version of grokcat does not know',
  },
  EVENT_ID_CONFLICT: {
    retriable: false,
    status: 400,
    summary: "a message's grokcat-event-id header disagrees with the event_id in its body",
  },
  TOPIC_UNKNOWN: { retriable: false, status: 400, summary: 'no schema is known for this topic' },
  SCHEMA_REGISTRY_UNAVAILABLE: {
    retriable: true,
    status: 503,
    summary: 'the schema registry cannot be reached',
  },
  BUS_UNAVAILABLE: { retriable: true, status: 503, summary: 'the event bus cannot be reached' },
  BUS_UNSUPPORTED: {
    retriable: false,
    status: 501,
    summary: 'the brokers do not support this operation (the librdkafka mock cluster has no CreateTopics)',
  },
  BUS_PUBLISH_REJECTED: {
    retriable: false,
    status: 500,
    summary:
      'the broker refused a message for good (too large, not authorised, invalid); a retry cannot help',
  },
  BUS_CONSUMER_STOPPED: { retriable: false, status: 503, summary: 'the consumer was stopped' },
  IMAGE_REFUSED: { retriable: false, status: 422, summary: 'an image was refused' },
  IMAGE_UNAVAILABLE: {
    retriable: true,
    status: 502,
    summary: 'an image could not be fetched now (timeout, server error); a retry may succeed',
  },
  LISTING_NO_USABLE_IMAGE: {
    retriable: false,
    status: 422,
    summary: 'a listing has no photo that could be fetched and decoded',
  },
  MODEL_INVALID: { retriable: false, status: 500, summary: 'a model file or model card is not valid' },
  MODEL_SWAPPING: {
    retriable: true,
    status: 503,
    summary: 'the serving model changed while an event was processed; a retry runs it on one version',
  },
  MODEL_NOT_FOUND: { retriable: false, status: 404, summary: 'no such model version' },
  MODEL_CONVERSION_FAILED: {
    retriable: false,
    status: 500,
    summary: 'a model could not be converted to ONNX',
  },
  API_KEY_REQUIRED: {
    retriable: false,
    status: 401,
    summary: 'the request has no API key (Authorization: Bearer <key> or X-API-Key)',
  },
  API_KEY_INVALID: { retriable: false, status: 401, summary: 'the API key is unknown, malformed or revoked' },
  API_SCOPE_MISSING: {
    retriable: false,
    status: 403,
    summary: 'the API key lacks the scope this route needs',
  },
  RATE_LIMITED: {
    retriable: true,
    status: 429,
    summary:
      "the API key made more requests than its limit allows; retry after the Retry-After header's seconds",
  },
  REQUEST_INVALID: { retriable: false, status: 400, summary: 'the request does not match its schema' },
  REQUEST_TOO_LARGE: { retriable: false, status: 413, summary: 'the request body or upload is too large' },
  MEDIA_TYPE_UNSUPPORTED: {
    retriable: false,
    status: 415,
    summary: 'the request has a content type this route does not take',
  },
  ROUTE_NOT_FOUND: { retriable: false, status: 404, summary: 'no such route' },
  LISTING_NOT_FOUND: {
    retriable: false,
    status: 404,
    summary: 'no such listing in the catalogue (a new listing appears once the cataloger wrote it)',
  },
  LISTING_FAILED: {
    retriable: false,
    status: 422,
    summary: 'the listing was dead-lettered and will not be cataloged (its status says why)',
  },
  LISTING_NOT_ENRICHED: { retriable: true, status: 409, summary: 'the listing has no enrichment yet' },
  PRODUCT_NOT_FOUND: { retriable: false, status: 404, summary: 'no such product' },
  PRICE_NOT_FOUND: { retriable: false, status: 404, summary: 'the listing has no price suggestion yet' },
  PHOTO_NOT_FOUND: { retriable: false, status: 404, summary: 'the listing has no photo at this position' },
  PAGE_PHOTO_NOT_FOUND: { retriable: false, status: 404, summary: 'no page photo with this id was tagged' },
  PHOTO_NOT_KEPT: {
    retriable: false,
    status: 404,
    summary: 'the photo was not kept (it failed to fetch or decode, or predates inline photo storage)',
  },
  IMAGE_LINK_INVALID: {
    retriable: false,
    status: 403,
    summary: 'the image link is expired or its signature is wrong',
  },
  SERVICE_NOT_READY: { retriable: true, status: 503, summary: 'the service is starting or stopping' },
  INTERNAL: { retriable: false, status: 500, summary: 'an unexpected internal error occurred' },
} as const satisfies Record<string, { retriable: boolean; status: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

export interface GrokcatErrorOptions {
  cause?: unknown;
  /** Structured facts for logs and API bodies; never secrets. */
  details?: Record<string, unknown>;
}

export class GrokcatError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly status: number;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: GrokcatErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GrokcatError';
    this.code = code;
    this.retriable = ERROR_CATALOGUE[code].retriable;
    this.status = ERROR_CATALOGUE[code].status;
    this.details = options.details ?? {};
  }

  toJSON(): { code: ErrorCode; message: string; retriable: boolean; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, retriable: this.retriable, details: this.details };
  }
}

export function isGrokcatError(error: unknown, code?: ErrorCode): error is GrokcatError {
  return error instanceof GrokcatError && (code === undefined || error.code === code);
}

// Node socket errors that mean "try again later", not "this input is bad".
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * SQLSTATE classes and codes that Postgres documents as transient: connection exceptions (08),
 * serialization failures and deadlocks (40001, 40P01), insufficient resources (53), operator
 * intervention such as admin shutdown (57P01..57P03).
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
function isTransientSqlState(state: string): boolean {
  return (
    state.startsWith('08') ||
    state.startsWith('53') ||
    state === '40001' ||
    state === '40P01' ||
    state === '57P01' ||
    state === '57P02' ||
    state === '57P03'
  );
}

/** Wraps anything thrown into a GrokcatError, classifying database and network failures. */
export function toGrokcatError(error: unknown): GrokcatError {
  if (error instanceof GrokcatError) return error;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (typeof code === 'string') {
    if (TRANSIENT_NETWORK_CODES.has(code)) {
      return new GrokcatError('DB_UNREACHABLE', message, { cause: error, details: { errno: code } });
    }
    if (/^[0-9A-Z]{5}$/.test(code)) {
      const kind = isTransientSqlState(code) ? 'DB_TRANSIENT' : 'DB_QUERY_FAILED';
      return new GrokcatError(kind, message, { cause: error, details: { sqlstate: code } });
    }
  }
  // node-postgres's words for a connection lost mid-transaction (also on the ROLLBACK that follows).
  if (
    /Connection terminated|not queryable|timeout expired|Knex: Timeout acquiring a connection/i.test(message)
  ) {
    return new GrokcatError('DB_UNREACHABLE', message, { cause: error });
  }
  return new GrokcatError('INTERNAL', message, { cause: error });
}

export function isRetriable(error: unknown): boolean {
  return toGrokcatError(error).retriable;
}

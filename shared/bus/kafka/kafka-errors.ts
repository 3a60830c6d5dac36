import { GrokcatError } from '../../errors/error-catalogue.ts';

interface KafkaJsErrorShape {
  name?: string;
  message?: string;
  retriable?: boolean;
  type?: string;
  cause?: unknown;
  originalError?: unknown;
}

/**
 * Whether kafkajs says an error can never succeed on retry. kafkajs marks each error `retriable`
 * (errors.js; protocol errors by the broker's error code, e.g. MESSAGE_TOO_LARGE, TOPIC_AUTHORIZATION_FAILED
 * and INVALID_RECORD are not). KafkaJSNumberOfRetriesExceeded is marked non-retriable although what it
 * gave up on (a broker that is down) may well succeed later: its cause decides.
 */
export function isPermanentKafkaError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as KafkaJsErrorShape;
  if (e.name === 'KafkaJSNumberOfRetriesExceeded') return isPermanentKafkaError(e.cause ?? e.originalError);
  if (e.name === 'KafkaJSProtocolError' || e.name === 'KafkaJSNonRetriableError')
    return e.retriable === false;
  return false;
}

/** A failed publish as a GrokcatError that carries kafkajs's verdict: permanent or worth a retry. */
export function publishError(error: unknown): GrokcatError {
  const e = (error ?? {}) as KafkaJsErrorShape;
  const type = chain(error).find((link) => link.type)?.type;
  const detail = `${e.message ?? String(error)}${type ? ` (${type})` : ''}`;
  return isPermanentKafkaError(error)
    ? new GrokcatError('BUS_PUBLISH_REJECTED', `Kafka refused the message for good: ${detail}`, {
        cause: error,
        details: type ? { kafka_error: type } : {},
      })
    : new GrokcatError('BUS_UNAVAILABLE', `Kafka publish failed: ${detail}`, { cause: error });
}

const NAMES_OF_UNSUPPORTED = new Set(['KafkaJSBrokerNotFound', 'KafkaJSServerDoesNotSupportApiKey']);

/** Walks an error and its causes: the names and protocol types kafkajs gave each. */
function chain(error: unknown): KafkaJsErrorShape[] {
  const found: KafkaJsErrorShape[] = [];
  let current: unknown = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const e = current as KafkaJsErrorShape;
    found.push(e);
    current = e.cause ?? e.originalError;
  }
  return found;
}

/**
 * CreateTopics failing because the brokers cannot do it at all: librdkafka's mock cluster reports no
 * controller (kafkajs: "Broker 0 not found in the cached metadata"), older brokers lack the API.
 */
export function isCreateTopicsUnsupported(error: unknown): boolean {
  return chain(error).some((e) => NAMES_OF_UNSUPPORTED.has(e.name ?? '') || e.type === 'UNSUPPORTED_VERSION');
}

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  type ErrorCode,
  GrokcatError,
  isGrokcatError,
  toGrokcatError,
} from '../../shared/errors/error-catalogue.ts';

// Fastify's and its plugins' own error codes, mapped onto the catalogue.
const FRAMEWORK_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'REQUEST_TOO_LARGE',
  FST_REQ_FILE_TOO_LARGE: 'REQUEST_TOO_LARGE',
  FST_FILES_LIMIT: 'REQUEST_TOO_LARGE',
  FST_PARTS_LIMIT: 'REQUEST_TOO_LARGE',
  FST_FIELDS_LIMIT: 'REQUEST_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'MEDIA_TYPE_UNSUPPORTED',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'MEDIA_TYPE_UNSUPPORTED',
};

/** Any error a route or the framework raises, as a catalogue error with the right status. */
export function apiError(error: FastifyError | Error): GrokcatError {
  if (isGrokcatError(error)) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const first = fastifyError.validation[0];
    const extra = first?.params?.additionalProperty ? ` (${first.params.additionalProperty})` : '';
    return new GrokcatError('REQUEST_INVALID', `${error.message}${extra}`, {
      details: {
        problems: fastifyError.validation.map((v) => ({
          at: `${fastifyError.validationContext ?? 'body'}${v.instancePath}`,
          problem: `${v.message ?? 'invalid'}${v.params?.additionalProperty ? `: ${v.params.additionalProperty}` : ''}`,
        })),
      },
    });
  }
  const mapped = fastifyError.code ? FRAMEWORK_CODES[fastifyError.code] : undefined;
  if (mapped) return new GrokcatError(mapped, error.message);
  const status = fastifyError.statusCode ?? 500;
  if (status === 413) return new GrokcatError('REQUEST_TOO_LARGE', error.message);
  if (status === 415) return new GrokcatError('MEDIA_TYPE_UNSUPPORTED', error.message);
  if (status >= 400 && status < 500) return new GrokcatError('REQUEST_INVALID', error.message);
  return toGrokcatError(error);
}

function send(reply: FastifyReply, request: FastifyRequest, failure: GrokcatError) {
  const body = {
    error: {
      code: failure.code,
      message: failure.message,
      retriable: failure.retriable,
      ...(Object.keys(failure.details).length > 0 ? { details: failure.details } : {}),
    },
    request_id: request.id,
  };
  return reply.status(failure.status).type('application/json').send(body);
}

/** Every error answers JSON `{ error: { code, message, retriable, details? }, request_id }`. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const failure = apiError(error);
    if (failure.status >= 500) {
      request.log.error({ err: error, code: failure.code }, 'request failed');
      // Internal details stay in the log; the caller gets the code and the request id.
      if (failure.code === 'INTERNAL' || failure.code === 'DB_QUERY_FAILED') {
        return send(reply, request, new GrokcatError(failure.code, 'an unexpected internal error occurred'));
      }
    }
    return send(reply, request, failure);
  });
  app.setNotFoundHandler((request, reply) =>
    send(
      reply,
      request,
      new GrokcatError('ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
    ),
  );
}

import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HasadError } from '@hasad/core';

/** A 4xx answer a route gives on purpose; its code and message reach the client unchanged. */
export class ApiError extends HasadError {
  readonly statusCode: number;
  constructor(statusCode: number, code: string, message: string, context: Record<string, unknown> = {}) {
    super(code, message, { context, permanent: true });
    this.statusCode = statusCode;
  }
}

export function notFound(what: string, key: string): ApiError {
  return new ApiError(404, 'not_found', `no ${what} ${JSON.stringify(key)}`, { what, key });
}

/** `Not Found` → `not_found`, for 4xx errors that carry no code of ours. */
function codeForStatus(status: number): string {
  return (STATUS_CODES[status] ?? 'error').toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

type ValidationIssue = NonNullable<FastifyError['validation']>[number];

/**
 * Ajv says `querystring/limit must be <= 200`; an enum failure does not list the allowed
 * values, which is what a user needs next, so they are appended.
 */
function describeValidation(err: FastifyError): string {
  const ctx = err.validationContext ?? 'request';
  const parts = (err.validation ?? []).map((v: ValidationIssue) => {
    const name = v.instancePath ? v.instancePath.replace(/^\//, '').replaceAll('/', '.') : (v.params as { missingProperty?: string }).missingProperty;
    const where = name ? `${ctx} parameter "${name}"` : ctx;
    const allowed = (v.params as { allowedValues?: unknown[] }).allowedValues;
    return `${where} ${v.message ?? 'is invalid'}${allowed ? `: ${allowed.map(String).join(', ')}` : ''}`;
  });
  return parts.length ? parts.join('; ') : err.message;
}

/**
 * The one error handler: 4xx answers name what was wrong, 5xx answers carry a generic
 * message and the request id, and the detail goes to the log only.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    if (err.validation) {
      req.log.debug({ err }, 'invalid request');
      return reply.code(400).send({ error: { code: 'invalid_parameter', message: describeValidation(err) } });
    }
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status < 500) {
      req.log.debug({ err }, 'client error');
      const code = err instanceof ApiError ? err.code : codeForStatus(status);
      return reply.code(status).send({ error: { code, message: err.message } });
    }
    req.log.error({ err }, 'request failed');
    return reply.code(status).send({
      error: { code: status === 503 ? 'unavailable' : 'internal', message: 'the server could not answer this request; quote the request id when reporting it', requestId: String(req.id) },
    });
  });

  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    return reply.code(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` } });
  });
}

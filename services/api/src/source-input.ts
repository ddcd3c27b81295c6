import type { FastifyRequest, preValidationAsyncHookHandler } from 'fastify';
import { ApiError } from './errors.ts';

/** A 400 naming the body parameter at fault. */
export function badParam(name: string, code: string, message: string): ApiError {
  return new ApiError(400, code, `body parameter "${name}": ${message}`, { field: name });
}

/** Refuses anything but an absolute http or https URL (the fetcher re-checks every address). */
export function checkFeedUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw badParam('url', 'invalid_parameter', `"${url}" is not an absolute URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw badParam('url', 'invalid_parameter', `only http and https URLs can be harvested, not ${u.protocol}`);
}

/**
 * A route-level hook that refuses body properties the route does not know (Fastify's own
 * validation would drop them silently, and a mistyped `"shedule"` would register a source
 * with no schedule). A missing body becomes `{}` when `emptyIsObject` (e.g. approve).
 */
export function knownBodyKeys(keys: readonly string[], opts: { emptyIsObject?: boolean } = {}): preValidationAsyncHookHandler {
  const known = new Set(keys);
  return async (req: FastifyRequest) => {
    if (req.body === undefined || req.body === null) {
      if (opts.emptyIsObject) req.body = {};
      return;
    }
    if (typeof req.body !== 'object' || Array.isArray(req.body)) return; // the schema answers that
    const unknown = Object.keys(req.body).filter((k) => !known.has(k));
    if (unknown.length) {
      throw badParam(unknown[0]!, 'invalid_parameter', `unknown ${unknown.length === 1 ? 'property' : `properties (${unknown.join(', ')})`}; known: ${keys.join(', ')}`);
    }
  };
}

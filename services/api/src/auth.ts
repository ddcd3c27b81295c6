import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { findTokenPrincipal, touchApiToken, type TokenPrincipal } from '@hasad/db';
import type { ApiDeps } from './deps.ts';
import { ApiError } from './errors.ts';

/**
 * Who may call a route:
 * - `public`: anyone (the catalogue);
 * - `token`: any valid token; an organisation token then sees only its organisation's sources and runs;
 * - `operator`: operator tokens only.
 * Routes under /api/v1 with a method other than GET/HEAD/OPTIONS default to `token`, every other route to `public`.
 */
export type Access = 'public' | 'token' | 'operator';

declare module 'fastify' {
  interface FastifyRequest {
    /** The owner of the request's valid bearer token; null without one. */
    principal: TokenPrincipal | null;
    /** Why the bearer token presented was refused; answered after rate limiting, so refusals count against the IP. */
    authFailure: ApiError | null;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

/** `last_used_at` is written at most this often per token. */
const TOUCH_INTERVAL_MS = 60_000;
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The 401 every route gives without a usable token. */
export function unauthorized(code: string, message: string): ApiError {
  return new ApiError(401, code, message);
}

function accessOf(req: FastifyRequest): Access {
  const declared = req.routeOptions.config?.access;
  if (declared) return declared;
  return !READ_METHODS.has(req.method) && req.url.startsWith('/api/v1/') ? 'token' : 'public';
}

/**
 * Reads `Authorization: Bearer hsd_…` on every request. The token is looked up by its SHA-256
 * (a unique-index probe: no comparison of the secret itself), refused when unknown, revoked or
 * expired, and never logged (the logger redacts `req.headers.authorization`; Fastify's request
 * serialiser does not log headers at all). The route's access rule is enforced in
 * `preValidation`, after the rate limiter, so that bad tokens are rate limited by IP address.
 */
export function installAuth(app: FastifyInstance, deps: ApiDeps): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('authFailure', null);

  app.addHook('onRequest', async (req) => {
    const header = req.headers.authorization;
    if (header === undefined || header === '') return;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) {
      req.authFailure = unauthorized('invalid_token', 'the Authorization header must be "Bearer hsd_…" with an API token');
      return;
    }
    const found = await findTokenPrincipal(deps.db, m[1]!);
    const now = Date.now();
    if (!found) req.authFailure = unauthorized('invalid_token', 'the API token is not valid (unknown or malformed); ask for a new one');
    else if (found.revokedAt) req.authFailure = unauthorized('token_revoked', `the API token ${found.prefix}… was revoked on ${found.revokedAt.toISOString()}`);
    else if (found.expiresAt && found.expiresAt.getTime() <= now) req.authFailure = unauthorized('token_expired', `the API token ${found.prefix}… expired on ${found.expiresAt.toISOString()}`);
    else {
      req.principal = found;
      if (!found.lastUsedAt || now - found.lastUsedAt.getTime() >= TOUCH_INTERVAL_MS) {
        // Not awaited: bookkeeping must not slow down or fail the request.
        touchApiToken(deps.db, found.tokenId, TOUCH_INTERVAL_MS).catch((err: unknown) => req.log.warn({ err, tokenId: found.tokenId }, 'could not record token use'));
      }
    }
  });

  app.addHook('preValidation', async (req, reply: FastifyReply) => {
    if (req.authFailure) {
      reply.header('www-authenticate', 'Bearer realm="hasad", error="invalid_token"');
      throw req.authFailure;
    }
    const access = accessOf(req);
    if (access === 'public') return;
    if (!req.principal) {
      reply.header('www-authenticate', 'Bearer realm="hasad"');
      throw unauthorized('unauthorized', `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]} needs an API token: send "Authorization: Bearer hsd_…" (an operator creates one with "hasad token create --org SLUG")`);
    }
    if (access === 'operator' && req.principal.role !== 'operator') {
      throw new ApiError(403, 'operator_only', `${req.method} ${req.routeOptions.url} is for operators; an organisation token cannot use it`);
    }
  });
}

/** The principal of a route whose access is `token` or `operator` (the hook guarantees one). */
export function principalOf(req: FastifyRequest): TokenPrincipal {
  if (!req.principal) throw unauthorized('unauthorized', 'this request needs an API token');
  return req.principal;
}

/** True when the principal may see and act on things of `organizationId`: operators always, organisations their own. */
export function canActOn(p: TokenPrincipal, organizationId: string): boolean {
  return p.role === 'operator' || p.organizationId === organizationId;
}

/** The OpenAPI security requirement of routes that need a token. */
export const bearerSecurity = [{ bearerAuth: [] }];

import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiDeps } from './deps.ts';
import { ApiError } from './errors.ts';

/** Probes that orchestrators call every few seconds; never limited. */
const UNLIMITED = new Set(['/healthz', '/readyz']);
const WINDOW_MS = 60_000;

const unlimited = (req: FastifyRequest) => UNLIMITED.has(req.routeOptions.url ?? '');
const seconds = (ttlMs: number) => Math.max(1, Math.ceil(ttlMs / 1000));

function tooMany(reply: FastifyReply, ttlMs: number, message: string): ApiError {
  reply.header('retry-after', String(seconds(ttlMs)));
  return new ApiError(429, 'rate_limited', `${message}; retry in ${seconds(ttlMs)} s`);
}

/**
 * Rate limits, each over one minute, with 429 `rate_limited` and Retry-After (seconds):
 * - per token (its id) when the request carries a valid one: HASAD_RATE_LIMIT_PER_MINUTE;
 * - per client address otherwise (no token, or a refused one): HASAD_RATE_LIMIT_ANONYMOUS_PER_MINUTE;
 * - per client address for every request carrying a token, valid or not, whichever token it is:
 *   HASAD_RATE_LIMIT_PER_IP_PER_MINUTE, so one address cycling through many tokens is limited;
 * - per client address for refused tokens (unknown, revoked, expired, malformed): once an address
 *   has had HASAD_RATE_LIMIT_ANONYMOUS_PER_MINUTE of them refused in the window, its requests
 *   with a token are refused before the token is looked up in the database.
 * The two per-address checks on tokens run before authentication, so they cost no database
 * query. The counters live in the API process's memory: behind a load balancer each API
 * process counts on its own; the client address is the socket's peer.
 *
 * Must be installed before `installAuth`: its `onRequest` hook has to run before the token
 * lookup and its `preValidation` hook before the refusal of a bad token. The plugin's own
 * per-route hooks run after every app-level hook, so they see `req.principal` set.
 */
export async function installRateLimit(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const perToken = deps.config.HASAD_RATE_LIMIT_PER_MINUTE;
  const anonymous = deps.config.HASAD_RATE_LIMIT_ANONYMOUS_PER_MINUTE;
  const perIp = deps.config.HASAD_RATE_LIMIT_PER_IP_PER_MINUTE;
  await app.register(rateLimit, {
    global: true,
    timeWindow: WINDOW_MS,
    max: (req: FastifyRequest) => (req.principal ? perToken : anonymous),
    keyGenerator: (req: FastifyRequest) => (req.principal ? `token:${req.principal.tokenId}` : `ip:${req.ip}`),
    allowList: unlimited,
    errorResponseBuilder: (req, ctx) =>
      new ApiError(
        429,
        'rate_limited',
        `too many requests: at most ${ctx.max} a minute ${req.principal ? 'for this token' : 'from this address without a valid token'}; retry in ${seconds(ctx.ttl)} s`,
      ),
  });

  // Each limiter below has a store of its own, apart from the per-route one above.
  const withToken = app.createRateLimit({ timeWindow: WINDOW_MS, max: perIp, keyGenerator: (req) => `ip-token:${req.ip}` });
  const refused = app.createRateLimit({ timeWindow: WINDOW_MS, max: anonymous, keyGenerator: (req) => `ip-refused:${req.ip}` });

  app.addHook('onRequest', async (req, reply) => {
    if (req.headers.authorization === undefined || req.headers.authorization === '' || unlimited(req)) return;
    const failed = await refused(req, { increment: false });
    if (!failed.isAllowed && failed.remaining === 0) {
      throw tooMany(reply, failed.ttl, `too many refused API tokens from this address: at most ${failed.max} a minute`);
    }
    const all = await withToken(req);
    if (!all.isAllowed && all.isExceeded) {
      throw tooMany(reply, all.ttl, `too many requests: at most ${all.max} a minute with API tokens from this address`);
    }
  });

  // Counted here, after the lookup (`installAuth`'s onRequest hook), and before its refusal.
  app.addHook('preValidation', async (req) => {
    if (req.authFailure) await refused(req);
  });
}

import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiDeps } from './deps.ts';
import { ApiError } from './errors.ts';

/** Probes that orchestrators call every few seconds; never limited. */
const UNLIMITED = new Set(['/healthz', '/readyz']);

/**
 * Rate limits every route per token (its id) when the request carries a valid one, else per
 * client address: HASAD_RATE_LIMIT_PER_MINUTE and HASAD_RATE_LIMIT_ANONYMOUS_PER_MINUTE. A
 * request over the limit gets 429 with Retry-After (seconds). The counters live in the API
 * process's memory: behind a load balancer each API process counts on its own.
 *
 * Registered after `installAuth`: the plugin's hook is added to each route and so runs after
 * the app-level authentication hook, which has set `req.principal` by then.
 */
export async function installRateLimit(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  const perToken = deps.config.HASAD_RATE_LIMIT_PER_MINUTE;
  const anonymous = deps.config.HASAD_RATE_LIMIT_ANONYMOUS_PER_MINUTE;
  await app.register(rateLimit, {
    global: true,
    timeWindow: 60_000,
    max: (req: FastifyRequest) => (req.principal ? perToken : anonymous),
    keyGenerator: (req: FastifyRequest) => (req.principal ? `token:${req.principal.tokenId}` : `ip:${req.ip}`),
    allowList: (req: FastifyRequest) => UNLIMITED.has(req.routeOptions.url ?? ''),
    errorResponseBuilder: (req, ctx) =>
      new ApiError(
        429,
        'rate_limited',
        `too many requests: at most ${ctx.max} a minute ${req.principal ? 'for this token' : 'from this address without a token'}; retry in ${Math.max(1, Math.ceil(ctx.ttl / 1000))} s`,
      ),
  });
}

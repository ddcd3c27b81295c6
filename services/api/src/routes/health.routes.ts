import type { FastifyInstance } from 'fastify';
import { pingPool } from '@hasad/db';
import type { createRedis } from '@hasad/queues';
import type { ApiDeps } from '../deps.ts';

/** How long each readiness probe may take before it counts as failed, in milliseconds. */
export const READY_TIMEOUT_MS = 2_000;

type CheckResult = 'ok' | 'timeout' | 'error';

/** Runs `probe` with a deadline; never rejects, and a late rejection is swallowed. */
async function check(probe: () => Promise<unknown>, onError: (err: unknown) => void): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), READY_TIMEOUT_MS);
  });
  const attempt = probe().then(
    (): CheckResult => 'ok',
    (err: unknown): CheckResult => {
      onError(err);
      return 'error';
    },
  );
  try {
    return await Promise.race([attempt, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const checkValue = { type: 'string', enum: ['ok', 'timeout', 'error'] } as const;
const readyBody = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ok', 'unavailable'] },
    checks: { type: 'object', required: ['postgres', 'redis'], properties: { postgres: checkValue, redis: checkValue } },
  },
} as const;

export function healthRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    '/healthz',
    { schema: { tags: ['operations'], summary: 'Liveness: the process answers', response: { 200: { type: 'object', required: ['status'], properties: { status: { type: 'string', const: 'ok' } } } } } },
    async () => ({ status: 'ok' }),
  );

  app.get('/readyz', { schema: { tags: ['operations'], summary: 'Readiness: PostgreSQL and Redis reachable (503 otherwise)', response: { 200: readyBody, 503: readyBody } } }, async (req, reply) => {
    const [postgres, redis] = await Promise.all([
      check(
        () => pingPool(deps.db),
        (err) => req.log.warn({ err }, 'readiness: PostgreSQL check failed'),
      ),
      check(
        // `client` resolves once the queue's connection is ready; with Redis down it waits,
        // which the deadline turns into `timeout`. BullMQ types the client by the commands it
        // uses itself, without PING; `Queues` builds it on an ioredis connection, which has it.
        async () => ((await deps.queues.harvest.client) as unknown as Pick<ReturnType<typeof createRedis>, 'ping'>).ping(),
        (err) => req.log.warn({ err }, 'readiness: Redis check failed'),
      ),
    ]);
    const ok = postgres === 'ok' && redis === 'ok';
    if (!ok) req.log.warn({ postgres, redis }, 'not ready');
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', checks: { postgres, redis } });
  });
}

import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { ApiDeps } from './deps.ts';
import { healthRoutes } from './routes/health.routes.ts';
import { metricsRoutes } from './routes/metrics.routes.ts';
import type { RunningApi } from './main.ts';

/**
 * The small HTTP server every worker process (scheduler, fetcher, loader) runs when it does not
 * run the API: `/healthz` and `/readyz` for orchestrators' probes, and `/metrics` for Prometheus. Same handlers as the API's.
 */
export async function startOpsServer(deps: ApiDeps, port: number): Promise<RunningApi> {
  // Probes arrive every few seconds: their request logs (info) are not worth keeping.
  const app = Fastify({ loggerInstance: deps.log.child({ component: 'ops' }, { level: 'warn' }) as FastifyBaseLogger });
  healthRoutes(app, deps);
  metricsRoutes(app, deps);
  await app.listen({ port, host: deps.config.HOST });
  const addr = app.server.address() as AddressInfo;
  return { url: `http://${addr.address}:${addr.port}`, close: () => app.close() };
}

import Fastify, { type FastifyBaseLogger } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { ApiDeps } from './deps.ts';
import { healthRoutes } from './routes/health.routes.ts';
import type { RunningApi } from './main.ts';

/**
 * The small HTTP server every worker process (scheduler, fetcher, loader) runs when it does not
 * run the API: `/healthz` and `/readyz` for orchestrators' probes. Same handlers as the API's.
 */
export async function startOpsServer(deps: ApiDeps, port: number): Promise<RunningApi> {
  const app = Fastify({ loggerInstance: deps.log.child({ component: 'ops' }) as FastifyBaseLogger, disableRequestLogging: true });
  healthRoutes(app, deps);
  await app.listen({ port, host: deps.config.HOST });
  const addr = app.server.address() as AddressInfo;
  return { url: `http://${addr.address}:${addr.port}`, close: () => app.close() };
}

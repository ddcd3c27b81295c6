import type { FastifyInstance } from 'fastify';
import { countIriClashes } from '@hasad/db';
import { httpRequestDuration, httpRequestsTotal, metricsContentType, observeIriClashes, observeQueues, renderMetrics, statusClass } from '@hasad/metrics';
import type { ApiDeps } from '../deps.ts';

/**
 * `GET /metrics`: the process's Prometheus registry (see `@hasad/metrics`), with the queues'
 * job counts read at scrape time. Public like `/healthz`: keep it off the public network at the
 * proxy if the figures are not for everyone.
 */
export function metricsRoutes(app: FastifyInstance, deps: Pick<ApiDeps, 'queues' | 'db'>): void {
  observeQueues(() => deps.queues.all());
  observeIriClashes(() => countIriClashes(deps.db));
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    const body = await renderMetrics();
    return reply.type(metricsContentType).send(body);
  });
}

/**
 * Counts every answered request by method, route pattern (not the raw URL: bounded label
 * values) and status class, with its duration. Unmatched URLs share the route label `unmatched`.
 */
export function installHttpMetrics(app: FastifyInstance): void {
  app.addHook('onResponse', async (req, reply) => {
    const labels = { method: req.method, route: req.routeOptions.url ?? 'unmatched', status_class: statusClass(reply.statusCode) };
    httpRequestsTotal.inc(labels);
    httpRequestDuration.observe(labels, reply.elapsedTime / 1000);
  });
}

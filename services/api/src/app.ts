import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { installAuth } from './auth.ts';
import { espace } from './espace/espace.routes.ts';
import { dashboard } from './dashboard/dashboard.routes.ts';
import type { ApiDeps } from './deps.ts';
import { installErrorHandling } from './errors.ts';
import { installInputGuard } from './input-guard.ts';
import { observatoireRoutes } from './observatoire/observatoire.routes.ts';
import { installOpenApi } from './openapi.ts';
import { installRateLimit } from './rate-limit.ts';
import { catalogRoutes } from './routes/catalog.routes.ts';
import { changeRoutes } from './routes/changes.routes.ts';
import { ckanRoutes } from './routes/ckan.routes.ts';
import { vocabularyRoutes } from './routes/vocabularies.routes.ts';
import { datasetRoutes } from './routes/datasets.routes.ts';
import { healthRoutes } from './routes/health.routes.ts';
import { installHttpMetrics, metricsRoutes } from './routes/metrics.routes.ts';
import { organizationNotificationRoutes } from './routes/organization-notifications.routes.ts';
import { organizationRoutes } from './routes/organizations.routes.ts';
import { previewRoutes } from './routes/preview.routes.ts';
import { registrationRoutes } from './routes/registration.routes.ts';
import { runRoutes } from './routes/runs.routes.ts';
import { scoreboardRoutes } from './routes/scoreboard.routes.ts';
import { sourceRoutes } from './routes/sources.routes.ts';

export type { ApiDeps };

/**
 * Fastify logs every request at `info`; for a catalogue API polled by health checks that is
 * noise, so requests are logged at `debug`. Failed requests stay at `error`.
 */
class DebugRequestLogs extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request');
  }
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

/**
 * Builds the API without listening: tests call `app.inject`, `startApi` listens. The caller
 * owns the database pool, the queues and the logger, and closes them.
 */
export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // Widened to Fastify's logger interface so the app is a plain FastifyInstance, the type
    // the route modules and the exported signature use.
    loggerInstance: deps.log as FastifyBaseLogger,
    logController: new DebugRequestLogs(),
    genReqId: () => randomUUID(),
    // Dataset keys may be full URIs, longer than find-my-way's default of 100 characters.
    routerOptions: { maxParamLength: 2048 },
  });

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  installErrorHandling(app);
  installInputGuard(app);
  installHttpMetrics(app);
  // Order matters: the rate limiter's per-address checks on tokens (app-level hooks) before
  // authentication looks the token up; its per-route hooks, keyed by the token found, run after
  // every app-level hook. Both before the routes they attach to.
  await installRateLimit(app, deps);
  installAuth(app, deps);
  await installOpenApi(app);

  healthRoutes(app, deps);
  metricsRoutes(app, deps);
  datasetRoutes(app, deps);
  changeRoutes(app, deps);
  vocabularyRoutes(app, deps);
  catalogRoutes(app, deps);
  ckanRoutes(app, deps);
  organizationRoutes(app, deps);
  organizationNotificationRoutes(app, deps);
  scoreboardRoutes(app, deps);
  observatoireRoutes(app, deps);
  sourceRoutes(app, deps);
  registrationRoutes(app, deps);
  runRoutes(app, deps);
  previewRoutes(app, deps);
  // The operator dashboard and Bull Board, behind one operator sign-in.
  await dashboard(app, deps);
  // The institutions' space, behind an organisation's sign-in.
  await espace(app, deps);

  await app.ready();
  return app;
}

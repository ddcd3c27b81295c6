import { createLogger, queueSettings, redactUrl, type HasadConfig, type Logger } from '@hasad/core';
import { createDb, type DbHandle } from '@hasad/db';
import { Queues } from '@hasad/queues';

export const ROLES = ['api', 'scheduler', 'fetcher', 'loader'] as const;
export type Role = (typeof ROLES)[number];

export interface Runtime {
  db: DbHandle;
  queues: Queues;
  log: Logger;
  apiUrl?: string;
  /** Ordered shutdown: HTTP server → workers → scheduler → queues → Redis → PostgreSQL pool. */
  stop(): Promise<void>;
}

/** Starts the given roles in this process, sharing one pool and one set of queues. */
export async function startRoles(roles: readonly Role[], config: HasadConfig, log = createLogger('hasad', config.LOG_LEVEL)): Promise<Runtime> {
  const db = createDb(config.DATABASE_URL, { max: 10, applicationName: `hasad-${roles.join('+')}` });
  const queues = new Queues(queueSettings(config), (err) => log.error({ err }, 'queue error'));
  const deps = { db, queues, config, log };
  // Each role's code is imported only when the role runs: a fetcher process does not carry
  // Fastify and Bull Board (about 40 MB of its resident memory otherwise).
  const { startApi, startOpsServer } = roles.includes('api') || config.HASAD_OPS_PORT ? await import('@hasad/api') : ({} as typeof import('@hasad/api'));
  const { startScheduler } = roles.includes('scheduler') ? await import('@hasad/scheduler') : ({} as typeof import('@hasad/scheduler'));
  const { startFetcherWorker } = roles.includes('fetcher') ? await import('@hasad/fetcher') : ({} as typeof import('@hasad/fetcher'));
  const { startLoaderWorker } = roles.includes('loader') ? await import('@hasad/loader') : ({} as typeof import('@hasad/loader'));
  const api = roles.includes('api') ? await startApi(deps) : undefined;
  // Worker-only processes answer health probes on their own small server, when a port is set.
  const ops = !api && config.HASAD_OPS_PORT ? await startOpsServer(deps, config.HASAD_OPS_PORT) : undefined;
  const scheduler = roles.includes('scheduler') ? await startScheduler(deps) : undefined;
  const fetcher = roles.includes('fetcher') ? startFetcherWorker(deps) : undefined;
  const loader = roles.includes('loader') ? startLoaderWorker(deps) : undefined;
  log.info({ roles, database: redactUrl(config.DATABASE_URL), redis: redactUrl(config.REDIS_URL), prefix: config.HASAD_QUEUE_PREFIX, api: api?.url }, 'hasad started');
  let stopping: Promise<void> | undefined;
  return {
    db,
    queues,
    log,
    ...(api ? { apiUrl: api.url } : {}),
    stop() {
      stopping ??= (async () => {
        const grace = config.HASAD_SHUTDOWN_GRACE_MS;
        await api?.close();
        await ops?.close();
        await Promise.all([fetcher?.close(grace), loader?.close(grace)]);
        await scheduler?.close();
        await queues.close();
        await db.close();
        log.info('hasad stopped');
      })();
      return stopping;
    },
  };
}

/** Stops the runtime on SIGINT/SIGTERM; a second signal exits at once. */
export function stopOnSignals(rt: Runtime, onStopped: () => void = () => process.exit(0)): void {
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    if (count > 1) process.exit(130);
    rt.log.info({ signal: sig }, 'shutting down');
    rt.stop().then(onStopped, (err) => {
      rt.log.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

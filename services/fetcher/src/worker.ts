import type { Job } from 'bullmq';
import { parseLimits } from '@hasad/core';
import { closeWorker, createWorker } from '@hasad/queues';
import { ParsePool } from '@hasad/sources';
import { startLinkCheckWorker } from './links-worker.ts';
import { harvestSource, type HarvestDeps } from './processors/harvest-source.processor.ts';

/** Wires the harvest processor to the `harvest` queue, and the link check to the `links` queue. */
export function startFetcherWorker(deps: Omit<HarvestDeps, 'shutdown' | 'parsePool'>) {
  const shutdown = new AbortController();
  // One parsing worker thread per concurrent harvest: a page past a parsing limit fails alone,
  // and no page's parsing blocks this thread (its other harvests, its health endpoint).
  const parsePool = new ParsePool({
    size: deps.config.HASAD_FETCHER_CONCURRENCY,
    limits: parseLimits(deps.config),
    // Hash and compress each record's kept description in the worker (see PackedRecord).
    packForQueue: true,
    ...(deps.config.HASAD_PARSE_YOUNG_MB > 0 && { youngGenerationMb: deps.config.HASAD_PARSE_YOUNG_MB }),
    onWorkerExit: (reason) => deps.log.warn({ reason }, 'parsing worker stopped; a new one starts for the next page'),
  });
  const full: HarvestDeps = { ...deps, shutdown: shutdown.signal, parsePool };
  const { worker, connection } = createWorker(
    'harvest',
    (job: Job, token?: string) => harvestSource(job, token, full),
    {
      redisUrl: deps.config.REDIS_URL,
      clusterNodes: deps.config.HASAD_REDIS_CLUSTER_NODES,
      prefix: deps.config.HASAD_QUEUE_PREFIX,
      concurrency: deps.config.HASAD_FETCHER_CONCURRENCY,
      lockDurationMs: deps.config.HASAD_LOCK_DURATION_MS,
    },
    (err) => deps.log.error({ err }, 'fetcher worker error'),
  );
  worker.on('failed', (job, err) => deps.log.warn({ jobId: job?.id, err }, 'harvest job failed'));
  const links = startLinkCheckWorker(deps);
  return {
    worker,
    /**
     * Stops taking jobs, asks running harvests to hand back at their next page boundary, and
     * waits up to `graceMs` for them; after that the worker is closed forcibly and its jobs are
     * taken over by the next fetcher once their locks expire (they resume from their checkpoint).
     */
    async close(graceMs: number) {
      shutdown.abort();
      await Promise.all([closeWorker(worker, connection, graceMs), links.close(graceMs)]);
      await parsePool.close();
    },
  };
}

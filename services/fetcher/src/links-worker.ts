import type { Job } from 'bullmq';
import { closeWorker, createWorker } from '@hasad/queues';
import { checkLinksProcessor, type LinkCheckDeps } from './processors/check-links.processor.ts';

/**
 * Wires the link check to the `links` queue, in the fetcher role (it is outgoing HTTP, under the
 * same address rules and per-host limits). Two sources at a time: a check is background work.
 */
export function startLinkCheckWorker(deps: LinkCheckDeps) {
  const { worker, connection } = createWorker(
    'links',
    (job: Job) => checkLinksProcessor(job, deps),
    {
      redisUrl: deps.config.REDIS_URL,
      clusterNodes: deps.config.HASAD_REDIS_CLUSTER_NODES,
      prefix: deps.config.HASAD_QUEUE_PREFIX,
      concurrency: 2,
      lockDurationMs: deps.config.HASAD_LOCK_DURATION_MS,
    },
    (err) => deps.log.error({ err }, 'link check worker error'),
  );
  worker.on('failed', (job, err) => deps.log.warn({ jobId: job?.id, err: { message: err.message } }, 'link check job failed'));
  return {
    worker,
    async close(graceMs: number) {
      await closeWorker(worker, connection, graceMs);
    },
  };
}

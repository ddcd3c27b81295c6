import type { Job } from 'bullmq';
import { loaderJobsTotal } from '@hasad/metrics';
import { closeWorker, createWorker } from '@hasad/queues';
import { startNotifyWorker } from './notify-worker.ts';
import { finaliseRunProcessor } from './processors/finalise-run.processor.ts';
import { loadBatchProcessor, type LoaderDeps } from './processors/load-batch.processor.ts';

/** Wires the load processors to the `load` queue, and the notification sender to the `notify` queue. */
export function startLoaderWorker(deps: LoaderDeps) {
  const { worker, connection } = createWorker(
    'load',
    async (job: Job) => {
      if (job.name === 'load.batch') return loadBatchProcessor(job, deps);
      if (job.name === 'load.finalise') return finaliseRunProcessor(job, deps);
      throw new Error(`unknown job ${job.name} on the load queue`);
    },
    {
      redisUrl: deps.config.REDIS_URL,
      clusterNodes: deps.config.HASAD_REDIS_CLUSTER_NODES,
      prefix: deps.config.HASAD_QUEUE_PREFIX,
      concurrency: deps.config.HASAD_LOADER_CONCURRENCY,
      lockDurationMs: deps.config.HASAD_LOCK_DURATION_MS,
    },
    (err) => deps.log.error({ err }, 'loader worker error'),
  );
  worker.on('completed', (job) => {
    loaderJobsTotal.inc({ job: job.name, outcome: 'completed' });
    // A loaded batch's descriptions are deleted only now that its job is done: deleted after the
    // transaction but before BullMQ had marked the job completed, a loader killed in between would
    // leave a job that is run again and finds them gone. (One lost here expires with its TTL.)
    const key = job.name === 'load.batch' ? descriptionsKeyOf(job.data) : undefined;
    if (key !== undefined) deps.queues.dropDescriptions(key).catch((err: Error) => deps.log.warn({ jobId: job.id, key, err: { message: err.message } }, "could not delete a loaded batch's kept descriptions; they expire on their own"));
  });
  worker.on('failed', (job, err) => {
    loaderJobsTotal.inc({ job: job?.name ?? 'unknown', outcome: 'failed' });
    deps.log.warn({ jobId: job?.id, attemptsMade: job?.attemptsMade, err: { message: err.message } }, 'load job failed');
  });
  const notify = startNotifyWorker(deps);
  return {
    worker,
    notifyWorker: notify.worker,
    /** Waits up to `graceMs` for the batches (each one short transaction) and notifications in hand, then closes. */
    async close(graceMs: number) {
      await Promise.all([closeWorker(worker, connection, graceMs), notify.close(graceMs)]);
    },
  };
}

/** The Redis key of a `load.batch` job's parked descriptions, if it has one. */
function descriptionsKeyOf(data: unknown): string | undefined {
  const d = (data as { descriptions?: { key?: unknown } } | null)?.descriptions;
  return typeof d?.key === 'string' ? d.key : undefined;
}

import { Worker, type ConnectionOptions, type MinimalJob, type Processor } from 'bullmq';
import { cappedBackoff, type QueueName } from './catalog.ts';
import { createRedis, type QueueSettings, type RedisConnection } from './connection.ts';

export interface WorkerSettings extends QueueSettings {
  concurrency: number;
  /** How long a job's lock lasts without renewal, in ms; a killed worker's jobs are taken over after about this long. */
  lockDurationMs: number;
}

/**
 * A BullMQ worker with the settings every Hasad worker shares: its own blocking connection,
 * the `capped` backoff used by load jobs, stalled-job detection tied to the lock duration (a
 * SIGKILLed worker's jobs come back after about one lock period), and an error listener.
 */
export function createWorker(
  queue: QueueName,
  processor: Processor,
  settings: WorkerSettings,
  onError: (err: Error) => void,
): { worker: Worker; connection: RedisConnection } {
  const connection = createRedis(settings.redisUrl, { forWorker: true, ...(settings.clusterNodes ? { clusterNodes: settings.clusterNodes } : {}) });
  const worker = new Worker(queue, processor, {
    connection: connection as unknown as ConnectionOptions,
    prefix: settings.prefix,
    concurrency: settings.concurrency,
    lockDuration: settings.lockDurationMs,
    stalledInterval: Math.max(1000, Math.floor(settings.lockDurationMs / 2)),
    // A job whose worker dies repeatedly (a poison page crashing the process) is failed after this many stalls.
    maxStalledCount: 5,
    settings: {
      backoffStrategy: (attemptsMade: number, type?: string, _err?: Error, job?: MinimalJob) => {
        const delay = typeof job?.opts.backoff === 'object' ? (job.opts.backoff.delay ?? 500) : 500;
        if (type === 'capped') return cappedBackoff(attemptsMade, delay);
        return delay * 2 ** Math.max(0, attemptsMade - 1);
      },
    },
  });
  worker.on('error', onError);
  return { worker, connection };
}

/**
 * Closes a worker: it stops taking jobs and waits up to `graceMs` for the ones in hand; after
 * that it stops waiting and drops its connection, so that the process can exit, and the jobs
 * still in hand are taken over by another worker once their locks expire (every processor is
 * idempotent, so they converge). Not `worker.close(true)`: called after `close()`, BullMQ
 * returns the first close, which still waits for the jobs in hand (a CSV file still
 * downloading kept a fetcher past its grace period until the file ended).
 */
export async function closeWorker(worker: Worker, connection: RedisConnection, graceMs: number): Promise<void> {
  const closing = worker.close();
  // The first close may fail later, once its connection is gone: nothing waits for it then.
  closing.catch(() => {});
  await Promise.race([closing, new Promise<void>((r) => setTimeout(r, graceMs).unref())]);
  connection.disconnect();
}

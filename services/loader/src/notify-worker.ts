import type { Job } from 'bullmq';
import { queueSettings } from '@hasad/core';
import { createMailer } from '@hasad/notify';
import { closeWorker, createWorker } from '@hasad/queues';
import type { LoaderDeps } from './processors/load-batch.processor.ts';
import { sendNotificationProcessor, sendReviewProcessor } from './processors/send-notification.processor.ts';

/**
 * Wires `notify.send` (run events) and `notify.review` (a source waits for the operators) to the `notify` queue, in the loader role (the role that finalises runs,
 * so wherever runs end, notifications are sent). A queue of its own: a slow webhook never holds
 * up a batch, and a burst of batches never delays an alert.
 */
export function startNotifyWorker(deps: LoaderDeps) {
  const mailer = createMailer(deps.config);
  const full = { ...deps, mailer };
  const { worker, connection } = createWorker(
    'notify',
    async (job: Job) => {
      if (job.name === 'notify.send') return sendNotificationProcessor(job, full);
      if (job.name === 'notify.review') return sendReviewProcessor(job, full);
      throw new Error(`unknown job ${job.name} on the notify queue`);
    },
    // queueSettings carries every connection setting (Redis URL or cluster, prefix).
    { ...queueSettings(deps.config), concurrency: 2, lockDurationMs: deps.config.HASAD_LOCK_DURATION_MS },
    (err) => deps.log.error({ err }, 'notify worker error'),
  );
  return {
    worker,
    async close(graceMs: number) {
      await closeWorker(worker, connection, graceMs);
      mailer?.close();
    },
  };
}

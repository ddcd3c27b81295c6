import { UnrecoverableError, type Job } from 'bullmq';
import { isPermanent } from '@hasad/core';
import { notificationsTotal } from '@hasad/metrics';
import { deliverNotification, deliverReviewNotification, type DeliveryResult, type Mailer } from '@hasad/notify';
import { parsePayload } from '@hasad/queues';
import type { LoaderDeps } from './load-batch.processor.ts';

export interface NotifyDeps extends LoaderDeps {
  /** Undefined when no SMTP server is configured. */
  mailer: Mailer | undefined;
}

/**
 * Sends one notification (one event, one channel). A receiver that is down or answers 5xx/429
 * is retried with exponential backoff; one that refuses for good (4xx, an address the rules
 * forbid, an SMTP 5xx) fails the job at once, with the reason in the log and in Bull Board.
 */
export async function sendNotificationProcessor(job: Job, deps: NotifyDeps) {
  const p = parsePayload('notify.send', job.data);
  const log = deps.log.child({ queue: 'notify', jobId: job.id, runId: p.runId, sourceId: p.sourceId, event: p.event, channel: p.channel });
  return deliverLogged(job, log, p.event, p.channel, () => deliverNotification(p, deps));
}

/** Tells the operators that a source waits for their review (`notify.review`), with the same retry rules. */
export async function sendReviewProcessor(job: Job, deps: NotifyDeps) {
  const p = parsePayload('notify.review', job.data);
  const log = deps.log.child({ queue: 'notify', jobId: job.id, sourceId: p.sourceId, event: 'source_pending', reason: p.reason, channel: p.channel });
  return deliverLogged(job, log, 'source_pending', p.channel, () => deliverReviewNotification(p, deps));
}

async function deliverLogged(job: Job, log: NotifyDeps['log'], event: string, channel: string, deliver: () => Promise<DeliveryResult>) {
  const p = { event, channel };
  try {
    const res = await deliver();
    notificationsTotal.inc({ event: p.event, channel: p.channel, outcome: res.outcome });
    if (res.outcome === 'skipped') log.info({ reason: res.reason }, 'notification not sent');
    else log.info({ attempt: job.attemptsMade + 1, ...res }, 'notification sent');
    return res;
  } catch (err) {
    const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    notificationsTotal.inc({ event: p.event, channel: p.channel, outcome: isPermanent(err) || last ? 'failed' : 'retry' });
    if (isPermanent(err) || last) {
      log.warn({ err, attempt: job.attemptsMade + 1 }, 'notification could not be delivered; giving up');
      throw new UnrecoverableError((err as Error).message);
    }
    log.warn({ err, attempt: job.attemptsMade + 1 }, 'notification not delivered; will retry');
    throw err;
  }
}

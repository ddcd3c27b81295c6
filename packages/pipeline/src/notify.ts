import type { HasadConfig } from '@hasad/core';
import { notificationContext, type DbHandle, type NotificationContext } from '@hasad/db';
import { jobIds, type NotifyChannel, type NotifyEvent, type Queues, type ReviewChannel, type ReviewReason } from '@hasad/queues';

/**
 * Which event, if any, a finished run is worth telling people about:
 * - `failure_streak` when this failed run makes `streak` failures in a row (once per streak: the
 *   4th and 5th failures say nothing more; the Prometheus alert keeps firing for those watching);
 * - `needs_review` when the run holds back withdrawals until someone confirms or cancels them,
 *   unless the source's previous run already said the same (needs_review, holding back as many
 *   datasets): a feed that stays shrunk is told once, not on every scheduled run;
 * - `recovered` when a run that did not fail ends a streak that had been notified;
 * - `invalid_records` when a run that loaded holds invalid records, and their number is not the
 *   previous run's.
 */
export function notifyEventFor(ctx: Pick<NotificationContext, 'run' | 'failuresBefore' | 'previous'>, streak: number): NotifyEvent | undefined {
  const { status } = ctx.run;
  if (status === 'failed') return ctx.failuresBefore + 1 === streak ? 'failure_streak' : undefined;
  if (status === 'needs_review') {
    const same = ctx.previous?.status === 'needs_review' && ctx.previous.pendingWithdrawals === ctx.run.pendingWithdrawals;
    return same ? undefined : 'needs_review';
  }
  if ((status === 'succeeded' || status === 'unchanged') && ctx.failuresBefore >= streak) return 'recovered';
  // Invalid records do not fail a run: the institution hears of them, once per change of their
  // number (the same broken records run after run are told once, a new count again).
  if ((status === 'succeeded' || status === 'unchanged') && ctx.run.invalid > 0 && ctx.run.invalid !== (ctx.previous?.invalid ?? 0)) return 'invalid_records';
  return undefined;
}

/** True when the configuration names an SMTP server. */
export function smtpConfigured(config: HasadConfig): boolean {
  return config.HASAD_SMTP_URL !== undefined || config.HASAD_SMTP_HOST !== undefined;
}

/** The channels an event of this organisation goes to with this configuration (none: nothing is queued). */
export function notifyChannels(config: HasadConfig, org: NotificationContext['organization']): NotifyChannel[] {
  const channels: NotifyChannel[] = [];
  if (smtpConfigured(config) && (org.emails.length > 0 || config.HASAD_NOTIFY_OPERATOR_EMAILS.length > 0)) channels.push('email');
  if (org.webhookUrl) channels.push('webhook-organization');
  if (config.HASAD_NOTIFY_WEBHOOK_URL) channels.push('webhook-operators');
  return channels;
}

/**
 * Called whenever a run has reached its final state: the loader's finalise (the one place that
 * closes a succeeded, unchanged, needs_review or failed run, whether the fetcher failed it, the
 * reconciler gave up on it, or its last batch landed) calls it on every delivery, the first and
 * any re-delivery alike. It decides the event and queues one `notify.send` job per channel.
 *
 * The job ids are fixed per (event, source, run, channel), and finished notify jobs are kept for a
 * week, so calling this again for the same run queues nothing new: a finalise re-delivered after a
 * crash, or retried after the commit, notifies once. A crash between the run's commit and this
 * call is covered by that same re-delivery.
 *
 * @returns the deliveries queued (or already queued), empty when there is nothing to say or nowhere to say it.
 */
export async function notifyRunEnded(deps: { db: DbHandle; queues: Queues; config: HasadConfig }, runId: string): Promise<Array<{ event: NotifyEvent; channel: NotifyChannel }>> {
  const ctx = await notificationContext(deps.db, runId);
  if (!ctx?.run.finishedAt || ctx.source.deleted) return [];
  const event = notifyEventFor(ctx, deps.config.HASAD_NOTIFY_FAILURE_STREAK);
  if (!event) return [];
  const channels = notifyChannels(deps.config, ctx.organization);
  for (const channel of channels) {
    await deps.queues.add(
      'notify.send',
      { event, channel, runId, sourceId: ctx.source.id },
      { jobId: jobIds.notify(event, ctx.source.id, runId, channel), backoffDelayMs: deps.config.HASAD_NOTIFY_BACKOFF_MS },
    );
  }
  return channels.map((channel) => ({ event, channel }));
}

/**
 * Called by the link check once it has stored the source's quality after a run: when the score
 * fell below the one kept with the source's previous run, queues one `quality_drop` per channel
 * (job ids fixed per run and channel: a link check run again tells nothing new). A score that
 * stays low is not a new drop, so it is told once.
 */
export async function notifyQualityDrop(deps: { db: DbHandle; queues: Queues; config: HasadConfig }, runId: string, score: number | null, previous: number | null): Promise<NotifyChannel[]> {
  if (score === null || previous === null || !(score < previous)) return [];
  const ctx = await notificationContext(deps.db, runId);
  if (!ctx || ctx.source.deleted) return [];
  const channels = notifyChannels(deps.config, ctx.organization);
  for (const channel of channels) {
    await deps.queues.add(
      'notify.send',
      { event: 'quality_drop', channel, runId, sourceId: ctx.source.id },
      { jobId: jobIds.notify('quality_drop', ctx.source.id, runId, channel), backoffDelayMs: deps.config.HASAD_NOTIFY_BACKOFF_MS },
    );
  }
  return channels;
}

/** The operators' channels a review request goes to with this configuration (none: nothing is queued). */
export function reviewChannels(config: HasadConfig): ReviewChannel[] {
  const channels: ReviewChannel[] = [];
  if (smtpConfigured(config) && config.HASAD_NOTIFY_OPERATOR_EMAILS.length > 0) channels.push('email');
  if (config.HASAD_NOTIFY_WEBHOOK_URL) channels.push('webhook-operators');
  return channels;
}

/**
 * Called when a source starts waiting for the operators' review: an institution registered it,
 * or changed where Hasad connects. Queues one `notify.review` per operators' channel; the job id
 * is fixed per (source, moment, channel), so a retried request tells once. The institution is not
 * told: the page or the API answer that registered the source already says who approves it.
 */
export async function notifyReviewWanted(deps: { queues: Queues; config: HasadConfig }, sourceId: string, reason: ReviewReason, at: Date): Promise<ReviewChannel[]> {
  const channels = reviewChannels(deps.config);
  const iso = at.toISOString();
  for (const channel of channels) {
    await deps.queues.add('notify.review', { sourceId, reason, channel, at: iso }, { jobId: jobIds.review(sourceId, iso, channel), backoffDelayMs: deps.config.HASAD_NOTIFY_BACKOFF_MS });
  }
  return channels;
}

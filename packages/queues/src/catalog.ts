import type { JobsOptions } from 'bullmq';
import { z } from 'zod';
// Declared in @hasad/core: `loadBatch` of @hasad/db takes the very type this job carries.
import { loadBatchPayload } from '@hasad/core';

/**
 * The one job catalogue: queue → job name → payload schema and options. Producers and
 * consumers both import it; consumers parse the payload before acting (jobs already queued
 * by an older version must still parse, so fields are only ever added as optional).
 */
export const QUEUE_NAMES = ['harvest', 'load', 'notify', 'links'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

const uuid = z.string().uuid();

export const harvestSourcePayload = z.object({
  sourceId: uuid,
  /** Set when the run row already exists (manual trigger, repair); absent for scheduler ticks. */
  runId: uuid.optional(),
  trigger: z.enum(['schedule', 'manual', 'repair', 'demo']).default('schedule'),
  /**
   * Waits this run was put off because a host answered 429/503 with Retry-After (the job was
   * delayed without spending an attempt): their total in ms, and one note per wait for the
   * run's report, kept until the page they concern is checkpointed.
   */
  retryAfter: z
    .object({
      totalMs: z.number().int().min(0),
      notes: z.array(z.object({ pageNo: z.number().int().min(1), message: z.string() })),
    })
    .optional(),
});
export type HarvestSourcePayload = z.infer<typeof harvestSourcePayload>;

/**
 * A sampled link check of a source's distribution URLs, queued when one of its runs is
 * finalised: up to `sample` URLs (default 20), HEAD then a ranged GET, results in `link_checks`.
 */
export const linksCheckPayload = z.object({
  sourceId: uuid,
  /** The run after which the check was queued (it seeds the sample). */
  runId: uuid.optional(),
  sample: z.number().int().min(1).max(1000).optional(),
});
export type LinksCheckPayload = z.infer<typeof linksCheckPayload>;

export const loadFinalisePayload = z.object({ runId: uuid });
export type LoadFinalisePayload = z.infer<typeof loadFinalisePayload>;

/** Why a notification is sent: a source's failure streak reached its threshold, a run waits for review, a failing source works again. */
export const NOTIFY_EVENTS = ['failure_streak', 'needs_review', 'recovered', 'invalid_records', 'quality_drop'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];
/** Where it goes: one e-mail (the organisation's addresses and the operators'), the organisation's webhook, the operators' webhook. */
export const NOTIFY_CHANNELS = ['email', 'webhook-organization', 'webhook-operators'] as const;
export type NotifyChannel = (typeof NOTIFY_CHANNELS)[number];

/**
 * One delivery of one event on one channel. Only identifiers travel through Redis: the sender
 * reads the run, the addresses and the webhook secret from PostgreSQL and the configuration
 * when it sends, so no secret sits in a queue.
 */
export const notifySendPayload = z.object({
  event: z.enum(NOTIFY_EVENTS),
  channel: z.enum(NOTIFY_CHANNELS),
  runId: uuid,
  sourceId: uuid,
});
export type NotifySendPayload = z.infer<typeof notifySendPayload>;

/** Why the operators are asked to review a source: it was just registered, or changed where Hasad connects. */
export const REVIEW_REASONS = ['registered', 'changed'] as const;
export type ReviewReason = (typeof REVIEW_REASONS)[number];
/** The operators' channels: their addresses by e-mail, their webhook. */
export const REVIEW_CHANNELS = ['email', 'webhook-operators'] as const;
export type ReviewChannel = (typeof REVIEW_CHANNELS)[number];

/**
 * Tells the operators that a source waits for their review. Identifiers only, as for
 * `notify.send`; `at` (ISO 8601) is when the source went to review, so the same review is told
 * once and a later one again.
 */
export const notifyReviewPayload = z.object({
  sourceId: uuid,
  reason: z.enum(REVIEW_REASONS),
  channel: z.enum(REVIEW_CHANNELS),
  at: z.string().datetime(),
});
export type NotifyReviewPayload = z.infer<typeof notifyReviewPayload>;

interface JobDef<S extends z.ZodType> {
  queue: QueueName;
  schema: S;
  opts: JobsOptions;
}

export const jobCatalog = {
  'harvest.source': {
    queue: 'harvest',
    schema: harvestSourcePayload,
    // Transient failures (5xx, network, database down) retry and resume from the checkpoint.
    opts: {
      attempts: 5,
      backoff: { type: 'exponential', delay: 5_000 },
      removeOnComplete: { age: 24 * 3600, count: 1000 },
      removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
    },
  },
  'links.check': {
    queue: 'links',
    schema: linksCheckPayload,
    // A check that failed as a whole (database down) is tried twice more; one URL not answering
    // is a result, not a failure. The next run queues a new check anyway.
    opts: {
      attempts: 3,
      backoff: { type: 'exponential', delay: 30_000 },
      removeOnComplete: { age: 24 * 3600, count: 1000 },
      removeOnFail: { age: 7 * 24 * 3600, count: 1000 },
    },
  },
  'load.batch': {
    queue: 'load',
    schema: loadBatchPayload,
    // Batches carry the data itself: they must survive a long database outage, so many
    // attempts with capped exponential backoff (see backoffStrategy in the loader worker).
    opts: {
      attempts: 30,
      backoff: { type: 'capped', delay: 500 },
      removeOnComplete: true,
      removeOnFail: { age: 7 * 24 * 3600 },
    },
  },
  'load.finalise': {
    queue: 'load',
    schema: loadFinalisePayload,
    opts: {
      attempts: 30,
      backoff: { type: 'capped', delay: 500 },
      removeOnComplete: true,
      removeOnFail: { age: 7 * 24 * 3600 },
    },
  },
  'notify.send': {
    queue: 'notify',
    schema: notifySendPayload,
    // A receiver that is down is tried again for about 20 minutes (10 s doubling, 8 attempts;
    // the first delay is HASAD_NOTIFY_BACKOFF_MS). Finished jobs are kept for a week because
    // their ids are what makes a re-delivered finalise not notify twice.
    opts: {
      attempts: 8,
      backoff: { type: 'exponential', delay: 10_000 },
      removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
      removeOnFail: { age: 30 * 24 * 3600, count: 10_000 },
    },
  },
  'notify.review': {
    queue: 'notify',
    schema: notifyReviewPayload,
    // Same retry policy as `notify.send`: a receiver down for a while still hears of the source.
    opts: {
      attempts: 8,
      backoff: { type: 'exponential', delay: 10_000 },
      removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
      removeOnFail: { age: 30 * 24 * 3600, count: 10_000 },
    },
  },
} as const satisfies Record<string, JobDef<z.ZodType>>;

export type JobName = keyof typeof jobCatalog;
export type PayloadOf<N extends JobName> = z.infer<(typeof jobCatalog)[N]['schema']>;

/** Parses a job's payload against the catalogue; throws a ZodError naming the bad fields. */
export function parsePayload<N extends JobName>(name: N, data: unknown): PayloadOf<N> {
  return jobCatalog[name].schema.parse(data) as PayloadOf<N>;
}

/** Exponential backoff capped at 30 s, for the `capped` backoff type used by load jobs. */
export function cappedBackoff(attemptsMade: number, delay = 500): number {
  return Math.min(30_000, delay * 2 ** Math.max(0, attemptsMade - 1));
}

/** Deterministic job ids (BullMQ ids may not contain `:`). Re-adding an id that exists is a no-op. */
export const jobIds = {
  run: (runId: string) => `run-${runId}`,
  /** One link check per run: a re-delivered finalise does not queue a second. */
  links: (runId: string) => `links-${runId}`,
  batch: (runId: string, pageNo: number, batchNo: number) => `batch-${runId}-${pageNo}-${batchNo}`,
  finalise: (runId: string) => `finalise-${runId}`,
  scheduler: (sourceId: string) => `source-${sourceId}`,
  /** One per (source, event, run) and channel: the same event of the same run is never sent twice. */
  notify: (event: string, sourceId: string, runId: string, channel: string) => `notify-${event}-${sourceId}-${runId}-${channel}`,
  /** One per (source, moment it went to review) and channel. */
  review: (sourceId: string, at: string, channel: string) => `review-${sourceId}-${Date.parse(at)}-${channel}`,
};

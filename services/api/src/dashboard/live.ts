import { redactUrl } from '@hasad/core';
import { QUEUE_NAMES, type QueueName } from '@hasad/queues';
import {
  countRunsByStatusSince,
  getRunProgress,
  listFailingSources,
  listLiveRunProgress,
  listRunsNeedingReview,
  listSourcesPendingApproval,
  pipelineRates,
  type LiveRunProgress,
  type PipelineRates,
} from '@hasad/db';
import type { ApiDeps } from '../deps.ts';

/** A source counts as failing repeatedly after this many failed runs in a row (the alert rule's figure too). */
export const FAILING_AFTER = 3;
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
type QueueCounts = Record<(typeof QUEUE_STATES)[number], number>;

/** A run's progress as the page shows it. */
export interface ProgressView {
  id: string;
  sourceId: string;
  source: string;
  organization: string;
  status: string;
  pagesFetched: number;
  expectedPages: number | null;
  records: number;
  recordsLoaded: number;
  elapsedMs: number | null;
  recordsPerSecond: number | null;
}

/** Everything the overview's live counters show, computed at `at`. */
export interface LiveSnapshot {
  at: string;
  queues: Record<QueueName, QueueCounts>;
  rates: PipelineRates;
  outcomes: Record<string, number>;
  counts: { running: number; needsReview: number; pending: number; failing: number };
  live: ProgressView[];
}

export function toProgressView(r: LiveRunProgress, now = Date.now()): ProgressView {
  const elapsedMs = r.startedAt ? (r.finishedAt?.getTime() ?? now) - r.startedAt.getTime() : null;
  return {
    id: r.id,
    sourceId: r.sourceId,
    source: r.sourceTitle ?? redactUrl(r.sourceUrl),
    organization: r.organization,
    status: r.status,
    pagesFetched: r.pagesFetched,
    expectedPages: r.expectedPages,
    records: r.records,
    recordsLoaded: r.recordsLoaded,
    elapsedMs,
    recordsPerSecond: elapsedMs && elapsedMs > 0 ? Math.round((r.records / elapsedMs) * 10_000) / 10 : null,
  };
}

async function queueCounts(deps: ApiDeps, name: QueueName): Promise<QueueCounts> {
  const c = await deps.queues.get(name).getJobCounts(...QUEUE_STATES);
  return { waiting: c.waiting ?? 0, active: c.active ?? 0, delayed: c.delayed ?? 0, failed: c.failed ?? 0 };
}

export async function computeSnapshot(deps: ApiDeps): Promise<LiveSnapshot & { failing: Awaited<ReturnType<typeof listFailingSources>>; review: Awaited<ReturnType<typeof listRunsNeedingReview>>; pending: Awaited<ReturnType<typeof listSourcesPendingApproval>> }> {
  const now = Date.now();
  const [queueList, rates, outcomes, live, failing, review, pending] = await Promise.all([
    Promise.all(QUEUE_NAMES.map(async (name) => [name, await queueCounts(deps, name)] as const)),
    pipelineRates(deps.db),
    countRunsByStatusSince(deps.db, new Date(now - 24 * 3600_000)),
    listLiveRunProgress(deps.db),
    listFailingSources(deps.db, FAILING_AFTER),
    listRunsNeedingReview(deps.db),
    listSourcesPendingApproval(deps.db),
  ]);
  return {
    at: new Date(now).toISOString(),
    queues: Object.fromEntries(queueList) as Record<QueueName, QueueCounts>,
    rates,
    outcomes,
    counts: { running: live.length, needsReview: review.length, pending: pending.length, failing: failing.length },
    live: live.map((r) => toProgressView(r, now)),
    failing,
    review,
    pending,
  };
}

/**
 * The snapshot every live page receives, computed at most once a second however many pages
 * are open (each open page would otherwise run the same eight queries every second).
 */
export class SnapshotCache {
  private last: { at: number; value: Promise<LiveSnapshot> } | undefined;
  constructor(
    private readonly deps: ApiDeps,
    private readonly maxAgeMs = 900,
  ) {}

  get(): Promise<LiveSnapshot> {
    const now = Date.now();
    if (!this.last || now - this.last.at > this.maxAgeMs) {
      const value = computeSnapshot(this.deps).then(({ failing: _f, review: _r, pending: _p, ...snap }) => snap);
      // A failed computation is not cached: the next tick tries again.
      value.catch(() => {
        if (this.last?.value === value) this.last = undefined;
      });
      this.last = { at: now, value };
    }
    return this.last.value;
  }
}

/** One run's progress with its final counts, for the run page (which follows the run to its end). */
export async function runSnapshot(deps: ApiDeps, runId: string): Promise<(ProgressView & { final: boolean }) | undefined> {
  const r = await getRunProgress(deps.db, runId);
  if (!r) return undefined;
  return { ...toProgressView(r), final: !['queued', 'running'].includes(r.status) };
}

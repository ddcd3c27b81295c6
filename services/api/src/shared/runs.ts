import { listRuns, listRunsOfOrganization, runCountsOf, type Run, type TokenPrincipal } from '@hasad/db';
import { reviewText, type Lang } from '@hasad/i18n';
import type { ApiDeps } from '../deps.ts';
import { runItem } from '../schemas.ts';
import { toIso } from '../timestamps.ts';
import { visibleSource } from './sources.ts';

// Runs as the API, the dashboard and the institutions' space list and describe them.

/** Why a `needs_review` run waits, as a sentence in `lang` (the stored English one for runs finalised before the figures were kept). */
export function runReviewText(lang: Lang, run: Pick<Run, 'details' | 'pendingWithdrawals'>): string | null {
  const review = (run.details as { review?: { reason?: string; message?: string; missing?: number; active?: number; threshold?: number } }).review;
  return reviewText(lang, review, run.pendingWithdrawals) ?? review?.message ?? null;
}

/** A run as operators read it; the resume checkpoint and job id stay internal. */
export function toRunItem(run: Run) {
  return {
    id: run.id,
    sourceId: run.sourceId,
    status: run.status,
    trigger: run.trigger,
    attempts: run.attempts,
    ...runCountsOf(run),
    error: run.error,
    errorCode: run.errorCode,
    pagesTotal: run.pagesTotal,
    pagesFetched: run.pagesFetched,
    pagesNotModified: run.pagesNotModified,
    bytes: run.bytes,
    details: run.details,
    createdAt: toIso(run.createdAt),
    startedAt: toIso(run.startedAt),
    finishedAt: toIso(run.finishedAt),
    heartbeatAt: toIso(run.heartbeatAt),
    durationMs: run.startedAt && run.finishedAt ? run.finishedAt.getTime() - run.startedAt.getTime() : null,
  };
}

/** A page of runs (`GET /api/v1/runs`, a source's runs). */
export const runsListResponse = {
  type: 'object',
  required: ['items'],
  properties: { limit: { type: 'integer' }, offset: { type: 'integer' }, items: { type: 'array', items: runItem } },
} as const;

/**
 * Runs `p` may see, newest first: of one source (404 when the source is not visible to `p`,
 * the same answer as for a source that does not exist), else of the token's organisation,
 * or every run for an operator.
 */
export async function visibleRuns(deps: ApiDeps, p: TokenPrincipal, q: { source?: string; limit: number; offset: number }): Promise<Run[]> {
  if (q.source !== undefined) {
    await visibleSource(deps, p, q.source);
    return listRuns(deps.db, { sourceId: q.source, limit: q.limit, offset: q.offset });
  }
  if (p.role === 'operator') return listRuns(deps.db, { limit: q.limit, offset: q.offset });
  return listRunsOfOrganization(deps.db, p.organizationId!, { limit: q.limit, offset: q.offset });
}

/** Paging of run listings. */
export const runsPaging = {
  limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
  offset: { type: 'integer', minimum: 0, default: 0 },
} as const;

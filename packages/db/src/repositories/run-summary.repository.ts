import type { DbHandle } from '../client.ts';
import { runCountsOfRow, type RunCounts } from './finalise.repository.ts';

/** What the run-end log line and the run metrics say about a finished run. */
export interface RunSummary extends RunCounts {
  runId: string;
  sourceId: string;
  kind: string;
  status: string;
  trigger: string;
  attempts: number;
  /** From the run's start (or creation, when it never started) to its finalisation, in milliseconds. */
  durationMs: number;
  pagesFetched: number;
  pagesNotModified: number;
  bytes: number;
  problems: number;
  errorCode: string | null;
  /** Failed runs of the source since its last run that did not fail (cancelled runs are skipped). */
  consecutiveFailures: number;
  /** When the latest succeeded or unchanged run of any source finished, or null when none has. */
  lastSuccessAt: Date | null;
}

/**
 * Reads a finished run with its source's kind, the source's failure streak and the latest
 * successful run of the whole catalogue: one round trip, for the run-end log line and metrics.
 */
export async function runSummary(h: DbHandle, runId: string): Promise<RunSummary | undefined> {
  const res = await h.pool.query(
    `SELECT r.id, r.source_id, s.kind, r.status, r.trigger, r.attempts,
       (extract(epoch FROM coalesce(r.finished_at, now()) - coalesce(r.started_at, r.created_at)) * 1000)::float8 AS duration_ms,
       r.pages_fetched, r.pages_not_modified, r.bytes, r.seen, r.created, r.updated, r.unchanged, r.withdrawn, r.invalid,
       r.pending_withdrawals, r.error_code,
       (SELECT count(*) FROM run_problems p WHERE p.run_id = r.id)::int AS problems,
       (SELECT count(*) FROM runs f WHERE f.source_id = r.source_id AND f.status = 'failed' AND f.finished_at IS NOT NULL
          AND f.finished_at > coalesce((SELECT max(o.finished_at) FROM runs o WHERE o.source_id = r.source_id
            AND o.finished_at IS NOT NULL AND o.status NOT IN ('failed', 'cancelled')), '-infinity'))::int AS consecutive_failures,
       (SELECT max(finished_at) FROM runs WHERE status IN ('succeeded', 'unchanged')) AS last_success_at
     FROM runs r JOIN sources s ON s.id = r.source_id WHERE r.id = $1`,
    [runId],
  );
  const row = res.rows[0];
  if (!row) return undefined;
  return {
    runId: row.id,
    sourceId: row.source_id,
    kind: row.kind,
    status: row.status,
    trigger: row.trigger,
    attempts: row.attempts,
    durationMs: Math.max(0, Math.round(row.duration_ms)),
    pagesFetched: row.pages_fetched,
    pagesNotModified: row.pages_not_modified,
    bytes: row.bytes,
    ...runCountsOfRow(row),
    problems: row.problems,
    errorCode: row.error_code,
    consecutiveFailures: row.consecutive_failures,
    lastSuccessAt: row.last_success_at,
  };
}

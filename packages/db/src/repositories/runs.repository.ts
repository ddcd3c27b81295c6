import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { HasadError } from '@hasad/core';
import type { DbHandle } from '../client.ts';
import { runPages, runProblems, runs } from '../schema/index.ts';
import { isUuid } from './sources.repository.ts';

export type Run = typeof runs.$inferSelect;
export type RunStatus = 'queued' | 'running' | 'succeeded' | 'unchanged' | 'needs_review' | 'failed' | 'cancelled';

/** Thrown when a source already has a live run: the second trigger is deduplicated, not queued. */
export class RunActiveError extends HasadError {
  constructor(readonly sourceId: string, readonly activeRunId: string) {
    super('run_active', `source ${sourceId} already has a live run ${activeRunId}`, { context: { sourceId, activeRunId }, permanent: true });
  }
}

/** Creates a queued run, or throws RunActiveError naming the live one (the unique partial index decides). */
export async function createRun(h: DbHandle, sourceId: string, trigger: string, jobId?: string, id?: string): Promise<Run> {
  const [row] = await h.db.insert(runs).values({ ...(id ? { id } : {}), sourceId, trigger, status: 'queued', jobId: jobId ?? null }).onConflictDoNothing().returning();
  if (row) return row;
  const live = await findLiveRun(h, sourceId);
  if (live) throw new RunActiveError(sourceId, live.id);
  // The live run finished between the insert and the lookup: try once more.
  const [again] = await h.db.insert(runs).values({ ...(id ? { id } : {}), sourceId, trigger, status: 'queued', jobId: jobId ?? null }).returning();
  return again!;
}

export async function findLiveRun(h: DbHandle, sourceId: string): Promise<Run | undefined> {
  const [row] = await h.db.select().from(runs).where(and(eq(runs.sourceId, sourceId), sql`${runs.status} in ('queued','running')`));
  return row;
}

export async function getRun(h: DbHandle, id: string): Promise<Run | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await h.db.select().from(runs).where(eq(runs.id, id));
  return row;
}

export async function listRuns(h: DbHandle, filter: { sourceId?: string; limit?: number; offset?: number } = {}): Promise<Run[]> {
  return h.db
    .select()
    .from(runs)
    .where(filter.sourceId ? eq(runs.sourceId, filter.sourceId) : undefined)
    .orderBy(desc(runs.createdAt))
    .limit(filter.limit ?? 50)
    .offset(filter.offset ?? 0);
}

export async function listLiveRuns(h: DbHandle): Promise<Run[]> {
  return h.db.select().from(runs).where(sql`${runs.status} in ('queued','running')`).orderBy(asc(runs.createdAt));
}

/**
 * A fetcher takes the run: marks it running, counts the attempt and records its job id.
 * Returns undefined when the run is already final (a duplicate delivery of a finished job).
 */
export async function claimRun(h: DbHandle, runId: string, jobId: string): Promise<Run | undefined> {
  const [row] = await h.db
    .update(runs)
    .set({
      status: 'running',
      jobId,
      attempts: sql`${runs.attempts} + 1`,
      startedAt: sql`coalesce(${runs.startedAt}, now())`,
      heartbeatAt: sql`now()`,
    })
    .where(and(eq(runs.id, runId), sql`${runs.status} in ('queued','running')`, eq(runs.fetchDone, false)))
    .returning();
  return row;
}

export interface PageRecord {
  pageNo: number;
  url: string;
  notModified: boolean;
  etag?: string | null;
  lastModified?: string | null;
  nextUrl?: string | null;
  bodyHash?: string | null;
  batchCount: number;
  recordCount: number;
  bytes: number;
}

/**
 * Checkpoints one page: records it and moves the run's resume point past it, in one
 * transaction. For a 304 page, the identifiers the page held in the last successful run are
 * copied into a batch row (batch -1) so that its datasets count as seen.
 */
export async function recordPage(h: DbHandle, runId: string, sourceId: string, page: PageRecord): Promise<void> {
  await h.db.transaction(async (tx) => {
    await tx
      .insert(runPages)
      .values({ runId, ...page, etag: page.etag ?? null, lastModified: page.lastModified ?? null, nextUrl: page.nextUrl ?? null, bodyHash: page.bodyHash ?? null })
      .onConflictDoUpdate({
        target: [runPages.runId, runPages.pageNo],
        set: {
          url: page.url,
          notModified: page.notModified,
          etag: page.etag ?? null,
          lastModified: page.lastModified ?? null,
          nextUrl: page.nextUrl ?? null,
          bodyHash: page.bodyHash ?? null,
          batchCount: page.batchCount,
          recordCount: page.recordCount,
          bytes: page.bytes,
          fetchedAt: sql`now()`,
        },
      });
    if (page.notModified) {
      await tx.execute(sql`
        INSERT INTO run_batches (run_id, page_no, batch_no, identifiers, record_count)
        SELECT ${runId}, ${page.pageNo}, -1, sp.identifiers, cardinality(sp.identifiers)
        FROM source_pages sp WHERE sp.source_id = ${sourceId} AND sp.url = ${page.url}
        ON CONFLICT (run_id, page_no, batch_no) DO UPDATE SET identifiers = excluded.identifiers, record_count = excluded.record_count`);
    }
    await tx.execute(sql`
      UPDATE runs SET
        next_page_no = ${page.pageNo + 1},
        next_url = ${page.nextUrl ?? null},
        pages_fetched = (SELECT count(*) FROM run_pages WHERE run_id = ${runId}),
        pages_not_modified = (SELECT count(*) FROM run_pages WHERE run_id = ${runId} AND not_modified),
        bytes = (SELECT coalesce(sum(bytes), 0) FROM run_pages WHERE run_id = ${runId}),
        heartbeat_at = now()
      WHERE id = ${runId}`);
  });
}

/** Every page was fetched: the run is ready to be finalised once its batches are loaded. */
export async function markFetchDone(h: DbHandle, runId: string, details: Record<string, unknown> = {}): Promise<void> {
  await h.db.execute(sql`
    UPDATE runs SET fetch_done = true,
      pages_total = (SELECT count(*) FROM run_pages WHERE run_id = ${runId}),
      details = details || ${JSON.stringify(details)}::jsonb,
      heartbeat_at = now()
    WHERE id = ${runId}`);
}

/**
 * The run cannot complete: it is failed now (so nothing will be withdrawn), and is
 * finalised with its counts once the batches already handed to the loader are in. `details`
 * is merged into the run's details (the fetcher puts the failed page's URL, status and body excerpt there).
 */
export async function failRun(h: DbHandle, runId: string, code: string, message: string, details: Record<string, unknown> = {}): Promise<void> {
  await h.db.execute(sql`
    UPDATE runs SET fetch_done = true,
      -- A run cancelled meanwhile stays cancelled (with why), whatever its last page did.
      status = CASE WHEN status = 'cancelled' THEN status ELSE 'failed' END,
      error_code = CASE WHEN status = 'cancelled' THEN error_code ELSE ${code} END,
      error = CASE WHEN status = 'cancelled' THEN error ELSE ${message.slice(0, 4000)} END,
      details = details || ${JSON.stringify(details)}::jsonb,
      pages_total = (SELECT count(*) FROM run_pages WHERE run_id = ${runId}), heartbeat_at = now()
    WHERE id = ${runId} AND finished_at IS NULL`);
}

/**
 * Counts a batch that can never be loaded as dealt with (none of its records written or seen), so
 * that a run failed because of it (failRun) is finalised instead of waiting for it forever.
 */
export async function markBatchUnloadable(h: DbHandle, runId: string, pageNo: number, batchNo: number): Promise<void> {
  await h.db.execute(sql`
    INSERT INTO run_batches (run_id, page_no, batch_no, identifiers, record_count)
    VALUES (${runId}, ${pageNo}, ${batchNo}, '{}', 0) ON CONFLICT DO NOTHING`);
}

/** Page URLs this run already dealt with (the adapter's loop guard across a resume). */
export async function visitedPages(h: DbHandle, runId: string): Promise<string[]> {
  const rows = await h.db.select({ url: runPages.url }).from(runPages).where(eq(runPages.runId, runId)).orderBy(asc(runPages.pageNo));
  return rows.map((r) => r.url);
}

/** True when fetching is done and every batch of every recorded page is loaded. */
export async function isRunComplete(h: DbHandle, runId: string): Promise<boolean> {
  const res = await h.db.execute<{ complete: boolean }>(sql`
    SELECT r.fetch_done AND NOT EXISTS (
      SELECT 1 FROM run_pages p
      WHERE p.run_id = r.id AND NOT p.not_modified
        AND p.batch_count > (SELECT count(*) FROM run_batches b WHERE b.run_id = r.id AND b.page_no = p.page_no AND b.batch_no >= 0)
    ) AS complete
    FROM runs r WHERE r.id = ${runId}`);
  return res.rows[0]?.complete === true;
}

/**
 * Pages whose batches are not all loaded: after a Redis loss their load jobs are gone, so
 * the run must go back to the first of them.
 */
export async function firstIncompletePage(h: DbHandle, runId: string): Promise<{ pageNo: number; url: string } | undefined> {
  const res = await h.db.execute<{ page_no: number; url: string }>(sql`
    SELECT p.page_no, p.url FROM run_pages p
    WHERE p.run_id = ${runId} AND NOT p.not_modified
      AND p.batch_count > (SELECT count(*) FROM run_batches b WHERE b.run_id = p.run_id AND b.page_no = p.page_no AND b.batch_no >= 0)
    ORDER BY p.page_no LIMIT 1`);
  const row = res.rows[0];
  return row ? { pageNo: row.page_no, url: row.url } : undefined;
}

/**
 * Takes the repair of an orphaned run for the caller: moves its heartbeat to now only if the run
 * is still live and its heartbeat still older than `graceMs`. Two schedulers reconciling at once
 * both find the run orphaned; the row lock makes the second UPDATE re-read the heartbeat the
 * first just wrote, so exactly one of them gets true (and rewinds the run and queues a job).
 */
export async function takeOrphanRun(h: DbHandle, runId: string, graceMs: number): Promise<boolean> {
  const res = await h.db.execute(sql`
    UPDATE runs SET heartbeat_at = now()
    WHERE id = ${runId} AND status IN ('queued', 'running')
      AND heartbeat_at < now() - ${graceMs} * interval '1 millisecond'
    RETURNING id`);
  return res.rows.length > 0;
}

/**
 * Batches the fetcher handed to the loader for this run that are not loaded yet, in page and
 * batch order, at most `limit` (pages answered 304 have no batches of their own to load).
 */
export async function unloadedBatches(h: DbHandle, runId: string, limit = 50): Promise<Array<{ pageNo: number; batchNo: number }>> {
  const res = await h.db.execute<{ page_no: number; batch_no: number }>(sql`
    SELECT p.page_no, g.batch_no FROM run_pages p, generate_series(0, p.batch_count - 1) AS g(batch_no)
    WHERE p.run_id = ${runId} AND NOT p.not_modified
      AND NOT EXISTS (SELECT 1 FROM run_batches b WHERE b.run_id = p.run_id AND b.page_no = p.page_no AND b.batch_no = g.batch_no)
    ORDER BY 1, 2 LIMIT ${limit}`);
  return res.rows.map((r) => ({ pageNo: r.page_no, batchNo: r.batch_no }));
}

/** True when batch `batchNo` of page `pageNo` of the run is loaded. */
export async function isBatchLoaded(h: DbHandle, runId: string, pageNo: number, batchNo: number): Promise<boolean> {
  const res = await h.db.execute(sql`SELECT 1 FROM run_batches WHERE run_id = ${runId} AND page_no = ${pageNo} AND batch_no = ${batchNo}`);
  return res.rows.length > 0;
}

/** Moves a run's resume point back to `pageNo` (dropping that page and later ones from the checkpoint). */
export async function rewindRun(h: DbHandle, runId: string, pageNo: number, url: string): Promise<void> {
  await h.db.transaction(async (tx) => {
    await tx.execute(sql`DELETE FROM run_pages WHERE run_id = ${runId} AND page_no >= ${pageNo}`);
    await tx.execute(sql`UPDATE runs SET next_page_no = ${pageNo}, next_url = ${url}, fetch_done = false, pages_total = NULL, heartbeat_at = now() WHERE id = ${runId}`);
  });
}

export async function touchRun(h: DbHandle, runId: string, jobId?: string): Promise<void> {
  await h.db.execute(sql`UPDATE runs SET heartbeat_at = now()${jobId ? sql`, job_id = ${jobId}` : sql``} WHERE id = ${runId}`);
}

export async function listProblems(h: DbHandle, runId: string, opts: { limit?: number; offset?: number } = {}) {
  return h.db
    .select({ severity: runProblems.severity, code: runProblems.code, message: runProblems.message, identifier: runProblems.identifier, field: runProblems.field, pageNo: runProblems.pageNo })
    .from(runProblems)
    .where(eq(runProblems.runId, runId))
    .orderBy(asc(runProblems.id))
    .limit(opts.limit ?? 100)
    .offset(opts.offset ?? 0);
}

export async function countProblems(h: DbHandle, runId: string): Promise<number> {
  const res = await h.db.execute<{ n: number }>(sql`SELECT count(*)::int AS n FROM run_problems WHERE run_id = ${runId}`);
  return res.rows[0]?.n ?? 0;
}

/** When the source's last complete run started (the "since" of an incremental harvest). */
export async function lastCompleteRunStart(h: DbHandle, sourceId: string): Promise<Date | undefined> {
  const res = await h.db.execute<{ started_at: string | Date | null }>(sql`
    SELECT started_at FROM runs
    WHERE source_id = ${sourceId} AND status IN ('succeeded', 'unchanged', 'needs_review') AND started_at IS NOT NULL
      AND coalesce(details->>'listing', '') <> 'partial'
    ORDER BY started_at DESC LIMIT 1`);
  const v = res.rows[0]?.started_at;
  return v ? new Date(v) : undefined;
}

/**
 * Runs of the source that ended (succeeded, unchanged, needs_review) with a partial listing and
 * started after `since` (the last complete run's start; every such run when undefined): what a
 * CKAN source's `incremental.fullEveryRuns` counts towards its next full listing.
 */
export async function partialRunsSince(h: DbHandle, sourceId: string, since: Date | undefined): Promise<number> {
  const res = await h.db.execute<{ n: number }>(sql`
    SELECT count(*)::int AS n FROM runs
    WHERE source_id = ${sourceId} AND status IN ('succeeded', 'unchanged', 'needs_review')
      AND details->>'listing' = 'partial'
      ${since ? sql`AND started_at > ${since.toISOString()}::timestamptz` : sql``}`);
  return res.rows[0]?.n ?? 0;
}

/**
 * Marks a run's listing as partial (incremental, or cut short). Stored in PostgreSQL rather
 * than held in memory, so that it survives a resume: finalise then withdraws nothing.
 */
export async function markRunPartial(h: DbHandle, runId: string): Promise<void> {
  await h.db.execute(sql`UPDATE runs SET details = details || '{"listing":"partial"}'::jsonb WHERE id = ${runId}`);
}

/**
 * Ends a live run without harvesting (its source was deleted, disabled or rejected after the
 * run was queued). Nothing is withdrawn; batches already loaded stay.
 */
export async function cancelRun(h: DbHandle, runId: string, code: string, message: string): Promise<void> {
  await h.db.execute(sql`
    UPDATE runs SET status = 'cancelled', error_code = ${code}, error = ${message}, fetch_done = true,
      finished_at = now(), heartbeat_at = now()
    WHERE id = ${runId} AND status IN ('queued', 'running')`);
}

/** What {@link cancelRunningRun} did. */
export type CancelOutcome = { outcome: 'cancelled'; run: Run } | { outcome: 'not_live'; run: Run } | { outcome: 'not_found' };

/**
 * An operator or the source's organisation stops a live run. The run ends `cancelled` at once
 * (a new run of the source may start: the slot in PostgreSQL is free); the fetcher holding it
 * stops at its next page boundary, and finalise closes it once the batches already handed to the
 * loader are in. Like a failed run it withdraws nothing and keeps its pages' validators out of
 * the next run's conditional requests. A run still queued (no fetcher yet) ends there.
 */
export async function cancelRunningRun(h: DbHandle, runId: string, by: string): Promise<CancelOutcome> {
  if (!isUuid(runId)) return { outcome: 'not_found' };
  const message = `cancelled by ${by}; nothing was withdrawn`;
  const res = await h.db.execute<Record<string, unknown>>(sql`
    UPDATE runs SET status = 'cancelled', error_code = 'cancelled', error = ${message},
      details = details || jsonb_build_object('cancelled', jsonb_build_object('by', ${by}::text, 'at', now())),
      fetch_done = fetch_done OR status = 'queued',
      finished_at = CASE WHEN status = 'queued' THEN now() ELSE NULL END,
      heartbeat_at = now()
    WHERE id = ${runId} AND status IN ('queued', 'running')
    RETURNING id`);
  const run = await getRun(h, runId);
  if (!run) return { outcome: 'not_found' };
  return res.rows.length > 0 ? { outcome: 'cancelled', run } : { outcome: 'not_live', run };
}

/**
 * True when the run was cancelled while a fetcher held it (checked at each page boundary).
 */
export async function isRunCancelled(h: DbHandle, runId: string): Promise<boolean> {
  return (await runStoppedAs(h, runId)) === 'cancelled';
}

/**
 * Whether a live run was stopped from outside its fetcher: `cancelled` (an operator or the
 * organisation), `failed` (the loader failed it: a batch it could not load, `descriptions_lost`),
 * else undefined.
 */
export async function runStoppedAs(h: DbHandle, runId: string): Promise<'cancelled' | 'failed' | undefined> {
  const [row] = await h.db.select({ status: runs.status }).from(runs).where(eq(runs.id, runId));
  return row?.status === 'cancelled' || row?.status === 'failed' ? row.status : undefined;
}

import type { DbHandle } from '../client.ts';
import type { TokenRole } from '../schema/index.ts';
import type { DatasetCounts } from './finalise.repository.ts';
import type { SourceListed } from './sources.repository.ts';
import { TOKEN_PREFIX, type TokenPrincipal } from './tokens.repository.ts';

/**
 * Read-only queries of the operator dashboard (services/api/src/dashboard). Plain SQL on the
 * pool: each answers one panel in one round trip, over the runs, run_pages, run_batches and
 * run_problems tables the pipeline writes.
 */

/** The owner of a token by its id (the dashboard's session keeps the id, never the token). Ids are checked UUIDs (callers use `isUuid`). */
export async function findTokenPrincipalById(h: DbHandle, tokenId: string): Promise<TokenPrincipal | undefined> {
  const res = await h.pool.query<TokenPrincipal>(
    `SELECT t.id AS "tokenId", t.role, t.organization_id AS "organizationId", o.slug AS "organizationSlug", t.operator_name AS "operatorName",
       t.prefix, t.expires_at AS "expiresAt", t.revoked_at AS "revokedAt", t.last_used_at AS "lastUsedAt"
     FROM api_tokens t LEFT JOIN organizations o ON o.id = t.organization_id
     WHERE t.id = $1::uuid`,
    [tokenId],
  );
  const row = res.rows[0];
  return row ? { ...row, role: row.role as TokenRole, prefix: `${TOKEN_PREFIX}${row.prefix}` } : undefined;
}

/** A queued or running harvest with how far it got. */
export interface LiveRunProgress {
  id: string;
  sourceId: string;
  sourceTitle: string | null;
  sourceUrl: string;
  organization: string;
  status: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  pagesFetched: number;
  /** Records on the pages fetched so far (those of pages not modified included). */
  records: number;
  /** Records the loader has committed so far. */
  recordsLoaded: number;
  batchesLoaded: number;
  /** Pages of the source's last complete run: the best guess of this run's length; null for a first run. */
  expectedPages: number | null;
}

const LIVE_PROGRESS_SELECT = `
  SELECT r.id, r.source_id AS "sourceId", s.title AS "sourceTitle", s.url AS "sourceUrl", o.slug AS organization, r.status,
    r.created_at AS "createdAt", r.started_at AS "startedAt", r.finished_at AS "finishedAt",
    (SELECT count(*)::int FROM run_pages p WHERE p.run_id = r.id) AS "pagesFetched",
    -- A page not modified (304 or the same bytes) is not parsed: its records are the batch -1 row's.
    (SELECT coalesce(sum(p.record_count), 0)::int FROM run_pages p WHERE p.run_id = r.id)
      + (SELECT coalesce(sum(b.record_count), 0)::int FROM run_batches b WHERE b.run_id = r.id AND b.batch_no = -1) AS records,
    (SELECT coalesce(sum(b.record_count), 0)::int FROM run_batches b WHERE b.run_id = r.id AND b.batch_no >= 0) AS "recordsLoaded",
    (SELECT count(*)::int FROM run_batches b WHERE b.run_id = r.id AND b.batch_no >= 0) AS "batchesLoaded",
    (SELECT prev.pages_total FROM runs prev WHERE prev.source_id = r.source_id AND prev.id <> r.id AND prev.status IN ('succeeded', 'unchanged', 'needs_review')
       ORDER BY prev.created_at DESC LIMIT 1) AS "expectedPages"
  FROM runs r JOIN sources s ON s.id = r.source_id JOIN organizations o ON o.id = s.organization_id`;

/** Harvests queued or running now, oldest first. */
export async function listLiveRunProgress(h: DbHandle): Promise<LiveRunProgress[]> {
  return (await h.pool.query<LiveRunProgress>(`${LIVE_PROGRESS_SELECT} WHERE r.status IN ('queued', 'running') ORDER BY r.created_at`)).rows;
}

/** One run's progress, whatever its status (the run page follows it to the end). */
export async function getRunProgress(h: DbHandle, runId: string): Promise<LiveRunProgress | undefined> {
  return (await h.pool.query<LiveRunProgress>(`${LIVE_PROGRESS_SELECT} WHERE r.id = $1::uuid`, [runId])).rows[0];
}

/** Runs created since `since`, counted by status. */
export async function countRunsByStatusSince(h: DbHandle, since: Date): Promise<Record<string, number>> {
  const res = await h.pool.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM runs WHERE created_at >= $1 GROUP BY status`, [since]);
  return Object.fromEntries(res.rows.map((r) => [r.status, r.n]));
}

/** Work done by the pipeline over the last `windowSeconds`: per minute. */
export interface PipelineRates {
  pagesPerMinute: number;
  recordsFetchedPerMinute: number;
  batchesPerMinute: number;
  recordsLoadedPerMinute: number;
}

export async function pipelineRates(h: DbHandle, windowSeconds = 300): Promise<PipelineRates> {
  const res = await h.pool.query<{ pages: number; fetched: number; batches: number; loaded: number }>(
    `SELECT
       (SELECT count(*)::int FROM run_pages WHERE fetched_at >= now() - make_interval(secs => $1)) AS pages,
       (SELECT coalesce(sum(record_count), 0)::int FROM run_pages WHERE fetched_at >= now() - make_interval(secs => $1)) AS fetched,
       (SELECT count(*)::int FROM run_batches WHERE batch_no >= 0 AND loaded_at >= now() - make_interval(secs => $1)) AS batches,
       (SELECT coalesce(sum(record_count), 0)::int FROM run_batches WHERE batch_no >= 0 AND loaded_at >= now() - make_interval(secs => $1)) AS loaded`,
    [windowSeconds],
  );
  const r = res.rows[0]!;
  const perMinute = (n: number) => Math.round((n * 600) / windowSeconds) / 10;
  return { pagesPerMinute: perMinute(r.pages), recordsFetchedPerMinute: perMinute(r.fetched), batchesPerMinute: perMinute(r.batches), recordsLoadedPerMinute: perMinute(r.loaded) };
}

/** A source whose latest finished runs all failed. */
export interface FailingSource {
  id: string;
  title: string | null;
  url: string;
  organization: string;
  /** Failed runs since its last run that did not fail (cancelled runs are ignored). */
  failures: number;
  lastError: string | null;
  lastFailedAt: Date;
}

/** Sources whose last `atLeast` (or more) finished runs failed, the longest streak first. */
export async function listFailingSources(h: DbHandle, atLeast: number): Promise<FailingSource[]> {
  const res = await h.pool.query<FailingSource>(
    `SELECT s.id, s.title, s.url, o.slug AS organization, f.failures, f."lastError", f."lastFailedAt"
     FROM sources s JOIN organizations o ON o.id = s.organization_id
     JOIN LATERAL (
       SELECT count(*)::int AS failures, max(r.finished_at) AS "lastFailedAt", (array_agg(r.error ORDER BY r.finished_at DESC))[1] AS "lastError"
       FROM runs r
       WHERE r.source_id = s.id AND r.status = 'failed' AND r.finished_at IS NOT NULL
         AND r.finished_at > coalesce((SELECT max(ok.finished_at) FROM runs ok WHERE ok.source_id = s.id AND ok.finished_at IS NOT NULL AND ok.status NOT IN ('failed', 'cancelled')), '-infinity')
     ) f ON f.failures >= $1
     WHERE s.deleted_at IS NULL
     ORDER BY f.failures DESC, f."lastFailedAt" DESC`,
    [atLeast],
  );
  return res.rows;
}

/** A run that ended `needs_review`: its withdrawals wait for an operator. */
export interface ReviewRun {
  id: string;
  sourceId: string;
  sourceTitle: string | null;
  organization: string;
  pendingWithdrawals: number | null;
  /** The English sentence stored with the run (older rows have only this). */
  reason: string | null;
  /** `details.review`: the reason's code and its figures, for a sentence in the reader's language. */
  review: { reason?: string; missing?: number; active?: number; threshold?: number } | null;
  finishedAt: Date | null;
}

export async function listRunsNeedingReview(h: DbHandle): Promise<ReviewRun[]> {
  const res = await h.pool.query<ReviewRun>(
    `SELECT r.id, r.source_id AS "sourceId", s.title AS "sourceTitle", o.slug AS organization, r.pending_withdrawals AS "pendingWithdrawals",
       r.details->'review'->>'message' AS reason, r.details->'review' AS review, r.finished_at AS "finishedAt"
     FROM runs r JOIN sources s ON s.id = r.source_id JOIN organizations o ON o.id = s.organization_id
     WHERE r.status = 'needs_review' AND s.deleted_at IS NULL
     ORDER BY r.finished_at DESC NULLS LAST`,
  );
  return res.rows;
}

/** A source registered by an organisation, waiting for an operator's approval. */
export interface PendingSource {
  id: string;
  title: string | null;
  url: string;
  kind: string;
  organization: string;
  createdAt: Date;
}

export async function listSourcesPendingApproval(h: DbHandle): Promise<PendingSource[]> {
  const res = await h.pool.query<PendingSource>(
    `SELECT s.id, s.title, s.url, s.kind, o.slug AS organization, s.created_at AS "createdAt"
     FROM sources s JOIN organizations o ON o.id = s.organization_id
     WHERE s.approval_status = 'pending' AND s.deleted_at IS NULL
     ORDER BY s.created_at`,
  );
  return res.rows;
}

/** One finished or live run in a trend or a history. */
export interface RunPoint extends DatasetCounts {
  id: string;
  status: string;
  trigger: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  pagesFetched: number;
  bytes: number;
  errorCode: string | null;
}

const RUN_POINT_COLUMNS = `r.id, r.status, r.trigger, r.created_at AS "createdAt", r.started_at AS "startedAt", r.finished_at AS "finishedAt",
  (extract(epoch FROM (r.finished_at - r.started_at)) * 1000)::bigint::int AS "durationMs",
  r.seen, r.created, r.updated, r.unchanged, r.withdrawn, r.invalid, r.pages_fetched AS "pagesFetched", r.bytes, r.error_code AS "errorCode"`;

/** A row of the dashboard's source list. */
export interface DashboardSource extends SourceListed {
  organizationName: string;
  datasets: number;
  lastRun: RunPoint | null;
  /** The latest runs, oldest first (at most `trend` of them). */
  trend: RunPoint[];
}

export interface DashboardSourceFilter {
  /** Organisation slug. */
  organization?: string;
  kind?: string;
  /** Status of the latest run; `none` = never harvested. */
  outcome?: string;
  /** Text found in the title, the URL or the organisation's name (case-insensitive substring). */
  q?: string;
  id?: string;
  limit?: number;
  trend?: number;
}

/**
 * Sources (not deleted) with their organisation, active dataset count, latest run and the
 * trend of their latest runs. The trend is one LATERAL probe per source on
 * runs_source_created_idx, so a page of 200 sources stays cheap.
 */
export async function listDashboardSources(h: DbHandle, f: DashboardSourceFilter = {}): Promise<DashboardSource[]> {
  const conds = ['s.deleted_at IS NULL'];
  const values: unknown[] = [f.trend ?? 12];
  const add = (v: unknown) => `$${values.push(v)}`;
  if (f.id !== undefined) conds.push(`s.id = ${add(f.id)}::uuid`);
  if (f.organization) conds.push(`o.slug = ${add(f.organization)}`);
  if (f.kind) conds.push(`s.kind = ${add(f.kind)}`);
  if (f.outcome === 'none') conds.push(`NOT EXISTS (SELECT 1 FROM runs x WHERE x.source_id = s.id)`);
  else if (f.outcome) conds.push(`(SELECT x.status FROM runs x WHERE x.source_id = s.id ORDER BY x.created_at DESC LIMIT 1) = ${add(f.outcome)}`);
  if (f.q?.trim()) {
    const p = add(`%${f.q.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    conds.push(`(lower(coalesce(s.title, '')) LIKE lower(${p}) OR lower(s.url) LIKE lower(${p}) OR lower(o.name) LIKE lower(${p}))`);
  }
  const limit = add(f.limit ?? 500);
  const res = await h.pool.query<Omit<DashboardSource, 'lastRun'>>(
    `SELECT s.id, o.slug AS organization, o.name AS "organizationName", s.kind, s.url, s.title, s.schedule, s.timezone, s.enabled,
       s.approval_status AS "approvalStatus",
       (SELECT count(*)::int FROM datasets d WHERE d.source_id = s.id AND d.status = 'active') AS datasets,
       coalesce((SELECT json_agg(t ORDER BY t."createdAt") FROM (
         SELECT ${RUN_POINT_COLUMNS} FROM runs r WHERE r.source_id = s.id ORDER BY r.created_at DESC LIMIT $1) t), '[]') AS trend
     FROM sources s JOIN organizations o ON o.id = s.organization_id
     WHERE ${conds.join(' AND ')}
     ORDER BY o.slug, coalesce(s.title, s.url)
     LIMIT ${limit}`,
    values,
  );
  return res.rows.map((row) => {
    // json_agg gives timestamps as strings.
    const trend = (row.trend as unknown as Array<Record<string, unknown>>).map(revivePoint);
    return { ...row, trend, lastRun: trend.at(-1) ?? null };
  });
}

function revivePoint(p: Record<string, unknown>): RunPoint {
  const d = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));
  return { ...(p as unknown as RunPoint), createdAt: d(p.createdAt)!, startedAt: d(p.startedAt), finishedAt: d(p.finishedAt) };
}

/** The organisations and kinds the source filters offer. */
export async function dashboardFilterValues(h: DbHandle): Promise<{ organizations: Array<{ slug: string; name: string }>; kinds: string[] }> {
  const [orgs, kinds] = await Promise.all([
    h.pool.query<{ slug: string; name: string }>(`SELECT slug, name FROM organizations ORDER BY slug`),
    h.pool.query<{ kind: string }>(`SELECT DISTINCT kind FROM sources WHERE deleted_at IS NULL ORDER BY kind`),
  ]);
  return { organizations: orgs.rows, kinds: kinds.rows.map((r) => r.kind) };
}

/** A source's runs, newest first. */
export async function listRunHistory(h: DbHandle, sourceId: string, limit = 30): Promise<RunPoint[]> {
  const res = await h.pool.query<RunPoint>(`SELECT ${RUN_POINT_COLUMNS} FROM runs r WHERE r.source_id = $1::uuid ORDER BY r.created_at DESC LIMIT $2`, [sourceId, limit]);
  return res.rows;
}

/** Problems of one run with the same code, with a few examples. */
export interface ProblemGroup {
  code: string;
  severity: string;
  count: number;
  examples: Array<{ identifier: string | null; field: string | null; message: string; pageNo: number }>;
}

/** A run's problems grouped by code (most frequent first), with up to `examples` of each. */
export async function groupRunProblems(h: DbHandle, runId: string, examples = 3): Promise<ProblemGroup[]> {
  const res = await h.pool.query<ProblemGroup>(
    `SELECT code, min(severity) AS severity, count(*)::int AS count,
       (array_agg(json_build_object('identifier', identifier, 'field', field, 'message', message, 'pageNo', page_no) ORDER BY id))[1:$2] AS examples
     FROM run_problems WHERE run_id = $1::uuid GROUP BY code ORDER BY count(*) DESC, code`,
    [runId, examples],
  );
  return res.rows;
}

/** The latest run of a source that recorded problems or failed: what the source page shows. */
export async function latestRunWithProblems(h: DbHandle, sourceId: string): Promise<{ id: string; status: string; createdAt: Date; error: string | null } | undefined> {
  const res = await h.pool.query<{ id: string; status: string; createdAt: Date; error: string | null }>(
    `SELECT r.id, r.status, r.created_at AS "createdAt", r.error FROM runs r
     WHERE r.source_id = $1::uuid AND (r.status = 'failed' OR EXISTS (SELECT 1 FROM run_problems p WHERE p.run_id = r.id))
     ORDER BY r.created_at DESC LIMIT 1`,
    [sourceId],
  );
  return res.rows[0];
}

/** What happened in a run, in order: each page fetched and each batch loaded. */
export interface RunTimeline {
  pages: Array<{ pageNo: number; url: string; notModified: boolean; recordCount: number; batchCount: number; bytes: number; fetchedAt: Date }>;
  batches: Array<{ pageNo: number; batchNo: number; recordCount: number; loadedAt: Date }>;
}

export async function getRunTimeline(h: DbHandle, runId: string, limit = 2000): Promise<RunTimeline> {
  const [pages, batches] = await Promise.all([
    h.pool.query(
      `SELECT page_no AS "pageNo", url, not_modified AS "notModified", record_count AS "recordCount", batch_count AS "batchCount", bytes, fetched_at AS "fetchedAt"
       FROM run_pages WHERE run_id = $1::uuid ORDER BY page_no LIMIT $2`,
      [runId, limit],
    ),
    h.pool.query(
      `SELECT page_no AS "pageNo", batch_no AS "batchNo", record_count AS "recordCount", loaded_at AS "loadedAt"
       FROM run_batches WHERE run_id = $1::uuid AND batch_no >= 0 ORDER BY loaded_at, page_no, batch_no LIMIT $2`,
      [runId, limit],
    ),
  ]);
  return { pages: pages.rows, batches: batches.rows };
}

/** Every problem of a run in order, `chunk` rows per query (keyset on id), for CSV export. */
export async function* iterateRunProblems(
  h: DbHandle,
  runId: string,
  chunk = 5000,
): AsyncGenerator<{ id: string; pageNo: number; batchNo: number; severity: string; code: string; message: string; identifier: string | null; field: string | null }> {
  let after = '0';
  for (;;) {
    const res = await h.pool.query(
      `SELECT id::text AS id, page_no AS "pageNo", batch_no AS "batchNo", severity, code, message, identifier, field
       FROM run_problems WHERE run_id = $1::uuid AND id > $2::bigint ORDER BY id LIMIT $3`,
      [runId, after, chunk],
    );
    for (const row of res.rows) yield row;
    if (res.rows.length < chunk) return;
    after = res.rows.at(-1).id;
  }
}

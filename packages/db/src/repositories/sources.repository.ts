import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import pg from 'pg';
import type { DbHandle } from '../client.ts';
import { sourcePages, sources } from '../schema/index.ts';

export type Source = typeof sources.$inferSelect;
export type NewSource = typeof sources.$inferInsert;

/** Channel on which source changes are announced, so the scheduler reconciles at once. */
export const SOURCES_CHANNEL = 'hasad_sources';

export async function createSource(h: DbHandle, input: NewSource): Promise<Source> {
  const [row] = await h.db.insert(sources).values(input).returning();
  await notifySourcesChanged(h, row!.id);
  return row!;
}

export async function getSource(h: DbHandle, id: string): Promise<Source | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await h.db.select().from(sources).where(eq(sources.id, id));
  return row;
}

/** pending | approved | rejected: only approved sources are scheduled or harvested. */
export type ApprovalStatus = 'pending' | 'approved' | 'rejected';

/**
 * Sources, oldest first. Sources deleted through the API are left out unless `includeDeleted`;
 * `approvedOnly` keeps the ones an operator (or the organisation's trust) approved.
 */
export async function listSources(h: DbHandle, filter: { enabledOnly?: boolean; approvedOnly?: boolean; includeDeleted?: boolean; organizationId?: string } = {}): Promise<Source[]> {
  const conds = [];
  if (!filter.includeDeleted) conds.push(isNull(sources.deletedAt));
  if (filter.enabledOnly) conds.push(eq(sources.enabled, true));
  if (filter.approvedOnly) conds.push(eq(sources.approvalStatus, 'approved'));
  if (filter.organizationId) conds.push(eq(sources.organizationId, filter.organizationId));
  return h.db.select().from(sources).where(conds.length ? and(...conds) : undefined).orderBy(asc(sources.createdAt));
}

export async function updateSource(
  h: DbHandle,
  id: string,
  patch: Partial<
    Pick<Source, 'url' | 'kind' | 'title' | 'config' | 'schedule' | 'timezone' | 'enabled' | 'withdrawThreshold' | 'approvalStatus' | 'reviewedBy' | 'reviewedAt' | 'reviewComment' | 'deletedAt'>
  >,
): Promise<Source | undefined> {
  const [row] = await h.db.update(sources).set({ ...patch, updatedAt: new Date() }).where(eq(sources.id, id)).returning();
  if (row) await notifySourcesChanged(h, id);
  return row;
}

/** A source as the listings show it (API, dashboard): its settings and its organisation's slug. */
export interface SourceListed {
  id: string;
  /** The organisation's slug. */
  organization: string;
  kind: string;
  url: string;
  title: string | null;
  schedule: string | null;
  timezone: string;
  enabled: boolean;
  approvalStatus: string;
}

/** A source with its review and its latest run's outcome (`run*` and the counts null before a first run). */
export interface SourceWithLastRun extends SourceListed {
  reviewedBy: string | null;
  reviewedAt: Date | null;
  reviewComment: string | null;
  config: unknown;
  createdAt: Date;
  updatedAt: Date;
  runId: string | null;
  runStatus: string | null;
  runCreatedAt: Date | null;
  runFinishedAt: Date | null;
  runErrorCode: string | null;
  seen: number | null;
  created: number | null;
  updated: number | null;
  unchanged: number | null;
  withdrawn: number | null;
  invalid: number | null;
}

/**
 * Sources with their organisation's slug and their latest run, one index probe per source
 * (runs_source_created_idx), ordered by organisation then age; `listSources`/`getSource` return
 * neither. The `config` is as stored: it may hold credentials, so callers show it through
 * `redactConfig` only. Sources deleted through the API are left out; `id` picks one source,
 * `organizationId` restricts to one organisation.
 */
export async function listSourcesWithLastRun(h: DbHandle, filter: { id?: string; organizationId?: string | null } = {}): Promise<SourceWithLastRun[]> {
  const conds = ['s.deleted_at IS NULL'];
  const values: unknown[] = [];
  if (filter.id !== undefined) {
    values.push(filter.id);
    conds.push(`s.id = $${values.length}`);
  }
  if (filter.organizationId) {
    values.push(filter.organizationId);
    conds.push(`s.organization_id = $${values.length}`);
  }
  const res = await h.pool.query<SourceWithLastRun>(
    `SELECT s.id, o.slug AS organization, s.kind, s.url, s.title, s.schedule, s.timezone, s.enabled,
       s.approval_status AS "approvalStatus", s.reviewed_by AS "reviewedBy", s.reviewed_at AS "reviewedAt", s.review_comment AS "reviewComment",
       s.config, s.created_at AS "createdAt", s.updated_at AS "updatedAt",
       r.id AS "runId", r.status AS "runStatus", r.created_at AS "runCreatedAt", r.finished_at AS "runFinishedAt",
       r.error_code AS "runErrorCode", r.seen, r.created, r.updated, r.unchanged, r.withdrawn, r.invalid
     FROM sources s
     JOIN organizations o ON o.id = s.organization_id
     LEFT JOIN LATERAL (SELECT * FROM runs WHERE runs.source_id = s.id ORDER BY runs.created_at DESC LIMIT 1) r ON true
     WHERE ${conds.join(' AND ')}
     ORDER BY o.slug, s.created_at`,
    values,
  );
  return res.rows;
}

/**
 * What the last successful run learnt about one page of a source (the `source_pages` row),
 * for a conditional request and to skip parsing identical bytes; undefined for a page never
 * fetched. Structurally the `PageValidators` of @hasad/sources, which this package cannot import.
 */
export async function pageValidators(
  h: DbHandle,
  sourceId: string,
  url: string,
): Promise<{ etag: string | null; lastModified: string | null; nextUrl: string | null; bodyHash: string | null } | undefined> {
  const sp = sourcePages;
  const [row] = await h.db
    .select({ etag: sp.etag, lastModified: sp.lastModified, nextUrl: sp.nextUrl, bodyHash: sp.bodyHash })
    .from(sp)
    .where(and(eq(sp.sourceId, sourceId), eq(sp.url, url)));
  return row;
}

export async function notifySourcesChanged(h: DbHandle, sourceId: string): Promise<void> {
  await h.db.execute(sql`SELECT pg_notify(${SOURCES_CHANNEL}, ${sourceId})`);
}

/**
 * Calls `onChange` whenever a source changes (the NOTIFY of {@link notifySourcesChanged}), on a
 * client of its own: LISTEN holds one session, which a pool does not keep. The first attempt is
 * made before this resolves, so a change made right after start is not missed. A connection that
 * fails or is lost is opened again every `retryMs`; meanwhile changes go unnoticed, which the
 * caller's own interval makes up for. Resolves to the function that stops listening.
 */
export async function listenForSourceChanges(
  connectionString: string,
  onChange: () => void,
  opts: { retryMs: number; applicationName?: string; onError?: (err: unknown) => void },
): Promise<() => Promise<void>> {
  let client: pg.Client | undefined;
  let stopped = false;
  const listen = async () => {
    try {
      const c = new pg.Client({ connectionString, ...(opts.applicationName !== undefined && { application_name: opts.applicationName }) });
      // A lost connection emits here; without a listener it would crash the process.
      c.on('error', () => {
        client = undefined;
      });
      await c.connect();
      await c.query(`LISTEN ${SOURCES_CHANNEL}`);
      c.on('notification', () => onChange());
      client = c;
    } catch (err) {
      opts.onError?.(err);
    }
  };
  await listen();
  const timer = setInterval(() => {
    if (!client && !stopped) void listen();
  }, opts.retryMs);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await client?.end().catch(() => {});
  };
}

export function isUuid(s: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
}

import { eq } from 'drizzle-orm';
import type pg from 'pg';
import type { DbHandle } from '../client.ts';
import { organizations } from '../schema/index.ts';
import { groupRunProblems, type ProblemGroup } from './dashboard.repository.ts';
import { runCountsOfRow, type RunCounts } from './finalise.repository.ts';

/** An organisation's notification contacts as the API and the CLI show them: the secret itself never. */
export interface OrganizationNotifications {
  slug: string;
  name: string;
  emails: string[];
  webhookUrl: string | null;
  webhookSecretSet: boolean;
}

function toSettings(row: typeof organizations.$inferSelect): OrganizationNotifications {
  return { slug: row.slug, name: row.name, emails: row.notifyEmails, webhookUrl: row.webhookUrl, webhookSecretSet: row.webhookSecret !== null };
}

export async function getOrganizationNotifications(h: DbHandle, slug: string): Promise<(OrganizationNotifications & { organizationId: string }) | undefined> {
  const [row] = await h.db.select().from(organizations).where(eq(organizations.slug, slug));
  return row ? { organizationId: row.id, ...toSettings(row) } : undefined;
}

/** Where an organisation's webhook goes and its signing secret (for a delivery, never for display). */
export async function organizationWebhookTarget(h: DbHandle, slug: string): Promise<{ url: string | null; secret: string | null } | undefined> {
  const [row] = await h.db.select({ url: organizations.webhookUrl, secret: organizations.webhookSecret }).from(organizations).where(eq(organizations.slug, slug));
  return row;
}

/**
 * Changes an organisation's notification contacts; fields left out keep their value. The caller
 * checks the values (addresses, URL, secret length).
 */
export async function setOrganizationNotifications(
  h: DbHandle,
  slug: string,
  patch: { emails?: string[]; webhookUrl?: string | null; webhookSecret?: string | null },
): Promise<OrganizationNotifications | undefined> {
  const set: Partial<typeof organizations.$inferInsert> = {};
  if (patch.emails !== undefined) set.notifyEmails = patch.emails;
  if (patch.webhookUrl !== undefined) set.webhookUrl = patch.webhookUrl;
  if (patch.webhookSecret !== undefined) set.webhookSecret = patch.webhookSecret;
  if (Object.keys(set).length === 0) {
    const current = await getOrganizationNotifications(h, slug);
    if (!current) return undefined;
    const { organizationId: _id, ...rest } = current;
    return rest;
  }
  const [row] = await h.db.update(organizations).set(set).where(eq(organizations.slug, slug)).returning();
  return row ? toSettings(row) : undefined;
}

/** Everything a notification about one finished run says, and where it goes. */
export interface NotificationContext {
  run: RunCounts & {
    id: string;
    status: string;
    trigger: string;
    startedAt: Date | null;
    finishedAt: Date | null;
    pagesFetched: number;
    pagesNotModified: number;
    errorCode: string | null;
    error: string | null;
    /** Why a `needs_review` run is waiting (`{reason, message}`), from the run's details. */
    review: { reason?: string; message?: string } | null;
    /** The source's quality score after this run and after the previous one (the link check keeps them). */
    quality: { score: number | null; max: number; previous: number | null } | null;
  };
  source: { id: string; title: string | null; kind: string; url: string; deleted: boolean };
  organization: { id: string; slug: string; name: string; emails: string[]; webhookUrl: string | null; webhookSecret: string | null };
  /**
   * Failed runs of the source in a row that finished before this run (since its last run that
   * neither failed nor was cancelled). Anchored on this run's end, so the answer does not change
   * when newer runs finish: a finalise delivered again later decides the same way.
   */
  failuresBefore: number;
  /**
   * The source's previous run (the last that finished before this one, cancelled runs aside):
   * its status and pending withdrawals, null when there is none. A source whose feed stays
   * shrunk ends `needs_review` run after run; only the first such run, or one that would now
   * withdraw another number of datasets, is worth telling.
   */
  previous: { status: string; pendingWithdrawals: number; invalid: number } | null;
  /** The run's problems grouped by code, most frequent first (at most 10 groups, one example each). */
  problems: ProblemGroup[];
  /** For a quality drop: the source's most common improvements now (at most 5). */
  improvements?: Array<{ code: string; datasets: number }>;
}

/** Reads a run with its source, organisation and the failure streak before it, in one round trip. */
export async function notificationContext(h: DbHandle, runId: string): Promise<NotificationContext | undefined> {
  const res = await h.pool.query(
    `SELECT r.id, r.status, r.trigger, r.started_at, r.finished_at, r.pages_fetched, r.pages_not_modified, r.seen, r.created,
       r.updated, r.unchanged, r.withdrawn, r.invalid, r.pending_withdrawals, r.error_code, r.error, r.details->'review' AS review, r.details->'quality' AS quality,
       s.id AS source_id, s.title AS source_title, s.kind, s.url, s.deleted_at IS NOT NULL AS source_deleted,
       o.id AS org_id, o.slug, o.name, o.notify_emails, o.webhook_url, o.webhook_secret,
       (SELECT count(*) FROM runs f
         WHERE f.source_id = r.source_id AND f.status = 'failed' AND f.finished_at IS NOT NULL AND f.finished_at < r.finished_at
           AND f.finished_at > coalesce((SELECT max(ok.finished_at) FROM runs ok
             WHERE ok.source_id = r.source_id AND ok.finished_at IS NOT NULL AND ok.finished_at < r.finished_at
               AND ok.status NOT IN ('failed', 'cancelled')), '-infinity'))::int AS failures_before,
       prev.status AS previous_status, prev.pending_withdrawals AS previous_pending, prev.invalid AS previous_invalid
     FROM runs r JOIN sources s ON s.id = r.source_id JOIN organizations o ON o.id = s.organization_id
     LEFT JOIN LATERAL (
       SELECT p.status, p.pending_withdrawals, p.invalid FROM runs p
       WHERE p.source_id = r.source_id AND p.id <> r.id AND p.finished_at IS NOT NULL AND p.finished_at < r.finished_at AND p.status <> 'cancelled'
       ORDER BY p.finished_at DESC LIMIT 1
     ) prev ON true
     WHERE r.id = $1`,
    [runId],
  );
  const row = res.rows[0];
  if (!row) return undefined;
  return {
    run: {
      id: row.id,
      status: row.status,
      trigger: row.trigger,
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      pagesFetched: row.pages_fetched,
      pagesNotModified: row.pages_not_modified,
      ...runCountsOfRow(row),
      errorCode: row.error_code,
      error: row.error,
      review: row.review ?? null,
      quality: row.quality ?? null,
    },
    source: { id: row.source_id, title: row.source_title, kind: row.kind, url: row.url, deleted: row.source_deleted },
    organization: { id: row.org_id, slug: row.slug, name: row.name, emails: row.notify_emails ?? [], webhookUrl: row.webhook_url, webhookSecret: row.webhook_secret },
    failuresBefore: row.failures_before,
    previous: row.previous_status === null || row.previous_status === undefined ? null : { status: row.previous_status, pendingWithdrawals: row.previous_pending ?? 0, invalid: row.previous_invalid ?? 0 },
    problems: row.invalid > 0 || row.status === 'failed' ? (await groupRunProblems(h, runId, 1)).slice(0, 10) : [],
    improvements: row.quality ? await topImprovements(h.pool, row.source_id) : [],
  };
}

/** The source's stored quality's most common improvements (code and datasets), at most 5. */
async function topImprovements(pool: pg.Pool, sourceId: string): Promise<Array<{ code: string; datasets: number }>> {
  const res = await pool.query<{ code: string; datasets: number }>(
    `SELECT i->>'code' AS code, (i->>'datasets')::int AS datasets FROM source_quality q, jsonb_array_elements(q.quality->'improvements') i WHERE q.source_id = $1 LIMIT 5`,
    [sourceId],
  );
  return res.rows;
}

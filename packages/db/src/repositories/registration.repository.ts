import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Db, DbHandle } from '../client.ts';
import { runs, sources } from '../schema/index.ts';
import { findLiveRun, RunActiveError, type Run } from './runs.repository.ts';
import { isUuid, notifySourcesChanged, type ApprovalStatus, type Source } from './sources.repository.ts';

/**
 * Records an operator's review of a source: approved sources are scheduled (the scheduler is
 * notified), rejected ones are not. Returns undefined for an unknown or deleted source.
 */
export async function reviewSource(h: DbHandle, id: string, review: { status: Exclude<ApprovalStatus, 'pending'>; by: string; comment: string | null }): Promise<Source | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await h.db
    .update(sources)
    .set({ approvalStatus: review.status, reviewedBy: review.by, reviewedAt: sql`now()`, reviewComment: review.comment, updatedAt: sql`now()` })
    .where(and(eq(sources.id, id), isNull(sources.deletedAt)))
    .returning();
  if (row) await notifySourcesChanged(h, id);
  return row;
}

/**
 * Deletes a source the way an institution means it: every active dataset of the source is
 * withdrawn (kept, hidden from the default listing, announced on the change feed) and the
 * source is marked deleted and disabled, so it is never scheduled again. Its runs and datasets
 * stay for the record. Refused with RunActiveError while a run is live: the loader would
 * otherwise bring datasets back after they were withdrawn.
 *
 * @returns how many datasets were withdrawn, or undefined for an unknown or already deleted source.
 */
export async function deleteSourceWithdrawingDatasets(h: DbHandle, id: string): Promise<{ source: Source; withdrawn: number } | undefined> {
  if (!isUuid(id)) return undefined;
  const result = await h.db.transaction(async (tx) => {
    const [locked] = await tx.select().from(sources).where(and(eq(sources.id, id), isNull(sources.deletedAt))).for('update');
    if (!locked) return undefined;
    // findLiveRun queries through `h.db` only: the transaction stands in for it, so the lookup is part of this transaction.
    const live = await findLiveRun({ ...h, db: tx as unknown as Db }, id);
    if (live) throw new RunActiveError(id, live.id);
    const res = await tx.execute(sql`
      WITH w AS (
        UPDATE datasets SET status = 'withdrawn', withdrawn_run = NULL, withdrawn_at = now(), updated_at = now()
        WHERE source_id = ${id} AND status = 'active'
        RETURNING id, source_id
      ), c AS (
        INSERT INTO dataset_changes (dataset_id, source_id, run_id, kind)
        SELECT id, source_id, NULL, 'withdrawn' FROM w
      )
      SELECT count(*)::int AS n FROM w`);
    const [source] = await tx
      .update(sources)
      .set({ deletedAt: sql`now()`, enabled: false, updatedAt: sql`now()` })
      .where(eq(sources.id, id))
      .returning();
    return { source: source!, withdrawn: Number((res.rows[0] as { n: number }).n) };
  });
  if (result) await notifySourcesChanged(h, id);
  return result;
}

/** Runs of one organisation's sources (deleted ones included: their history stays readable), newest first. */
export async function listRunsOfOrganization(h: DbHandle, organizationId: string, page: { limit?: number; offset?: number } = {}): Promise<Run[]> {
  const rows = await h.db
    .select({ run: runs })
    .from(runs)
    .innerJoin(sources, eq(sources.id, runs.sourceId))
    .where(eq(sources.organizationId, organizationId))
    .orderBy(desc(runs.createdAt))
    .limit(page.limit ?? 50)
    .offset(page.offset ?? 0);
  return rows.map((r) => r.run);
}

/** A run with the organisation and the deletion time of its source, for access checks. */
export async function getRunWithOwner(h: DbHandle, runId: string): Promise<{ run: Run; organizationId: string; sourceDeletedAt: Date | null } | undefined> {
  if (!isUuid(runId)) return undefined;
  const [row] = await h.db
    .select({ run: runs, organizationId: sources.organizationId, sourceDeletedAt: sources.deletedAt })
    .from(runs)
    .innerJoin(sources, eq(sources.id, runs.sourceId))
    .where(eq(runs.id, runId));
  return row;
}

/** Active datasets of a source (what deleting it would withdraw). */
export async function countActiveDatasets(h: DbHandle, sourceId: string): Promise<number> {
  const res = await h.db.execute(sql`SELECT count(*)::int AS n FROM datasets WHERE source_id = ${sourceId} AND status = 'active'`);
  return Number((res.rows[0] as { n: number }).n);
}

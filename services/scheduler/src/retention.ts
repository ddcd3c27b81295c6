import { sql } from 'drizzle-orm';
import type { DbHandle } from '@hasad/db';

/**
 * Deletes finished runs beyond the newest `keep` of each source; their run_pages, run_batches
 * and run_problems go with them (ON DELETE CASCADE). Each source's newest successful run
 * (`succeeded` or `unchanged`) is kept whatever its age, because the run summary counts the
 * failures since it. Live runs (`queued`, `running`) are never touched. Nothing a later run
 * needs is lost: what a run learnt about each page lives in `source_pages`, and datasets and the
 * change feed keep run ids without foreign keys. At most `limit` runs go per call, so that a
 * first prune of a long history does not hold a long transaction; the next tick takes the rest.
 * `keep` 0 keeps everything. Returns how many runs were deleted.
 */
export async function pruneRunHistory(h: DbHandle, keep: number, limit = 500): Promise<number> {
  if (keep <= 0) return 0;
  const res = await h.db.execute(sql`
    WITH ranked AS (
      SELECT id, source_id, status,
             row_number() OVER (PARTITION BY source_id ORDER BY created_at DESC, id DESC) AS n,
             row_number() OVER (PARTITION BY source_id, status IN ('succeeded', 'unchanged') ORDER BY created_at DESC, id DESC) AS n_ok
      FROM runs WHERE status NOT IN ('queued', 'running')
    ), doomed AS (
      SELECT id FROM ranked
      WHERE n > ${keep} AND NOT (status IN ('succeeded', 'unchanged') AND n_ok = 1)
      LIMIT ${limit}
    )
    DELETE FROM runs r USING doomed d WHERE r.id = d.id AND r.status NOT IN ('queued', 'running')`);
  return res.rowCount ?? 0;
}

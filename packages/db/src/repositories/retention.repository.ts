import { sql } from 'drizzle-orm';
import type { DbHandle } from '../client.ts';

// Retention: what the scheduler deletes every reconcile interval. Both prunes are idempotent
// and bounded per call, so several schedulers may run them at once.

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

/**
 * Deletes changes older than `days` days, at most `limit` a call (the next tick takes the rest,
 * so a first prune of a long history holds no long transaction), and moves the horizon to the
 * last position deleted, in the same statement. `days` 0 keeps everything. Returns how many
 * changes were deleted.
 */
export async function pruneChanges(h: DbHandle, days: number, limit = 10_000): Promise<number> {
  if (days <= 0) return 0;
  const res = await h.db.execute<{ deleted: string }>(sql`
    WITH gone AS (
      DELETE FROM dataset_changes WHERE seq IN (
        SELECT seq FROM dataset_changes WHERE at < now() - make_interval(days => ${days}::int) ORDER BY at LIMIT ${limit}
      )
      RETURNING txid, seq
    ), last AS (
      SELECT txid, seq FROM gone ORDER BY txid DESC, seq DESC LIMIT 1
    ), moved AS (
      INSERT INTO change_feed_horizon (id, txid, seq, pruned_at) SELECT 1, txid, seq, now() FROM last
      ON CONFLICT (id) DO UPDATE SET txid = excluded.txid, seq = excluded.seq, pruned_at = excluded.pruned_at
        WHERE (change_feed_horizon.txid, change_feed_horizon.seq) < (excluded.txid, excluded.seq)
    )
    SELECT count(*)::text AS deleted FROM gone`);
  return Number(res.rows[0]?.deleted ?? 0);
}

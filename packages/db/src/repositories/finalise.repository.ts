import type pg from 'pg';
import type { DbHandle } from '../client.ts';

export interface FinaliseOptions {
  /** Default share (0..1) of active datasets a complete run may withdraw without review. */
  withdrawThreshold: number;
}

/** What a run did to datasets: the six counts of every run report, listing and chart. */
export interface DatasetCounts {
  seen: number;
  created: number;
  updated: number;
  unchanged: number;
  withdrawn: number;
  invalid: number;
}

/** A run's dataset counts, as finalise computes them (what run reports, logs and notifications say). */
export interface RunCounts extends DatasetCounts {
  /** Datasets a `needs_review` run would withdraw once confirmed. */
  pendingWithdrawals: number | null;
}

/** The dataset counts of a run (or anything that carries them), alone and in their usual order. */
export function runCountsOf(r: RunCounts): RunCounts {
  return { ...datasetCountsOf(r), pendingWithdrawals: r.pendingWithdrawals };
}

/** The six dataset counts of anything that carries them, alone and in their usual order. */
export function datasetCountsOf(r: DatasetCounts): DatasetCounts {
  return { seen: r.seen, created: r.created, updated: r.updated, unchanged: r.unchanged, withdrawn: r.withdrawn, invalid: r.invalid };
}

/** A run's counts from a `runs` row as PostgreSQL gives it (snake_case columns). */
export function runCountsOfRow(row: DatasetCounts & { pending_withdrawals: number | null }): RunCounts {
  return { ...datasetCountsOf(row), pendingWithdrawals: row.pending_withdrawals };
}

export interface FinaliseResult extends RunCounts {
  runId: string;
  status: string;
  alreadyFinal: boolean;
}

/**
 * Closes a run whose batches are all loaded: counts, withdrawal (or `needs_review`), and the
 * page validators for the next run's conditional requests. One transaction with the run row
 * locked, so two finalise deliveries cannot both act; a second one sees `finished_at` and stops.
 *
 * Withdrawal happens only for a run that fetched every page without error. It is skipped, and
 * the run ends `needs_review`, when the feed suddenly lists nothing or when the share to
 * withdraw exceeds the threshold.
 */
export async function finaliseRun(h: DbHandle, runId: string, opts: FinaliseOptions): Promise<FinaliseResult | undefined> {
  const client = await h.pool.connect();
  try {
    await client.query('BEGIN');
    const runRes = await client.query<{ id: string; source_id: string; status: string; finished_at: Date | null; fetch_done: boolean; threshold: number | null; listing: string | null }>(
      `SELECT r.id, r.source_id, r.status, r.finished_at, r.fetch_done, s.withdraw_threshold AS threshold, r.details->>'listing' AS listing
       FROM runs r JOIN sources s ON s.id = r.source_id WHERE r.id = $1 FOR UPDATE OF r`,
      [runId],
    );
    const run = runRes.rows[0];
    if (!run) {
      await client.query('ROLLBACK');
      return undefined;
    }
    if (run.finished_at) {
      await client.query('ROLLBACK');
      const r = await h.pool.query('SELECT * FROM runs WHERE id = $1', [runId]);
      return { ...toResult(r.rows[0]), alreadyFinal: true };
    }
    const sourceId = run.source_id;
    // A cancelled run ends like a failed one (nothing withdrawn, no validators kept), as cancelled.
    const failed = run.status === 'failed' || run.status === 'cancelled';

    await client.query(
      `CREATE TEMP TABLE seen ON COMMIT DROP AS
       SELECT DISTINCT unnest(identifiers) AS identifier FROM run_batches WHERE run_id = $1`,
      [runId],
    );
    await client.query('CREATE INDEX ON seen (identifier)');
    await client.query('ANALYZE seen');
    const counts = (
      await client.query<{ seen: number; created: number; updated: number; invalid: number; active: number; missing: number }>(
        // The rows the run wrote through the changed_run index (created rows too: an insert sets
        // both runs; none on an unchanged run), and the source's active rows read once for both
        // of their counts: an unchanged re-harvest of 100,000 datasets read them four times.
        `SELECT
           (SELECT count(*) FROM seen)::int AS seen,
           c.created, c.updated,
           (SELECT count(DISTINCT coalesce(identifier, id::text)) FROM run_problems WHERE run_id = $1 AND severity = 'error')::int AS invalid,
           a.active, a.missing
         FROM (SELECT count(*) FILTER (WHERE created_run = $1)::int AS created, count(*) FILTER (WHERE created_run <> $1)::int AS updated
                 FROM datasets WHERE changed_run = $1 AND source_id = $2) c,
              (SELECT count(*)::int AS active,
                 count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM seen s WHERE s.identifier = d.source_identifier))::int AS missing
                 FROM datasets d WHERE d.source_id = $2 AND d.status = 'active') a`,
        [runId, sourceId],
      )
    ).rows[0]!;

    let status: string;
    let withdrawn = 0;
    let pending: number | null = null;
    const details: Record<string, unknown> = {};
    const nothing = failed ? undefined : await loadedNothing(client, runId, counts);
    let error: { code: string; message: string } | undefined;
    if (failed) {
      status = run.status;
    } else if (nothing !== undefined && !(nothing.code === 'no_datasets' && counts.missing > 0 && run.listing !== 'partial')) {
      // A run that loaded nothing did not find the source unchanged: it failed, withdrawing
      // nothing. (A whole feed that lists nothing where it had datasets goes to review instead,
      // below: an institution may really have emptied its feed, and an operator confirms that.)
      status = 'failed';
      error = nothing;
    } else if (run.listing === 'partial') {
      // A partial listing (incremental, or cut short) leaves out datasets that still exist:
      // nothing counts as missing, and the last full run's validators are kept.
      status = counts.created + counts.updated === 0 ? 'unchanged' : 'succeeded';
    } else {
      const threshold = run.threshold ?? opts.withdrawThreshold;
      if (counts.missing > 0 && counts.seen === 0) {
        status = 'needs_review';
        pending = counts.missing;
        // The figures travel with the reason so that every reader can word it in their language (@hasad/i18n reviewText).
        details.review = { reason: 'empty_feed', missing: counts.missing, active: counts.active, message: `the source listed no datasets; ${counts.missing} active datasets would be withdrawn` };
      } else if (counts.missing > 0 && counts.missing > threshold * counts.active) {
        status = 'needs_review';
        pending = counts.missing;
        details.review = {
          reason: 'threshold',
          missing: counts.missing,
          active: counts.active,
          threshold,
          message: `${counts.missing} of ${counts.active} active datasets (${((100 * counts.missing) / counts.active).toFixed(1)} %) would be withdrawn, above the ${(threshold * 100).toFixed(0)} % threshold`,
        };
      } else {
        // Counted in this transaction, under the run's lock: none missing, none to withdraw.
        if (counts.missing > 0) withdrawn = await withdrawMissing(client, runId, sourceId);
        status = counts.created + counts.updated + withdrawn === 0 ? 'unchanged' : 'succeeded';
      }
      await saveValidators(client, runId, sourceId);
    }
    const unchanged = Math.max(0, counts.seen - counts.created - counts.updated - counts.invalid);
    const updated = await client.query(
      `UPDATE runs SET status = $2, seen = $3, created = $4, updated = $5, unchanged = $6, withdrawn = $7, invalid = $8,
         pending_withdrawals = $9, details = details || $10::jsonb, finished_at = now(), heartbeat_at = now(),
         error_code = coalesce($11, error_code), error = coalesce($12, error)
       WHERE id = $1 RETURNING *`,
      [runId, status, counts.seen, counts.created, counts.updated, unchanged, withdrawn, counts.invalid, pending, JSON.stringify(details), error?.code ?? null, error?.message ?? null],
    );
    await client.query('COMMIT');
    return { ...toResult(updated.rows[0]), alreadyFinal: false };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Why a run that read its feed loaded nothing, or undefined when it loaded something (or read
 * nothing but empty or unchanged pages):
 * - `no_valid_records`: the feed gave records and every one was invalid;
 * - `no_datasets`: a page with content was read and no dataset was found in any page.
 */
async function loadedNothing(client: pg.PoolClient, runId: string, counts: { invalid: number }): Promise<{ code: string; message: string } | undefined> {
  const r = (
    await client.query<{ records: number; bytes: number; pages: number; saidNone: boolean }>(
      `SELECT (SELECT coalesce(sum(record_count), 0) FROM run_batches WHERE run_id = $1)::int AS records,
         EXISTS (SELECT 1 FROM run_problems WHERE run_id = $1 AND code = 'no_datasets') AS "saidNone",
         (SELECT coalesce(sum(bytes), 0) FROM run_pages WHERE run_id = $1 AND NOT not_modified)::bigint::float8 AS bytes,
         (SELECT count(*) FROM run_pages WHERE run_id = $1)::int AS pages`,
      [runId],
    )
  ).rows[0]!;
  if (r.records > 0) return undefined;
  if (counts.invalid > 0) {
    return {
      code: 'no_valid_records',
      message: `every record the feed gave was invalid (${counts.invalid}); nothing was loaded and nothing withdrawn. The run's problems say what is wrong with each`,
    };
  }
  // Adapters say `no_datasets` of a page that held none (an incremental listing with no change says `no_changes`).
  if (r.saidNone && r.bytes > 0) {
    return {
      code: 'no_datasets',
      message: `the feed was read (${r.pages} page${r.pages === 1 ? '' : 's'}, ${r.bytes} bytes) but holds no dataset; nothing was loaded and nothing withdrawn`,
    };
  }
  return undefined;
}

/** Withdraws the source's active datasets the run did not see, each with its `withdrawn` change row (same statement). */
async function withdrawMissing(client: pg.PoolClient, runId: string, sourceId: string): Promise<number> {
  const res = await client.query(
    `WITH w AS (
       UPDATE datasets d SET status = 'withdrawn', withdrawn_run = $1, withdrawn_at = now(), updated_at = now()
       WHERE d.source_id = $2 AND d.status = 'active'
         AND NOT EXISTS (SELECT 1 FROM seen s WHERE s.identifier = d.source_identifier)
       RETURNING d.id, d.source_identifier
     )
     INSERT INTO dataset_changes (dataset_id, source_id, run_id, kind)
     SELECT w.id, $2, $1, 'withdrawn' FROM w ORDER BY w.source_identifier`,
    [runId, sourceId],
  );
  return res.rowCount ?? 0;
}

/** Stores each page's validators and identifiers for the next run, replacing the source's previous set. */
async function saveValidators(client: pg.PoolClient, runId: string, sourceId: string): Promise<void> {
  await client.query(
    `INSERT INTO source_pages (source_id, url, etag, last_modified, next_url, body_hash, identifiers, run_id, page_no, updated_at)
     SELECT $2, p.url, p.etag, p.last_modified, p.next_url, p.body_hash,
       coalesce((SELECT array_agg(DISTINCT i) FROM run_batches b, unnest(b.identifiers) i WHERE b.run_id = p.run_id AND b.page_no = p.page_no), '{}'),
       p.run_id, p.page_no, now()
     FROM run_pages p WHERE p.run_id = $1
     ON CONFLICT (source_id, url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified,
       next_url = excluded.next_url, body_hash = excluded.body_hash, identifiers = excluded.identifiers, run_id = excluded.run_id, page_no = excluded.page_no, updated_at = now()`,
    [runId, sourceId],
  );
  await client.query('DELETE FROM source_pages WHERE source_id = $1 AND run_id <> $2', [sourceId, runId]);
}

/**
 * An operator confirms the withdrawals a `needs_review` run held back. Allowed only for the
 * source's latest finished run, so that a newer run's view of the feed is never overridden.
 */
export async function confirmWithdrawals(h: DbHandle, runId: string): Promise<{ withdrawn: number }> {
  const client = await h.pool.connect();
  try {
    await client.query('BEGIN');
    const r = (await client.query<{ source_id: string; status: string }>('SELECT source_id, status FROM runs WHERE id = $1 FOR UPDATE', [runId])).rows[0];
    if (!r) throw new Error(`run ${runId} not found`);
    if (r.status !== 'needs_review') throw new Error(`run ${runId} is ${r.status}, not needs_review`);
    const latest = (await client.query<{ id: string }>('SELECT id FROM runs WHERE source_id = $1 AND finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 1', [r.source_id])).rows[0];
    if (latest?.id !== runId) throw new Error(`run ${runId} is not the latest finished run of its source; harvest again instead`);
    await client.query('CREATE TEMP TABLE seen ON COMMIT DROP AS SELECT DISTINCT unnest(identifiers) AS identifier FROM run_batches WHERE run_id = $1', [runId]);
    const withdrawn = await withdrawMissing(client, runId, r.source_id);
    await client.query(
      `UPDATE runs SET status = 'succeeded', withdrawn = $2, pending_withdrawals = NULL,
         details = details || jsonb_build_object('review', details->'review' || jsonb_build_object('confirmedAt', now()))
       WHERE id = $1`,
      [runId, withdrawn],
    );
    await client.query('COMMIT');
    return { withdrawn };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** One dataset a `needs_review` run would withdraw. */
export interface PendingWithdrawal {
  datasetId: string;
  /** The identifier the source gives it. */
  identifier: string;
  uri: string | null;
  /** The title by language, as stored (`{ "fr": …, "ar": … }`). */
  title: Record<string, string>;
  /** When a finished run of the source last listed it (null when no kept run did). */
  lastSeenAt: Date | null;
}

/**
 * The datasets a `needs_review` run would withdraw: the source's active datasets its batches did
 * not list, the same set {@link confirmWithdrawals} withdraws, by identifier, paged. Undefined
 * when the run is not waiting for review.
 */
export async function listPendingWithdrawals(h: DbHandle, runId: string, page: { limit: number; offset: number }): Promise<{ total: number; items: PendingWithdrawal[] } | undefined> {
  const run = (await h.pool.query<{ source_id: string; status: string }>('SELECT source_id, status FROM runs WHERE id = $1', [runId])).rows[0];
  if (!run || run.status !== 'needs_review') return undefined;
  const res = await h.pool.query<PendingWithdrawal & { total: number }>(
    `WITH seen AS (SELECT DISTINCT unnest(identifiers) AS identifier FROM run_batches WHERE run_id = $1),
     pending AS (
       SELECT d.id, d.source_identifier, d.uri, d.title FROM datasets d
       WHERE d.source_id = $2 AND d.status = 'active' AND NOT EXISTS (SELECT 1 FROM seen s WHERE s.identifier = d.source_identifier)
     )
     SELECT p.id AS "datasetId", p.source_identifier AS identifier, p.uri, p.title, count(*) OVER ()::int AS total,
       -- Only for the page shown: the newest finished run (other than this one) whose batches listed it.
       (SELECT max(r.finished_at) FROM runs r JOIN run_batches b ON b.run_id = r.id
         WHERE r.source_id = $2 AND r.id <> $1 AND r.finished_at IS NOT NULL AND p.source_identifier = ANY (b.identifiers)) AS "lastSeenAt"
     FROM pending p ORDER BY p.source_identifier LIMIT $3 OFFSET $4`,
    [runId, run.source_id, page.limit, page.offset],
  );
  const total = res.rows[0]?.total ?? (page.offset > 0 ? await countPending(h.pool, runId, run.source_id) : 0);
  return { total, items: res.rows.map(({ total: _t, ...item }) => item) };
}

/** The count alone, for a page past the end (the windowed count has no row to ride on). */
async function countPending(pool: pg.Pool, runId: string, sourceId: string): Promise<number> {
  const res = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM datasets d WHERE d.source_id = $2 AND d.status = 'active'
       AND NOT EXISTS (SELECT 1 FROM run_batches b WHERE b.run_id = $1 AND d.source_identifier = ANY (b.identifiers))`,
    [runId, sourceId],
  );
  return res.rows[0]?.n ?? 0;
}

/** An operator keeps the datasets a `needs_review` run would have withdrawn. */
export async function cancelWithdrawals(h: DbHandle, runId: string): Promise<void> {
  const res = await h.pool.query(
    `UPDATE runs SET status = 'succeeded', pending_withdrawals = NULL,
       details = details || jsonb_build_object('review', details->'review' || jsonb_build_object('cancelledAt', now()))
     WHERE id = $1 AND status = 'needs_review'`,
    [runId],
  );
  if (res.rowCount === 0) throw new Error(`run ${runId} is not waiting for review`);
}

function toResult(row: Record<string, unknown>): Omit<FinaliseResult, 'alreadyFinal'> {
  return {
    runId: row.id as string,
    status: row.status as string,
    seen: row.seen as number,
    created: row.created as number,
    updated: row.updated as number,
    unchanged: row.unchanged as number,
    withdrawn: row.withdrawn as number,
    invalid: row.invalid as number,
    pendingWithdrawals: (row.pending_withdrawals as number | null) ?? null,
  };
}

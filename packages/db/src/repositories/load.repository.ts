import type pg from 'pg';

export interface LoadRecord {
  identifier: string;
  uri: string | null;
  hash: string;
  modifiedAt: string | null;
  record: Record<string, unknown>;
}

export interface LoadBatchInput {
  runId: string;
  sourceId: string;
  pageNo: number;
  batchNo: number;
  records: LoadRecord[];
  problems: Array<{ severity: string; code: string; message: string; identifier?: string; field?: string }>;
  invalidIdentifiers: string[];
}

/**
 * The set-based upsert of one batch, in one statement: rows whose content hash is unchanged
 * (and that are active) are not written at all, so an unchanged re-harvest rewrites no row
 * and keeps `updated_at`. Withdrawn rows that reappear are restored. The input is de-duplicated
 * and sorted by identifier so that two loaders never deadlock on the same rows.
 */
const UPSERT = `
WITH input AS (
  SELECT DISTINCT ON (x.identifier) x.identifier, x.uri, x.hash, x.modified_at, x.record
  FROM jsonb_to_recordset($3::jsonb) AS x(identifier text, uri text, hash text, modified_at timestamptz, record jsonb)
  ORDER BY x.identifier
)
INSERT INTO datasets AS d (source_id, organization_id, source_identifier, uri, title, record, content_hash, modified_at, status, created_run, changed_run)
SELECT $1, s.organization_id, i.identifier, i.uri, i.record->'title', i.record, i.hash, i.modified_at, 'active', $2, $2
FROM input i CROSS JOIN (SELECT organization_id FROM sources WHERE id = $1) s
ORDER BY i.identifier
ON CONFLICT (source_id, source_identifier) DO UPDATE SET
  uri = excluded.uri, title = excluded.title, record = excluded.record, content_hash = excluded.content_hash,
  modified_at = excluded.modified_at, status = 'active', withdrawn_run = NULL, withdrawn_at = NULL,
  changed_run = excluded.changed_run, updated_at = now()
WHERE d.content_hash IS DISTINCT FROM excluded.content_hash OR d.status <> 'active'`;

/**
 * Loads one batch in one transaction: dataset upsert, the batch's seen identifiers (merged
 * with any earlier delivery of the same batch: a union only ever protects datasets from
 * withdrawal), and its problems (replaced). BullMQ is at-least-once; running this twice
 * yields the same rows.
 */
export async function loadBatch(pool: pg.Pool, input: LoadBatchInput): Promise<{ written: number; ms: number }> {
  const started = performance.now();
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    let written = 0;
    if (input.records.length > 0) {
      const payload = JSON.stringify(input.records.map((r) => ({ identifier: r.identifier, uri: r.uri, hash: r.hash, modified_at: r.modifiedAt, record: r.record })));
      const res = await client.query(UPSERT, [input.sourceId, input.runId, payload]);
      written = res.rowCount ?? 0;
    }
    const identifiers = [...new Set([...input.records.map((r) => r.identifier), ...input.invalidIdentifiers])];
    await client.query(
      `INSERT INTO run_batches (run_id, page_no, batch_no, identifiers, record_count)
       VALUES ($1, $2, $3, $4::text[], $5)
       ON CONFLICT (run_id, page_no, batch_no) DO UPDATE SET
         identifiers = ARRAY(SELECT DISTINCT unnest(run_batches.identifiers || excluded.identifiers)),
         record_count = excluded.record_count, loaded_at = now()`,
      [input.runId, input.pageNo, input.batchNo, identifiers, input.records.length],
    );
    await client.query('DELETE FROM run_problems WHERE run_id = $1 AND page_no = $2 AND batch_no = $3', [input.runId, input.pageNo, input.batchNo]);
    if (input.problems.length > 0) {
      await client.query(
        `INSERT INTO run_problems (run_id, page_no, batch_no, severity, code, message, identifier, field)
         SELECT $1, $2, $3, p.severity, p.code, p.message, p.identifier, p.field
         FROM jsonb_to_recordset($4::jsonb) AS p(severity text, code text, message text, identifier text, field text)`,
        [input.runId, input.pageNo, input.batchNo, JSON.stringify(input.problems)],
      );
    }
    await client.query('COMMIT');
    return { written, ms: performance.now() - started };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** Page-level problems (paging notes, fetch warnings) go in with batch number -2. */
export async function recordPageProblems(pool: pg.Pool, runId: string, pageNo: number, problems: LoadBatchInput['problems']): Promise<void> {
  if (problems.length === 0) return;
  await pool.query(
    `WITH del AS (DELETE FROM run_problems WHERE run_id = $1 AND page_no = $2 AND batch_no = -2)
     INSERT INTO run_problems (run_id, page_no, batch_no, severity, code, message, identifier, field)
     SELECT $1, $2, -2, p.severity, p.code, p.message, p.identifier, p.field
     FROM jsonb_to_recordset($3::jsonb) AS p(severity text, code text, message text, identifier text, field text)`,
    [runId, pageNo, JSON.stringify(problems)],
  );
}

/**
 * What the search columns and the change feed cost the loader: the same batches loaded with
 * today's `loadBatch`, and with the loader as it was before issue 5 (its statement is copied
 * below) into a database without the search columns, their indexes and triggers, or the
 * change feed. Three phases each: first load, unchanged re-load, every record changed.
 *
 *   npx tsx bench/_loadercost.ts [--rows 20000] [--batch 1000] [--repeat 3]
 *
 * Prints, per phase, rows/s (wall clock) and CPU µs per row: PostgreSQL's (the backend
 * process, from /proc) and Node's (building the payload), best of --repeat. On a shared
 * machine the CPU figures are the steadier ones.
 */
import { parseArgs } from 'node:util';
import { createDb, type DbHandle } from '../packages/db/src/client.ts';
import { createTestDatabase } from '../packages/db/src/testing.ts';
import { createOrganization } from '../packages/db/src/repositories/organizations.repository.ts';
import { createSource } from '../packages/db/src/repositories/sources.repository.ts';
import { createRun } from '../packages/db/src/repositories/runs.repository.ts';
import type pg from 'pg';
import { loadBatch, type LoadBatchInput } from '../packages/db/src/repositories/load.repository.ts';
import { prepareRecord } from '@hasad/pipeline';
import { generatedRecord } from './lib/generated-records.ts';
import { readCpuSeconds } from './lib/proc.ts';

const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '20000' }, batch: { type: 'string', default: '1000' }, repeat: { type: 'string', default: '3' } } });
const ROWS = Number(args.rows);
const BATCH = Number(args.batch);
const REPEAT = Number(args.repeat);

/** The schema before issue 5: no search columns (nor their indexes and triggers), no change feed. CASCADE: the facet columns added since (facet_key, keywords_key…) are generated from these and go with them. */
const BASELINE = `DROP TRIGGER datasets_search_columns_insert ON datasets; DROP TRIGGER datasets_search_columns_update ON datasets;
  ALTER TABLE datasets DROP COLUMN search_vector CASCADE, DROP COLUMN themes CASCADE, DROP COLUMN formats CASCADE, DROP COLUMN keywords CASCADE,
  DROP COLUMN license CASCADE, DROP COLUMN languages CASCADE, DROP COLUMN title_sort CASCADE;
  DROP INDEX datasets_updated_idx; DROP INDEX datasets_modified_idx; DROP TABLE dataset_changes;`;

/** The loader's statement before issue 5, verbatim. */
const UPSERT_BEFORE = `
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

/** `loadBatch` before issue 5 (the upsert and the batch's identifiers, in one transaction). */
async function loadBatchBefore(pool: pg.Pool, input: LoadBatchInput): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const payload = JSON.stringify(input.records.map((r) => ({ identifier: r.identifier, uri: r.uri, hash: r.hash, modified_at: r.modifiedAt, record: r.record })));
    await client.query(UPSERT_BEFORE, [input.sourceId, input.runId, payload]);
    await client.query(`INSERT INTO run_batches (run_id, page_no, batch_no, identifiers, record_count) VALUES ($1, $2, $3, $4::text[], $5)`, [
      input.runId,
      input.pageNo,
      input.batchNo,
      input.records.map((r) => r.identifier),
      input.records.length,
    ]);
    await client.query('DELETE FROM run_problems WHERE run_id = $1 AND page_no = $2 AND batch_no = $3', [input.runId, input.pageNo, input.batchNo]);
    await client.query('COMMIT');
  } finally {
    client.release();
  }
}

interface Cost {
  ms: number;
  pgCpuUs: number;
  nodeCpuUs: number;
}

async function phase(h: DbHandle, sourceId: string, version: number, before: boolean): Promise<Cost> {
  const run = await createRun(h, sourceId, 'manual');
  const backend = (await h.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const pg0 = readCpuSeconds(backend) ?? 0;
  const node0 = process.cpuUsage();
  const started = performance.now();
  for (let b = 0; b * BATCH < ROWS; b++) {
    const records = [];
    for (let i = b * BATCH; i < Math.min(ROWS, (b + 1) * BATCH); i++) records.push(generatedRecord(i, version));
    const input = { runId: run.id, sourceId, pageNo: 1, batchNo: b, records, problems: [], invalidIdentifiers: [] };
    if (before) await loadBatchBefore(h.pool, input);
    else await loadBatch(h, input, prepareRecord);
  }
  const ms = performance.now() - started;
  const node = process.cpuUsage(node0);
  const pgCpu = (readCpuSeconds(backend) ?? 0) - pg0;
  await h.pool.query(`UPDATE runs SET status = 'succeeded', finished_at = now() WHERE id = $1`, [run.id]);
  return { ms, pgCpuUs: (pgCpu * 1e6) / ROWS, nodeCpuUs: (node.user + node.system) / ROWS };
}

type Phase = 'first' | 'unchanged' | 'changed';
const PHASES: Phase[] = ['first', 'unchanged', 'changed'];

async function measure(label: string, baseline: boolean): Promise<Record<Phase, Cost>> {
  const best = Object.fromEntries(PHASES.map((p) => [p, { ms: Infinity, pgCpuUs: Infinity, nodeCpuUs: Infinity }])) as Record<Phase, Cost>;
  const keep = (p: Phase, c: Cost) => {
    best[p] = { ms: Math.min(best[p].ms, c.ms), pgCpuUs: Math.min(best[p].pgCpuUs, c.pgCpuUs), nodeCpuUs: Math.min(best[p].nodeCpuUs, c.nodeCpuUs) };
  };
  for (let r = 0; r < REPEAT; r++) {
    const t = await createTestDatabase();
    // One connection: one backend process to read the CPU time of.
    const h = createDb(t.url, { max: 1 });
    try {
      if (baseline) await h.pool.query(BASELINE);
      const org = await createOrganization(h, { slug: 'bench', name: 'Bench' });
      const src = await createSource(h, { organizationId: org.id, kind: 'dcat', url: 'https://example.ma/catalog' });
      keep('first', await phase(h, src.id, 1, baseline));
      keep('unchanged', await phase(h, src.id, 1, baseline));
      keep('changed', await phase(h, src.id, 2, baseline));
    } finally {
      await h.close();
      await t.drop();
    }
  }
  console.log(label);
  for (const p of PHASES) {
    const c = best[p];
    console.log(`  ${p.padEnd(10)} ${String(Math.round((ROWS / c.ms) * 1000)).padStart(6)} rows/s   PostgreSQL ${c.pgCpuUs.toFixed(0).padStart(4)} µs CPU/row   Node ${c.nodeCpuUs.toFixed(0).padStart(4)} µs CPU/row`);
  }
  return best;
}

console.log(`loadBatch, ${ROWS} rows in batches of ${BATCH}, best of ${REPEAT} (record generation included in Node's figure)`);
const before = await measure('before issue 5', true);
const after = await measure('search columns + change feed', false);
console.log('cost');
for (const p of PHASES) {
  const wall = (after[p].ms - before[p].ms) * 1000 / ROWS;
  console.log(`  ${p.padEnd(10)} +${(after[p].pgCpuUs - before[p].pgCpuUs).toFixed(0)} µs PostgreSQL CPU/row, +${(after[p].nodeCpuUs - before[p].nodeCpuUs).toFixed(0)} µs Node CPU/row, +${wall.toFixed(0)} µs wall/row`);
}

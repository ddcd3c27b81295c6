import type pg from 'pg';
import type { DbHandle } from '../client.ts';
import { decompressDescription, descriptionBytesOf, DESCRIBED_HASH_PREFIX, type PrepareRecord, type ResolvedLoadBatch, type SourceDescription } from '@hasad/core';
import { cleanString, cleanValue, hasRefusedCharacters } from '../pg-values.ts';

/**
 * One batch as the `load.batch` job carries it (the schema is @hasad/core's `loadBatchPayload`),
 * with the bytes of its descriptions' Redis value in `descriptionBytes` (`resolveDescriptions`,
 * done by the loader's processor); records point into them, or carry base64 (earlier jobs).
 */
export type LoadBatchInput = ResolvedLoadBatch;
export type LoadRecord = LoadBatchInput['records'][number];

/**
 * The set-based upsert of one batch, in one statement: rows whose content hash is unchanged
 * (and that are active) are not written at all, so an unchanged re-harvest rewrites no row
 * and keeps `updated_at`. Withdrawn rows that reappear are restored. The input is de-duplicated
 * and sorted by identifier so that two loaders never deadlock on the same rows.
 *
 * `todo` keeps only the rows that need a write before the INSERT sees them: PostgreSQL
 * evaluates an INSERT's select list (here the search vector, the costliest part) before its
 * ON CONFLICT check, so without it an unchanged re-harvest would compute every tsvector again.
 * The ON CONFLICT clause keeps its WHERE for a concurrent writer of the same rows.
 *
 * Every row written gets a `dataset_changes` row in the same statement: `created` (inserted:
 * xmax = 0), `restored` (it was withdrawn before), else `updated`.
 */
const UPSERT = `
WITH input AS (
  SELECT DISTINCT ON (x.identifier) x.*
  FROM jsonb_to_recordset($3::jsonb) AS x(identifier text, uri text, hash text, modified_at timestamptz, record jsonb, source_format text, source_description text, source_description_deflated text, at_off int, at_len int,
    st text, sk text, sd text, themes text[], formats text[], keywords text[], languages text[], quality_score int, quality jsonb)
  ORDER BY x.identifier
),
todo AS (
  SELECT i.*, d.status AS prev_status
  FROM input i
  -- LIMIT 1 keeps this a probe of the unique index per input row; as a plain join the planner
  -- (which guesses 100 input rows) may read every dataset of the source for every batch.
  LEFT JOIN LATERAL (SELECT d.content_hash, d.status FROM datasets d WHERE d.source_id = $1 AND d.source_identifier = i.identifier LIMIT 1) d ON true
  WHERE d.status IS NULL OR d.content_hash IS DISTINCT FROM i.hash OR d.status <> 'active'
),
up AS (
  INSERT INTO datasets AS d (source_id, organization_id, source_identifier, uri, title, record, source_format, source_description, source_description_deflated, content_hash, modified_at, status, created_run, changed_run,
    search_vector, themes, formats, keywords, license, languages, title_sort, quality_score, quality)
  SELECT $1, s.organization_id, t.identifier, t.uri, t.record->'title', t.record, t.source_format, t.source_description,
    -- The compressed description: cut from the batch's bytes ($4, one binary parameter), or, from a
    -- job of an earlier version, decoded from its base64.
    COALESCE(substring($4::bytea FROM t.at_off + 1 FOR t.at_len), decode(t.source_description_deflated, 'base64')), t.hash, t.modified_at, 'active', $2, $2,
    -- st, sk, sd: title, keywords and description, already through searchNorm() (= hasad_search_norm).
    setweight(to_tsvector('public.hasad_fr', t.st), 'A') || setweight(to_tsvector('public.hasad_fr', t.sk), 'B')
      || setweight(to_tsvector('public.hasad_fr', t.sd), 'C'),
    t.themes, t.formats, t.keywords, t.record->>'license', t.languages, hasad_title_sort(t.record->'title'), t.quality_score, t.quality
  FROM todo t CROSS JOIN (SELECT organization_id FROM sources WHERE id = $1) s
  ORDER BY t.identifier
  ON CONFLICT (source_id, source_identifier) DO UPDATE SET
    uri = excluded.uri, title = excluded.title, record = excluded.record, content_hash = excluded.content_hash,
    source_format = excluded.source_format, source_description = excluded.source_description, source_description_deflated = excluded.source_description_deflated,
    modified_at = excluded.modified_at, status = 'active', withdrawn_run = NULL, withdrawn_at = NULL,
    changed_run = excluded.changed_run, updated_at = now(),
    search_vector = excluded.search_vector, themes = excluded.themes, formats = excluded.formats, keywords = excluded.keywords,
    license = excluded.license, languages = excluded.languages, title_sort = excluded.title_sort,
    quality_score = excluded.quality_score, quality = excluded.quality
  WHERE d.content_hash IS DISTINCT FROM excluded.content_hash OR d.status <> 'active'
  RETURNING d.id, d.source_identifier, d.xmax = 0 AS inserted
)
INSERT INTO dataset_changes (dataset_id, source_id, run_id, kind)
SELECT up.id, $1, $2, CASE WHEN up.inserted THEN 'created' WHEN t.prev_status = 'withdrawn' THEN 'restored' ELSE 'updated' END
FROM up JOIN todo t ON t.identifier = up.source_identifier
ORDER BY up.source_identifier`;

type Problem = LoadBatchInput['problems'][number];

/**
 * What PostgreSQL would refuse, dealt with per record before the batch is written: strings of
 * the record with NUL or lone surrogates are cleaned (NUL removed, surrogate → U+FFFD) and the
 * record loads, with a warning naming each field; a record whose identifier or URI holds one is
 * refused (an error naming the field): cleaning an address would make it another one.
 * Problems and invalid identifiers are cleaned too (their messages quote the feed's values).
 */
export function cleanBatch(input: LoadBatchInput): LoadBatchInput {
  const problems: Problem[] = [];
  const records: LoadRecord[] = [];
  const refusedIdentifiers: string[] = [];
  for (const r of input.records) {
    const badKey = hasRefusedCharacters(r.identifier) ? 'identifier' : r.uri !== null && hasRefusedCharacters(r.uri) ? 'uri' : undefined;
    if (badKey) {
      const identifier = cleanString(r.identifier);
      refusedIdentifiers.push(identifier);
      problems.push({
        severity: 'error',
        code: 'invalid_characters',
        field: badKey,
        identifier,
        message: `the record's ${badKey} holds a NUL character or a lone UTF-16 surrogate, which PostgreSQL cannot store; the record was not loaded`,
      });
      continue;
    }
    const { value, fields } = cleanValue(r.record);
    for (const field of fields) {
      problems.push({
        severity: 'warning',
        code: 'invalid_characters',
        field,
        identifier: r.identifier,
        message: `${field} held a NUL character or a lone UTF-16 surrogate, which PostgreSQL cannot store: NUL removed, surrogate replaced by U+FFFD`,
      });
    }
    records.push(fields.length > 0 ? { ...r, record: value as object } : r);
  }
  return {
    ...input,
    records,
    problems: [...(cleanValue(input.problems).value as Problem[]), ...problems],
    invalidIdentifiers: [...input.invalidIdentifiers.map(cleanString), ...refusedIdentifiers],
  };
}

/**
 * SQLSTATE classes of errors that come from the data of a row, not from the database being
 * unavailable: 22 (data exception: bad encoding, json syntax, date out of range), 54 (program
 * limit exceeded, e.g. a string too long for tsvector) and 23514 (check violation). Only these
 * are worth splitting the batch for; anything else (connection lost, deadlock) is retried whole.
 */
function isRecordError(err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('54') || code === '23514');
}

/** The batch's description bytes as the statement's binary parameter (node-postgres sends a Buffer as binary). */
function bytesParam(input: LoadBatchInput): Buffer | null {
  const b = input.descriptionBytes;
  return b === undefined ? null : Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length);
}

/**
 * Runs the upsert on `rows`; if PostgreSQL refuses their data, splits them in two and tries
 * each half (under a savepoint, so the batch's transaction goes on), down to the single row it
 * refuses, which is reported instead of written. A batch with one bad record costs about
 * 2·log2(n) extra statements; the valid records all load.
 */
async function upsertSplitting(client: pg.PoolClient, sourceId: string, runId: string, rows: Array<{ identifier: string }>, bytes: Buffer | null, refused: Problem[]): Promise<number> {
  await client.query('SAVEPOINT hasad_upsert');
  try {
    const res = await client.query(UPSERT, [sourceId, runId, JSON.stringify(rows), bytes]);
    await client.query('RELEASE SAVEPOINT hasad_upsert');
    return res.rowCount ?? 0;
  } catch (err) {
    if (!isRecordError(err)) throw err;
    await client.query('ROLLBACK TO SAVEPOINT hasad_upsert');
    await client.query('RELEASE SAVEPOINT hasad_upsert');
    if (rows.length === 1) {
      refused.push({
        severity: 'error',
        code: 'record_refused',
        identifier: rows[0]!.identifier,
        message: `PostgreSQL refused the record (${err.code}: ${err.message}); it was not loaded, the rest of its batch was`,
      });
      return 0;
    }
    const half = Math.ceil(rows.length / 2);
    return (await upsertSplitting(client, sourceId, runId, rows.slice(0, half), bytes, refused)) + (await upsertSplitting(client, sourceId, runId, rows.slice(half), bytes, refused));
  }
}

/**
 * Records whose row holds a content hash of the earlier form for a record with a kept description
 * (see DESCRIBED_HASH_PREFIX), while the fetcher now sends the new form: where the row's record
 * and the description's text are those of the batch, the content is the same and only the hash's
 * form changed, so the row takes the new hash and is not rewritten (no `updated` in the change
 * feed, `changed_run` and `updated_at` kept). The texts are compared, not the stored bytes: a row
 * deflated by an earlier version and a batch compressed with zstd hold the same text in other
 * bytes. Anything else differs and is written as a change, as any hash change was before.
 * `unchanged` gets the new hash of each row taken over. Nothing is asked of PostgreSQL once every
 * row has the new form.
 */
async function takeOverEarlierHashes(client: pg.PoolClient, input: LoadBatchInput, unchanged: Map<string, string>): Promise<void> {
  const candidates = input.records.filter((r) => {
    const stored = unchanged.get(r.identifier);
    return stored !== undefined && stored !== r.hash && r.description !== undefined && r.hash.startsWith(DESCRIBED_HASH_PREFIX) && !stored.startsWith(DESCRIBED_HASH_PREFIX);
  });
  if (candidates.length === 0) return;
  // 1. Rows whose record is the batch's (compared as jsonb by PostgreSQL), with their stored bytes.
  const same = await client.query<{ identifier: string; stored: Buffer }>(
    `SELECT d.source_identifier AS identifier, d.source_description_deflated AS stored
     FROM datasets d JOIN jsonb_to_recordset($2::jsonb) AS x(identifier text, old text, record jsonb) ON d.source_identifier = x.identifier
     WHERE d.source_id = $1 AND d.status = 'active' AND d.content_hash = x.old AND d.record = x.record AND d.source_description_deflated IS NOT NULL`,
    [
      input.sourceId,
      JSON.stringify(candidates.map((r) => {
        const { sourceDescription: _, ...record } = r.record as Record<string, unknown> & { sourceDescription?: SourceDescription };
        return { identifier: r.identifier, old: unchanged.get(r.identifier), record };
      })),
    ],
  );
  // 2. Of those, the ones whose description's text is the batch's, whatever its codec.
  const byIdentifier = new Map(candidates.map((r) => [r.identifier, r]));
  const taken = same.rows.filter((row) => {
    const r = byIdentifier.get(row.identifier)!;
    try {
      return decompressDescription(row.stored) === decompressDescription(descriptionBytesOf(r, input)!);
    } catch {
      // Bytes this loader cannot read (a zstd frame on a Node without zstd): not taken over, so
      // the row is written as a change, which needs no reading; the batch goes on.
      return false;
    }
  });
  if (taken.length === 0) return;
  const res = await client.query<{ identifier: string; hash: string }>(
    `UPDATE datasets d SET content_hash = x.hash
     FROM unnest($2::text[], $3::text[], $4::text[]) AS x(identifier, old, hash)
     WHERE d.source_id = $1 AND d.source_identifier = x.identifier AND d.status = 'active' AND d.content_hash = x.old
     RETURNING d.source_identifier AS identifier, d.content_hash AS hash`,
    [input.sourceId, taken.map((t) => t.identifier), taken.map((t) => unchanged.get(t.identifier)!), taken.map((t) => byIdentifier.get(t.identifier)!.hash)],
  );
  for (const row of res.rows) unchanged.set(row.identifier, row.hash);
}

/**
 * Loads one batch in one transaction: dataset upsert, the batch's seen identifiers (merged
 * with any earlier delivery of the same batch: a union only ever protects datasets from
 * withdrawal), and its problems (replaced). BullMQ is at-least-once; running this twice
 * yields the same rows.
 *
 * A value PostgreSQL refuses never blocks the batch: `cleanBatch` cleans or refuses it per
 * record first, and a batch PostgreSQL still refuses is split until the refused record is
 * found (`record_refused`); the others load.
 *
 * `prepare` (the loader's: search columns and quality score) is called for each record that
 * will be written, after cleaning, inside the transaction. A callback rather than prepared rows
 * handed in, because which records will be written is only known after this transaction's probe
 * of their stored hashes, and preparing the unchanged ones too (most of a re-harvest) would cost
 * about 35 µs a record for nothing; splitting probe and write into two calls would have the
 * caller hold the transaction.
 */
export async function loadBatch(h: DbHandle, batch: LoadBatchInput, prepare: PrepareRecord): Promise<{ written: number; ms: number; refused: number }> {
  const started = performance.now();
  const input = cleanBatch(batch);
  const refused: Problem[] = [];
  const client = await h.pool.connect();
  try {
    await client.query('BEGIN');
    let written = 0;
    if (input.records.length > 0) {
      // Records whose row is active with the same hash will not be written, so they are neither
      // prepared (scored) nor sent (scoring and sending them cost an unchanged re-harvest about 35 µs a
      // record, measured; this probe costs a few). Only one run of a source is live at a time,
      // so no other writer changes these rows between the probe and the upsert.
      //
      // One probe of the unique index per identifier (LATERAL … LIMIT 1, which the planner cannot
      // flatten into a join). The plain `source_identifier = ANY($2)` form was planned from the
      // table's statistics: while a first harvest fills the table they are missing or stale, the
      // planner believed the source to hold about a thousand rows and read all of them for every
      // batch (EXPLAIN at 100,000 datasets: 20,000 buffers and 150-450 ms a batch, against 4,000
      // buffers and 13 ms this way). The status is tested here, not in the SQL: with it there, the
      // same stale statistics made every probe AND in a scan of the status index (11-20 s a batch).
      const current = await client.query<{ identifier: string; content_hash: string; status: string }>(
        `SELECT i.identifier, d.content_hash, d.status
         FROM unnest($2::text[]) AS i(identifier)
         CROSS JOIN LATERAL (
           SELECT x.content_hash, x.status FROM datasets x
           WHERE x.source_id = $1 AND x.source_identifier = i.identifier LIMIT 1
         ) d`,
        [input.sourceId, input.records.map((r) => r.identifier)],
      );
      const unchanged = new Map(current.rows.filter((r) => r.status === 'active').map((r) => [r.identifier, r.content_hash]));
      await takeOverEarlierHashes(client, input, unchanged);
      // The same probe lets unchanged records stay out of the upsert altogether: the statement
      // would skip them anyway (its `todo` step), but only after PostgreSQL had parsed their JSON
      // and Node had built their search columns, most of an unchanged re-harvest's loader cost.
      // They still count as seen: run_batches below lists every record of the batch.
      const toWrite = input.records.filter((r) => unchanged.get(r.identifier) !== r.hash);
      const rows = toWrite.map((r) => {
        // The source's own description goes to columns of its own, not into `record`: compressed
        // beside the record as the fetcher sends it, or (a job queued by an earlier version)
        // as text inside it.
        const { sourceDescription, ...record } = r.record as Record<string, unknown> & { sourceDescription?: SourceDescription };
        const { search: c, quality: q } = prepare(record);
        const d = r.description;
        return {
          identifier: r.identifier,
          uri: r.uri,
          hash: r.hash,
          modified_at: r.modifiedAt,
          record,
          source_format: r.description?.format ?? sourceDescription?.format ?? null,
          source_description: r.description === undefined ? (sourceDescription?.body ?? null) : null,
          source_description_deflated: d !== undefined && 'deflated' in d ? d.deflated : null,
          at_off: d !== undefined && 'at' in d ? d.at[0] : null,
          at_len: d !== undefined && 'at' in d ? d.at[1] : null,
          st: c.titleText,
          sk: c.keywordsText,
          sd: c.descriptionText,
          themes: c.themes,
          formats: c.formats,
          keywords: c.keywords,
          languages: c.languages,
          ...(q !== null && { quality_score: q.score, quality: q.stored }),
        };
      });
      if (rows.length > 0) written = await upsertSplitting(client, input.sourceId, input.runId, rows, bytesParam(input), refused);
    }
    const identifiers = [...new Set([...input.records.map((r) => r.identifier), ...input.invalidIdentifiers])];
    await client.query(
      `INSERT INTO run_batches (run_id, page_no, batch_no, identifiers, record_count)
       VALUES ($1, $2, $3, $4::text[], $5)
       ON CONFLICT (run_id, page_no, batch_no) DO UPDATE SET
         identifiers = ARRAY(SELECT DISTINCT unnest(run_batches.identifiers || excluded.identifiers)),
         record_count = excluded.record_count, loaded_at = now()`,
      [input.runId, input.pageNo, input.batchNo, identifiers, batch.records.length],
    );
    await client.query('DELETE FROM run_problems WHERE run_id = $1 AND page_no = $2 AND batch_no = $3', [input.runId, input.pageNo, input.batchNo]);
    const problems = [...input.problems, ...refused];
    if (problems.length > 0) {
      await client.query(
        `INSERT INTO run_problems (run_id, page_no, batch_no, severity, code, message, identifier, field)
         SELECT $1, $2, $3, p.severity, p.code, p.message, p.identifier, p.field
         FROM jsonb_to_recordset($4::jsonb) AS p(severity text, code text, message text, identifier text, field text)`,
        [input.runId, input.pageNo, input.batchNo, JSON.stringify(problems)],
      );
    }
    await client.query('COMMIT');
    return { written, ms: performance.now() - started, refused: refused.length };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** Page-level problems (paging notes, fetch warnings) go in with batch number -2. */
export async function recordPageProblems(h: DbHandle, runId: string, pageNo: number, pageProblems: LoadBatchInput['problems']): Promise<void> {
  await recordProblems(h, runId, pageNo, -2, pageProblems);
}

/**
 * Replaces the problems recorded for batch `batchNo` of a page with `problems`, in their order
 * (nothing is written, nor deleted, when there are none). Idempotent, so a retried page or job
 * reports its problems once.
 */
export async function recordProblems(h: DbHandle, runId: string, pageNo: number, batchNo: number, problems: LoadBatchInput['problems']): Promise<void> {
  if (problems.length === 0) return;
  // Messages quote the feed (URLs, values): a NUL there must not fail the page's report.
  const clean = cleanValue(problems).value as LoadBatchInput['problems'];
  await h.pool.query(
    `WITH del AS (DELETE FROM run_problems WHERE run_id = $1 AND page_no = $2 AND batch_no = $3)
     INSERT INTO run_problems (run_id, page_no, batch_no, severity, code, message, identifier, field)
     SELECT $1, $2, $3, p.severity, p.code, p.message, p.identifier, p.field
     FROM jsonb_to_recordset($4::jsonb) AS p(severity text, code text, message text, identifier text, field text)`,
    [runId, pageNo, batchNo, JSON.stringify(clean)],
  );
}

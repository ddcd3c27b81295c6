import type { CanonicalDataset, SourceQualityFigures } from '@hasad/core';
import type { DbHandle } from '../client.ts';

/**
 * A source's stored quality aggregate (`source_quality`, @hasad/quality's `SourceQuality` without
 * `computedAt`), unless none is stored or a run of the source ended since it was (the link check
 * that refreshes it is off, has not run yet, or the run failed after loading some records):
 * then undefined, and the caller aggregates anew (@hasad/pipeline's `getSourceQuality`). Two
 * index probes.
 */
export async function readStoredSourceQuality(h: DbHandle, sourceId: string): Promise<{ quality: object; computedAt: string } | undefined> {
  const res = await h.pool.query<{ quality: object; computed_at: Date; stale: boolean }>(
    `SELECT q.quality, q.computed_at,
       coalesce((SELECT max(r.finished_at) FROM runs r WHERE r.source_id = $1) > q.computed_at, false) AS stale
     FROM source_quality q WHERE q.source_id = $1`,
    [sourceId],
  );
  const row = res.rows[0];
  return row && !row.stale ? { quality: row.quality, computedAt: new Date(row.computed_at).toISOString() } : undefined;
}

/** Stores a source's quality aggregate; its time of storing, or undefined if the source is gone. Idempotent. */
export async function storeSourceQuality(h: DbHandle, sourceId: string, quality: object, runId: string | null): Promise<string | undefined> {
  const res = await h.pool.query<{ computed_at: Date }>(
    `INSERT INTO source_quality (source_id, quality, run_id, computed_at) SELECT $1, $2::jsonb, $3, now() WHERE EXISTS (SELECT 1 FROM sources WHERE id = $1)
     ON CONFLICT (source_id) DO UPDATE SET quality = excluded.quality, run_id = excluded.run_id, computed_at = excluded.computed_at
     RETURNING computed_at`,
    [sourceId, JSON.stringify(quality), runId],
  );
  return res.rows[0] ? new Date(res.rows[0].computed_at).toISOString() : undefined;
}

/**
 * Keeps the source's score with the run it followed (`details.quality`), and gives the score kept
 * with the source's previous run that has one: the link check compares the two to tell an
 * institution its quality dropped. Per run, not the stored aggregate, because pages that read
 * the quality refresh that aggregate whenever a run ended since. Idempotent.
 */
export async function recordRunQuality(h: DbHandle, runId: string, score: number | null, max: number): Promise<{ previous: number | null }> {
  const res = await h.pool.query<{ previous: number | null }>(
    `WITH src AS (SELECT source_id, coalesce(finished_at, now()) AS at FROM runs WHERE id = $1),
     prev AS (
       SELECT (p.details->'quality'->>'score')::float8 AS score FROM runs p, src
       WHERE p.source_id = src.source_id AND p.id <> $1 AND p.finished_at < src.at AND p.details->'quality'->>'score' IS NOT NULL
       ORDER BY p.finished_at DESC LIMIT 1
     )
     UPDATE runs SET details = details || jsonb_build_object('quality', jsonb_build_object('score', $2::numeric, 'max', $3::int, 'previous', (SELECT score FROM prev)))
     WHERE id = $1 RETURNING (SELECT score FROM prev) AS previous`,
    [runId, score, max],
  );
  return { previous: res.rows[0]?.previous ?? null };
}

/**
 * A source's quality figures, with SQL over its active datasets' stored scores (no per-dataset
 * work in JavaScript) and its link checks: five statements at once; on 100 000 datasets they
 * take seconds (docs), hence `source_quality`. @hasad/quality's `sourceQualityOf` makes them a
 * `SourceQuality`.
 */
export async function readSourceQualityFigures(h: DbHandle, sourceId: string, opts: { improvementsLimit?: number } = {}): Promise<SourceQualityFigures> {
  const pool = h.pool;
  const [counts, criteria, improvements, links, broken] = await Promise.all([
    pool.query<{ datasets: number; scored: number }>(
      `SELECT count(*)::int AS datasets, count(quality)::int AS scored FROM datasets WHERE source_id = $1 AND status = 'active'`,
      [sourceId],
    ),
    // datasets.quality is @hasad/quality's StoredQuality: `c` the points in its criteria's order, `i` [code, gain] pairs.
    pool.query<{ n: string; average: string }>(
      `SELECT c.n, avg(c.value::numeric) AS average
       FROM datasets d CROSS JOIN LATERAL jsonb_array_elements_text(d.quality->'c') WITH ORDINALITY c(value, n)
       WHERE d.source_id = $1 AND d.status = 'active' AND d.quality IS NOT NULL AND c.value IS NOT NULL
       GROUP BY c.n`,
      [sourceId],
    ),
    // Counted first, examples after: one short index-ordered probe per listed code, rather than
    // aggregating every matching id.
    pool.query<{ code: string; datasets: number; average_gain: string; examples: string[] }>(
      `WITH top AS (
         SELECT i->>0 AS code, count(*)::int AS datasets, avg((i->>1)::numeric) AS average_gain
         FROM datasets d CROSS JOIN LATERAL jsonb_array_elements(d.quality->'i') i
         WHERE d.source_id = $1 AND d.status = 'active' AND d.quality IS NOT NULL
         GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT $2)
       SELECT top.*, ARRAY(
         SELECT d.id::text FROM datasets d
         WHERE d.source_id = $1 AND d.status = 'active' AND d.quality->'i' @> jsonb_build_array(jsonb_build_array(top.code))
         LIMIT 3) AS examples
       FROM top ORDER BY top.datasets DESC, top.code`,
      [sourceId, opts.improvementsLimit ?? 10],
    ),
    pool.query<{ checked: number; answered: number; last: Date | null }>(
      `SELECT count(*)::int AS checked, count(*) FILTER (WHERE ok)::int AS answered, max(checked_at) AS last FROM link_checks WHERE source_id = $1`,
      [sourceId],
    ),
    pool.query<{ url: string; http_status: number | null; error: string | null; dataset_id: string | null; checked_at: Date }>(
      `SELECT url, http_status, error, dataset_id, checked_at FROM link_checks WHERE source_id = $1 AND NOT ok ORDER BY checked_at DESC, url LIMIT 5`,
      [sourceId],
    ),
  ]);

  const l = links.rows[0];
  return {
    sourceId,
    datasets: counts.rows[0]?.datasets ?? 0,
    scored: counts.rows[0]?.scored ?? 0,
    criterionAverages: criteria.rows.map((r) => ({ n: Number(r.n), average: Number(r.average) })),
    improvements: improvements.rows.map((r) => ({ code: r.code, datasets: r.datasets, averageGain: Number(r.average_gain), exampleDatasetIds: r.examples })),
    links: {
      checked: l?.checked ?? 0,
      answered: l?.answered ?? 0,
      lastCheckedAt: l?.last ? new Date(l.last).toISOString() : null,
      brokenExamples: broken.rows.map((b) => ({ url: b.url, httpStatus: b.http_status, error: b.error, datasetId: b.dataset_id, checkedAt: new Date(b.checked_at).toISOString() })),
    },
  };
}

/** A distribution URL to check, and a dataset that lists it. */
export interface LinkToCheck {
  url: string;
  datasetId: string;
}

/**
 * Up to `limit` distribution URLs (access and download) of a source's active datasets to
 * check: datasets never assessed on their links first (new, or changed since their check),
 * then the others; in an order that changes with `seed` (the run id), so successive runs sample
 * different datasets. Only the chosen datasets' records are read. `linkCriterion`: the 0-based
 * position, in the stored scores' `c` array, of the criterion a link check assesses.
 */
export async function pickLinksToCheck(h: DbHandle, sourceId: string, limit: number, seed: string, opts: { linkCriterion: number }): Promise<LinkToCheck[]> {
  const res = await h.pool.query<{ url: string; dataset_id: string }>(
    `WITH cand AS (
       SELECT d.id, d.record->'distributions' AS dists FROM datasets d
       WHERE d.source_id = $1 AND d.status = 'active'
       ORDER BY jsonb_typeof(d.quality->'c'->$4::int) = 'number', md5(d.id::text || $3)
       LIMIT $2),
     urls AS (
       SELECT DISTINCT ON (u.url) u.url, cand.id AS dataset_id, dist.n
       FROM cand
       CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(cand.dists) = 'array' THEN cand.dists ELSE '[]'::jsonb END) WITH ORDINALITY dist(v, n)
       CROSS JOIN LATERAL (VALUES (dist.v->>'accessUrl'), (dist.v->>'downloadUrl')) u(url)
       WHERE u.url IS NOT NULL AND u.url ~* '^https?://'
       ORDER BY u.url, cand.id)
     SELECT url, dataset_id FROM urls ORDER BY n, md5(url || $3) LIMIT $2`,
    [sourceId, limit, seed, opts.linkCriterion],
  );
  return res.rows.map((r) => ({ url: r.url, datasetId: r.dataset_id }));
}

/** One link check's outcome. */
export interface LinkCheckResult extends LinkToCheck {
  ok: boolean;
  httpStatus: number | null;
  method: 'HEAD' | 'GET';
  error: string | null;
  durationMs: number;
}

/**
 * Stores a run's link checks (latest result per URL). Idempotent: a repeated job writes the same
 * rows. The datasets they were taken from are re-scored by the caller (@hasad/pipeline's
 * `rescoreDatasetIds`), so that their scores include the link criteria.
 */
export async function recordLinkChecks(h: DbHandle, sourceId: string, runId: string | null, results: LinkCheckResult[]): Promise<void> {
  if (results.length === 0) return;
  await h.pool.query(
    `INSERT INTO link_checks (source_id, url, dataset_id, ok, http_status, method, error, duration_ms, run_id, checked_at)
     SELECT $1, r.url, r.dataset_id, r.ok, r.http_status, r.method, r.error, r.duration_ms, $2, now()
     FROM jsonb_to_recordset($3::jsonb) AS r(url text, dataset_id uuid, ok boolean, http_status int, method text, error text, duration_ms int)
     ON CONFLICT (source_id, url) DO UPDATE SET dataset_id = excluded.dataset_id, ok = excluded.ok, http_status = excluded.http_status,
       method = excluded.method, error = excluded.error, duration_ms = excluded.duration_ms, run_id = excluded.run_id, checked_at = excluded.checked_at`,
    [
      sourceId,
      runId,
      JSON.stringify(results.map((r) => ({ url: r.url, dataset_id: r.datasetId, ok: r.ok, http_status: r.httpStatus, method: r.method, error: r.error, duration_ms: Math.round(r.durationMs) }))),
    ],
  );
}

/** A stored dataset as the scorer reads it: its record and its source's link checks of its URLs (undefined when none). */
export interface DatasetToScore {
  id: string;
  sourceId: string;
  record: CanonicalDataset;
  links: Map<string, boolean> | undefined;
}

/** The given datasets' records with the latest link check of each of their URLs, in two statements. */
export async function readDatasetsToScore(h: DbHandle, ids: string[]): Promise<DatasetToScore[]> {
  if (ids.length === 0) return [];
  const pool = h.pool;
  const rows = await pool.query<{ id: string; source_id: string; record: CanonicalDataset }>(`SELECT id, source_id, record FROM datasets WHERE id = ANY($1::uuid[])`, [ids]);
  const urls = (r: CanonicalDataset) => (Array.isArray(r.distributions) ? r.distributions.flatMap((d) => [d.accessUrl, d.downloadUrl].filter((u): u is string => typeof u === 'string')) : []);
  const checks = await pool.query<{ source_id: string; url: string; ok: boolean }>(
    `SELECT l.source_id, l.url, l.ok FROM link_checks l
     JOIN (SELECT DISTINCT x.source_id, x.url FROM jsonb_to_recordset($1::jsonb) AS x(source_id uuid, url text)) w ON w.source_id = l.source_id AND w.url = l.url`,
    [JSON.stringify(rows.rows.flatMap((r) => urls(r.record).map((url) => ({ source_id: r.source_id, url }))))],
  );
  const bySource = new Map<string, Map<string, boolean>>();
  for (const c of checks.rows) {
    let m = bySource.get(c.source_id);
    if (m === undefined) bySource.set(c.source_id, (m = new Map()));
    m.set(c.url, c.ok);
  }
  return rows.rows.map((r) => ({ id: r.id, sourceId: r.source_id, record: r.record, links: bySource.get(r.source_id) }));
}

/**
 * Writes datasets' scores (`stored`: @hasad/quality's stored form), in one UPDATE. The record is
 * not touched: no change-feed row, `updated_at` stays. Returns the rows updated.
 */
export async function writeDatasetScores(h: DbHandle, scores: Array<{ id: string; score: number; stored: object }>): Promise<number> {
  if (scores.length === 0) return 0;
  const res = await h.pool.query(
    `UPDATE datasets d SET quality_score = x.quality_score, quality = x.quality
     FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, quality_score int, quality jsonb) WHERE d.id = x.id`,
    [JSON.stringify(scores.map((s) => ({ id: s.id, quality_score: s.score, quality: s.stored })))],
  );
  return res.rowCount ?? 0;
}

/**
 * The next `limit` datasets (by id, after `after`) that have no score, or a score of a version
 * of the rules older than `version` (every dataset with `all`): what `hasad quality rescore`
 * goes through, batch by batch.
 */
export async function listDatasetsToRescore(h: DbHandle, opts: { after: string; sourceId?: string; all: boolean; version: number; limit: number }): Promise<Array<{ id: string; sourceId: string }>> {
  const res = await h.pool.query<{ id: string; source_id: string }>(
    `SELECT id, source_id FROM datasets
     WHERE id > $1 AND ($2::uuid IS NULL OR source_id = $2)
       AND ($3 OR quality IS NULL OR coalesce((quality->>'v')::int, 0) < $4)
     ORDER BY id LIMIT $5`,
    [opts.after, opts.sourceId ?? null, opts.all, opts.version, opts.limit],
  );
  return res.rows.map((r) => ({ id: r.id, sourceId: r.source_id }));
}

import type { CanonicalDataset } from '@hasad/core';
import {
  CRITERIA,
  CRITERION_NAMES,
  DIMENSIONS,
  IMPROVEMENT_CODES,
  IMPROVEMENT_CRITERION,
  improvementMessageKey,
  QUALITY_VERSION,
  ratingOf,
  scoreDataset,
  toStored,
  type Criterion,
  type Dimension,
  type ImprovementCode,
  type Rating,
} from '@hasad/quality';
import type { Db } from '../client.ts';

/** The quality of a source: what `GET /api/v1/sources/:id/quality` answers and the dashboard shows. */
export interface SourceQuality {
  sourceId: string;
  /** Active datasets of the source. */
  datasets: number;
  /** Of them, those with a score (rows written before migration 0007 have none until `hasad quality rescore`). */
  scored: number;
  /**
   * The source's score: for each criterion, the average points of the datasets assessed on it,
   * summed. The link criteria are averaged over the datasets whose URLs were checked (a sample).
   * Null when no dataset is scored.
   */
  score: number | null;
  /** The weights of the criteria assessed on at least one dataset (405 in the EDP methodology; dct:rights is never assessed). */
  max: number;
  rating: Rating | null;
  dimensions: Record<Dimension, { average: number; max: number }>;
  /** Average points per criterion; null when no dataset was assessed on it. */
  criteria: Record<Criterion, { average: number | null; max: number }>;
  /** The most common improvements: how many datasets each would raise, by how much on average, and up to 3 of them. */
  improvements: Array<{
    code: ImprovementCode;
    criterion: Criterion;
    dimension: Dimension;
    messageKey: string;
    datasets: number;
    averageGain: number;
    exampleDatasetIds: string[];
  }>;
  /** The sampled link check of the source's distribution URLs (latest result per URL). */
  links: {
    checked: number;
    answered: number;
    broken: number;
    lastCheckedAt: string | null;
    /** Up to 5 URLs that did not answer, most recent first. */
    brokenExamples: Array<{ url: string; httpStatus: number | null; error: string | null; datasetId: string | null; checkedAt: string }>;
  };
  /** When it was aggregated: after the source's last complete run's link check, or on the first read. */
  computedAt: string;
}

/**
 * A source's quality as stored by the link check that follows each complete run (or by
 * `hasad quality rescore`); computed and stored on the spot when none is stored yet or a run
 * ended since. Reading it costs two index probes; aggregating it costs seconds for a source of
 * 100 000 datasets.
 */
export async function getSourceQuality(db: Db, sourceId: string): Promise<SourceQuality> {
  // Stale when a run ended after it was stored: the link check that refreshes it is off
  // (HASAD_LINK_CHECK_SAMPLE=0), has not run yet, or the run failed after loading some records.
  const res = await db.$client.query<{ quality: Omit<SourceQuality, 'computedAt'>; computed_at: Date; stale: boolean }>(
    `SELECT q.quality, q.computed_at,
       coalesce((SELECT max(r.finished_at) FROM runs r WHERE r.source_id = $1) > q.computed_at, false) AS stale
     FROM source_quality q WHERE q.source_id = $1`,
    [sourceId],
  );
  const row = res.rows[0];
  if (row && !row.stale) return { ...row.quality, computedAt: new Date(row.computed_at).toISOString() };
  return refreshSourceQuality(db, sourceId, null);
}

/** Aggregates a source's quality now (computeSourceQuality) and stores it. Idempotent. */
export async function refreshSourceQuality(db: Db, sourceId: string, runId: string | null): Promise<SourceQuality> {
  const q = await computeSourceQuality(db, sourceId);
  const { computedAt: _at, ...body } = q;
  const res = await db.$client.query<{ computed_at: Date }>(
    `INSERT INTO source_quality (source_id, quality, run_id, computed_at) SELECT $1, $2::jsonb, $3, now() WHERE EXISTS (SELECT 1 FROM sources WHERE id = $1)
     ON CONFLICT (source_id) DO UPDATE SET quality = excluded.quality, run_id = excluded.run_id, computed_at = excluded.computed_at
     RETURNING computed_at`,
    [sourceId, JSON.stringify(body), runId],
  );
  return { ...q, computedAt: res.rows[0] ? new Date(res.rows[0].computed_at).toISOString() : q.computedAt };
}

/**
 * Keeps the source's score with the run it followed (`details.quality`), and gives the score kept
 * with the source's previous run that has one: the link check compares the two to tell an
 * institution its quality dropped. Per run, not the stored aggregate, because pages that read
 * the quality refresh that aggregate whenever a run ended since. Idempotent.
 */
export async function recordRunQuality(db: Db, runId: string, score: number | null, max: number): Promise<{ previous: number | null }> {
  const res = await db.$client.query<{ previous: number | null }>(
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

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * Aggregates a source's quality with SQL over its active datasets' stored scores (no
 * per-dataset work in JavaScript) and its link checks. Five statements at once; on 100 000
 * datasets they take seconds (README), hence `source_quality`.
 */
export async function computeSourceQuality(db: Db, sourceId: string, opts: { improvementsLimit?: number } = {}): Promise<SourceQuality> {
  const pool = db.$client;
  const [counts, criteria, improvements, links, broken] = await Promise.all([
    pool.query<{ datasets: number; scored: number }>(
      `SELECT count(*)::int AS datasets, count(quality)::int AS scored FROM datasets WHERE source_id = $1 AND status = 'active'`,
      [sourceId],
    ),
    // datasets.quality is @hasad/quality's StoredQuality: `c` the points in CRITERION_NAMES order, `i` [code, gain] pairs.
    pool.query<{ n: string; average: string }>(
      `SELECT c.n, avg(c.value::numeric) AS average
       FROM datasets d CROSS JOIN LATERAL jsonb_array_elements_text(d.quality->'c') WITH ORDINALITY c(value, n)
       WHERE d.source_id = $1 AND d.status = 'active' AND d.quality IS NOT NULL AND c.value IS NOT NULL
       GROUP BY c.n`,
      [sourceId],
    ),
    // Counted first, examples after: one short index-ordered probe per listed code, rather than
    // aggregating every matching id.
    pool.query<{ code: ImprovementCode; datasets: number; average_gain: string; examples: string[] }>(
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

  const byCriterion = new Map(criteria.rows.map((r) => [CRITERION_NAMES[Number(r.n) - 1], Number(r.average)]));
  const crit = {} as SourceQuality['criteria'];
  const dimensions = Object.fromEntries(DIMENSIONS.map((d) => [d, { average: 0, max: 0 }])) as SourceQuality['dimensions'];
  let total = 0;
  let max = 0;
  for (const c of CRITERION_NAMES) {
    const avg = byCriterion.get(c);
    crit[c] = { average: avg === undefined ? null : round1(avg), max: CRITERIA[c].weight };
    if (avg === undefined) continue;
    const dim = dimensions[CRITERIA[c].dimension];
    dim.average += avg;
    dim.max += CRITERIA[c].weight;
    total += avg;
    max += CRITERIA[c].weight;
  }
  for (const d of DIMENSIONS) dimensions[d].average = round1(dimensions[d].average);
  const scored = counts.rows[0]?.scored ?? 0;
  const score = scored === 0 ? null : Math.round(total);
  const l = links.rows[0];
  return {
    sourceId,
    datasets: counts.rows[0]?.datasets ?? 0,
    scored,
    score,
    max,
    rating: score === null ? null : ratingOf(score, max),
    dimensions,
    criteria: crit,
    improvements: improvements.rows
      .filter((r) => (IMPROVEMENT_CODES as readonly string[]).includes(r.code))
      .map((r) => {
        const criterion = criterionOf(r.code);
        return {
          code: r.code,
          criterion,
          dimension: CRITERIA[criterion].dimension,
          messageKey: improvementMessageKey(r.code),
          datasets: r.datasets,
          averageGain: round1(Number(r.average_gain)),
          exampleDatasetIds: r.examples,
        };
      }),
    links: {
      checked: l?.checked ?? 0,
      answered: l?.answered ?? 0,
      broken: (l?.checked ?? 0) - (l?.answered ?? 0),
      lastCheckedAt: l?.last ? new Date(l.last).toISOString() : null,
      brokenExamples: broken.rows.map((b) => ({ url: b.url, httpStatus: b.http_status, error: b.error, datasetId: b.dataset_id, checkedAt: new Date(b.checked_at).toISOString() })),
    },
    computedAt: new Date().toISOString(),
  };
}

const criterionOf = (code: ImprovementCode): Criterion => IMPROVEMENT_CRITERION[code];

/** A distribution URL to check, and a dataset that lists it. */
export interface LinkToCheck {
  url: string;
  datasetId: string;
}

/**
 * Up to `limit` distribution URLs (access and download) of a source's active datasets to
 * check: datasets never assessed on their links first (new, or changed since their check),
 * then the others; in an order that changes with `seed` (the run id), so successive runs sample
 * different datasets. Only the chosen datasets' records are read.
 */
export async function pickLinksToCheck(db: Db, sourceId: string, limit: number, seed: string): Promise<LinkToCheck[]> {
  const res = await db.$client.query<{ url: string; dataset_id: string }>(
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
    [sourceId, limit, seed, CRITERION_NAMES.indexOf('accessUrlAnswers')],
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
 * Stores a run's link checks (latest result per URL) and re-scores the datasets they were
 * taken from, so that their scores include the link criteria. Idempotent: a repeated job
 * writes the same rows.
 */
export async function recordLinkChecks(db: Db, sourceId: string, runId: string | null, results: LinkCheckResult[]): Promise<{ rescored: number }> {
  if (results.length === 0) return { rescored: 0 };
  await db.$client.query(
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
  const rescored = await rescoreByIds(db, [...new Set(results.map((r) => r.datasetId))]);
  return { rescored };
}

/**
 * Re-scores the given datasets from their stored records and their source's link checks, in
 * one UPDATE. The record is not touched: no change-feed row, `updated_at` stays.
 */
async function rescoreByIds(db: Db, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const pool = db.$client;
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
  const scored = rows.rows.flatMap((r) => {
    try {
      const q = scoreDataset(r.record, bySource.get(r.source_id));
      return [{ id: r.id, quality_score: q.score, quality: toStored(q) }];
    } catch {
      return []; // a record the scorer cannot read keeps its score (as the loader leaves it null)
    }
  });
  const res = await pool.query(
    `UPDATE datasets d SET quality_score = x.quality_score, quality = x.quality
     FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, quality_score int, quality jsonb) WHERE d.id = x.id`,
    [JSON.stringify(scored)],
  );
  return res.rowCount ?? 0;
}

/**
 * Scores the datasets that have no score, or a score of an older version of the rules (every
 * dataset with `all`), in batches by id: the backfill after migration 0007 (`hasad quality rescore`).
 */
export async function rescoreDatasets(db: Db, opts: { sourceId?: string; all?: boolean; batchSize?: number; onBatch?: (done: number) => void } = {}): Promise<{ rescored: number; sources: number }> {
  const batchSize = opts.batchSize ?? 1000;
  let after = '00000000-0000-0000-0000-000000000000';
  let done = 0;
  const touched = new Set<string>();
  for (;;) {
    const res = await db.$client.query<{ id: string; source_id: string }>(
      `SELECT id, source_id FROM datasets
       WHERE id > $1 AND ($2::uuid IS NULL OR source_id = $2)
         AND ($3 OR quality IS NULL OR coalesce((quality->>'v')::int, 0) < $4)
       ORDER BY id LIMIT $5`,
      [after, opts.sourceId ?? null, opts.all ?? false, QUALITY_VERSION, batchSize],
    );
    if (res.rows.length === 0) break;
    done += await rescoreByIds(db, res.rows.map((r) => r.id));
    for (const r of res.rows) touched.add(r.source_id);
    after = res.rows[res.rows.length - 1]!.id;
    opts.onBatch?.(done);
  }
  // The sources' stored aggregates follow their datasets.
  for (const sourceId of touched) await refreshSourceQuality(db, sourceId, null);
  return { rescored: done, sources: touched.size };
}


import type { DbHandle } from '../client.ts';

/** Days of run history the harvest health counts. */
export const SCOREBOARD_RUN_DAYS = 90;
/** Days back the quality trend compares with. */
export const SCOREBOARD_TREND_DAYS = 30;

/**
 * One institution's line of the publishers' scoreboard as stored. The API answers it with the
 * quality's maximum and rating added (@hasad/pipeline's `ScoreboardEntry`): the repository does
 * not know the scoring rules.
 */
export interface ScoreboardFigures {
  organization: { slug: string; name: string };
  /** Active datasets; null (as every figure) until the scheduler first computed the organisation's figures. */
  datasets: number | null;
  /** Active datasets last modified in the last 30, 90 and 365 days (dct:modified, else Hasad's last change of the record). */
  updated: { last30Days: number | null; last90Days: number | null; last365Days: number | null };
  /** Median days since the active datasets' last modification; null without datasets. */
  medianAgeDays: number | null;
  /** Mean metadata quality score of the scored active datasets, out of 405 (docs/quality.md); its change since 30 days before. */
  quality: { score: number | null; trend: number | null; scored: number | null };
  /** Share of the checked distribution URLs (latest check of each) that did not answer. */
  brokenLinks: { share: number | null; checked: number | null; broken: number | null };
  /** Share of the runs finished in the last 90 days (cancelled ones left out) that succeeded (`succeeded` or `unchanged`). */
  harvestHealth: { share: number | null; runs: number | null; succeeded: number | null; days: number };
  /** Share of the active datasets' distributions in an open, machine-readable format (CSV, JSON, XML, RDF, GeoJSON, ODS…). */
  openFormats: { share: number | null; distributions: number | null; open: number | null };
  computedAt: string | null;
}

/** What `sort=` accepts: each figure, and the name. */
export const SCOREBOARD_SORTS = ['name', 'datasets', 'updated30', 'updated90', 'updated365', 'medianAge', 'quality', 'qualityTrend', 'brokenLinks', 'harvestHealth', 'openFormats'] as const;
export type ScoreboardSort = (typeof SCOREBOARD_SORTS)[number];

/** The column each sort orders by (a fixed list: never text from the request). */
const SORT_COLUMN: Record<ScoreboardSort, string> = {
  name: 'lower(o.name)',
  datasets: 'b.datasets',
  updated30: 'b.updated30',
  updated90: 'b.updated90',
  updated365: 'b.updated365',
  medianAge: 'b.median_age_days',
  quality: 'b.quality_score',
  qualityTrend: 'b.quality_trend',
  brokenLinks: 'b.broken_links_share',
  harvestHealth: 'b.harvest_health',
  openFormats: 'b.open_formats_share',
};

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
const share = (part: number, whole: number) => (whole === 0 ? null : round(part / whole, 4));

/** Whether a distribution's format is open and machine-readable (@hasad/quality's `isOpenFormat`). */
export type OpenFormatTest = (format: string | null | undefined, mediaType: string | null | undefined) => boolean;

/**
 * Computes one organisation's figures with SQL aggregates over its own rows (datasets by
 * organisation, link checks and runs by source: all indexed) and stores them, with the day's
 * history row, in one transaction. `at` is the instant the figures are for (now by default).
 * Idempotent. Costs about a scan of the organisation's active datasets: run by the scheduler,
 * never by a request. `isOpenFormat` classifies the distributions' formats (the rules are
 * @hasad/quality's; @hasad/pipeline's `refreshOrganizationScoreboard` passes them).
 */
export async function refreshOrganizationScoreboard(h: DbHandle, organizationId: string, isOpenFormat: OpenFormatTest, at: Date = new Date()): Promise<void> {
  const pool = h.pool;
  const [ds, links, runs, formats, previous] = await Promise.all([
    pool.query<{ datasets: number; u30: number; u90: number; u365: number; median_age: number | null; quality: number | null; scored: number }>(
      `SELECT count(*)::int AS datasets,
         count(*) FILTER (WHERE m >= $2::timestamptz - interval '30 days')::int AS u30,
         count(*) FILTER (WHERE m >= $2::timestamptz - interval '90 days')::int AS u90,
         count(*) FILTER (WHERE m >= $2::timestamptz - interval '365 days')::int AS u365,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY greatest(0, extract(epoch FROM $2::timestamptz - m) / 86400)) AS median_age,
         avg(quality_score)::float8 AS quality, count(quality_score)::int AS scored
       FROM (SELECT coalesce(modified_at, updated_at) AS m, quality_score FROM datasets WHERE organization_id = $1 AND status = 'active') d`,
      [organizationId, at],
    ),
    pool.query<{ checked: number; broken: number }>(
      `SELECT count(*)::int AS checked, count(*) FILTER (WHERE NOT l.ok)::int AS broken
       FROM link_checks l JOIN sources s ON s.id = l.source_id WHERE s.organization_id = $1 AND s.deleted_at IS NULL`,
      [organizationId],
    ),
    // Cancelled runs are left out: nothing was fetched (the source was disabled or deleted meanwhile).
    pool.query<{ runs: number; succeeded: number }>(
      `SELECT count(*)::int AS runs, count(*) FILTER (WHERE r.status IN ('succeeded', 'unchanged'))::int AS succeeded
       FROM runs r JOIN sources s ON s.id = r.source_id
       WHERE s.organization_id = $1 AND s.deleted_at IS NULL AND r.status NOT IN ('queued', 'running', 'cancelled')
         AND r.finished_at >= $2::timestamptz - make_interval(days => $3::int) AND r.finished_at <= $2::timestamptz`,
      [organizationId, at, SCOREBOARD_RUN_DAYS],
    ),
    // Grouped by (format, media type) in SQL: a handful of groups to classify, whatever the count of distributions.
    pool.query<{ format: string | null; media_type: string | null; n: number }>(
      `SELECT x.v->>'format' AS format, x.v->>'mediaType' AS media_type, count(*)::int AS n
       FROM datasets d
       CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(d.record->'distributions') = 'array' THEN d.record->'distributions' ELSE '[]'::jsonb END) x(v)
       WHERE d.organization_id = $1 AND d.status = 'active' AND jsonb_typeof(x.v) = 'object'
       GROUP BY 1, 2`,
      [organizationId],
    ),
    pool.query<{ quality_score: number | null }>(
      `SELECT quality_score FROM organization_scoreboard_history
       WHERE organization_id = $1 AND day <= ($2::timestamptz AT TIME ZONE 'UTC')::date - $3::int ORDER BY day DESC LIMIT 1`,
      [organizationId, at, SCOREBOARD_TREND_DAYS],
    ),
  ]);
  const d = ds.rows[0]!;
  const l = links.rows[0]!;
  const r = runs.rows[0]!;
  let distributions = 0;
  let open = 0;
  for (const f of formats.rows) {
    distributions += f.n;
    if (isOpenFormat(f.format, f.media_type)) open += f.n;
  }
  const quality = d.quality === null ? null : round(d.quality, 1);
  const before = previous.rows[0]?.quality_score ?? null;
  const figures = {
    datasets: d.datasets,
    updated30: d.u30,
    updated90: d.u90,
    updated365: d.u365,
    median_age_days: d.median_age === null ? null : round(d.median_age, 1),
    quality_score: quality,
    quality_scored: d.scored,
    quality_trend: quality === null || before === null ? null : round(quality - before, 1),
    links_checked: l.checked,
    links_broken: l.broken,
    broken_links_share: share(l.broken, l.checked),
    runs: r.runs,
    runs_succeeded: r.succeeded,
    harvest_health: share(r.succeeded, r.runs),
    distributions,
    open_distributions: open,
    open_formats_share: share(open, distributions),
  };
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // The organisation may have been deleted meanwhile: then nothing is written.
    await client.query(
      `INSERT INTO organization_scoreboard (organization_id, datasets, updated30, updated90, updated365, median_age_days, quality_score, quality_scored, quality_trend,
         links_checked, links_broken, broken_links_share, runs, runs_succeeded, harvest_health, distributions, open_distributions, open_formats_share, computed_at)
       SELECT $1, f.* , $3::timestamptz FROM jsonb_to_record($2::jsonb) AS f(datasets int, updated30 int, updated90 int, updated365 int, median_age_days real, quality_score real,
         quality_scored int, quality_trend real, links_checked int, links_broken int, broken_links_share real, runs int, runs_succeeded int, harvest_health real,
         distributions int, open_distributions int, open_formats_share real)
       WHERE EXISTS (SELECT 1 FROM organizations WHERE id = $1)
       ON CONFLICT (organization_id) DO UPDATE SET datasets = excluded.datasets, updated30 = excluded.updated30, updated90 = excluded.updated90, updated365 = excluded.updated365,
         median_age_days = excluded.median_age_days, quality_score = excluded.quality_score, quality_scored = excluded.quality_scored, quality_trend = excluded.quality_trend,
         links_checked = excluded.links_checked, links_broken = excluded.links_broken, broken_links_share = excluded.broken_links_share, runs = excluded.runs,
         runs_succeeded = excluded.runs_succeeded, harvest_health = excluded.harvest_health, distributions = excluded.distributions,
         open_distributions = excluded.open_distributions, open_formats_share = excluded.open_formats_share, computed_at = excluded.computed_at`,
      [organizationId, JSON.stringify(figures), at],
    );
    await client.query(
      `INSERT INTO organization_scoreboard_history (organization_id, day, datasets, median_age_days, quality_score, broken_links_share, harvest_health, open_formats_share, computed_at)
       SELECT $1, ($2::timestamptz AT TIME ZONE 'UTC')::date, $3, $4, $5, $6, $7, $8, $2::timestamptz WHERE EXISTS (SELECT 1 FROM organizations WHERE id = $1)
       ON CONFLICT (organization_id, day) DO UPDATE SET datasets = excluded.datasets, median_age_days = excluded.median_age_days, quality_score = excluded.quality_score,
         broken_links_share = excluded.broken_links_share, harvest_health = excluded.harvest_health, open_formats_share = excluded.open_formats_share, computed_at = excluded.computed_at`,
      [organizationId, at, figures.datasets, figures.median_age_days, figures.quality_score, figures.broken_links_share, figures.harvest_health, figures.open_formats_share],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * The organisations whose figures are due: never computed; a run of one of their sources
 * finished, or a source's quality was stored (the link check that follows a run), since they
 * were; computed on an earlier day (UTC: the daily history row and the moving windows); or
 * older than `maxAgeMinutes` (the periodic full refresh). Oldest first.
 */
export async function dueScoreboards(h: DbHandle, maxAgeMinutes: number, at: Date = new Date()): Promise<string[]> {
  const res = await h.pool.query<{ id: string }>(
    `SELECT o.id FROM organizations o LEFT JOIN organization_scoreboard b ON b.organization_id = o.id
     WHERE b.organization_id IS NULL
        OR b.computed_at < $1::timestamptz - make_interval(mins => $2::int)
        OR (b.computed_at AT TIME ZONE 'UTC')::date < ($1::timestamptz AT TIME ZONE 'UTC')::date
        OR EXISTS (SELECT 1 FROM sources s JOIN runs r ON r.source_id = s.id WHERE s.organization_id = o.id AND r.finished_at > b.computed_at)
        OR EXISTS (SELECT 1 FROM sources s JOIN source_quality q ON q.source_id = s.id WHERE s.organization_id = o.id AND q.computed_at > b.computed_at)
     ORDER BY b.computed_at NULLS FIRST, o.id`,
    [at, maxAgeMinutes],
  );
  return res.rows.map((r) => r.id);
}

/** Refreshes every organisation whose figures are due (dueScoreboards), one after the other. Returns how many. */
export async function refreshDueScoreboards(h: DbHandle, maxAgeMinutes: number, isOpenFormat: OpenFormatTest, at?: Date): Promise<number> {
  const due = await dueScoreboards(h, maxAgeMinutes, at);
  for (const id of due) await refreshOrganizationScoreboard(h, id, isOpenFormat, at);
  return due.length;
}

interface Row {
  slug: string;
  name: string;
  datasets: number | null;
  updated30: number | null;
  updated90: number | null;
  updated365: number | null;
  median_age_days: number | null;
  quality_score: number | null;
  quality_scored: number | null;
  quality_trend: number | null;
  links_checked: number | null;
  links_broken: number | null;
  broken_links_share: number | null;
  runs: number | null;
  runs_succeeded: number | null;
  harvest_health: number | null;
  distributions: number | null;
  open_distributions: number | null;
  open_formats_share: number | null;
  computed_at: Date | null;
}

// real columns come back as float4 text ("0.6667"): Number() keeps what was stored.
const num = (v: number | string | null) => (v === null ? null : Number(v));

function entryOf(r: Row): ScoreboardFigures {
  return {
    organization: { slug: r.slug, name: r.name },
    datasets: r.datasets,
    updated: { last30Days: r.updated30, last90Days: r.updated90, last365Days: r.updated365 },
    medianAgeDays: num(r.median_age_days),
    quality: { score: num(r.quality_score), trend: num(r.quality_trend), scored: r.quality_scored },
    brokenLinks: { share: num(r.broken_links_share), checked: r.links_checked, broken: r.links_broken },
    harvestHealth: { share: num(r.harvest_health), runs: r.runs, succeeded: r.runs_succeeded, days: SCOREBOARD_RUN_DAYS },
    openFormats: { share: num(r.open_formats_share), distributions: r.distributions, open: r.open_distributions },
    computedAt: r.computed_at ? new Date(r.computed_at).toISOString() : null,
  };
}

const SELECT = `SELECT o.slug, o.name, b.datasets, b.updated30, b.updated90, b.updated365, b.median_age_days, b.quality_score, b.quality_scored, b.quality_trend,
  b.links_checked, b.links_broken, b.broken_links_share, b.runs, b.runs_succeeded, b.harvest_health, b.distributions, b.open_distributions, b.open_formats_share, b.computed_at
  FROM organizations o LEFT JOIN organization_scoreboard b ON b.organization_id = o.id`;

/** One organisation's stored figures (one index probe); undefined for an unknown slug. */
export async function getOrganizationScoreboardFigures(h: DbHandle, slug: string): Promise<ScoreboardFigures | undefined> {
  const res = await h.pool.query<Row>(`${SELECT} WHERE o.slug = $1`, [slug]);
  return res.rows[0] ? entryOf(res.rows[0]) : undefined;
}

/**
 * Every organisation's stored figures, sorted by one of them (organisations without it, or not
 * computed yet, last whatever the order), then by slug. Reads one row per organisation.
 */
export async function listScoreboardFigures(h: DbHandle, opts: { sort?: ScoreboardSort; order?: 'asc' | 'desc' } = {}): Promise<ScoreboardFigures[]> {
  const sort = opts.sort ?? 'datasets';
  const order = opts.order ?? (sort === 'name' || sort === 'medianAge' || sort === 'brokenLinks' ? 'asc' : 'desc');
  const res = await h.pool.query<Row>(`${SELECT} ORDER BY ${SORT_COLUMN[sort]} ${order === 'asc' ? 'ASC' : 'DESC'} NULLS LAST, o.slug`);
  return res.rows.map(entryOf);
}

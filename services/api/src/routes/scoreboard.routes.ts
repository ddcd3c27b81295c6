import type { FastifyInstance, FastifyRequest } from 'fastify';
import { neutraliseCsvCell } from '@hasad/core';
import { SCOREBOARD_SORTS, type ScoreboardSort } from '@hasad/db';
import { getOrganizationScoreboard, listScoreboard, type ScoreboardEntry } from '@hasad/pipeline';
import type { ApiDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { errorResponses } from '../schemas.ts';

const count = { type: ['integer', 'null'] } as const;
const shareOf = (description: string) => ({ type: ['number', 'null'], minimum: 0, maximum: 1, description }) as const;

/** One institution's figures (ScoreboardEntry of @hasad/pipeline); every figure null until first computed. */
export const scoreboardEntry = {
  type: 'object',
  required: ['organization', 'datasets', 'updated', 'medianAgeDays', 'quality', 'brokenLinks', 'harvestHealth', 'openFormats', 'computedAt'],
  properties: {
    organization: { type: 'object', required: ['slug', 'name'], properties: { slug: { type: 'string' }, name: { type: 'string' } } },
    datasets: { ...count, description: 'active datasets' },
    updated: {
      type: 'object',
      description: 'active datasets last modified (dct:modified, else Hasad’s last change of the record) in the last 30, 90, 365 days',
      required: ['last30Days', 'last90Days', 'last365Days'],
      properties: { last30Days: count, last90Days: count, last365Days: count },
    },
    medianAgeDays: { type: ['number', 'null'], description: 'median days since the active datasets’ last modification' },
    quality: {
      type: 'object',
      required: ['score', 'max', 'rating', 'trend', 'scored'],
      properties: {
        score: { type: ['number', 'null'], description: 'mean metadata quality score of the scored active datasets' },
        max: { type: 'integer', description: 'the methodology’s 405 points' },
        rating: { type: ['string', 'null'], enum: ['excellent', 'good', 'sufficient', 'bad', null] },
        trend: { type: ['number', 'null'], description: 'score minus the score 30 days before (daily history); null without one' },
        scored: count,
      },
    },
    brokenLinks: {
      type: 'object',
      required: ['share', 'checked', 'broken'],
      properties: { share: shareOf('share of the checked distribution URLs that did not answer (latest check of each)'), checked: count, broken: count },
    },
    harvestHealth: {
      type: 'object',
      required: ['share', 'runs', 'succeeded', 'days'],
      properties: { share: shareOf('share of the runs finished in the last `days` days (cancelled ones left out) that succeeded or found nothing changed'), runs: count, succeeded: count, days: { type: 'integer' } },
    },
    openFormats: {
      type: 'object',
      required: ['share', 'distributions', 'open'],
      properties: { share: shareOf('share of the distributions in an open, machine-readable format (CSV, JSON, XML, RDF, GeoJSON, ODS…)'), distributions: count, open: count },
    },
    computedAt: { type: ['string', 'null'], format: 'date-time', description: 'when the scheduler computed the figures' },
  },
} as const;

/** The CSV's columns: a header and how each row fills it. Shares as decimals (0.25), as in the JSON. */
const CSV_COLUMNS: ReadonlyArray<readonly [string, (e: ScoreboardEntry) => string | number | null]> = [
  ['organization', (e) => e.organization.slug],
  ['name', (e) => e.organization.name],
  ['datasets', (e) => e.datasets],
  ['updated_30_days', (e) => e.updated.last30Days],
  ['updated_90_days', (e) => e.updated.last90Days],
  ['updated_365_days', (e) => e.updated.last365Days],
  ['median_age_days', (e) => e.medianAgeDays],
  ['quality_score', (e) => e.quality.score],
  ['quality_max', (e) => e.quality.max],
  ['quality_trend_30_days', (e) => e.quality.trend],
  ['broken_links_share', (e) => e.brokenLinks.share],
  ['links_checked', (e) => e.brokenLinks.checked],
  ['harvest_health', (e) => e.harvestHealth.share],
  ['runs_90_days', (e) => e.harvestHealth.runs],
  ['open_formats_share', (e) => e.openFormats.share],
  ['distributions', (e) => e.openFormats.distributions],
  ['computed_at', (e) => e.computedAt],
];

/**
 * The scoreboard as CSV (RFC 4180, CRLF, a BOM so that spreadsheets read French and Arabic
 * names as UTF-8): every cell quoted and neutralised against formula injection, as the other
 * CSV exports, since an organisation's name is text from outside.
 */
export function scoreboardCsv(entries: ScoreboardEntry[]): string {
  const cell = (v: string | number | null) => `"${neutraliseCsvCell(v === null ? '' : String(v)).replaceAll('"', '""')}"`;
  return `\uFEFF${CSV_COLUMNS.map(([h]) => h).join(',')}\r\n${entries.map((e) => `${CSV_COLUMNS.map(([, f]) => cell(f(e))).join(',')}\r\n`).join('')}`;
}

/** CSV when `format=csv`, or when the Accept header prefers text/csv to JSON. */
function wantsCsv(req: FastifyRequest<{ Querystring: { format?: string } }>): boolean {
  if (req.query.format) return req.query.format === 'csv';
  const accept = String(req.headers.accept ?? '');
  return /(^|,)\s*text\/csv\b/i.test(accept) && !/application\/json/i.test(accept);
}

export function scoreboardRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Querystring: { sort?: ScoreboardSort; order?: 'asc' | 'desc'; format?: 'json' | 'csv' } }>(
    '/api/v1/scoreboard',
    {
      schema: {
        tags: ['catalogue'],
        summary: 'The publishers’ scoreboard: every institution’s figures, sortable; CSV with format=csv or Accept: text/csv',
        description:
          'Figures computed by the scheduler after each run and periodically (HASAD_SCOREBOARD_REFRESH_MINUTES), never on the request. ' +
          'Institutions without the figure sorted on come last, whatever the order.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            sort: { type: 'string', enum: [...SCOREBOARD_SORTS], description: 'the figure to sort on (default datasets)' },
            order: { type: 'string', enum: ['asc', 'desc'], description: 'default: the better first (desc, but asc for name, medianAge and brokenLinks)' },
            format: { type: 'string', enum: ['json', 'csv'] },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', items: scoreboardEntry } },
            description: 'JSON; with format=csv (or Accept: text/csv) a text/csv download of the same figures',
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const items = await listScoreboard(deps.db, { ...(req.query.sort ? { sort: req.query.sort } : {}), ...(req.query.order ? { order: req.query.order } : {}) });
      reply.header('vary', 'Accept');
      if (wantsCsv(req)) {
        return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="hasad-scoreboard.csv"').send(scoreboardCsv(items));
      }
      return { items };
    },
  );

  app.get<{ Params: { slug: string } }>(
    '/api/v1/organizations/:slug/scoreboard',
    {
      schema: {
        tags: ['catalogue'],
        summary: 'One institution’s scoreboard figures and when they were computed',
        params: { type: 'object', required: ['slug'], properties: { slug: { type: 'string', maxLength: 64 } } },
        response: { 200: scoreboardEntry, ...errorResponses },
      },
    },
    async (req) => {
      const entry = await getOrganizationScoreboard(deps.db, req.params.slug);
      if (!entry) throw notFound('organisation', req.params.slug);
      return entry;
    },
  );
}

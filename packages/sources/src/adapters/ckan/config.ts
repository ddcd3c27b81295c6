import { z } from 'zod';
import { ConfigError } from '@hasad/core';
import { sourceConfigError } from '../../source-config.ts';
import { langTag } from './values.ts';

/** The `incremental` part of a CKAN source config: see {@link CkanConfig.incremental}. */
export interface CkanIncremental {
  enabled: boolean;
  /** ISO 8601 date or date-time: never list packages modified before it. */
  since?: string;
  /** A full listing when the last complete run started at least this many hours ago (> 0; 168 = weekly). */
  fullEveryHours?: number;
  /** One run in this many is a full listing (>= 1; 7 with a daily schedule = weekly). */
  fullEveryRuns?: number;
}

/**
 * Parsed CKAN source config. Every key is optional in the stored config; defaults are filled in.
 *
 * @example A ministry's datasets on a national CKAN portal, harvested incrementally:
 * ```json
 * {
 *   "rows": 500,
 *   "fq": "organization:ministere-de-la-sante",
 *   "sort": "id asc",
 *   "language": "fr",
 *   "incremental": { "enabled": true, "since": "2024-01-01T00:00:00Z", "fullEveryHours": 168 }
 * }
 * ```
 * with the source URL `https://data.gov.ma/data` (or
 * `https://data.gov.ma/data/api/3/action/package_search`: both name the same portal).
 */
export interface CkanConfig {
  /** Packages per `package_search` page: 1..1000 (CKAN's own `ckan.search.rows_max` default is 1000). Default 100. */
  rows: number;
  /** A Solr filter query passed to `package_search` as `fq`, e.g. `organization:ministere-de-la-sante`. */
  fq?: string;
  /**
   * Solr sort. Default `id asc`: a unique key that does not change when a package is edited, so
   * an edit during a harvest cannot move a package across a page boundary. A sort on a mutable
   * field (`metadata_modified desc`) can skip or repeat packages edited mid-harvest.
   */
  sort: string;
  /**
   * Incremental harvesting: list only packages whose `metadata_modified` is at or after the
   * "since" instant — the later of `since` and the start of the source's last complete run
   * (HarvestOptions `lastCompleteRunAt`, less a safety overlap). Without either, the run is full.
   *
   * An incremental run never sees deletions and its listing is not the whole portal: it never
   * withdraws datasets it did not list (its page events say `listing: 'partial'`, and the
   * finaliser withdraws nothing for such a run). Deleted packages are withdrawn by a full run of
   * the same source, which `fullEveryHours` and `fullEveryRuns` schedule: a run is full when the
   * last complete (full) run started at least `fullEveryHours` ago, or when `fullEveryRuns - 1`
   * incremental runs have ended since it (one run in `fullEveryRuns` is full), whichever comes
   * first (and, with either set, when the source has no complete run yet). A full run withdraws
   * what it did not list, under the source's usual withdrawal threshold (needs_review). With
   * neither setting, every run after the first is incremental and deleted packages stay
   * published; `enabled: false` (a config change, e.g. a PATCH of the source) makes every run full.
   */
  incremental?: CkanIncremental;
  /** Language tag given to CKAN's untagged strings (title, notes, tags, resource names). Default `fr`. */
  language: string;
}

// `field asc|desc` clauses, comma-separated: what Solr accepts, and no room for injection into the URL.
const SORT_RE = /^[A-Za-z_][\w.]*\s+(?:asc|desc)(?:\s*,\s*[A-Za-z_][\w.]*\s+(?:asc|desc))*$/i;

const ckanConfigSchema = z.strictObject({
  rows: z.int().min(1).max(1000).default(100),
  fq: z.string().trim().min(1).optional(),
  sort: z.string().trim().regex(SORT_RE, 'must be Solr sort clauses such as "id asc" or "name asc, id asc"').default('id asc'),
  incremental: z
    .strictObject({
      enabled: z.boolean(),
      since: z.union([z.iso.datetime({ offset: true }), z.iso.date()], { error: 'must be an ISO 8601 date or a date-time with an offset (2024-01-01T00:00:00Z)' }).optional(),
      fullEveryHours: z.number({ error: 'must be a number of hours (168 = weekly)' }).positive('must be a number of hours above 0 (168 = weekly)').optional(),
      fullEveryRuns: z.int({ error: 'must be a whole number of runs (7 = one run in 7 is full)' }).min(1, 'must be at least 1 (1 = every run is full)').optional(),
    })
    .optional(),
  language: z
    .string()
    .transform((s) => langTag(s) ?? '')
    .refine((s) => s !== '', 'must be a language tag such as "fr" or "ar"')
    .default('fr'),
});

/**
 * Validates a CKAN source config. `undefined`/`null` mean "all defaults".
 * @throws ConfigError listing every unknown key and bad value at once.
 */
export function parseCkanConfig(config: unknown): CkanConfig {
  const parsed = ckanConfigSchema.safeParse(config ?? {});
  if (!parsed.success) {
    throw sourceConfigError('ckan', { issues: parsed.error.issues });
  }
  const { rows, fq, sort, incremental, language } = parsed.data;
  return {
    rows,
    sort: sort.replace(/\s+/g, ' '),
    language,
    ...(fq !== undefined && { fq }),
    ...(incremental !== undefined && {
      incremental: {
        enabled: incremental.enabled,
        ...(incremental.since !== undefined && { since: incremental.since }),
        ...(incremental.fullEveryHours !== undefined && { fullEveryHours: incremental.fullEveryHours }),
        ...(incremental.fullEveryRuns !== undefined && { fullEveryRuns: incremental.fullEveryRuns }),
      },
    }),
  };
}

import { sql, type SQL } from 'drizzle-orm';
import type { DbHandle } from '../client.ts';
import { languageKey } from '@hasad/core';
import { fieldQuerySql, type FieldQuery } from './field-query.ts';
import { isUuid } from './sources.repository.ts';

/** Facets the search can count, by the name the API uses. */
export const DATASET_FACETS = ['organization', 'theme', 'format', 'license', 'keyword', 'language'] as const;
export type DatasetFacet = (typeof DATASET_FACETS)[number];
/** What a search counts when the caller does not say (`language` is on request only). */
export const DEFAULT_FACETS: readonly DatasetFacet[] = ['organization', 'theme', 'format', 'license', 'keyword'];

/** `-` means descending. `relevance` needs `q`; without it the default order applies. `id` is stable under updates (for harvesters). */
export const DATASET_SORTS = ['relevance', 'title', '-title', 'modified', '-modified', 'updated', '-updated', 'id'] as const;
export type DatasetSort = (typeof DATASET_SORTS)[number];

export interface DatasetFilter {
  /** Full-text query, websearch syntax (`"a phrase"`, `or`, `-word`). */
  q?: string;
  /** Organisation slugs or ids: any of them. */
  organization?: string | string[];
  source?: string;
  /** Theme URIs, labels, or EU data-theme codes (`ENVI`): all of them. */
  theme?: string[];
  /** Keywords (any language, exact): all of them. */
  keyword?: string[];
  /** Formats (`CSV`, an EU file-type URI, a media type): all of them. */
  format?: string[];
  /** Licence URIs (or labels): any of them. */
  license?: string[];
  /** Language codes (`fr`, `ar`, `fra`, an EU language URI): all of them. */
  language?: string[];
  /** dct:modified at or after this instant (ISO 8601 date or date-time). */
  modifiedFrom?: string;
  /** dct:modified at or before this instant; a date alone includes that whole day (UTC). */
  modifiedTo?: string;
  status?: 'active' | 'withdrawn' | 'all';
  /** Default: `relevance` with `q`, else `-updated` (most recently changed in Hasad first). */
  sort?: DatasetSort;
  page?: number;
  limit?: number;
  /** Opaque keyset cursor from a previous answer's `nextCursor`; `page` is then ignored. */
  cursor?: string;
  /**
   * Match `q` by trigram word similarity to the titles (pg_trgm, `q <% title_sort`, threshold
   * {@link FUZZY_THRESHOLD}) instead of the full-text search: the typo-tolerant retry when the
   * exact search found nothing and the search vocabulary is empty (else the API
   * corrects the words through it: correctQuery). Relevance is then the similarity.
   */
  fuzzy?: boolean;
  /** A boolean query over the dataset's fields (the CKAN API's Solr-style `q` and `fq`), ANDed with the rest. */
  where?: FieldQuery;
  /** Facets to count over the filtered set; default {@link DEFAULT_FACETS}. */
  facets?: readonly DatasetFacet[];
  /** Values per facet, most frequent first. */
  facetLimit?: number;
}

export type DatasetRow = {
  id: string;
  sourceId: string;
  organizationId: string;
  organization: string;
  organizationName: string;
  /** The source's feed URL, as registered: it may carry credentials; redact before showing it. */
  sourceUrl: string;
  sourceIdentifier: string;
  uri: string | null;
  status: string;
  record: Record<string, unknown>;
  contentHash: string;
  createdAt: string;
  updatedAt: string;
  withdrawnAt: string | null;
  /** Metadata quality as stored (@hasad/quality StoredQuality: `fromStored` gives the full form); null until scored. */
  quality: Record<string, unknown> | null;
};

export interface FacetValue {
  value: string;
  count: number;
  /** The organisation's name (organisation facet only). */
  label?: string;
}

export interface DatasetSearchResult {
  total: number;
  items: DatasetRow[];
  facets: Partial<Record<DatasetFacet, FacetValue[]>>;
  /** Cursor of the page after this one; null on the last page. */
  nextCursor: string | null;
}

/** A cursor the caller sent is not one of ours (or belongs to another sort). */
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
  readonly code = 'invalid_cursor';
}

const SELECT = sql`
  SELECT d.id, d.source_id AS "sourceId", d.organization_id AS "organizationId", o.slug AS organization, o.name AS "organizationName",
    s.url AS "sourceUrl", d.source_identifier AS "sourceIdentifier", d.uri, d.status, d.record, d.content_hash AS "contentHash",
    d.created_at AS "createdAt", d.updated_at AS "updatedAt", d.withdrawn_at AS "withdrawnAt", d.quality
  FROM datasets d JOIN organizations o ON o.id = d.organization_id JOIN sources s ON s.id = d.source_id`;

const EU_THEME = 'http://publications.europa.eu/resource/authority/data-theme/';
interface SortKey {
  /** Column of the matched set `m`. */
  col: string;
  /** Its expression over `datasets d` (and `query`). */
  expr: SQL;
  desc: boolean;
  /** SQL type the cursor value is cast back to. */
  type: 'real' | 'text' | 'timestamptz' | 'uuid';
}

/** `q` as title_sort holds titles: lower-cased and unaccented (hasad_title_sort, migration 0002). */
const folded = (q: string) => sql`pg_catalog.lower(public.hasad_unaccent(${q}))`;

function sortKeys(sort: DatasetSort, fuzzyQ?: string): SortKey[] {
  const id = (desc: boolean): SortKey => ({ col: 'id', expr: sql`d.id`, desc, type: 'uuid' });
  switch (sort) {
    case 'relevance':
      if (fuzzyQ !== undefined) return [{ col: 'k', expr: sql`public.word_similarity(${folded(fuzzyQ)}, d.title_sort)`, desc: true, type: 'real' }, id(false)];
      return [{ col: 'k', expr: sql`ts_rank(d.search_vector, query)`, desc: true, type: 'real' }, id(false)];
    case 'title':
      return [{ col: 'k', expr: sql`d.title_sort`, desc: false, type: 'text' }, id(false)];
    case '-title':
      return [{ col: 'k', expr: sql`d.title_sort`, desc: true, type: 'text' }, id(true)];
    // Datasets without dct:modified come last either way.
    case 'modified':
      return [{ col: 'k', expr: sql`coalesce(d.modified_at, 'infinity')`, desc: false, type: 'timestamptz' }, id(false)];
    case '-modified':
      return [{ col: 'k', expr: sql`coalesce(d.modified_at, '-infinity')`, desc: true, type: 'timestamptz' }, id(false)];
    case 'updated':
      return [{ col: 'k', expr: sql`d.updated_at`, desc: false, type: 'timestamptz' }, id(false)];
    case '-updated':
      return [{ col: 'k', expr: sql`d.updated_at`, desc: true, type: 'timestamptz' }, id(false)];
    case 'id':
      return [{ col: 'k', expr: sql`d.id`, desc: false, type: 'uuid' }, id(false)];
  }
}

interface CursorBody {
  /** Sort the cursor was made for. */
  s: DatasetSort;
  /** Sort key values of the last row of the page: [key, id]. */
  k: [string | number, string];
}

export function encodeCursor(c: CursorBody): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(cursor: string, sort: DatasetSort): CursorBody {
  let c: unknown;
  try {
    c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('cursor is not one this API gave out');
  }
  const ok =
    typeof c === 'object' && c !== null && Array.isArray((c as CursorBody).k) && (c as CursorBody).k.length === 2 &&
    ['string', 'number'].includes(typeof (c as CursorBody).k[0]) && typeof (c as CursorBody).k[1] === 'string' && isUuid((c as CursorBody).k[1]);
  if (!ok) throw new InvalidCursorError('cursor is not one this API gave out');
  if ((c as CursorBody).s !== sort) throw new InvalidCursorError(`cursor was made for sort=${(c as CursorBody).s}, not sort=${sort}`);
  return c as CursorBody;
}

/** Rows strictly after `values` in the order of `keys` (each key ascending or descending). */
function keysetAfter(keys: SortKey[], values: Array<string | number>): SQL {
  const ors: SQL[] = [];
  for (let i = 0; i < keys.length; i++) {
    const parts: SQL[] = [];
    for (let j = 0; j < i; j++) parts.push(sql`m.${sql.raw(keys[j]!.col)} = ${values[j]}::${sql.raw(keys[j]!.type)}`);
    const k = keys[i]!;
    parts.push(sql`m.${sql.raw(k.col)} ${sql.raw(k.desc ? '<' : '>')} ${values[i]}::${sql.raw(k.type)}`);
    ors.push(sql`(${sql.join(parts, sql` AND `)})`);
  }
  return sql`(${sql.join(ors, sql` OR `)})`;
}

/** Instant of a `modifiedFrom`/`modifiedTo` bound; a bare date `to` bound is the next day, exclusive. */
function bound(v: string, end: boolean): { at: string; inclusive: boolean } {
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) {
    if (!end) return { at: `${v}T00:00:00Z`, inclusive: true };
    const next = new Date(`${v}T00:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 1);
    return { at: next.toISOString(), inclusive: false };
  }
  return { at: v, inclusive: true };
}

const arr = (v: string | string[] | undefined): string[] => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).filter((x) => x !== ''));

/**
 * Typo-tolerant match of `q` on titles: every word of three letters or more is like a word of
 * the title (pg_trgm `<%`, word similarity ≥ {@link FUZZY_THRESHOLD}; an index scan of
 * datasets_title_trgm_idx), so that each of several misspelt words counts.
 */
function fuzzyCondition(q: string): SQL {
  const words = (q.normalize('NFC').match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => w.length >= 3).slice(0, 8);
  if (words.length === 0) return sql`false`;
  return sql`(${sql.join(words.map((w) => sql`${folded(w)} OPERATOR(public.<%) d.title_sort`), sql` AND `)})`;
}

/**
 * Word similarity a fuzzy match needs (pg_trgm's default is 0.6): 0.5 lets one wrong or
 * missing letter in a six-letter word through (`qualte` → qualité scores 0.57).
 */
const FUZZY_THRESHOLD = 0.5;

/** The WHERE conditions of a filter over `datasets d`; `query` is the parsed `q` when there is one. */
function conditions(f: DatasetFilter): SQL[] {
  const conds: SQL[] = [];
  const status = f.status ?? 'active';
  if (status !== 'all') conds.push(sql`d.status = ${status}`);
  const orgs = arr(f.organization);
  if (orgs.length > 0) {
    const ids = orgs.filter(isUuid);
    conds.push(
      sql`d.organization_id IN (SELECT id FROM organizations WHERE slug = ANY(${sql.param(orgs)}::text[])${ids.length ? sql` OR id = ANY(${sql.param(ids)}::uuid[])` : sql``})`,
    );
  }
  if (f.source) conds.push(isUuid(f.source) ? sql`d.source_id = ${f.source}::uuid` : sql`false`);
  if (f.q?.trim()) conds.push(f.fuzzy ? fuzzyCondition(f.q) : sql`d.search_vector @@ query`);
  for (const t of arr(f.theme)) {
    // A bare code (`ENVI`) also names the EU data theme.
    const names = /^[A-Za-z]{4}$/.test(t) ? [t, `${EU_THEME}${t.toUpperCase()}`] : [t];
    conds.push(sql`d.themes && ${sql.param(names)}::text[]`);
  }
  const keywords = arr(f.keyword);
  if (keywords.length) conds.push(sql`d.keywords @> ${sql.param(keywords)}::text[]`);
  for (const fmt of arr(f.format)) conds.push(sql`d.formats @> ARRAY[hasad_format_label(${fmt})]`);
  const licenses = arr(f.license);
  if (licenses.length) conds.push(sql`d.license = ANY(${sql.param(licenses)}::text[])`);
  const languages = arr(f.language).map(languageKey);
  if (languages.length) conds.push(sql`d.languages @> ${sql.param(languages)}::text[]`);
  if (f.modifiedFrom) {
    const b = bound(f.modifiedFrom, false);
    conds.push(sql`d.modified_at >= ${b.at}::timestamptz`);
  }
  if (f.modifiedTo) {
    const b = bound(f.modifiedTo, true);
    conds.push(b.inclusive ? sql`d.modified_at <= ${b.at}::timestamptz` : sql`d.modified_at < ${b.at}::timestamptz`);
  }
  if (f.where) conds.push(fieldQuerySql(f.where));
  return conds;
}

/**
 * Per facet: the column of `datasets` it counts, whether that column is an array, and whether
 * its values are few across the catalogue (organisations, licences, themes, formats,
 * languages: all of them hashed into `facet_key`; keywords into `keywords_key`).
 */
const FACET_COLUMNS: Record<DatasetFacet, { col: string; array: boolean; few: boolean }> = {
  organization: { col: 'organization_id', array: false, few: true },
  theme: { col: 'themes', array: true, few: true },
  format: { col: 'formats', array: true, few: true },
  license: { col: 'license', array: false, few: true },
  keyword: { col: 'keywords', array: true, few: false },
  language: { col: 'languages', array: true, few: true },
};

/**
 * One facet's values, most frequent first, counted from `gf` (the few-valued facets) or `gk`
 * (keywords): one row per distinct combination of values among the matches, with its count
 * `n` (see buildSearch).
 */
function facetQuery(name: DatasetFacet, limit: number): SQL {
  const top = (source: SQL, valueExpr: SQL) =>
    sql`(SELECT coalesce(json_agg(json_build_object('value', f.v, 'count', f.n) ORDER BY f.n DESC, f.v), '[]')
      FROM (SELECT ${valueExpr} AS v, sum(y.n)::int AS n FROM ${source} GROUP BY 1 HAVING ${valueExpr} IS NOT NULL ORDER BY 2 DESC, 1 LIMIT ${limit}) f)`;
  const { col, array } = FACET_COLUMNS[name];
  if (name === 'organization') {
    return sql`(SELECT coalesce(json_agg(json_build_object('value', o.slug, 'label', o.name, 'count', f.n) ORDER BY f.n DESC, o.slug), '[]')
      FROM (SELECT organization_id, sum(n)::int AS n FROM gf GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${limit}) f
      JOIN organizations o ON o.id = f.organization_id)`;
  }
  const from = name === 'keyword' ? 'gk' : 'gf';
  // unnest in the select list (a ProjectSet node) rather than FROM g, unnest(…): measured twice
  // as fast, no function scan set up per row.
  return array
    ? top(sql`(SELECT unnest(${sql.raw(from)}.${sql.raw(col)}) AS v, ${sql.raw(from)}.n FROM ${sql.raw(from)}) y`, sql`y.v`)
    : top(sql`${sql.raw(from)} y`, sql`y.${sql.raw(col)}`);
}

/** The first statement of a search, with what reading its answer needs. */
function buildSearch(f: DatasetFilter) {
  const q = f.q?.trim() ? f.q.trim() : undefined;
  const sort: DatasetSort = f.sort === undefined || (f.sort === 'relevance' && !q) ? (q ? 'relevance' : '-updated') : f.sort;
  const keys = sortKeys(sort, f.fuzzy && q ? q : undefined);
  const limit = Math.min(Math.max(f.limit ?? 20, 1), 1000);
  const page = Math.max(f.page ?? 1, 1);
  const cursor = f.cursor ? decodeCursor(f.cursor, sort) : undefined;
  const facets = [...new Set(f.facets ?? DEFAULT_FACETS)];
  const facetLimit = Math.min(Math.max(f.facetLimit ?? 20, 1), 200);

  const conds = conditions(f);
  const where = conds.length ? sql`WHERE ${sql.join(conds, sql` AND `)}` : sql``;
  const from = q && !f.fuzzy ? sql`datasets d CROSS JOIN hasad_search_query(${q}) AS query` : sql`datasets d`;
  const fewFacets = facets.some((n) => FACET_COLUMNS[n].few);
  const keywordFacet = facets.includes('keyword');
  const orderOf = (alias: string) =>
    sql.join(
      keys.map((k) => sql`${sql.raw(alias)}.${sql.raw(k.col)} ${sql.raw(k.desc ? 'DESC' : 'ASC')}`),
      sql`, `,
    );
  const after = cursor ? sql`WHERE ${keysetAfter(keys, cursor.k)}` : sql``;
  const offset = cursor ? 0 : (page - 1) * limit;
  // Facets without touching the matches' arrays: the matches (m, narrow: id, sort key, the two
  // facet keys and the row's address) are grouped by their facet keys (g: one 64-bit hash per
  // key and row, typically a few hundred groups for 25,000 matches), each group remembering one
  // of its rows; the values are then read from that row alone, by its address (a TID scan in
  // the statement's own snapshot, so it is the very row version that matched): gf for the
  // few-valued facets, gk for keywords, one row per distinct combination with its count. Where
  // keyword lists are all different gk has a row per match, and the keyword facet costs about
  // what reading every match's keywords would (see bench/search.bench.ts --unique-keywords).
  const gKeys = [...(fewFacets ? ['fk'] : []), ...(keywordFacet ? ['kk'] : [])].join(', ');
  const ctes: SQL[] = [];
  if (gKeys) ctes.push(sql`g AS MATERIALIZED (SELECT ${sql.raw(gKeys)}, count(*) AS n, min(t) AS t FROM m GROUP BY ${sql.raw(gKeys)})`);
  if (fewFacets) {
    ctes.push(sql`gf AS MATERIALIZED (SELECT r.organization_id, r.themes, r.formats, r.license, r.languages, x.n
      FROM (SELECT fk, sum(n) AS n, min(t) AS t FROM g GROUP BY fk) x JOIN datasets r ON r.ctid = x.t)`);
  }
  if (keywordFacet) {
    ctes.push(sql`gk AS MATERIALIZED (SELECT r.keywords, x.n
      FROM (SELECT kk, sum(n) AS n, min(t) AS t FROM g GROUP BY kk) x JOIN datasets r ON r.ctid = x.t)`);
  }
  const g = ctes.length ? sql`, ${sql.join(ctes, sql`, `)}` : sql``;

  const statement = sql`
    WITH m AS MATERIALIZED (SELECT d.id, ${keys[0]!.expr} AS k${gKeys ? sql`, d.facet_key AS fk, d.keywords_key AS kk, d.ctid AS t` : sql``} FROM ${from} ${where}) ${g}
    SELECT ${gKeys ? sql`(SELECT coalesce(sum(n), 0)::int FROM g)` : sql`(SELECT count(*)::int FROM m)`} AS total,
      (SELECT coalesce(json_agg(json_build_object('id', p.id, 'k', p.k) ORDER BY ${orderOf('p')}), '[]')
         FROM (SELECT m.id, m.k FROM m ${after} ORDER BY ${orderOf('m')} LIMIT ${limit + 1} OFFSET ${offset}) p) AS page
      ${sql.join(
        facets.map((n) => sql`, ${facetQuery(n, facetLimit)} AS ${sql.identifier(`f_${n}`)}`),
        sql``,
      )}`;
  return { statement, sort, limit, facets };
}

/**
 * Searches the catalogue: full-text `q` (French stems, accents and Arabic spelling variants
 * folded; see migration 0002_search_functions), filters, facet counts over the filtered set,
 * and a page in one of the sorts, by offset (`page`) or keyset (`cursor`).
 *
 * One statement finds the filtered set once (`m`), and from it counts the total, each facet
 * and picks the page's ids; a second fetches those rows. Withdrawn datasets are hidden
 * unless asked for.
 */
export async function searchDatasets(h: DbHandle, f: DatasetFilter): Promise<DatasetSearchResult> {
  const { statement, sort, limit, facets } = buildSearch(f);
  type Row = { total: number; page: Array<{ id: string; k: string | number }> } & Record<string, FacetValue[] | null>;
  const res = await h.db.transaction(async (tx) => {
    await tx.execute(SEARCH_SETTINGS);
    if (f.fuzzy) await tx.execute(sql`SELECT set_config('pg_trgm.word_similarity_threshold', ${String(FUZZY_THRESHOLD)}, true)`);
    return tx.execute<Row>(statement);
  });
  const row = res.rows[0]!;
  const pageRows = row.page.slice(0, limit);
  const last = pageRows[pageRows.length - 1];
  const nextCursor = row.page.length > limit && last ? encodeCursor({ s: sort, k: [last.k, last.id] }) : null;

  let items: DatasetRow[] = [];
  if (pageRows.length > 0) {
    const ids = pageRows.map((p) => p.id);
    const rows = await h.db.execute<DatasetRow>(sql`${SELECT} WHERE d.id = ANY(${sql.param(ids)}::uuid[])`);
    const byId = new Map(rows.rows.map((r) => [r.id, r]));
    // A row deleted between the two statements (its source removed) is simply left out.
    items = ids.flatMap((id) => byId.get(id) ?? []);
  }
  const facetValues: DatasetSearchResult['facets'] = {};
  for (const n of facets) facetValues[n] = row[`f_${n}`] ?? [];
  return { total: row.total, items, facets: facetValues, nextCursor };
}

/**
 * Settings of a search's transaction, in one round trip (set_config(…, true) is SET LOCAL):
 * - work_mem 32 MB: the matched set and its groups stay in memory rather than spill to
 *   temporary files (the default, 4 MB, holds about 10,000 matches);
 * - jit off: compiling a search's expressions would cost more than it saves (PostgreSQL 15's
 *   JIT adds tens of milliseconds to a plan over its cost threshold); the search plans measured
 *   stay under the threshold, so this is a guard, not a measured gain;
 * - no parallel workers: under concurrent searches every core is already busy, and a worker
 *   per search only adds start-up and coordination work.
 */
const SEARCH_SETTINGS = sql`SELECT set_config('work_mem', '32MB', true), set_config('jit', 'off', true),
  set_config('max_parallel_workers_per_gather', '0', true)`;

/** EXPLAIN (ANALYZE, BUFFERS) of the statement `searchDatasets` runs first (for the bench and operators). */
export async function explainSearch(h: DbHandle, f: DatasetFilter): Promise<string> {
  const { statement } = buildSearch(f);
  const res = await h.db.transaction(async (tx) => {
    await tx.execute(SEARCH_SETTINGS);
    return tx.execute<{ 'QUERY PLAN': string }>(sql`EXPLAIN (ANALYZE, BUFFERS) ${statement}`);
  });
  return res.rows.map((r) => r['QUERY PLAN']).join('\n');
}

/** Finds a dataset by Hasad id (the only key that names one dataset whatever the sources publish). */
export async function getDataset(h: DbHandle, key: string): Promise<DatasetRow | undefined> {
  if (!isUuid(key)) return undefined;
  const res = await h.db.execute<DatasetRow>(sql`${SELECT} WHERE d.id = ${key}`);
  return res.rows[0];
}

/** What a key names: one dataset, none, or several (the caller must not pick one). */
export type DatasetLookup = { found: DatasetRow } | { found: undefined; matches: DatasetRow[] };

/**
 * Resolves a key: a Hasad id names one dataset; a source's URI or identifier may be published
 * by several organisations (another organisation can publish A's identifier or URI), so it is
 * looked up within `organization` (a slug) when given. Among the matches, the active ones count
 * (a withdrawn copy does not make the key ambiguous); more than one and nothing is picked:
 * `matches` lists them, at most 50.
 */
export async function lookupDataset(h: DbHandle, key: string, opts: { organization?: string } = {}): Promise<DatasetLookup> {
  if (isUuid(key)) {
    const row = await getDataset(h, key);
    return row && (opts.organization === undefined || row.organization === opts.organization) ? { found: row } : { found: undefined, matches: [] };
  }
  const scope = opts.organization === undefined ? sql`true` : sql`o.slug = ${opts.organization}`;
  const res = await h.db.execute<DatasetRow>(sql`${SELECT} WHERE (d.uri = ${key} OR d.source_identifier = ${key}) AND ${scope} ORDER BY d.status, d.updated_at DESC LIMIT 50`);
  const active = res.rows.filter((r) => r.status === 'active');
  const pool = active.length > 0 ? active : res.rows;
  return pool.length === 1 ? { found: pool[0]! } : { found: undefined, matches: pool };
}

export interface CatalogueVersion {
  /** The catalogue's last change: the latest dataset, source or organisation write. */
  lastModified: Date | null;
  /** Changes whenever anything a listing shows may have changed (the search vocabulary's refresh included: typo retries use it). */
  token: string;
  /** The token without the search vocabulary's refresh: what the vocabulary is computed from. */
  data: string;
}

/**
 * What the catalogue's cacheable listings are validated with (ETag, Last-Modified), in index
 * probes only, so that a conditional request answered 304 costs no search. Moves on every
 * dataset write (`updated_at` is set by the loader, finalise and restore), every change row,
 * and any organisation or source created, changed or deleted (a source's datasets go with it).
 */
export async function catalogueVersion(h: DbHandle): Promise<CatalogueVersion> {
  const res = await h.db.execute<{ datasets: string | null; seq: string | null; sources: string; sourcesAt: string | null; orgs: string; orgsAt: string | null; last: string | null; vocabulary: string | null }>(sql`
    SELECT d.at AS datasets, c.seq, s.n AS sources, s.at AS "sourcesAt", o.n AS orgs, o.at AS "orgsAt",
      greatest(d.at, s.at, o.at) AS last, (SELECT refreshed_at FROM search_vocabulary_state) AS vocabulary
    FROM (SELECT max(updated_at) AS at FROM datasets) d,
      (SELECT max(seq) AS seq FROM dataset_changes) c,
      (SELECT count(*) AS n, max(updated_at) AS at FROM sources) s,
      (SELECT count(*) AS n, max(created_at) AS at FROM organizations) o`);
  const r = res.rows[0]!;
  const data = [r.datasets, r.seq, r.sources, r.sourcesAt, r.orgs, r.orgsAt].map((x) => x ?? '').join('|');
  return {
    lastModified: r.last ? new Date(pgTimestamp(r.last)) : null,
    // A cached typo retry was corrected through the vocabulary of its time: a refresh moves the token.
    token: `${data}|${r.vocabulary ?? ''}`,
    data,
  };
}

/** PostgreSQL's text form of a timestamptz (`2025-03-01 08:45:00.123+00`) → ISO 8601. */
function pgTimestamp(v: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2})(?::?(\d{2}))?$/.exec(v);
  return m ? `${m[1]}T${m[2]}${m[3]}:${m[4] ?? '00'}` : v;
}

/**
 * Distinct themes (`themes`) or licences (`license`) of the active catalogue with their dataset
 * counts, most used first. Grouped by the stored list first, as the facets are.
 */
export async function countValues(h: DbHandle, what: 'themes' | 'license'): Promise<FacetValue[]> {
  const res = await h.db.execute<{ value: string; count: number }>(
    what === 'themes'
      ? sql`SELECT v AS value, sum(g.n)::int AS count
          FROM (SELECT themes, count(*) AS n FROM datasets WHERE status = 'active' GROUP BY themes) g, unnest(g.themes) AS v
          GROUP BY v ORDER BY 2 DESC, 1`
      : sql`SELECT license AS value, count(*)::int AS count FROM datasets
          WHERE status = 'active' AND license IS NOT NULL GROUP BY license ORDER BY 2 DESC, 1`,
  );
  return res.rows;
}

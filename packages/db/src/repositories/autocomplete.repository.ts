import { sql } from 'drizzle-orm';
import type { DbHandle } from '../client.ts';
import { foldedWord, searchVocabularyReady } from './search-vocabulary.repository.ts';

/**
 * Look-ups behind the CKAN-compatible autocomplete actions and `resource_show`: prefix matches
 * as a user types, served from indexes (the search vector's GIN index, the organisations table,
 * the primary key's range); and the listings of `package_list` and `tag_list`. Every value
 * reaches PostgreSQL as a parameter.
 */

/** `LIKE` pattern text matching `s` literally (its `%`, `_` and `\` escaped). */
function likeLiteral(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * The words of what a user typed, each a prefix: letters and digits only (in any script), so
 * nothing of tsquery's own syntax can come from the input. Empty when nothing is left.
 */
export function prefixWords(q: string, max = 8): string[] {
  return (q.normalize('NFC').match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, max);
}

/**
 * Matches ranked per suggestion: the first this many datasets whose words begin as typed are
 * ranked by ts_rank (title words weigh most), rather than every match (`budg` matches a quarter
 * of a large catalogue; ranking all of them took 250 ms at 200,000 datasets). Catalogues with
 * fewer matches rank them all, as before. Restricting the candidates to title matches (`w:*A`)
 * was tried and dropped: a weight is not in the GIN index, so every match's row was read to
 * check it (80 ms for a prefix found in 25,000 descriptions and no title).
 */
const DATASET_CANDIDATES = 200;

/**
 * Active datasets whose title, keywords or description have words beginning with each typed
 * word (`pharm` finds "pharmacies"), best matches first: the same folding and stemming as the
 * full-text search (French and Arabic), through the search vector's GIN index; at most
 * {@link DATASET_CANDIDATES} matches are ranked.
 */
export async function suggestDatasets(h: DbHandle, q: string, limit: number): Promise<Array<{ id: string; title: Record<string, string> }>> {
  const words = prefixWords(q);
  if (words.length === 0) return [];
  const res = await h.db.execute<{ id: string; title: Record<string, string> }>(sql`
    WITH q AS MATERIALIZED (${prefixQuery(words)}),
      c AS MATERIALIZED (SELECT d.id, d.title, d.search_vector FROM datasets d, q
        WHERE d.status = 'active' AND d.search_vector @@ q.tsq LIMIT ${DATASET_CANDIDATES})
    SELECT c.id, c.title FROM c, q
    ORDER BY pg_catalog.ts_rank(c.search_vector, q.tsq) DESC, c.id
    LIMIT ${limit}`);
  return res.rows;
}

/** `SELECT … AS tsq`: every typed word as a prefix (`w:*`), all of them, folded and stemmed as the search. */
function prefixQuery(words: string[]) {
  return sql`SELECT pg_catalog.to_tsquery('public.hasad_fr'::regconfig,
    (SELECT string_agg(w || ':*', ' & ') FROM pg_catalog.regexp_split_to_table(public.hasad_search_norm(${words.join(' ')}), '[[:space:]]+') AS w WHERE w <> '')) AS tsq`;
}
/** Datasets a keyword suggestion looks at while the vocabulary is empty: the first this many matching the typed prefixes (a bound on the work per keystroke). */
const KEYWORD_SAMPLE = 5000;

/**
 * Keywords beginning with what was typed (or with a word of it after a space), accents, case
 * and Arabic spelling folded, most used first: from the search vocabulary (search_keywords, a
 * scheduler tick stale at most), or, while it is empty (searchVocabularyReady), among the datasets whose words
 * begin so (found through the search vector's GIN index, at most {@link KEYWORD_SAMPLE} of them).
 */
export async function suggestKeywords(h: DbHandle, q: string, limit: number): Promise<Array<{ value: string; count: number }>> {
  const words = prefixWords(q);
  if (words.length === 0) return [];
  const typed = words.join(' ');
  if (await searchVocabularyReady(h)) {
    // The typed words are letters and digits only (prefixWords), so nothing in them is special to LIKE.
    const res = await h.db.execute<{ value: string; count: number }>(sql`
      WITH t AS (SELECT ${foldedWord(typed)} AS p)
      SELECT k.keyword AS value, k.datasets AS count FROM search_keywords k, t
      WHERE k.folded LIKE t.p || '%' OR k.folded LIKE '% ' || t.p || '%'
      ORDER BY k.datasets DESC, k.keyword LIMIT ${limit}`);
    return res.rows;
  }
  const res = await h.db.execute<{ value: string; count: number }>(sql`
    WITH q AS (${prefixQuery(words)}),
      c AS (SELECT d.keywords FROM datasets d, q WHERE d.status = 'active' AND d.search_vector @@ q.tsq LIMIT ${KEYWORD_SAMPLE}),
      t AS (SELECT pg_catalog.lower(public.hasad_unaccent(public.hasad_search_norm(${typed}))) AS p)
    SELECT k AS value, count(*)::int AS count FROM c, t, unnest(c.keywords) AS k
    WHERE pg_catalog.strpos(' ' || pg_catalog.lower(public.hasad_unaccent(public.hasad_search_norm(k))), ' ' || t.p) > 0
    GROUP BY k ORDER BY 2 DESC, 1 LIMIT ${limit}`);
  return res.rows;
}

/** Formats in use (as faceted: `CSV`, `GeoJSON`) beginning with `q`, case-insensitively, most used first. */
export async function suggestFormats(h: DbHandle, q: string, limit: number): Promise<string[]> {
  const res = await h.db.execute<{ format: string }>(sql`
    SELECT f AS format FROM datasets d, unnest(d.formats) AS f
    WHERE d.status = 'active' AND f ILIKE ${`${likeLiteral(q.trim())}%`}
    GROUP BY f ORDER BY count(*) DESC, f LIMIT ${limit}`);
  return res.rows.map((r) => r.format);
}

/** Organisations whose slug begins with `q` or whose name contains it, by name. */
export async function suggestOrganizations(h: DbHandle, q: string, limit: number): Promise<Array<{ id: string; slug: string; name: string }>> {
  const t = likeLiteral(q.trim());
  const res = await h.db.execute<{ id: string; slug: string; name: string }>(sql`
    SELECT id, slug, name FROM organizations
    WHERE slug ILIKE ${`${t}%`} OR name ILIKE ${`%${t}%`}
    ORDER BY name, slug LIMIT ${limit}`);
  return res.rows;
}

/** Ids of the active datasets whose id begins with these 8 hex digits (a range scan of the primary key). */
export async function activeDatasetIdsWithPrefix(h: DbHandle, prefix8: string): Promise<Array<{ id: string; title: unknown }>> {
  if (!/^[0-9a-f]{8}$/.test(prefix8)) return [];
  const res = await h.db.execute<{ id: string; title: unknown }>(sql`
    SELECT id, title FROM datasets
    WHERE id BETWEEN ${`${prefix8}-0000-0000-0000-000000000000`}::uuid AND ${`${prefix8}-ffff-ffff-ffff-ffffffffffff`}::uuid AND status = 'active'`);
  return res.rows;
}

/** Ids and titles of the active datasets in id order, a key that does not move when a dataset changes (`package_list`). */
export async function listActiveDatasetTitles(h: DbHandle, limit: number, offset: number): Promise<Array<{ id: string; title: unknown }>> {
  const res = await h.db.execute<{ id: string; title: unknown }>(sql`SELECT id, title FROM datasets WHERE status = 'active' ORDER BY id LIMIT ${limit} OFFSET ${offset}`);
  return res.rows;
}

/** The distinct keywords of active datasets, sorted; with `contains`, those holding it, case-insensitively (`tag_list`). */
export async function listActiveKeywords(h: DbHandle, contains?: string): Promise<string[]> {
  const q = contains ?? null;
  const res = await h.db.execute<{ tag: string }>(sql`
    SELECT DISTINCT k AS tag FROM datasets d, unnest(d.keywords) AS k
    WHERE d.status = 'active' AND (${q}::text IS NULL OR k ILIKE '%' || ${q}::text || '%') ORDER BY 1`);
  return res.rows.map((r) => r.tag);
}

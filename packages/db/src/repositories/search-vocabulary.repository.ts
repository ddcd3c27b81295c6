import { sql } from 'drizzle-orm';
import type { Db, DbHandle } from '../client.ts';
import { catalogueVersion } from './datasets.repository.ts';

/**
 * The search vocabulary (migration 0016): the distinct words of the active datasets' titles and
 * their keywords, folded as the search folds them, with dataset counts. Suggestions and the typo
 * retry read it instead of every dataset; it is recomputed whole, in one transaction, by
 * {@link refreshSearchVocabulary} (the scheduler, when the catalogue changed since the last time,
 * at most once per HASAD_SEARCH_VOCABULARY_MIN_INTERVAL_MS), so it may lag the catalogue by that
 * interval and one scheduler tick.
 */

/** `w` folded as the vocabulary holds words: the search's own normalisation (Arabic), unaccented, lower-cased. */
export const foldedWord = (w: unknown) => sql`pg_catalog.lower(public.hasad_unaccent(public.hasad_search_norm(${w})))`;

/** Key of the transaction-level advisory lock one refresh holds (several schedulers may tick at once). */
const REFRESH_LOCK = 0x5e_a2_c4_01;

export interface VocabularyRefresh {
  /** false when another refresh held the lock (it computes the same rows). */
  refreshed: boolean;
  words: number;
  keywords: number;
}

/**
 * Recomputes the vocabulary from the active datasets, in one transaction (readers see the old
 * rows until it commits). Each distinct raw word and keyword is folded once, not once per
 * occurrence. Title words are the runs of letters and digits of every language's title, three
 * characters or more and not only digits (what a user may misspell); counts are of datasets.
 * About 5 s at 200,000 datasets (4.7–6.3 s measured; docs/benchmarks.md).
 */
export async function refreshSearchVocabulary(h: DbHandle, catalogue?: string): Promise<VocabularyRefresh> {
  const version = catalogue ?? (await catalogueVersion(h)).data;
  return h.db.transaction(async (tx) => {
    const lock = await tx.execute<{ ok: boolean }>(sql`SELECT pg_try_advisory_xact_lock(${REFRESH_LOCK}) AS ok`);
    if (!lock.rows[0]?.ok) return { refreshed: false, words: 0, keywords: 0 };
    await tx.execute(sql`SELECT set_config('work_mem', '64MB', true), set_config('jit', 'off', true)`);
    await tx.execute(sql`DELETE FROM search_words`);
    await tx.execute(sql`DELETE FROM search_keywords`);
    // Words are made distinct per title first (a small DISTINCT per row, not one over millions
    // of (dataset, word) pairs), counted per raw word, and only then folded: once per distinct
    // raw word (the MATERIALIZED fences keep PostgreSQL from folding per occurrence). A title
    // with two spellings of one folded word (données, donnees) counts twice for it.
    const words = await tx.execute(sql`
      WITH c AS MATERIALIZED (
          SELECT x.w, count(*) AS n
          FROM datasets d, LATERAL (
            SELECT DISTINCT w FROM pg_catalog.regexp_split_to_table(pg_catalog.lower(pg_catalog.array_to_string(public.hasad_strings(d.title), ' ')), '[^[:alnum:]]+') AS w
            WHERE pg_catalog.length(w) >= 3 AND w !~ '^[0-9]+$') x
          WHERE d.status = 'active'
          GROUP BY x.w),
        f AS MATERIALIZED (SELECT ${foldedWord(sql`c.w`)} AS f, c.n FROM c)
      INSERT INTO search_words (word, datasets)
      SELECT f.f, sum(f.n) FROM f
      WHERE pg_catalog.length(f.f) >= 3 AND f.f !~ '^[0-9]+$'
      GROUP BY f.f`);
    const keywords = await tx.execute(sql`
      INSERT INTO search_keywords (keyword, folded, datasets)
      SELECT k, ${foldedWord(sql`k`)}, n
      FROM (SELECT k, count(*) AS n FROM datasets d, unnest(d.keywords) AS k WHERE d.status = 'active' GROUP BY k) c`);
    await tx.execute(sql`
      INSERT INTO search_vocabulary_state (id, catalogue, refreshed_at) VALUES (1, ${version}, now())
      ON CONFLICT (id) DO UPDATE SET catalogue = excluded.catalogue, refreshed_at = excluded.refreshed_at`);
    return { refreshed: true, words: words.rowCount ?? 0, keywords: keywords.rowCount ?? 0 };
  });
}

/**
 * Refreshes the vocabulary when the catalogue changed since it was computed (catalogueVersion:
 * dataset writes, change-feed rows, sources or organisations created, changed or deleted).
 * Returns the refresh, or undefined when nothing changed.
 */
export async function refreshSearchVocabularyIfChanged(h: DbHandle, opts: { minIntervalMs?: number } = {}): Promise<VocabularyRefresh | undefined> {
  const { data } = await catalogueVersion(h);
  // `recent`: computed (by any scheduler) less than minIntervalMs ago, so a change waits.
  const state = await h.db.execute<{ catalogue: string; recent: boolean }>(sql`
    SELECT catalogue, refreshed_at > pg_catalog.clock_timestamp() - pg_catalog.make_interval(secs => ${(opts.minIntervalMs ?? 0) / 1000}) AS recent
    FROM search_vocabulary_state WHERE id = 1`);
  if (state.rows[0]?.catalogue === data || state.rows[0]?.recent) return undefined;
  return refreshSearchVocabulary(h, data);
}

/** Databases whose vocabulary was seen holding words: one look per pool suffices (it empties again only when no dataset is active). */
const ready = new WeakMap<Db, true>();

/**
 * Whether the vocabulary holds anything, else suggestions and typo retries fall back to the
 * datasets themselves: before the first refresh, and after a first refresh that found no
 * dataset (the scheduler starts before the first harvest has loaded anything).
 */
export async function searchVocabularyReady(h: DbHandle): Promise<boolean> {
  if (ready.has(h.db)) return true;
  const res = await h.db.execute<{ ok: boolean }>(sql`SELECT EXISTS (SELECT 1 FROM search_words) OR EXISTS (SELECT 1 FROM search_keywords) AS ok`);
  if (res.rows[0]?.ok) ready.set(h.db, true);
  return res.rows[0]?.ok === true;
}

/** Similarity (pg_trgm similarity(), 0..1) a vocabulary word needs to stand for a typed one. */
const CORRECTION_THRESHOLD = 0.3;

/**
 * `q` with each word the vocabulary does not hold (three letters or more) replaced by the
 * vocabulary's most similar word (pg_trgm similarity ≥ {@link CORRECTION_THRESHOLD}; the word in
 * most titles among equals), folded: `consomation electricte` → `consommation electricite`.
 * Words with nothing alike are kept as typed. Returns undefined when the vocabulary is empty
 * (searchVocabularyReady), and `q`'s words unchanged when nothing was corrected (`changed` false).
 */
export async function correctQuery(h: DbHandle, q: string): Promise<{ q: string; changed: boolean } | undefined> {
  if (!(await searchVocabularyReady(h))) return undefined;
  const words = (q.normalize('NFC').match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 8);
  if (words.length === 0) return { q, changed: false };
  const res = await h.db.transaction(async (tx) => {
    await tx.execute(sql`SELECT set_config('pg_trgm.similarity_threshold', ${String(CORRECTION_THRESHOLD)}, true)`);
    return tx.execute<{ i: number; typed: string; word: string | null }>(sql`
      SELECT t.i::int AS i, t.f AS typed,
        CASE WHEN pg_catalog.length(t.f) < 3 OR EXISTS (SELECT 1 FROM search_words s WHERE s.word = t.f) THEN t.f
          ELSE (SELECT s.word FROM search_words s WHERE s.word OPERATOR(public.%) t.f
                ORDER BY public.similarity(s.word, t.f) DESC, s.datasets DESC, s.word LIMIT 1) END AS word
      FROM (SELECT i, ${foldedWord(sql`w`)} AS f FROM unnest(${sql.param(words)}::text[]) WITH ORDINALITY AS u(w, i)) t
      ORDER BY t.i`);
  });
  const corrected = res.rows.map((r) => r.word ?? r.typed);
  return { q: corrected.join(' '), changed: res.rows.some((r) => r.word !== null && r.word !== r.typed) };
}

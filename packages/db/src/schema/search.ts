import { check, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

/**
 * The search vocabulary (search-vocabulary.repository.ts): what suggestions and the typo retry
 * look words up in instead of every dataset. Computed from the active datasets by
 * refreshSearchVocabulary (the scheduler's periodic tick, when the catalogue changed); a tick
 * stale at most. Nothing else writes it.
 */

/**
 * The distinct words (three characters or more, not only digits) of the active datasets' titles
 * in every language, folded as the search folds a query before stemming (hasad_search_norm,
 * accents and case: `lower(hasad_unaccent(hasad_search_norm(w)))`), with the number of active
 * datasets whose title has the word.
 */
export const searchWords = pgTable(
  'search_words',
  {
    word: text().primaryKey(),
    datasets: integer().notNull(),
  },
  // Spelling correction: the words most like a typed one (pg_trgm `%`, similarity()).
  (t) => [index('search_words_trgm_idx').using('gin', t.word.op('gin_trgm_ops'))],
);

/** The distinct keywords of the active datasets as written, their folded form (as search_words) and how many active datasets have each. */
export const searchKeywords = pgTable(
  'search_keywords',
  {
    keyword: text().primaryKey(),
    folded: text().notNull(),
    datasets: integer().notNull(),
  },
  // Keyword suggestions: `folded LIKE 'p%' OR folded LIKE '% p%'` (a word of the keyword beginning so).
  (t) => [index('search_keywords_folded_trgm_idx').using('gin', t.folded.op('gin_trgm_ops'))],
);

/** One row once the vocabulary was first computed: the catalogue version it was computed from (catalogueVersion's `data` token) and when. */
export const searchVocabularyState = pgTable(
  'search_vocabulary_state',
  {
    id: integer().primaryKey().default(1),
    catalogue: text().notNull(),
    refreshedAt: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [check('search_vocabulary_state_one_row', sql`${t.id} = 1`)],
);

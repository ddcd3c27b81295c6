import { sql } from 'drizzle-orm';
import { bigint, bigserial, customType, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { organizations } from './organizations.ts';
import { sources } from './sources.ts';

/** Raw bytes (drizzle 0.45 has no bytea builder); only the loader's own SQL writes it. */
const bytea = customType<{ data: Buffer }>({
  dataType: () => 'bytea',
});

/** PostgreSQL's tsvector; only ever written by PostgreSQL itself (generated column). */
const tsvector = customType<{ data: string }>({
  dataType: () => 'tsvector',
});

/**
 * The unified catalogue: one row per (source, source identifier). `record` holds the whole
 * canonical record; the other columns are what listing, filtering and change detection need.
 */
export const datasets = pgTable(
  'datasets',
  {
    id: uuid().primaryKey().defaultRandom(),
    sourceId: uuid().notNull().references(() => sources.id, { onDelete: 'cascade' }),
    organizationId: uuid().notNull().references(() => organizations.id),
    sourceIdentifier: text().notNull(),
    uri: text(),
    title: jsonb().notNull(),
    record: jsonb().notNull(),
    /** Hash of the canonical record: equal hash = nothing to write. */
    contentHash: text().notNull(),
    /**
     * The source's own description of the dataset (CanonicalDataset.sourceDescription), kept out
     * of `record` so that listings and searches do not carry it: its media type and its text.
     * lz4-compressed by PostgreSQL when the row outgrows the TOAST target (migration 0013).
     */
    sourceFormat: text(),
    /** Rows written before migration 0017 (and jobs queued before it): the description as text. */
    sourceDescription: text(),
    /**
     * The description's UTF-8 text, compressed once by the fetcher (migration 0017; named when raw
     * deflate was the only codec: since 2026-12-07 a zstd frame on Node 24, still raw deflate on Node
     * 20 and in rows written before, told apart by @hasad/core's decompressDescription). What the
     * loader writes; readers decompress it. Carried and stored compressed because its 3-4 KB of
     * N-Triples text, carried as JSON through Redis and PostgreSQL, was most of what keeping it
     * cost (docs/benchmarks.md, "What the kept description costs").
     */
    sourceDescriptionDeflated: bytea(),
    modifiedAt: timestamp({ withTimezone: true }),
    /** active | withdrawn (soft delete; restored when the dataset reappears). */
    status: text().notNull().default('active'),
    createdRun: uuid().notNull(),
    /** The last run that created, changed or restored the row. */
    changedRun: uuid().notNull(),
    withdrawnRun: uuid(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    withdrawnAt: timestamp({ withTimezone: true }),
    // Search and facet columns, derived from `record`. The loader computes them in the same
    // statement as its upsert (see load.repository.ts); for any other writer (a fixture, a hand
    // fix) a trigger fills them in with the SQL functions of migration 0002_search_functions,
    // which compute the same values. Not generated columns: PostgreSQL computes those before
    // the ON CONFLICT check, i.e. for unchanged records too, and per-row SQL function calls
    // cost the loader about 100 µs a row (measured).
    /** Title (A), keywords (B), description (C) of every language: French stems, accents and Arabic variants folded. */
    searchVector: tsvector(),
    /** dcat:theme URIs (or labels). */
    themes: text().array(),
    /** Distribution formats as the facet shows them (`CSV`). */
    formats: text().array(),
    /** Keywords of every language. */
    keywords: text().array(),
    license: text(),
    /** dct:language and the languages of title and description, as primary subtags (`fr`, `ar`). */
    languages: text().array(),
    /** Sort key of `sort=title`. */
    titleSort: text(),
    // Grouping keys of the facets: a search groups its matches by two 64-bit integers instead
    // of by the arrays themselves (hashing text arrays was most of a search's facet cost), then
    // reads each group's values from one of its rows. Generated columns: computed only for the
    // rows a writer actually writes (the loader skips unchanged records before its INSERT).
    // Never read by the application (mode 'number' would round them).
    // PostgreSQL's own hash functions (about 1 µs a row written; the SQL-function version of
    // migration 0008 cost about 5 µs), 64 bits.
    /** Hash of organisation, themes, formats, licence and languages (migration 0010). */
    facetKey: bigint({ mode: 'number' }).generatedAlwaysAs(sql`hash_record_extended(ROW(organization_id, themes, formats, license, languages), 0)`),
    /** Hash of the keyword list. */
    keywordsKey: bigint({ mode: 'number' }).generatedAlwaysAs(sql`hash_array_extended(keywords, 0)`),
    /**
     * Metadata quality (@hasad/quality `DatasetQuality`): computed by the loader with each write
     * of the record, and again by the link check for the datasets whose URLs it checked. Null
     * for rows written before migration 0007 until `hasad quality rescore`.
     */
    qualityScore: integer(),
    quality: jsonb(),
  },
  (t) => [
    uniqueIndex('datasets_source_identifier_key').on(t.sourceId, t.sourceIdentifier),
    index('datasets_org_idx').on(t.organizationId),
    index('datasets_uri_idx').on(t.uri),
    index('datasets_changed_run_idx').on(t.changedRun),
    index('datasets_listing_idx').on(t.status, t.updatedAt),
    index('datasets_search_idx').using('gin', t.searchVector),
    index('datasets_themes_idx').using('gin', t.themes),
    index('datasets_formats_idx').using('gin', t.formats),
    index('datasets_keywords_idx').using('gin', t.keywords),
    index('datasets_license_idx').on(t.license),
    index('datasets_modified_idx').on(t.modifiedAt),
    // The catalogue's last change (Last-Modified, ETag) in one index probe.
    index('datasets_updated_idx').on(t.updatedAt),
    // Typo-tolerant search (`q <% title_sort`, pg_trgm word similarity) when the exact search
    // finds nothing; title_sort is already lower-cased and unaccented (migration 0014).
    index('datasets_title_trgm_idx').using('gin', t.titleSort.op('gin_trgm_ops')),
  ],
);

/** PostgreSQL's 64-bit transaction id, as text (`pg_current_xact_id()`). */
const xid8 = customType<{ data: string }>({
  dataType: () => 'xid8',
});

/**
 * The change feed: one row per dataset created, updated, withdrawn or restored, written in the
 * same transaction (and statement) as the change itself. Unchanged records write none.
 * No foreign keys: they would add a per-row trigger to the loader's hot path, and the feed
 * keeps the history of datasets deleted with their source.
 */
export const datasetChanges = pgTable(
  'dataset_changes',
  {
    seq: bigserial({ mode: 'number' }).primaryKey(),
    /**
     * The writing transaction. The feed orders by (txid, seq) and shows only rows of
     * transactions older than every transaction still running, so that a row can never
     * appear behind a cursor a reader already holds (see changes.repository.ts).
     */
    txid: xid8().notNull().default(sql`pg_current_xact_id()`),
    datasetId: uuid().notNull(),
    sourceId: uuid().notNull(),
    /** The run that made the change. */
    runId: uuid(),
    /** created | updated | withdrawn | restored */
    kind: text().notNull(),
    at: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('dataset_changes_feed_idx').on(t.txid, t.seq), index('dataset_changes_at_idx').on(t.at)],
);

/**
 * The last change-feed position pruned (HASAD_CHANGES_RETENTION_DAYS): a cursor before it has
 * expired; a reader from the beginning starts there. One row at most (migration 0012).
 */
export const changeFeedHorizon = pgTable('change_feed_horizon', {
  id: integer().primaryKey().default(1),
  txid: xid8().notNull(),
  seq: bigint({ mode: 'number' }).notNull(),
  prunedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

export const DATASET_STATUS = ['active', 'withdrawn'] as const;
export type DatasetStatus = (typeof DATASET_STATUS)[number];

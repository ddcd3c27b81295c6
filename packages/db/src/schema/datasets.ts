import { sql } from 'drizzle-orm';
import { customType, index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { organizations } from './organizations.ts';
import { sources } from './sources.ts';

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
    // Search and facet columns, computed by PostgreSQL from `record` (functions of migration
    // 0002_search_functions), so that every writer — the loader, a fixture, a hand fix —
    // keeps them right. Nobody writes them; drizzle leaves them out of inserts.
    /** Title (A), keywords (B), description (C) of every language: French stems, accents and Arabic variants folded. */
    searchVector: tsvector().generatedAlwaysAs(sql`hasad_search_vector(record->'title', record->'keywords', record->'description')`),
    /** dcat:theme URIs (or labels). */
    themes: text().array().generatedAlwaysAs(sql`hasad_text_array(record->'themes')`),
    /** Distribution formats as the facet shows them (`CSV`). */
    formats: text().array().generatedAlwaysAs(sql`hasad_formats(record->'distributions')`),
    /** Keywords of every language. */
    keywords: text().array().generatedAlwaysAs(sql`hasad_keywords(record->'keywords')`),
    license: text().generatedAlwaysAs(sql`record->>'license'`),
    /** dct:language and the languages of title and description, as primary subtags (`fr`, `ar`). */
    languages: text().array().generatedAlwaysAs(sql`hasad_languages(record)`),
    /** Sort key of `sort=title`. */
    titleSort: text().generatedAlwaysAs(sql`hasad_title_sort(record->'title')`),
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
    // The loader tells `restored` from `updated` with it; withdrawn rows are few.
    index('datasets_withdrawn_idx').on(t.sourceId).where(sql`status = 'withdrawn'`),
  ],
);

export const DATASET_STATUS = ['active', 'withdrawn'] as const;
export type DatasetStatus = (typeof DATASET_STATUS)[number];

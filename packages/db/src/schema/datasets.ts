import { index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { organizations } from './organizations.ts';
import { sources } from './sources.ts';

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
  },
  (t) => [
    uniqueIndex('datasets_source_identifier_key').on(t.sourceId, t.sourceIdentifier),
    index('datasets_org_idx').on(t.organizationId),
    index('datasets_uri_idx').on(t.uri),
    index('datasets_changed_run_idx').on(t.changedRun),
    index('datasets_listing_idx').on(t.status, t.updatedAt),
  ],
);

export const DATASET_STATUS = ['active', 'withdrawn'] as const;
export type DatasetStatus = (typeof DATASET_STATUS)[number];

import { boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { sources } from './sources.ts';

/**
 * The latest link check of each distribution URL of a source (access and download URLs
 * alike): a sample of them is checked after each complete run (`links.check` job). Kept per
 * (source, URL): the same URL listed by two sources is checked for each, under its politeness.
 */
export const linkChecks = pgTable(
  'link_checks',
  {
    sourceId: uuid().notNull().references(() => sources.id, { onDelete: 'cascade' }),
    url: text().notNull(),
    /** A dataset that lists the URL (as an example; no foreign key, the dataset may go). */
    datasetId: uuid(),
    /** True when the URL answered 2xx (after redirects) to HEAD or to a ranged GET. */
    ok: boolean().notNull(),
    /** The last HTTP status received; null when no answer came (refused address, DNS, timeout). */
    httpStatus: integer(),
    /** HEAD, or GET when HEAD was refused (405, 501…) and a ranged GET was tried. */
    method: text().notNull(),
    /** Why it failed, in words (status, error message); null when ok. */
    error: text(),
    durationMs: integer().notNull(),
    /** The harvest run after which it was checked. */
    runId: uuid(),
    checkedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.sourceId, t.url] }), index('link_checks_source_checked_idx').on(t.sourceId, t.checkedAt)],
);

/**
 * A source's quality (`SourceQuality` of quality.repository.ts), aggregated over its datasets
 * by the link-check job that follows each complete run, and read as is by the API and the
 * dashboard: computing it on read took seconds for a source of 100 000 datasets (README).
 */
export const sourceQuality = pgTable('source_quality', {
  sourceId: uuid()
    .primaryKey()
    .references(() => sources.id, { onDelete: 'cascade' }),
  quality: jsonb().notNull(),
  /** The run after which it was computed; null when computed on demand. */
  runId: uuid(),
  computedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

import { sql } from 'drizzle-orm';
import { boolean, integer, jsonb, pgTable, primaryKey, real, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { organizations } from './organizations.ts';

/** A feed registered by an institution: where to fetch, how to read it, when. */
export const sources = pgTable('sources', {
  id: uuid().primaryKey().defaultRandom(),
  organizationId: uuid().notNull().references(() => organizations.id),
  kind: text().notNull(),
  url: text().notNull(),
  title: text(),
  config: jsonb().notNull().default(sql`'{}'::jsonb`),
  /** Cron expression (5 or 6 fields) or an interval such as `30m`, `6h`, `1d`; null = manual only. */
  schedule: text(),
  /** IANA time zone the cron expression is read in. */
  timezone: text().notNull().default('Africa/Casablanca'),
  enabled: boolean().notNull().default(true),
  /** Share (0..1) of the source's active datasets a complete run may withdraw before it needs review; null = global default. */
  withdrawThreshold: real(),
  /**
   * pending | approved | rejected. Only approved sources are scheduled or harvested. The
   * column default is `approved` because the rows that predate the review workflow, and the
   * sources an operator adds with the CLI, are operator actions; the API sets `pending`
   * explicitly for a source registered by an organisation that is not trusted.
   */
  approvalStatus: text().notNull().default('approved'),
  /** Who reviewed the source last (the operator token's name), when, and what they said. */
  reviewedBy: text(),
  reviewedAt: timestamp({ withTimezone: true }),
  reviewComment: text(),
  /** Set when the source was deleted through the API: kept (its runs and withdrawn datasets stay), never scheduled, hidden from listings. */
  deletedAt: timestamp({ withTimezone: true }),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

/**
 * What the last successful run learnt about each page URL of a source: the validators for
 * conditional requests, the next page (so a 304 can be followed without parsing), and the
 * identifiers the page held (so a 304 page's datasets count as seen).
 */
export const sourcePages = pgTable(
  'source_pages',
  {
    sourceId: uuid().notNull().references(() => sources.id, { onDelete: 'cascade' }),
    url: text().notNull(),
    etag: text(),
    lastModified: text(),
    nextUrl: text(),
    /** Hash of the page body (and the mapper version): identical bytes need no parsing. */
    bodyHash: text(),
    identifiers: text().array().notNull(),
    runId: uuid().notNull(),
    pageNo: integer().notNull(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.sourceId, t.url] })],
);

import { sql } from 'drizzle-orm';
import { bigserial, boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { sources } from './sources.ts';

/**
 * One harvest of one source. PostgreSQL is the source of truth for its state; the
 * checkpoint columns (`nextPageNo`, `nextUrl`) let a crashed run resume instead of restart.
 */
export const runs = pgTable(
  'runs',
  {
    id: uuid().primaryKey().defaultRandom(),
    sourceId: uuid().notNull().references(() => sources.id, { onDelete: 'cascade' }),
    /** queued | running | succeeded | unchanged | needs_review | failed | cancelled */
    status: text().notNull().default('queued'),
    /** schedule | manual | repair | demo */
    trigger: text().notNull(),
    /** The BullMQ job that holds the run (harvest queue), for the reconciler. */
    jobId: text(),
    /** How many times a fetcher picked the run up (1 = first attempt). */
    attempts: integer().notNull().default(0),
    nextPageNo: integer().notNull().default(1),
    nextUrl: text(),
    /** True once every page was fetched (or the run failed): the run may be finalised when its batches are loaded. */
    fetchDone: boolean().notNull().default(false),
    pagesTotal: integer(),
    pagesFetched: integer().notNull().default(0),
    pagesNotModified: integer().notNull().default(0),
    bytes: integer().notNull().default(0),
    seen: integer().notNull().default(0),
    created: integer().notNull().default(0),
    updated: integer().notNull().default(0),
    unchanged: integer().notNull().default(0),
    withdrawn: integer().notNull().default(0),
    invalid: integer().notNull().default(0),
    /** How many datasets the run would have withdrawn (set when it ends `needs_review`). */
    pendingWithdrawals: integer(),
    errorCode: text(),
    error: text(),
    /** Extra detail for the report: why needs_review, paging notes, format. */
    details: jsonb().notNull().default(sql`'{}'::jsonb`),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp({ withTimezone: true }),
    /** Moved by the fetcher after each page (and by claims, repairs, finalise); the reconciler reads it. */
    heartbeatAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    index('runs_source_created_idx').on(t.sourceId, t.createdAt),
    // At most one live run per source: the database, not the queue, has the last word.
    uniqueIndex('runs_one_live_per_source').on(t.sourceId).where(sql`status in ('queued', 'running')`),
  ],
);

/** Every page a run dealt with, written by the fetcher once all of the page's batches are enqueued (or on 304). */
export const runPages = pgTable(
  'run_pages',
  {
    runId: uuid().notNull().references(() => runs.id, { onDelete: 'cascade' }),
    pageNo: integer().notNull(),
    url: text().notNull(),
    notModified: boolean().notNull(),
    etag: text(),
    lastModified: text(),
    nextUrl: text(),
    bodyHash: text(),
    batchCount: integer().notNull(),
    recordCount: integer().notNull(),
    bytes: integer().notNull().default(0),
    fetchedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.pageNo] })],
);

/**
 * Every batch the loader committed, with the identifiers it saw. Written in the same
 * transaction as the dataset upsert, so "loaded" and "recorded as loaded" never disagree.
 * A 304 page gets one batch row (batch_no -1) carrying the identifiers the page held before.
 */
export const runBatches = pgTable(
  'run_batches',
  {
    runId: uuid().notNull().references(() => runs.id, { onDelete: 'cascade' }),
    pageNo: integer().notNull(),
    batchNo: integer().notNull(),
    identifiers: text().array().notNull(),
    recordCount: integer().notNull(),
    loadedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.runId, t.pageNo, t.batchNo] })],
);

/** Per-record (and per-page) problems of a run. */
export const runProblems = pgTable(
  'run_problems',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    runId: uuid().notNull().references(() => runs.id, { onDelete: 'cascade' }),
    pageNo: integer().notNull(),
    batchNo: integer().notNull(),
    severity: text().notNull(),
    code: text().notNull(),
    message: text().notNull(),
    identifier: text(),
    field: text(),
  },
  (t) => [index('run_problems_run_idx').on(t.runId, t.pageNo, t.batchNo)],
);

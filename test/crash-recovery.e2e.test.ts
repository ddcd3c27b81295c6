import { afterAll, afterEach, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import type pg from 'pg';
import { createDb, createOrganization, createSource, type DbHandle, type Run } from '@hasad/db';
import { triggerHarvest, waitForRun } from '@hasad/cli';
import { datasetIdentifier, FeedServer } from '@hasad/testkit';
import { testEnv } from './helpers/pipeline.ts';
import { describeProcesses, killAllRoles, startRoleProcess, type RoleProcess } from './helpers/processes.ts';
import { mountSlowCatalog, type SlowCatalog } from './helpers/slow-feed.ts';
import { waitUntil } from './helpers/wait.ts';

// Fetcher and loader each in their own process, SIGKILLed in the middle of a harvest: no
// shutdown hook runs, BullMQ's stalled-job detection hands the job to the next worker after
// about one lock period, and the run must converge on exactly the feed's datasets.
const DATASETS = 6_000;
const PAGE_SIZE = 200;
const PAGES = DATASETS / PAGE_SIZE;
// Slow enough that the kill lands mid-run, fast enough that the whole file stays well under 90 s.
const SLOW_MS = 100;
const FAST_MS = 5;

interface Case {
  env: Awaited<ReturnType<typeof testEnv>>;
  h: DbHandle;
  sourceId: string;
  feed: SlowCatalog;
  procs: RoleProcess[];
  start(role: 'fetcher' | 'loader'): RoleProcess;
  harvest(): Promise<Run>;
  state(runId: string): Promise<{ pagesFetched: number; fetchDone: boolean; finished: boolean; batchesLoaded: number; datasets: number; recordsInBatches: number }>;
  /** The source's active rows as a sorted list of identifiers, and the total row count (any status, duplicates included). */
  catalogue(): Promise<{ identifiers: string[]; rows: number }>;
  logs(): string;
}

let server: FeedServer;
let current: Case | undefined;

beforeAll(async () => {
  server = await FeedServer.start();
});
afterEach(async () => {
  await killAllRoles();
  const c = current;
  current = undefined;
  await c?.h.close();
  await c?.env.cleanup();
});
afterAll(async () => {
  await killAllRoles();
  await server?.close();
});

/** A fresh database and queue prefix, a slow 6 000-dataset feed and its source; prints the workers' output if the test fails. */
async function newCase(name: string, ctx: TestContext): Promise<Case> {
  const env = await testEnv({ HASAD_LOCK_DURATION_MS: '3000', HASAD_FETCHER_CONCURRENCY: '1', LOG_LEVEL: 'warn' });
  const h = createDb(env.config.DATABASE_URL, { max: 4, applicationName: 'hasad-test' });
  const procs: RoleProcess[] = [];
  const feed = mountSlowCatalog(server, `/${name}`, { datasets: DATASETS, pageSize: PAGE_SIZE }, SLOW_MS);
  const c: Case = {
    env,
    h,
    feed,
    procs,
    sourceId: '',
    start(role) {
      const p = startRoleProcess(role, env.env);
      procs.push(p);
      return p;
    },
    harvest: () => triggerHarvest(h, env.config, c.sourceId, 'manual'),
    async state(runId) {
      const r = await h.pool.query(
        `SELECT r.pages_fetched, r.fetch_done, r.finished_at IS NOT NULL AS finished,
           (SELECT count(*)::int FROM run_batches b WHERE b.run_id = r.id) AS batches,
           (SELECT coalesce(sum(record_count), 0)::int FROM run_batches b WHERE b.run_id = r.id) AS records,
           (SELECT count(*)::int FROM datasets d WHERE d.source_id = r.source_id) AS datasets
         FROM runs r WHERE r.id = $1`,
        [runId],
      );
      const row = r.rows[0];
      return { pagesFetched: row.pages_fetched, fetchDone: row.fetch_done, finished: row.finished, batchesLoaded: row.batches, recordsInBatches: row.records, datasets: row.datasets };
    },
    async catalogue() {
      const active = await h.pool.query(`SELECT source_identifier FROM datasets WHERE source_id = $1 AND status = 'active' ORDER BY source_identifier`, [c.sourceId]);
      const all = await h.pool.query(`SELECT count(*)::int AS n FROM datasets WHERE source_id = $1`, [c.sourceId]);
      return { identifiers: active.rows.map((r) => r.source_identifier), rows: all.rows[0].n };
    },
    logs: () => describeProcesses(procs),
  };
  current = c;
  ctx.onTestFailed(() => {
    process.stderr.write(`\nworker output for ${ctx.task.name}:\n${c.logs()}\n`);
  });
  const org = await createOrganization(h.db, { slug: name, name: 'Haut-Commissariat au Plan' });
  c.sourceId = (await createSource(h.db, { organizationId: org.id, kind: 'dcat', url: feed.url })).id;
  return c;
}

const ALL_IDENTIFIERS = Array.from({ length: DATASETS }, (_, i) => datasetIdentifier(i)).sort();

/** What an operator checks after the crash: the run succeeded with the feed's counts and the catalogue holds each dataset exactly once. */
async function expectCompleteCatalogue(c: Case, run: Run) {
  expect(run, c.logs()).toMatchObject({ status: 'succeeded', seen: DATASETS, created: DATASETS, updated: 0, withdrawn: 0, invalid: 0, pagesFetched: PAGES, errorCode: null });
  const cat = await c.catalogue();
  expect(cat.rows).toBe(DATASETS);
  expect(cat.identifiers).toEqual(ALL_IDENTIFIERS);
}

/**
 * Holds an EXCLUSIVE lock on run_batches, so the loader blocks inside its batch transaction
 * (after upserting the datasets, before recording the batch) until `release()`. A loader
 * killed in that state has a batch in flight whose rows must be rolled back and loaded again.
 */
async function holdBatchTable(h: DbHandle): Promise<{ release(): Promise<void> }> {
  const client: pg.PoolClient = await h.pool.connect();
  await client.query('BEGIN');
  await client.query('LOCK TABLE run_batches IN EXCLUSIVE MODE');
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      await client.query('ROLLBACK');
      client.release();
    },
  };
}

/** Backends of the loader's pool that are waiting for a lock (i.e. blocked mid-batch by holdBatchTable). */
async function loaderBackends(h: DbHandle): Promise<{ total: number; waiting: number }> {
  const r = await h.pool.query(
    `SELECT count(*)::int AS total, count(*) FILTER (WHERE wait_event_type = 'Lock')::int AS waiting
     FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'hasad-loader'`,
  );
  return r.rows[0];
}

describe('a worker killed with SIGKILL in the middle of a 6 000-dataset harvest', () => {
  it('fetcher killed: a new fetcher takes the job over and resumes at the checkpoint; every dataset exactly once', async (ctx) => {
    const c = await newCase('crash-fetcher', ctx);
    const fetcher = c.start('fetcher');
    c.start('loader');
    const run = await c.harvest();
    const before = await waitUntil('a few checkpointed pages', () => c.state(run.id), (s) => s.pagesFetched >= 4, { context: c.logs });
    await fetcher.kill();
    const atKill = await c.state(run.id);
    expect(atKill.fetchDone, 'the kill must land before the last page').toBe(false);
    expect(atKill.pagesFetched).toBeLessThan(PAGES);

    c.feed.delayMs = FAST_MS;
    c.start('fetcher');
    const done = await waitForRun(c.h, run.id, 60_000);
    await expectCompleteCatalogue(c, done);
    // The replacement claimed the same run (a second attempt), not a new one.
    expect(done.attempts).toBeGreaterThanOrEqual(2);
    const runs = await c.h.pool.query('SELECT count(*)::int AS n FROM runs WHERE source_id = $1', [c.sourceId]);
    expect(runs.rows[0].n).toBe(1);
    // Resumed from the checkpoint: the institution was not asked again for pages already checkpointed.
    for (let n = 1; n <= before.pagesFetched; n++) expect(c.feed.requestsFor(n), `page ${n}`).toBe(1);
  });

  it('loader killed inside a batch transaction: the batch is rolled back, re-delivered and loaded once', async (ctx) => {
    const c = await newCase('crash-loader', ctx);
    c.start('fetcher');
    const loader = c.start('loader');
    const run = await c.harvest();
    await waitUntil('a few loaded batches', () => c.state(run.id), (s) => s.batchesLoaded >= 3, { context: c.logs });

    const lock = await holdBatchTable(c.h);
    try {
      await waitUntil('the loader blocked mid-batch', () => loaderBackends(c.h), (b) => b.waiting >= 1, { context: c.logs });
      await loader.kill();
    } finally {
      await lock.release();
    }
    // Once the killed loader's connections are gone, its open transactions are rolled back.
    await waitUntil('the killed loader to leave PostgreSQL', () => loaderBackends(c.h), (b) => b.total === 0);
    const afterKill = await c.state(run.id);
    expect(afterKill.finished).toBe(false);
    // Rows and "recorded as loaded" agree: nothing of the interrupted batch was committed.
    expect(afterKill.datasets).toBe(afterKill.recordsInBatches);
    expect(afterKill.batchesLoaded).toBeLessThan(PAGES);

    c.feed.delayMs = FAST_MS;
    c.start('loader');
    const done = await waitForRun(c.h, run.id, 60_000);
    await expectCompleteCatalogue(c, done);
    // The fetcher was never interrupted: one attempt, and the institution was asked for each page once.
    expect(done.attempts).toBe(1);
    for (let n = 1; n <= PAGES; n++) expect(c.feed.requestsFor(n), `page ${n}`).toBe(1);
  });

  it('fetcher and loader killed together: both replacements finish the same run', async (ctx) => {
    const c = await newCase('crash-both', ctx);
    const fetcher = c.start('fetcher');
    const loader = c.start('loader');
    const run = await c.harvest();
    await waitUntil('a few checkpointed pages', () => c.state(run.id), (s) => s.pagesFetched >= 4 && s.batchesLoaded >= 2, { context: c.logs });

    const lock = await holdBatchTable(c.h);
    try {
      await waitUntil('the loader blocked mid-batch', () => loaderBackends(c.h), (b) => b.waiting >= 1, { context: c.logs });
      await Promise.all([fetcher.kill(), loader.kill()]);
    } finally {
      await lock.release();
    }
    const atKill = await c.state(run.id);
    expect(atKill.fetchDone).toBe(false);

    c.feed.delayMs = FAST_MS;
    c.start('loader');
    c.start('fetcher');
    const done = await waitForRun(c.h, run.id, 60_000);
    await expectCompleteCatalogue(c, done);
    expect(done.attempts).toBeGreaterThanOrEqual(2);
  });
});

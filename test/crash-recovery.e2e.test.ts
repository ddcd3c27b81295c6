import { afterAll, afterEach, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import type pg from 'pg';
import { createDb, createOrganization, createSource, type DbHandle, type Run } from '@hasad/db';
import { triggerHarvest, waitForRun } from '@hasad/cli';
import {
  ckanPackageId,
  csvInventoryConfig,
  cswRecordId,
  csvInventoryIdentifier,
  csvInventoryTitle,
  datasetIdentifier,
  FeedServer,
  generateCsvInventory,
  generatedCswRecords,
  soapDatasetId,
  soapDatasetServiceConfig,
  startCkanPortal,
  startCswService,
  startSoapDatasetService,
  type CkanPortal,
  type CswService,
  type FeedResponse,
  type SoapDatasetService,
} from '@hasad/testkit';
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

interface Harness {
  env: Awaited<ReturnType<typeof testEnv>>;
  h: DbHandle;
  sourceId: string;
  procs: RoleProcess[];
  start(role: 'fetcher' | 'loader' | 'scheduler'): RoleProcess;
  harvest(): Promise<Run>;
  state(runId: string): Promise<{ pagesFetched: number; fetchDone: boolean; finished: boolean; batchesLoaded: number; datasets: number; recordsInBatches: number }>;
  /** The source's active rows as a sorted list of identifiers, and the total row count (any status, duplicates included). */
  catalogue(): Promise<{ identifiers: string[]; rows: number }>;
  logs(): string;
}

interface Case extends Harness {
  feed: SlowCatalog;
}

let server: FeedServer;
let current: Harness | undefined;
/** Servers a case started (SOAP service, CKAN portal), closed after it. */
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  server = await FeedServer.start();
});
afterEach(async () => {
  await killAllRoles();
  await Promise.all(closers.splice(0).map((close) => close()));
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
  const feed = mountSlowCatalog(server, `/${name}`, { datasets: DATASETS, pageSize: PAGE_SIZE }, SLOW_MS);
  const c = Object.assign(await newHarness(name, ctx), { feed });
  c.sourceId = await addSource(c, name, 'dcat', feed.url);
  return c;
}

/** A fresh database and queue prefix, no source yet; prints the workers' output if the test fails. */
async function newHarness(name: string, ctx: TestContext, extraEnv: Record<string, string> = {}): Promise<Harness> {
  const env = await testEnv({ HASAD_LOCK_DURATION_MS: '3000', HASAD_FETCHER_CONCURRENCY: '1', LOG_LEVEL: 'warn', ...extraEnv });
  const h = createDb(env.config.DATABASE_URL, { max: 4, applicationName: 'hasad-test' });
  const procs: RoleProcess[] = [];
  const c: Harness = {
    env,
    h,
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
  return c;
}

/** Registers the case's source (one organisation per case); returns its id. */
async function addSource(c: Harness, slug: string, kind: string, url: string, config: Record<string, unknown> = {}): Promise<string> {
  const org = await createOrganization(c.h, { slug, name: 'Haut-Commissariat au Plan' });
  return (await createSource(c.h, { organizationId: org.id, kind, url, config })).id;
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
  return roleBackends(h, 'loader');
}

/** PostgreSQL backends of a role's pool (the runtime names them `hasad-<role>`), and how many wait for a lock. */
async function roleBackends(h: DbHandle, role: 'fetcher' | 'loader'): Promise<{ total: number; waiting: number }> {
  const r = await h.pool.query(
    `SELECT count(*)::int AS total, count(*) FILTER (WHERE wait_event_type = 'Lock')::int AS waiting
     FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
    [`hasad-${role}`],
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

  it('scheduler, fetcher and loader killed together: the replacements finish the same run', async (ctx) => {
    const c = await newCase('crash-both', ctx);
    const scheduler = c.start('scheduler');
    const fetcher = c.start('fetcher');
    const loader = c.start('loader');
    const run = await c.harvest();
    await waitUntil('a few checkpointed pages', () => c.state(run.id), (s) => s.pagesFetched >= 4 && s.batchesLoaded >= 2, { context: c.logs });

    const lock = await holdBatchTable(c.h);
    try {
      await waitUntil('the loader blocked mid-batch', () => loaderBackends(c.h), (b) => b.waiting >= 1, { context: c.logs });
      await Promise.all([scheduler.kill(), fetcher.kill(), loader.kill()]);
    } finally {
      await lock.release();
    }
    const atKill = await c.state(run.id);
    expect(atKill.fetchDone).toBe(false);

    c.feed.delayMs = FAST_MS;
    c.start('scheduler');
    c.start('loader');
    c.start('fetcher');
    const done = await waitForRun(c.h, run.id, 60_000);
    await expectCompleteCatalogue(c, done);
    expect(done.attempts).toBeGreaterThanOrEqual(2);
  });
});

// The other source kinds. A CSV inventory is one page: a fetcher killed mid-file leaves no
// checkpoint, so its replacement reads the whole file again and the batches loaded before the
// kill come round a second time. A SOAP service and a CKAN portal are paged like DCAT: the
// replacement resumes at the first page not checkpointed.
const CSV_ROWS = 6_000;
const CSV_BATCH_SIZE = 500;
const CSV_IDENTIFIERS = Array.from({ length: CSV_ROWS }, (_, i) => csvInventoryIdentifier(i + 1)).sort();
const PAGED_RECORDS = 3_000;
const PAGED_SIZE = 100;
const PAGED_PAGES = PAGED_RECORDS / PAGED_SIZE;
// The per-host politeness limit (5 requests a second by default) is not what these cases test;
// the servers' own delay paces the harvest until the kill, and the rest should go fast.
const UNLIMITED_HOSTS = { HASAD_HOST_RATE_PER_SECOND: '1000' };

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

/** The run succeeded with exactly `identifiers` (each once, none missing, nothing withdrawn) over `pages` pages. */
async function expectExactCatalogue(c: Harness, run: Run, identifiers: string[], pages: number) {
  const n = identifiers.length;
  expect(run, c.logs()).toMatchObject({ status: 'succeeded', seen: n, created: n, updated: 0, withdrawn: 0, invalid: 0, pagesFetched: pages, errorCode: null });
  const cat = await c.catalogue();
  expect(cat.rows).toBe(n);
  expect(cat.identifiers).toEqual(identifiers);
  // The replacement claimed the same run (a second attempt), not a new one.
  expect(run.attempts).toBeGreaterThanOrEqual(2);
  const runs = await c.h.pool.query('SELECT count(*)::int AS n FROM runs WHERE source_id = $1', [c.sourceId]);
  expect(runs.rows[0].n).toBe(1);
}

/**
 * Harvests with a fetcher and a loader, SIGKILLs the fetcher once `ready(state)` holds, waits
 * until nothing of it can still reach PostgreSQL or the institution's server, calls `speedUp()`,
 * and starts a replacement fetcher. Returns the final run, the state at the kill, and how many
 * requests the server had seen by then.
 */
async function killFetcherMidRun(
  c: Harness,
  ready: (s: Awaited<ReturnType<Harness['state']>>) => boolean,
  served: () => number,
  speedUp: () => void,
): Promise<{ done: Run; atKill: Awaited<ReturnType<Harness['state']>>; servedAtKill: number }> {
  const fetcher = c.start('fetcher');
  c.start('loader');
  const run = await c.harvest();
  // Generous: on a loaded 2-core machine the roles and their parsing workers take their time to
  // start (a CSW harvest under CI load once had only page 1 checkpointed after 30 s).
  await waitUntil('the harvest under way', () => c.state(run.id), ready, { context: c.logs, timeoutMs: 90_000 });
  await fetcher.kill();
  // Once its connections are gone, no checkpoint of the dead fetcher can still commit; the short
  // pause lets a request it sent just before dying reach the server's log.
  await waitUntil('the killed fetcher to leave PostgreSQL', () => roleBackends(c.h, 'fetcher'), (b) => b.total === 0);
  await new Promise((r) => setTimeout(r, 100));
  const atKill = await c.state(run.id);
  expect(atKill.fetchDone, 'the kill must land before the last page').toBe(false);
  const servedAtKill = served();
  speedUp();
  c.start('fetcher');
  // 120 s, not 60: CI's Node 24 pass on a loaded 2-core machine once took 68 s here for CSW (23 s
  // in its Node 20 pass minutes before; every test of that pass ran about twice as long).
  const done = await waitForRun(c.h, run.id, 120_000);
  return { done, atKill, servedAtKill };
}

/**
 * For a paged source: before the kill the server was asked pages 1..K (K checkpointed) and at
 * most page K+1, which was in flight; after it, exactly K+1..last, each once. So only the page in
 * flight at the kill may have been asked twice, and no checkpointed page was asked again.
 * `readAhead` pages more may have been asked before the kill by an adapter that requests the next
 * page while the current one is handed on (SOAP and CSW read one page ahead): they were never
 * checkpointed, so the replacement asks them again.
 */
function expectResumedAtCheckpoint(asked: number[], servedAtKill: number, checkpointed: number, pages: number, readAhead = 0) {
  const before = asked.slice(0, servedAtKill);
  const after = asked.slice(servedAtKill);
  expect(checkpointed).toBeGreaterThanOrEqual(1);
  expect(checkpointed).toBeLessThan(pages);
  expect(before).toEqual(range(1, before.length));
  expect(range(checkpointed, checkpointed + 1 + readAhead)).toContain(before.length);
  expect(after, 'the replacement starts at the first page not checkpointed').toEqual(range(checkpointed + 1, pages));
  const counts = new Map<number, number>();
  for (const n of asked) counts.set(n, (counts.get(n) ?? 0) + 1);
  const again = [...counts].filter(([, k]) => k > 1).map(([n]) => n);
  expect(again).toEqual(range(checkpointed + 1, before.length));
}

describe('a fetcher killed with SIGKILL while harvesting a CSV inventory, a SOAP service, a CKAN portal or a CSW geoportal', () => {
  it('CSV: killed mid-file, the file is read again from the start and every row is loaded exactly once', async (ctx) => {
    const c = await newHarness('crash-csv', ctx, { HASAD_BATCH_SIZE: String(CSV_BATCH_SIZE), ...UNLIMITED_HOSTS });
    const body = generateCsvInventory({ rows: CSV_ROWS });
    const path = '/crash-csv/inventaire.csv';
    // About 2 MB sent 32 KB every 100 ms (7 s for the whole file): the kill, after 3 of the 12
    // batches are loaded, lands mid-body even when a worker is slow to start.
    let trickle: FeedResponse['trickle'] = { chunkBytes: 32 * 1024, delayMs: 100 };
    server.route(path, () => ({ status: 200, contentType: 'text/csv', body, ...(trickle && { trickle }) }));
    c.sourceId = await addSource(c, 'crash-csv', 'csv', `${server.url}${path}`, csvInventoryConfig());
    const gets = () => server.requests.filter((r) => r.path === path);

    const { done, atKill } = await killFetcherMidRun(
      c,
      (s) => s.batchesLoaded >= 3,
      () => gets().length,
      () => (trickle = undefined),
    );
    // The kill landed mid-file: some rows loaded, the page not checkpointed.
    expect(atKill.pagesFetched).toBe(0);
    expect(atKill.datasets).toBeGreaterThanOrEqual(3 * CSV_BATCH_SIZE);
    expect(atKill.datasets).toBeLessThan(CSV_ROWS);

    await expectExactCatalogue(c, done, CSV_IDENTIFIERS, 1);
    // Asked twice: the first answer cut off by the kill, the second read to the end.
    expect(gets().map((r) => ({ status: r.status, aborted: r.aborted ?? false }))).toEqual([
      { status: 200, aborted: true },
      { status: 200, aborted: false },
    ]);
    // Every title as written in Windows-1252, those loaded before the kill included.
    const titles = await c.h.pool.query(`SELECT source_identifier AS id, title->>'fr' AS fr FROM datasets WHERE source_id = $1`, [c.sourceId]);
    const wrong = titles.rows.filter((r) => r.fr !== csvInventoryTitle(Number(String(r.id).slice('inv-'.length))));
    expect(wrong).toEqual([]);
  });

  it('SOAP: killed after a few pages, the replacement resumes at the checkpoint page; every record exactly once', async (ctx) => {
    const c = await newHarness('crash-soap', ctx, UNLIMITED_HOSTS);
    const svc: SoapDatasetService = await startSoapDatasetService({ count: PAGED_RECORDS, delayMs: SLOW_MS });
    closers.push(() => svc.close());
    c.sourceId = await addSource(c, 'crash-soap', 'soap', svc.url, soapDatasetServiceConfig({ pageSize: PAGED_SIZE }));

    const { done, atKill, servedAtKill } = await killFetcherMidRun(
      c,
      (s) => s.pagesFetched >= 4,
      () => svc.requests.length,
      () => (svc.options.delayMs = FAST_MS),
    );
    await expectExactCatalogue(c, done, range(1, PAGED_RECORDS).map(soapDatasetId).sort(), PAGED_PAGES);
    // The SOAP adapter reads one page ahead: up to two pages past the checkpoint may be asked twice.
    expectResumedAtCheckpoint(svc.ordinals(), servedAtKill, atKill.pagesFetched, PAGED_PAGES, 1);
    // The envelope asked for the page by number, as configured (firstPage 1).
    expect(svc.requests.map((r) => r.page)).toEqual(svc.ordinals());
  });

  it('CKAN: killed after a few pages, the replacement resumes at the checkpoint page; every package exactly once', async (ctx) => {
    const c = await newHarness('crash-ckan', ctx, UNLIMITED_HOSTS);
    const portal: CkanPortal = await startCkanPortal(PAGED_RECORDS, { delayMs: SLOW_MS });
    closers.push(() => portal.close());
    c.sourceId = await addSource(c, 'crash-ckan', 'ckan', portal.url, { rows: PAGED_SIZE });

    const { done, atKill, servedAtKill } = await killFetcherMidRun(
      c,
      (s) => s.pagesFetched >= 4,
      () => portal.requests.length,
      () => (portal.delayMs = FAST_MS),
    );
    await expectExactCatalogue(c, done, range(1, PAGED_RECORDS).map(ckanPackageId).sort(), PAGED_PAGES);
    expect(new Set(portal.requests.map((r) => `${r.rows} ${r.sort}`))).toEqual(new Set([`${PAGED_SIZE} id asc`]));
    expect(portal.requests.every((r) => r.start % PAGED_SIZE === 0)).toBe(true);
    expectResumedAtCheckpoint(
      portal.requests.map((r) => r.start / PAGED_SIZE + 1),
      servedAtKill,
      atKill.pagesFetched,
      PAGED_PAGES,
    );
  });

  it('CSW: killed after a few pages, the replacement resumes at the checkpointed startPosition; every record exactly once', async (ctx) => {
    const c = await newHarness('crash-csw', ctx, UNLIMITED_HOSTS);
    const svc: CswService = await startCswService({ records: generatedCswRecords(PAGED_RECORDS), delayMs: SLOW_MS });
    closers.push(() => svc.close());
    c.sourceId = await addSource(c, 'crash-csw', 'csw', svc.url, { pageSize: PAGED_SIZE });

    const { done, atKill, servedAtKill } = await killFetcherMidRun(
      c,
      (s) => s.pagesFetched >= 4,
      () => svc.starts().length,
      () => (svc.options.delayMs = FAST_MS),
    );
    await expectExactCatalogue(c, done, range(1, PAGED_RECORDS).map(cswRecordId).sort(), PAGED_PAGES);
    expect(svc.starts().every((s) => (s - 1) % PAGED_SIZE === 0)).toBe(true);
    expectResumedAtCheckpoint(
      svc.starts().map((s) => (s - 1) / PAGED_SIZE + 1),
      servedAtKill,
      atKill.pagesFetched,
      PAGED_PAGES,
      // The CSW adapter, like SOAP's, asks the next page while the current one is handed on; with
      // the fetcher's parsing pool, two (the page after the next one is asked from its answer).
      2,
    );
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import type pg from 'pg';
import { createLogger, queueSettings } from '@hasad/core';
import { createDb, createOrganization, createSource, type DbHandle, type Run } from '@hasad/db';
import { Queues } from '@hasad/queues';
import { startRoles, triggerHarvest, waitForRun, type Runtime } from '@hasad/cli';
import { repairOrphanRuns, type SchedulerDeps } from '@hasad/scheduler';
import { datasetIdentifier, FeedServer } from '@hasad/testkit';
import { deleteQueueKeys, testEnv } from './helpers/pipeline.ts';
import { describeProcesses, killAllRoles, startRoleProcess, type RoleProcess } from './helpers/processes.ts';
import { mountSlowCatalog, type SlowCatalog } from './helpers/slow-feed.ts';
import { waitUntil } from './helpers/wait.ts';

// PostgreSQL is the source of truth, Redis only carries work. These tests lose the work (the
// queue prefix's keys are deleted, as when Redis restarts without persistence) and check that
// the scheduler's repair brings every run PostgreSQL calls live back to a correct end.
const DATASETS = 3_000;
const PAGE_SIZE = 100;
const PAGES = DATASETS / PAGE_SIZE;
const SLOW_MS = 100;
const FAST_MS = 5;
const ALL_IDENTIFIERS = Array.from({ length: DATASETS }, (_, i) => datasetIdentifier(i)).sort();

let env: Awaited<ReturnType<typeof testEnv>>;
let h: DbHandle;
let queues: Queues;
let deps: SchedulerDeps;
let server: FeedServer;
let rt: Runtime | undefined;
let sources = 0;

beforeAll(async () => {
  env = await testEnv({ HASAD_LOCK_DURATION_MS: '3000', LOG_LEVEL: 'warn' });
  h = createDb(env.config.DATABASE_URL, { max: 4, applicationName: 'hasad-test' });
  queues = new Queues(queueSettings(env.config));
  deps = { db: h, queues, config: env.config, log: createLogger('reconcile-test', 'silent') };
  server = await FeedServer.start();
});
afterEach(async () => {
  await killAllRoles();
  await rt?.stop();
  rt = undefined;
});
afterAll(async () => {
  await killAllRoles();
  await queues?.close();
  await h?.close();
  await server?.close();
  await env?.cleanup();
});

interface Feed {
  sourceId: string;
  feed: SlowCatalog;
}

async function newSource(name: string, delayMs = SLOW_MS): Promise<Feed> {
  const feed = mountSlowCatalog(server, `/${name}`, { datasets: DATASETS, pageSize: PAGE_SIZE }, delayMs);
  const org = await createOrganization(h, { slug: `${name}-${++sources}`, name: 'Agence de développement du digital' });
  const src = await createSource(h, { organizationId: org.id, kind: 'dcat', url: feed.url });
  return { sourceId: src.id, feed };
}

async function runState(runId: string) {
  const r = await h.pool.query(
    `SELECT r.status, r.pages_fetched, r.next_page_no, r.fetch_done, r.finished_at IS NOT NULL AS finished,
       coalesce((SELECT array_agg(DISTINCT b.page_no ORDER BY b.page_no) FROM run_batches b WHERE b.run_id = r.id), '{}') AS loaded_pages,
       coalesce((SELECT array_agg(p.page_no ORDER BY p.page_no) FROM run_pages p WHERE p.run_id = r.id), '{}') AS checkpointed_pages
     FROM runs r WHERE r.id = $1`,
    [runId],
  );
  const row = r.rows[0];
  return {
    status: row.status as string,
    pagesFetched: row.pages_fetched as number,
    nextPageNo: row.next_page_no as number,
    fetchDone: row.fetch_done as boolean,
    finished: row.finished as boolean,
    loadedPages: row.loaded_pages as number[],
    checkpointedPages: row.checkpointed_pages as number[],
  };
}

async function runsOf(sourceId: string): Promise<string[]> {
  const r = await h.pool.query('SELECT id FROM runs WHERE source_id = $1 ORDER BY created_at', [sourceId]);
  return r.rows.map((x) => x.id);
}

async function catalogue(sourceId: string) {
  const active = await h.pool.query(`SELECT source_identifier FROM datasets WHERE source_id = $1 AND status = 'active' ORDER BY source_identifier`, [sourceId]);
  const all = await h.pool.query('SELECT count(*)::int AS n FROM datasets WHERE source_id = $1', [sourceId]);
  return { identifiers: active.rows.map((x) => x.source_identifier as string), rows: all.rows[0].n as number };
}

async function expectCompleteCatalogue(sourceId: string, run: Run, context = '') {
  expect(run, context).toMatchObject({ status: 'succeeded', seen: DATASETS, created: DATASETS, updated: 0, withdrawn: 0, invalid: 0, pagesFetched: PAGES, errorCode: null });
  const cat = await catalogue(sourceId);
  expect(cat.rows).toBe(DATASETS);
  expect(cat.identifiers).toEqual(ALL_IDENTIFIERS);
}

/** Harvest jobs in Redis for a run (any state), as { id, state, trigger }. */
async function harvestJobsOf(runId: string) {
  const jobs = await queues.harvest.getJobs(['active', 'waiting', 'delayed', 'prioritized', 'completed', 'failed']);
  const mine = jobs.filter((j) => j?.data?.runId === runId);
  return Promise.all(mine.map(async (j) => ({ id: j.id, state: await j.getState(), trigger: j.data.trigger as string })));
}

/** As if the run's last sign of life was an hour ago (well past HASAD_ORPHAN_GRACE_MS). */
async function ageHeartbeat(runId: string) {
  await h.pool.query(`UPDATE runs SET heartbeat_at = now() - interval '1 hour' WHERE id = $1`, [runId]);
}

/**
 * Harvests with a fetcher and a loader in their own processes, then leaves the run orphaned
 * the hard way: the loader is held inside a batch transaction (an EXCLUSIVE lock on
 * run_batches) while the fetcher checkpoints pages ahead of it, both are SIGKILLed, and the
 * queue's keys are deleted. PostgreSQL then says "running", with pages checkpointed whose
 * batches were only ever in Redis.
 */
async function orphanMidRun(f: Feed, ctx: TestContext): Promise<{ run: Run; firstUnloaded: number; checkpointed: number }> {
  const procs: RoleProcess[] = [startRoleProcess('fetcher', env.env), startRoleProcess('loader', env.env)];
  ctx.onTestFailed(() => {
    process.stderr.write(`\nworker output for ${ctx.task.name}:\n${describeProcesses(procs)}\n`);
  });
  const logs = () => describeProcesses(procs);
  const run = await triggerHarvest(h, env.config, f.sourceId, 'manual');
  await waitUntil('a few loaded batches', () => runState(run.id), (s) => s.loadedPages.length >= 3, { context: logs });

  const locker: pg.PoolClient = await h.pool.connect();
  try {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE run_batches IN EXCLUSIVE MODE');
    // The fetcher runs ahead of the blocked loader: pages checkpointed, their batches parked in Redis.
    await waitUntil('pages checkpointed ahead of the loader', () => runState(run.id), (s) => s.pagesFetched >= s.loadedPages.length + 3, { context: logs });
    await Promise.all(procs.map((p) => p.kill()));
  } finally {
    await locker.query('ROLLBACK');
    locker.release();
  }
  await waitUntil(
    'the killed workers to leave PostgreSQL',
    async () => (await h.pool.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name IN ('hasad-fetcher', 'hasad-loader')`)).rows[0].n as number,
    (n) => n === 0,
  );
  // Redis restarts empty: every job, lock and queued batch of this deployment is gone.
  await deleteQueueKeys(env.config.REDIS_URL, env.config.HASAD_QUEUE_PREFIX);

  const s = await runState(run.id);
  expect(s).toMatchObject({ status: 'running', fetchDone: false, finished: false });
  const firstUnloaded = s.checkpointedPages.find((p) => !s.loadedPages.includes(p));
  expect(firstUnloaded, JSON.stringify(s)).toBeDefined();
  return { run, firstUnloaded: firstUnloaded!, checkpointed: s.pagesFetched };
}

describe('orphaned runs after Redis loses its data', () => {
  it('repair rewinds to the first page whose batches were not loaded, re-enqueues once, and the run ends with exactly the feed', async (ctx) => {
    const f = await newSource('redis-lost');
    const { run, firstUnloaded, checkpointed } = await orphanMidRun(f, ctx);
    expect(firstUnloaded).toBeLessThan(checkpointed);
    await ageHeartbeat(run.id);

    const repaired = await repairOrphanRuns(deps);
    expect(repaired.repaired).toEqual([run.id]);
    const rewound = await runState(run.id);
    expect(rewound).toMatchObject({ status: 'running', nextPageNo: firstUnloaded, fetchDone: false });
    expect(rewound.checkpointedPages).toEqual(Array.from({ length: firstUnloaded - 1 }, (_, i) => i + 1));
    expect((await harvestJobsOf(run.id)).map((j) => [j.state, j.trigger])).toEqual([['waiting', 'repair']]);

    // A second scheduler (or the next tick) sees the job it queued and leaves the run alone.
    await ageHeartbeat(run.id);
    expect((await repairOrphanRuns(deps)).repaired).toEqual([]);
    expect(await harvestJobsOf(run.id)).toHaveLength(1);

    f.feed.delayMs = FAST_MS;
    rt = await startRoles(['fetcher', 'loader'], env.config, deps.log);
    const done = await waitForRun(h, run.id, 60_000);
    await expectCompleteCatalogue(f.sourceId, done);
    expect(done.attempts).toBeGreaterThanOrEqual(2);
    expect(await runsOf(f.sourceId)).toEqual([run.id]);
    // Pages before the rewind point were loaded and are not asked for again; the rest are.
    for (let n = 1; n < firstUnloaded; n++) expect(f.feed.requestsFor(n), `page ${n}`).toBe(1);
    for (let n = firstUnloaded; n <= checkpointed; n++) expect(f.feed.requestsFor(n), `page ${n}`).toBeGreaterThanOrEqual(2);
  });

  it('the scheduler role repairs the run on its own once the grace period has passed', async (ctx) => {
    const f = await newSource('redis-lost-scheduler');
    const { run } = await orphanMidRun(f, ctx);
    f.feed.delayMs = FAST_MS;
    // Exactly what an operator runs after the Redis restart: the scheduler and the workers, nothing else.
    const all = startRoleProcess('scheduler,fetcher,loader', env.env);
    ctx.onTestFailed(() => {
      process.stderr.write(`\nscheduler output:\n${describeProcesses([all])}\n`);
    });
    const done = await waitForRun(h, run.id, 60_000);
    await expectCompleteCatalogue(f.sourceId, done, describeProcesses([all]));
    expect(await runsOf(f.sourceId)).toEqual([run.id]);
  });
});

describe('one live run per source', () => {
  it('a second manual trigger while a run is queued returns the same run and queues nothing more', async () => {
    const f = await newSource('twice', FAST_MS);
    const first = await triggerHarvest(h, env.config, f.sourceId, 'manual');
    const second = await triggerHarvest(h, env.config, f.sourceId, 'manual');
    expect(second.id).toBe(first.id);
    expect(await runsOf(f.sourceId)).toEqual([first.id]);
    expect(await harvestJobsOf(first.id)).toHaveLength(1);

    rt = await startRoles(['fetcher', 'loader'], env.config, deps.log);
    const done = await waitForRun(h, first.id, 60_000);
    await expectCompleteCatalogue(f.sourceId, done);
    expect(done.attempts).toBe(1);
    for (let n = 1; n <= PAGES; n++) expect(f.feed.requestsFor(n), `page ${n}`).toBe(1);
  });

  it('a scheduled tick for a source whose run is live completes as skipped and starts no second run', async () => {
    const f = await newSource('tick-while-live');
    rt = await startRoles(['fetcher', 'loader'], env.config, deps.log);
    const run = await triggerHarvest(h, env.config, f.sourceId, 'manual');
    await waitUntil('the run to be running', () => runState(run.id), (s) => s.status === 'running' && s.pagesFetched >= 1);

    // What a job scheduler enqueues on each tick: no run id.
    const tick = await queues.add('harvest.source', { sourceId: f.sourceId, trigger: 'schedule' });
    const ticked = await waitUntil(
      'the scheduled job to finish',
      async () => {
        // State first: a job read before its state could predate its completion (no return value yet).
        const state = await queues.harvest.getJobState(tick.id!);
        const j = await queues.harvest.getJob(tick.id!);
        return { state, returnvalue: j?.returnvalue as unknown };
      },
      (x) => x.state === 'completed' || x.state === 'failed',
    );
    expect(ticked).toEqual({ state: 'completed', returnvalue: { outcome: 'skipped', reason: 'run_active', runId: run.id } });
    expect(await runsOf(f.sourceId)).toEqual([run.id]);

    f.feed.delayMs = FAST_MS;
    const done = await waitForRun(h, run.id, 60_000);
    await expectCompleteCatalogue(f.sourceId, done);
    expect(await runsOf(f.sourceId)).toEqual([run.id]);
    for (let n = 1; n <= PAGES; n++) expect(f.feed.requestsFor(n), `page ${n}`).toBe(1);
  });

  // Regression guard: the run row must name its queued job from the start, or the repair takes
  // a run that is merely waiting behind other sources for an orphan and a second job walks it.
  it('a manual run still waiting in the queue (fetchers busy) is not taken for an orphan and harvested twice', async () => {
    const f = await newSource('waiting-behind-others', FAST_MS);
    const run = await triggerHarvest(h, env.config, f.sourceId, 'manual');
    // The fetchers were busy with other sources for longer than the grace period.
    await ageHeartbeat(run.id);
    const repaired = await repairOrphanRuns(deps);
    expect(repaired.repaired).toEqual([]);
    expect(await harvestJobsOf(run.id)).toHaveLength(1);

    rt = await startRoles(['fetcher', 'loader'], env.config, deps.log);
    const done = await waitForRun(h, run.id, 60_000);
    await expectCompleteCatalogue(f.sourceId, done);
    expect(done.attempts).toBe(1);
    for (let n = 1; n <= PAGES; n++) expect(f.feed.requestsFor(n), `page ${n}`).toBe(1);
  });
});

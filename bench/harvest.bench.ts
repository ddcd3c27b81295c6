/**
 * Harvest benchmark: a generated DCAT catalogue (French and Arabic literals, two distributions
 * per dataset) served from loopback, harvested into PostgreSQL by the real fetcher and loader
 * running as separate child processes (`hasad start --role fetcher|loader`).
 *
 *   npm run bench                          100,000 datasets, all four phases
 *   npm run bench -- --datasets 5000       quick smoke run
 *   npm run bench -- --skip-unpaged        phases 1-3 only
 *   npm run bench -- --log-level debug     also per-batch / per-page timings from the roles' logs
 *   npm run bench -- --child-env HASAD_LOADER_CONCURRENCY=4   try a setting (repeatable)
 *   npm run bench -- --node-arg=--cpu-prof --node-arg=--cpu-prof-dir=/tmp/prof   profile the roles (repeatable)
 *
 * Figures are printed beside their aims; the bench never fails on speed. It exits 1 only when
 * the pipeline gives a wrong result (a run that fails, wrong counts) or breaks.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { loadConfig, queueSettings, type HasadConfig } from '@hasad/core';
import { createDb, createOrganization, createSource, getRun, type DbHandle, type Run } from '@hasad/db';
import { createTestDatabase } from '@hasad/db/testing';
import { Queues } from '@hasad/queues';
import { triggerHarvest, waitForRun } from '@hasad/cli';
import { FeedServer } from '@hasad/testkit';
import { deleteQueueKeys } from '../test/helpers/pipeline.ts';
import { mountPrerendered, type PrerenderedCatalog } from './lib/feed.ts';
import { debugTimings, warnings, type Distribution } from './lib/logs.ts';
import { Monitor, type PhaseStats } from './lib/monitor.ts';
import { loadAverage, MB } from './lib/proc.ts';
import { int, mb, pct, secs, table } from './lib/report.ts';
import { roleEnv, startRole, type RoleProcess } from './lib/roles.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results');

const { values: args } = parseArgs({
  options: {
    datasets: { type: 'string', default: '100000' },
    'page-size': { type: 'string', default: '1000' },
    'skip-unpaged': { type: 'boolean', default: false },
    'log-level': { type: 'string', default: 'warn' },
    'child-env': { type: 'string', multiple: true, default: [] },
    'node-arg': { type: 'string', multiple: true, default: [] },
    'timeout': { type: 'string', default: '1800' },
    'interval': { type: 'string', default: '100' },
  },
});
const DATASETS = positiveInt(args.datasets!, '--datasets');
const PAGE_SIZE = positiveInt(args['page-size']!, '--page-size');
const TIMEOUT_MS = positiveInt(args.timeout!, '--timeout') * 1000;
const INTERVAL_MS = positiveInt(args.interval!, '--interval');
const LOG_LEVEL = args['log-level']!;

type PhaseKey = 'initial' | 'unchanged200' | 'notModified304' | 'unpaged';

interface Aim {
  text: string;
  met: boolean | undefined;
}

interface PhaseResult {
  key: PhaseKey;
  title: string;
  ok: boolean;
  failures: string[];
  error?: string;
  run?: Pick<Run, 'id' | 'status' | 'seen' | 'created' | 'updated' | 'unchanged' | 'withdrawn' | 'invalid' | 'pagesFetched' | 'pagesNotModified' | 'bytes' | 'errorCode' | 'error'> & {
    createdAt: string;
    startedAt: string | null;
    finishedAt: string | null;
  };
  timings?: {
    /** Date.now() before triggerHarvest → runs.finished_at. */
    wallMs: number;
    /** Date.now() before triggerHarvest → waitForRun returned (adds up to 200 ms of polling). */
    observedWallMs: number;
    /** runs.started_at → runs.finished_at. */
    runMs: number;
    /** runs.created_at → runs.started_at (enqueue and pick-up by a fetcher). */
    queuedMs: number;
    /** runs.started_at → the first batch transaction began: how long until the loader has work. */
    firstBatchMs: number | null;
    /** runs.started_at → last run_pages.fetched_at: the fetcher's share. */
    fetchMs: number | null;
    /** Last page checkpointed → last batch transaction began. */
    loadTailMs: number | null;
    /** Last batch transaction began → runs.finished_at (last batch, finalise). */
    finaliseMs: number | null;
    batches: number;
  };
  rates?: { runDatasetsPerSec: number; wallDatasetsPerSec: number };
  aims: Aim[];
  server?: { requests: number; statuses: Record<string, number> };
  monitor?: Omit<PhaseStats, 'series'>;
  series?: PhaseStats['series'];
  debug?: { loaderBatch?: Distribution; fetcherPageGap?: Distribution };
}

class ChildDiedError extends Error {
  constructor(role: string, how: { code: number | null; signal: NodeJS.Signals | null }, tail: string) {
    super(`the ${role} exited (code ${how.code}, signal ${how.signal}) during the phase; last stderr:\n${tail.trim() || '(none)'}`);
  }
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/:/g, '-');
  mkdirSync(join(RESULTS, 'logs'), { recursive: true });
  const load0 = loadAverage();
  const cores = availableParallelism();
  console.log(`Hasad harvest bench: ${int(DATASETS)} datasets, pages of ${int(PAGE_SIZE)}, Turtle; ${cores} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / MB / 1024)} GB, node ${process.version}`);
  console.log(`load average at start: ${load0.join(' ')} (on a shared machine figures are noisy: see "others CPU" below)`);

  // Run in reverse order of registration, once: a signal and the normal path share the same promise,
  // so neither can exit the process while the other is still dropping the database.
  const cleanups: Array<() => Promise<unknown>> = [];
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const fn of cleanups.reverse()) {
        try {
          await fn();
        } catch (err) {
          console.error(`cleanup: ${(err as Error).message}`);
        }
      }
    })());
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) return;
    interrupted = true;
    console.error('\ninterrupted: stopping the roles, dropping the database and the queue keys');
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const phases: PhaseResult[] = [];
  let roles: { fetcher: RoleProcess; loader: RoleProcess } | undefined;
  let meta: Record<string, unknown> = {};
  try {
    // Database and queue prefix of our own, removed at the end.
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const prefix = `hasad-bench-${randomBytes(4).toString('hex')}`;
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    cleanups.push(() => deleteQueueKeys(redisUrl, prefix));
    const extra = Object.fromEntries(
      args['child-env']!.map((kv) => {
        const i = kv.indexOf('=');
        if (i <= 0) throw new Error(`--child-env wants KEY=VALUE, got "${kv}"`);
        return [kv.slice(0, i), kv.slice(i + 1)];
      }),
    );
    const childEnv: Record<string, string> = {
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      HASAD_QUEUE_PREFIX: prefix,
      HASAD_ALLOW_PRIVATE_HOSTS: '1',
      LOG_LEVEL,
      ...extra,
    };
    const config = loadConfig(childEnv);

    const db = createDb(database.url, { max: 3, applicationName: 'bench' });
    cleanups.push(() => db.close());
    const queues = new Queues(queueSettings(config));
    cleanups.push(() => queues.close());

    const server = await FeedServer.start();
    cleanups.push(() => server.close());
    const paged = mountPrerendered(server, '/ministere', { datasets: DATASETS, pageSize: PAGE_SIZE }, 'turtle');
    console.log(`feed: ${paged.pages} pages, ${int(paged.bytes / MB)} MB, pre-rendered in ${secs(paged.renderMs)} s (not timed)`);

    // The roles, as in production: one process each.
    const env = roleEnv(childEnv);
    const logBase = join(RESULTS, 'logs', `harvest-${stamp}`);
    const nodeArgs = args['node-arg']!;
    const fetcher = startRole(ROOT, 'fetcher', env, `${logBase}-fetcher.log`, nodeArgs);
    const loader = startRole(ROOT, 'loader', env, `${logBase}-loader.log`, nodeArgs);
    roles = { fetcher, loader };
    cleanups.push(() => Promise.all([fetcher.stop(10_000), loader.stop(10_000)]));
    const readyMs = await waitForWorkers(queues, roles);
    console.log(`fetcher pid ${fetcher.pid} and loader pid ${loader.pid} ready after ${secs(readyMs)} s; logs: ${relative(ROOT, logBase)}-{fetcher,loader}.log`);

    const monitor = new Monitor({ pool: db.pool, dbName: database.name, loadQueue: queues.load, inflightCap: config.HASAD_MAX_INFLIGHT_BATCHES, intervalMs: INTERVAL_MS, cores });
    monitor.track('fetcher', fetcher.pid);
    monitor.track('loader', loader.pid);
    monitor.track('bench', process.pid);
    const redisPid = await localRedisPid(redisUrl);
    if (redisPid) monitor.track('redis', redisPid);
    monitor.start();
    cleanups.push(async () => monitor.stop());

    const org = await createOrganization(db.db, { slug: `bench-${randomBytes(3).toString('hex')}`, name: 'Ministère du banc d’essai' });
    const source = await createSource(db.db, { organizationId: org.id, kind: 'dcat', url: paged.ctl.url, config: {}, withdrawThreshold: null });

    meta = {
      datasets: DATASETS,
      pageSize: PAGE_SIZE,
      pages: paged.pages,
      feedBytes: paged.bytes,
      feedRenderMs: paged.renderMs,
      database: database.name,
      queuePrefix: prefix,
      logLevel: LOG_LEVEL,
      childEnv: extra,
      settings: pickSettings(config),
      workersReadyMs: Math.round(readyMs),
      pids: { fetcher: fetcher.pid, loader: loader.pid, bench: process.pid, redis: redisPid ?? null },
    };

    const ctx: PhaseContext = { db, config, server, monitor, roles, logBase };
    const N = DATASETS;
    const P = paged.pages;

    // 1. First harvest: every dataset created.
    phases.push(
      await runPhase(ctx, 'initial', `1 first harvest, ${P} pages`, source.id, (run, statuses) => [
        expect('status', run.status, 'succeeded'),
        expect('seen', run.seen, N),
        expect('created', run.created, N),
        expect('pagesFetched', run.pagesFetched, P),
        expect('HTTP 200 answers', statuses['200'] ?? 0, P),
      ]),
    );
    await checkRowCount(ctx, phases.at(-1)!, source.id, N);
    setAims(phases.at(-1)!, (r) => [
      { text: '>= 5,000 datasets/s', met: r.rates && r.rates.wallDatasetsPerSec >= 5000 },
      { text: 'fetcher < 300 MB', met: r.monitor && r.monitor.processes.fetcher!.peakRssMb < 300 },
      { text: 'loader < 300 MB', met: r.monitor && r.monitor.processes.loader!.peakRssMb < 300 },
    ]);

    // 2. Unchanged, served again with 200: every dataset compared, none written.
    if (phases.every((p) => !p.error)) {
      paged.ctl.conditional = false;
      phases.push(
        await runPhase(ctx, 'unchanged200', '2 unchanged, HTTP 200', source.id, (run, statuses) => [
          expect('status', run.status, 'unchanged'),
          expect('unchanged', run.unchanged, N),
          expect('created', run.created, 0),
          expect('updated', run.updated, 0),
          expect('pagesNotModified', run.pagesNotModified, 0),
          expect('HTTP 200 answers', statuses['200'] ?? 0, P),
        ]),
      );
      paged.ctl.conditional = true;
      setAims(phases.at(-1)!, (r) => [{ text: '>= 15,000 datasets/s', met: r.rates && r.rates.wallDatasetsPerSec >= 15000 }]);
    }

    // 3. Unchanged, the server answers 304 to every page.
    if (phases.every((p) => !p.error)) {
      phases.push(
        await runPhase(ctx, 'notModified304', '3 unchanged, HTTP 304', source.id, (run, statuses) => [
          expect('status', run.status, 'unchanged'),
          expect('seen', run.seen, N),
          expect('withdrawn', run.withdrawn, 0),
          expect('pagesNotModified', run.pagesNotModified, P),
          expect('HTTP 304 answers', statuses['304'] ?? 0, P),
        ]),
      );
      setAims(phases.at(-1)!, (r) => [{ text: 'wall < 1 s', met: r.timings && r.timings.wallMs < 1000 }]);
    }

    // 4. The same datasets as one unpaged document, into a second source.
    if (!args['skip-unpaged'] && phases.every((p) => !p.error)) {
      const unpaged: PrerenderedCatalog = mountPrerendered(server, '/ministere-complet', { datasets: DATASETS, pageSize: 0 }, 'turtle');
      meta.unpagedBytes = unpaged.bytes;
      meta.unpagedRenderMs = unpaged.renderMs;
      console.log(`unpaged feed: one document of ${int(unpaged.bytes / MB)} MB, pre-rendered in ${secs(unpaged.renderMs)} s (not timed)`);
      const second = await createSource(db.db, { organizationId: org.id, kind: 'dcat', url: unpaged.ctl.url, config: {}, withdrawThreshold: null });
      phases.push(
        await runPhase(ctx, 'unpaged', '4 one unpaged document', second.id, (run, statuses) => [
          expect('status', run.status, 'succeeded'),
          expect('seen', run.seen, N),
          expect('created', run.created, N),
          expect('pagesFetched', run.pagesFetched, 1),
          expect('HTTP 200 answers', statuses['200'] ?? 0, 1),
        ]),
      );
      await checkRowCount(ctx, phases.at(-1)!, second.id, N);
      setAims(phases.at(-1)!, (r) => [{ text: 'fetcher < 1 GB', met: r.monitor && r.monitor.processes.fetcher!.peakRssMb < 1024 }]);
    }
  } catch (err) {
    console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    phases.push({ key: 'initial', title: 'setup', ok: false, failures: [], error: (err as Error).message, aims: [] });
  } finally {
    await cleanup();
  }

  if (interrupted) {
    console.error('interrupted: no results written');
    await cleanup();
    return 130;
  }
  const ok = phases.length > 0 && phases.every((p) => p.ok);
  const result = {
    bench: 'harvest',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    ok,
    machine: { cores, cpu: cpus()[0]?.model ?? null, memoryGb: Math.round(totalmem() / MB / 1024), node: process.version, loadAverageStart: load0, loadAverageEnd: loadAverage() },
    options: { datasets: DATASETS, pageSize: PAGE_SIZE, skipUnpaged: args['skip-unpaged'], logLevel: LOG_LEVEL, childEnv: args['child-env'], nodeArgs: args['node-arg'], intervalMs: INTERVAL_MS },
    meta,
    phases,
    logs: roles ? { fetcher: relative(ROOT, roles.fetcher.logFile), loader: relative(ROOT, roles.loader.logFile), fetcherWarnings: warnings(roles.fetcher.logFile), loaderWarnings: warnings(roles.loader.logFile) } : undefined,
  };
  const json = `${JSON.stringify(result, null, 2)}\n`;
  const file = join(RESULTS, `harvest-${stamp}.json`);
  writeFileSync(file, json);
  writeFileSync(join(RESULTS, 'latest.json'), json);

  printReport(phases);
  if (result.logs && (result.logs.fetcherWarnings.length || result.logs.loaderWarnings.length)) {
    console.log('\nwarnings logged by the roles:');
    for (const w of result.logs.fetcherWarnings) console.log(`  fetcher: ${w}`);
    for (const w of result.logs.loaderWarnings) console.log(`  loader: ${w}`);
  }
  console.log(`\nload average at end: ${loadAverage().join(' ')}`);
  console.log(`results: ${relative(ROOT, file)} (and bench/results/latest.json)`);
  if (!ok) console.log('\nSOME PHASES GAVE A WRONG RESULT OR BROKE (see above); speed alone never fails the bench.');
  return ok ? 0 : 1;
}

interface PhaseContext {
  db: DbHandle;
  config: HasadConfig;
  server: FeedServer;
  monitor: Monitor;
  roles: { fetcher: RoleProcess; loader: RoleProcess };
  logBase: string;
}

/** Triggers one run of `sourceId`, waits for it while the monitor samples, and gathers figures. */
async function runPhase(
  ctx: PhaseContext,
  key: PhaseKey,
  title: string,
  sourceId: string,
  check: (run: Run, statuses: Record<string, number>) => Array<string | undefined>,
): Promise<PhaseResult> {
  process.stdout.write(`${title} ... `);
  const served = ctx.server.requests.length;
  const result: PhaseResult = { key, title, ok: false, failures: [], aims: [] };
  ctx.monitor.beginPhase();
  const t0 = Date.now();
  const p0 = performance.now();
  let runId: string | undefined;
  try {
    const queued = await triggerHarvest(ctx.db, ctx.config, sourceId, 'manual');
    runId = queued.id;
    const run = await Promise.race([waitForRun(ctx.db, queued.id, TIMEOUT_MS), diedDuring(ctx.roles.fetcher), diedDuring(ctx.roles.loader)]);
    const observedWallMs = performance.now() - p0;
    const stats = await ctx.monitor.endPhase();
    const statuses = countStatuses(ctx.server.requests.slice(served).map((r) => r.status));
    result.server = { requests: ctx.server.requests.length - served, statuses };
    const { series, ...summary } = stats;
    result.monitor = summary;
    result.series = series;
    result.run = runSummary(run);
    const finished = run.finishedAt!.getTime();
    const started = (run.startedAt ?? run.createdAt).getTime();
    const tl = await timeline(ctx.db, run.id);
    result.timings = {
      wallMs: finished - t0,
      observedWallMs: Math.round(observedWallMs),
      runMs: finished - started,
      queuedMs: started - run.createdAt.getTime(),
      firstBatchMs: tl.firstBatch ? tl.firstBatch - started : null,
      fetchMs: tl.lastPage ? tl.lastPage - started : null,
      loadTailMs: tl.lastPage && tl.lastBatch ? tl.lastBatch - tl.lastPage : null,
      finaliseMs: tl.lastBatch ? finished - tl.lastBatch : null,
      batches: tl.batches,
    };
    result.rates = {
      runDatasetsPerSec: Math.round(run.seen / (Math.max(1, finished - started) / 1000)),
      wallDatasetsPerSec: Math.round(run.seen / (Math.max(1, finished - t0) / 1000)),
    };
    if (LOG_LEVEL === 'debug' || LOG_LEVEL === 'trace') {
      // Let the children flush their last lines.
      await new Promise((r) => setTimeout(r, 300));
      result.debug = debugTimings(ctx.roles.fetcher.logFile, ctx.roles.loader.logFile, run.id);
    }
    result.failures = check(run, statuses).filter((f): f is string => f !== undefined);
    if (run.error) result.failures.push(`run error ${run.errorCode}: ${run.error}`);
    result.ok = result.failures.length === 0;
    console.log(`${run.status} in ${secs(result.timings.wallMs)} s${result.ok ? '' : ` — WRONG: ${result.failures.join('; ')}`}`);
  } catch (err) {
    const stats = await ctx.monitor.endPhase().catch(() => undefined);
    if (stats) {
      const { series, ...summary } = stats;
      result.monitor = summary;
      result.series = series;
    }
    result.error = err instanceof Error ? err.message : String(err);
    if (runId) {
      const run = await getRun(ctx.db.db, runId).catch(() => undefined);
      if (run) result.run = runSummary(run);
    }
    console.log(`BROKE after ${secs(performance.now() - p0)} s: ${result.error}`);
  }
  return result;
}

function diedDuring(role: RoleProcess): Promise<never> {
  return role.exited.then((how) => {
    throw new ChildDiedError(role.role, how, role.stderrTail());
  });
}

/** When the fetcher checkpointed its last page and the loader began its last batch (ms epoch). */
async function timeline(h: DbHandle, runId: string): Promise<{ lastPage?: number; firstBatch?: number; lastBatch?: number; batches: number }> {
  const res = await h.pool.query<{ last_page: Date | null; first_batch: Date | null; last_batch: Date | null; batches: number }>(
    `SELECT (SELECT max(fetched_at) FROM run_pages WHERE run_id = $1) AS last_page,
            (SELECT min(loaded_at) FROM run_batches WHERE run_id = $1 AND batch_no >= 0) AS first_batch,
            (SELECT max(loaded_at) FROM run_batches WHERE run_id = $1) AS last_batch,
            (SELECT count(*)::int FROM run_batches WHERE run_id = $1 AND batch_no >= 0) AS batches`,
    [runId],
  );
  const row = res.rows[0]!;
  return {
    ...(row.last_page && { lastPage: row.last_page.getTime() }),
    ...(row.first_batch && { firstBatch: row.first_batch.getTime() }),
    ...(row.last_batch && { lastBatch: row.last_batch.getTime() }),
    batches: row.batches,
  };
}

async function checkRowCount(ctx: PhaseContext, phase: PhaseResult, sourceId: string, expected: number): Promise<void> {
  if (phase.error) return;
  const res = await ctx.db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM datasets WHERE source_id = $1 AND status = 'active'`, [sourceId]);
  const f = expect('active rows in datasets', res.rows[0]!.n, expected);
  if (f) {
    phase.failures.push(f);
    phase.ok = false;
  }
}

function setAims(phase: PhaseResult, aims: (p: PhaseResult) => Array<{ text: string; met: boolean | undefined }>): void {
  phase.aims = aims(phase);
}

/** Resolves once a worker listens on each queue; returns how long that took, ms. */
async function waitForWorkers(queues: Queues, roles: { fetcher: RoleProcess; loader: RoleProcess }): Promise<number> {
  const t0 = performance.now();
  const ready = (async () => {
    for (;;) {
      const [h, l] = await Promise.all([queues.harvest.getWorkersCount(), queues.load.getWorkersCount()]);
      if (h > 0 && l > 0) return performance.now() - t0;
      if (performance.now() - t0 > 120_000) throw new Error('the fetcher and loader did not register their workers within 120 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return Promise.race([ready, diedDuring(roles.fetcher), diedDuring(roles.loader)]);
}

/** The pid of redis-server when it runs on this machine (for its CPU time), else undefined. */
async function localRedisPid(url: string): Promise<number | undefined> {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') return undefined;
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    const m = /process_id:(\d+)/.exec(await r.info('server'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  } finally {
    r.disconnect();
  }
}

function runSummary(run: Run): NonNullable<PhaseResult['run']> {
  return {
    id: run.id,
    status: run.status,
    seen: run.seen,
    created: run.created,
    updated: run.updated,
    unchanged: run.unchanged,
    withdrawn: run.withdrawn,
    invalid: run.invalid,
    pagesFetched: run.pagesFetched,
    pagesNotModified: run.pagesNotModified,
    bytes: run.bytes,
    errorCode: run.errorCode,
    error: run.error,
    createdAt: run.createdAt.toISOString(),
    startedAt: run.startedAt?.toISOString() ?? null,
    finishedAt: run.finishedAt?.toISOString() ?? null,
  };
}

function pickSettings(c: HasadConfig) {
  return {
    HASAD_BATCH_SIZE: c.HASAD_BATCH_SIZE,
    HASAD_MAX_INFLIGHT_BATCHES: c.HASAD_MAX_INFLIGHT_BATCHES,
    HASAD_FETCHER_CONCURRENCY: c.HASAD_FETCHER_CONCURRENCY,
    HASAD_LOADER_CONCURRENCY: c.HASAD_LOADER_CONCURRENCY,
    HASAD_FETCH_MAX_BYTES: c.HASAD_FETCH_MAX_BYTES,
    HASAD_FETCH_TIMEOUT_MS: c.HASAD_FETCH_TIMEOUT_MS,
  };
}

function countStatuses(statuses: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of statuses) out[s] = (out[s] ?? 0) + 1;
  return out;
}

function expect(what: string, actual: unknown, expected: unknown): string | undefined {
  return actual === expected ? undefined : `${what} ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`;
}

function positiveInt(s: string, flag: string): number {
  const n = Number(s.replace(/[_,]/g, ''));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} wants a positive integer, got "${s}"`);
  return n;
}

function printReport(phases: PhaseResult[]): void {
  const yes = (a: Aim) => `${a.text}: ${a.met === undefined ? '?' : a.met ? 'met' : 'MISSED'}`;
  console.log('\nThroughput (datasets/s = datasets seen / time; "wall" = trigger → runs.finished_at, "run" = runs.started_at → finished_at)');
  console.log(
    table(
      ['phase', 'status', 'datasets', 'wall s', 'run s', 'wall ds/s', 'run ds/s', 'aim'],
      phases.map((p) => [
        p.title,
        p.error ? 'BROKE' : `${p.run?.status ?? '-'}${p.ok ? '' : ' (WRONG)'}`,
        int(p.run?.seen),
        secs(p.timings?.wallMs),
        secs(p.timings?.runMs),
        int(p.rates?.wallDatasetsPerSec),
        int(p.rates?.runDatasetsPerSec),
        p.aims.map(yes).join('; '),
      ]),
    ),
  );

  console.log('\nMemory and CPU (peak RSS sampled every 100 ms from /proc; CPU = user+system seconds during the phase)');
  const withMon = phases.filter((p) => p.monitor);
  console.log(
    table(
      ['phase', 'fetcher peak', 'loader peak', 'fetcher CPU', 'loader CPU', 'pg CPU (fetcher/loader)', 'redis CPU', 'bench CPU', 'machine busy', 'others CPU'],
      withMon.map((p) => {
        const m = p.monitor!;
        const pr = m.processes;
        return [
          p.title,
          mb(pr.fetcher?.peakRssMb),
          mb(pr.loader?.peakRssMb),
          `${pr.fetcher?.cpuSeconds.toFixed(1) ?? '-'} s`,
          `${pr.loader?.cpuSeconds.toFixed(1) ?? '-'} s`,
          `${(m.postgresCpuSeconds.fetcher ?? 0).toFixed(1)} / ${(m.postgresCpuSeconds.loader ?? 0).toFixed(1)} s`,
          pr.redis ? `${pr.redis.cpuSeconds.toFixed(1)} s` : '-',
          `${pr.bench?.cpuSeconds.toFixed(1) ?? '-'} s`,
          `${Math.round(m.machine.busyPercent)}% of ${m.machine.cores}`,
          `${m.machine.untrackedCpuSeconds.toFixed(1)} s`,
        ];
      }),
    ),
  );

  console.log('\nWhere the time goes: queued = created → started; 1st batch = started → first batch transaction; fetch = started → last page checkpoint;');
  console.log('load tail = last page → last batch transaction; finalise = last batch → finished. Load queue sampled every 100 ms:');
  console.log('at cap = pending >= HASAD_MAX_INFLIGHT_BATCHES (fetcher held back by the loader); idle = nothing pending or active (loader waits for the fetcher)');
  console.log(
    table(
      ['phase', 'queued', '1st batch', 'fetch', 'load tail', 'finalise', 'batches', 'load q mean/max', 'at cap', 'idle', 'HTTP'],
      withMon.map((p) => {
        const t = p.timings;
        const q = p.monitor!.loadQueue;
        return [
          p.title,
          t ? `${secs(t.queuedMs)} s` : '-',
          t ? `${secs(t.firstBatchMs ?? undefined)} s` : '-',
          t ? `${secs(t.fetchMs ?? undefined)} s` : '-',
          t ? `${secs(t.loadTailMs ?? undefined)} s` : '-',
          t ? `${secs(t.finaliseMs ?? undefined)} s` : '-',
          t ? String(t.batches) : '-',
          `${q.pendingMean.toFixed(1)} / ${q.pendingMax}`,
          pct(q.atCapShare),
          pct(q.idleShare),
          p.server ? Object.entries(p.server.statuses).map(([s, n]) => `${n}×${s}`).join(' ') : '-',
        ];
      }),
    ),
  );

  const dbg = phases.filter((p) => p.debug && (p.debug.loaderBatch || p.debug.fetcherPageGap));
  if (dbg.length) {
    console.log('\nFrom the debug logs (loader: batch transaction ms; fetcher: ms between page checkpoints)');
    console.log(
      table(
        ['phase', 'loader batch mean/p50/p95/max', 'fetcher page gap mean/p50/p95/max'],
        dbg.map((p) => {
          const f = (d?: Distribution) => (d ? `${d.meanMs} / ${d.p50Ms} / ${d.p95Ms} / ${d.maxMs} ms (n=${d.count})` : '-');
          return [p.title, f(p.debug!.loaderBatch), f(p.debug!.fetcherPageGap)];
        }),
      ),
    );
  }
  for (const p of phases) if (p.error) console.log(`\n${p.title}: ${p.error}`);
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

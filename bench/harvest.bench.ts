/**
 * Harvest benchmark: a generated DCAT catalogue (French and Arabic literals, two distributions
 * per dataset), a CSV inventory (semicolon, Windows-1252, French) and a paged SOAP service, all
 * served from loopback, harvested into PostgreSQL by the real fetcher and loader running as
 * separate child processes (`hasad start --role fetcher|loader`).
 *
 *   npm run bench                          all ten phases: 100,000 DCAT datasets, 100,000 CSV rows, 20,000 SOAP records, rdflib, scaling, workers, kept description
 *   npm run bench:harvest -- --datasets 5000 --csv-rows 5000 --soap-records 2000   quick smoke run
 *   npm run bench:harvest -- --only dcat,csv,soap  some phases: dcat (1-3), unpaged (4), csv (5), soap (6)
 *   npm run bench:harvest -- --skip-unpaged        all but phase 4
 *   npm run bench:harvest -- --soap-server-ms 50   the SOAP service takes 50 ms more per page (a real one's database)
 *   npm run bench:harvest -- --log-level debug     also per-batch / per-page timings from the roles' logs
 *   npm run bench:harvest -- --child-env HASAD_LOADER_CONCURRENCY=4   try a setting (repeatable)
 *   npm run bench:harvest -- --node-arg=--cpu-prof --node-arg=--cpu-prof-dir=/tmp/prof   profile the roles (repeatable)
 *   npm run bench:harvest -- --only rdflib,scaling,workers   the reference (rdflib), scaling to 1,000,000 and 1 vs 2 workers
 *   npm run bench:harvest -- --only description --description-datasets 20000 --description-reps 5
 *                                          what keeping each dataset's source description costs: the same first
 *                                          harvest with and without it (HASAD_BENCH_SKIP_SOURCE_DESCRIPTION), interleaved
 *   HASAD_BENCH_KEEP_DB=1 npm run bench:harvest -- --only dcat   keep the bench's database (its name is printed) to EXPLAIN
 *                                          statements against a full catalogue; drop it by hand afterwards
 *
 * Figures are printed beside their aims; the bench never fails on speed. It exits 1 only when
 * the pipeline gives a wrong result (a run that fails, wrong counts) or breaks.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { descriptionCodec, envSchema, loadConfig, queueSettings, type HasadConfig } from '@hasad/core';
import { createDb, createOrganization, createSource, getRun, type DbHandle, type Run } from '@hasad/db';
import { createTestDatabase } from '@hasad/db/testing';
import { Queues } from '@hasad/queues';
import { triggerHarvest, waitForRun } from '@hasad/cli';
import {
  csvInventoryConfig,
  csvInventoryIdentifier,
  csvInventoryTitle,
  FeedServer,
  generateCsvInventory,
  soapDatasetServiceConfig,
  startSoapDatasetService,
  type SoapDatasetService,
} from '@hasad/testkit';
import { deleteQueueKeys } from '../test/helpers/pipeline.ts';
import { Cleanup } from './lib/cleanup.ts';
import { mountPrerendered, type PrerenderedCatalog } from './lib/feed.ts';
import { fmtSpread, soapTimings, type SoapTimings } from './lib/kinds.ts';
import { debugTimings, warnings, type Distribution } from './lib/logs.ts';
import { Monitor, type PhaseStats } from './lib/monitor.ts';
import { loadAverage, MB } from './lib/proc.ts';
import { int, mb, pct, secs, table } from './lib/report.ts';
import { ensureRdflib, stopRdflib, timeRdflib, writePages, type RdflibTiming } from './lib/rdflib.ts';
import { roleEnv, startRole, type RoleProcess } from './lib/roles.ts';
import { machineInfo, updateSummary, type Machine, type SummaryRow, type SummarySection } from './lib/summary.ts';
import { storagePerDataset, type StoragePerDataset } from './lib/storage.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results');

const { values: args } = parseArgs({
  options: {
    datasets: { type: 'string', default: '100000' },
    'page-size': { type: 'string', default: '1000' },
    'skip-unpaged': { type: 'boolean', default: false },
    only: { type: 'string' },
    'csv-rows': { type: 'string', default: '100000' },
    'soap-records': { type: 'string', default: '20000' },
    'soap-page-size': { type: 'string', default: '200' },
    'soap-server-ms': { type: 'string', default: '0' },
    'log-level': { type: 'string', default: 'warn' },
    'child-env': { type: 'string', multiple: true, default: [] },
    'node-arg': { type: 'string', multiple: true, default: [] },
    'timeout': { type: 'string', default: '1800' },
    'interval': { type: 'string', default: '100' },
    /** Datasets of the feed Hasad harvests and rdflib parses (default --datasets). */
    'rdflib-datasets': { type: 'string' },
    'scaling-sizes': { type: 'string', default: '10000,100000,500000,1000000' },
    /**
     * Datasets of the untimed harvest that warms fresh roles before a scaling size or a
     * kept-description run is timed (their parsing worker's start, compiling, PostgreSQL's
     * caches); 0 for none.
     */
    warmup: { type: 'string', default: '2000' },
    /** Datasets of the workers comparison (default --datasets). */
    'workers-datasets': { type: 'string' },
    /** Datasets of the kept-description comparison: each repetition is two first harvests of this size. */
    'description-datasets': { type: 'string', default: '20000' },
    /** Repetitions of the kept-description comparison, each one harvest with and one without. */
    'description-reps': { type: 'string', default: '5' },
    /** Do not write bench/results/summary.md. */
    'no-summary': { type: 'boolean', default: false },
    /** Rebuilds the summary from these result files (comma-separated bench/results/harvest-*.json) without harvesting. */
    'summary-from': { type: 'string' },
  },
});
const DATASETS = positiveInt(args.datasets!, '--datasets');
const PAGE_SIZE = positiveInt(args['page-size']!, '--page-size');
const TIMEOUT_MS = positiveInt(args.timeout!, '--timeout') * 1000;
const INTERVAL_MS = positiveInt(args.interval!, '--interval');
const LOG_LEVEL = args['log-level']!;
const CSV_ROWS = positiveInt(args['csv-rows']!, '--csv-rows');
const SOAP_RECORDS = positiveInt(args['soap-records']!, '--soap-records');
const SOAP_PAGE_SIZE = positiveInt(args['soap-page-size']!, '--soap-page-size');
const SOAP_SERVER_MS = nonNegativeInt(args['soap-server-ms']!, '--soap-server-ms');
const RDFLIB_N = positiveInt(args['rdflib-datasets'] ?? args.datasets!, '--rdflib-datasets');
const SCALING_SIZES = args['scaling-sizes']!.split(',').map((x) => positiveInt(x.trim(), '--scaling-sizes'));
const WARMUP = nonNegativeInt(args.warmup!, '--warmup');
const WORKERS_N = positiveInt(args['workers-datasets'] ?? args.datasets!, '--workers-datasets');
const DESCRIPTION_N = positiveInt(args['description-datasets']!, '--description-datasets');
const DESCRIPTION_REPS = positiveInt(args['description-reps']!, '--description-reps');

/**
 * Groups of phases `--only` selects: dcat = 1-3 (paged feed, then unchanged 200 and 304), unpaged = 4, csv = 5, soap = 6,
 * rdflib = 7 (Turtle and RDF/XML against the reference parser), scaling = 8 (first harvests of growing sizes),
 * workers = 9 (one and two fetcher + loader processes), description = 10 (the same first harvest with and without the
 * kept source descriptions, interleaved: what keeping them costs).
 */
const GROUPS = ['dcat', 'unpaged', 'csv', 'soap', 'rdflib', 'scaling', 'workers', 'description'] as const;
type Group = (typeof GROUPS)[number];
const ONLY: ReadonlySet<Group> = (() => {
  const picked = args.only === undefined ? [...GROUPS] : args.only.split(',').map((g) => g.trim()).filter(Boolean);
  const unknown = picked.filter((g) => !(GROUPS as readonly string[]).includes(g));
  if (unknown.length || picked.length === 0) throw new Error(`--only wants a comma-separated list of ${GROUPS.join(', ')}; got "${args.only}"`);
  const set = new Set(picked as Group[]);
  if (args['skip-unpaged']) set.delete('unpaged');
  return set;
})();

/**
 * Production limits the bench lifts so that it measures Hasad, not a politeness setting: the
 * per-host request rate (5 a second by default would cap the paged DCAT phase at 5 pages a second
 * and the SOAP phase at 5 x 200 records a second) and the largest page (200 MiB by default; the
 * unpaged document is 146 MB for 100,000 datasets, more with a larger `--datasets`). Applied only
 * to variables the configuration knows, and `--child-env` wins. The link check that follows each
 * complete run is off: it runs after the run has finished (so it never adds to a run's time) but
 * its source-quality aggregate (about 2 s of PostgreSQL CPU for 100,000 datasets) would land in
 * the next phase's figures; `--child-env HASAD_LINK_CHECK_SAMPLE=20` measures with it.
 */
const LIFTED: Record<string, string> = {
  HASAD_HOST_RATE_PER_SECOND: '100000',
  HASAD_FETCH_MAX_BYTES: String(1024 * 1024 * 1024),
  HASAD_LINK_CHECK_SAMPLE: '0',
};

type PhaseKey = 'initial' | 'unchanged200' | 'unchanged200same' | 'unchanged200prefixes' | 'notModified304' | 'unpaged' | 'csv' | 'soap' | 'rdfTurtle' | 'rdfXml' | 'scale' | 'workers' | 'workersMulti' | 'description';

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
  /** CSV: the file and how it was read. */
  csv?: { rows: number; bytes: number; renderMs: number; dialect: string | null; mbPerSecRun?: number };
  /** Bytes a dataset takes in PostgreSQL after a first harvest (canonical record and kept description). */
  storage?: StoragePerDataset;
  /** SOAP: the service's own time per page against Hasad's (see lib/kinds.ts). */
  soap?: { records: number; pageSize: number; addedServerMs: number; timings: SoapTimings };
  /** 1-minute load average when the phase ended (the machine is shared). */
  loadAverage?: number;
  /** Phase 7: rdflib parsing the same pages, after Hasad's harvest; with the load average when it ended. */
  rdflib?: RdflibTiming & { loadAverage: number };
  /** Phase 8: catalogue size. */
  size?: number;
  /** Phase 9: fetcher and loader processes (each). */
  workers?: number;
  /** Phase 10: whether the datasets kept their source description (false: HASAD_BENCH_SKIP_SOURCE_DESCRIPTION). */
  keptDescription?: boolean;
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
  const plan = [
    ONLY.has('dcat') && `DCAT ${int(DATASETS)} datasets in pages of ${int(PAGE_SIZE)} (Turtle)`,
    ONLY.has('unpaged') && `DCAT ${int(DATASETS)} datasets unpaged`,
    ONLY.has('csv') && `CSV ${int(CSV_ROWS)} rows`,
    ONLY.has('soap') && `SOAP ${int(SOAP_RECORDS)} records in pages of ${int(SOAP_PAGE_SIZE)}`,
    ONLY.has('rdflib') && `Turtle and RDF/XML ${int(RDFLIB_N)} datasets against rdflib`,
    ONLY.has('scaling') && `scaling ${SCALING_SIZES.map(int).join(' / ')}`,
    ONLY.has('workers') && `1 and 2 workers at ${int(WORKERS_N)}`,
    ONLY.has('description') && `kept description cost at ${int(DESCRIPTION_N)}, ${DESCRIPTION_REPS} x with and without`,
  ].filter(Boolean);
  console.log(`Hasad harvest bench: ${plan.join('; ')}; ${cores} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / MB / 1024)} GB, node ${process.version}`);
  console.log(`load average at start: ${load0.join(' ')} (on a shared machine figures are noisy: see "others CPU" below)`);

  const cleanups = new Cleanup();

  const phases: PhaseResult[] = [];
  let roles: { fetcher: RoleProcess; loader: RoleProcess } | undefined;
  /** Every role process started, in order (the roles are restarted before the CSV and SOAP phases). */
  const started: RoleProcess[] = [];
  let meta: Record<string, unknown> = {};
  let machine: Machine | undefined;
  try {
    // Database and queue prefix of our own, removed at the end.
    const database = await createTestDatabase();
    if (process.env.HASAD_BENCH_KEEP_DB) console.log(`keeping database ${database.name} (HASAD_BENCH_KEEP_DB): drop it by hand`);
    else cleanups.push(() => database.drop());
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
    const lifted = Object.fromEntries(Object.entries(LIFTED).filter(([k]) => k in envSchema.shape && !(k in extra)));
    const childEnv: Record<string, string> = {
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      HASAD_QUEUE_PREFIX: prefix,
      HASAD_ALLOW_PRIVATE_HOSTS: '1',
      LOG_LEVEL,
      ...lifted,
      ...extra,
    };
    const config = loadConfig(childEnv);
    if (Object.keys(lifted).length) {
      const defaults = loadConfig({}) as unknown as Record<string, unknown>;
      console.log(`production limits lifted for the bench (--child-env to set them): ${Object.entries(lifted).map(([k, v]) => `${k}=${v} (default ${String(defaults[k])})`).join(', ')}`);
    }

    const db = createDb(database.url, { max: 3, applicationName: 'bench' });
    cleanups.push(() => db.close());
    const queues = new Queues(queueSettings(config));
    cleanups.push(() => queues.close());

    const server = await FeedServer.start();
    cleanups.push(() => server.close());
    const paged = ONLY.has('dcat') ? mountPrerendered(server, '/ministere', { datasets: DATASETS, pageSize: PAGE_SIZE }, 'turtle') : undefined;
    if (paged) console.log(`feed: ${paged.pages} pages, ${int(paged.bytes / MB)} MB, pre-rendered in ${secs(paged.renderMs)} s (not timed)`);

    // The roles, as in production: one process each.
    const env = roleEnv(childEnv);
    const logBase = join(RESULTS, 'logs', `harvest-${stamp}`);
    const nodeArgs = args['node-arg']!;
    const launch = async (more: Record<string, string> = {}) => {
      const suffix = started.length === 0 ? '' : `-${started.length / 2 + 1}`;
      const e = { ...env, ...more };
      const r = { fetcher: startRole(ROOT, 'fetcher', e, `${logBase}-fetcher${suffix}.log`, nodeArgs), loader: startRole(ROOT, 'loader', e, `${logBase}-loader${suffix}.log`, nodeArgs) };
      started.push(r.fetcher, r.loader);
      return { r, readyMs: await waitForWorkers(queues, r), suffix };
    };
    const first = await launch();
    roles = first.r;
    const { fetcher, loader } = first.r;
    const readyMs = first.readyMs;
    cleanups.push(() => Promise.all([roles!.fetcher.stop(10_000), roles!.loader.stop(10_000)]));
    console.log(`fetcher pid ${fetcher.pid} and loader pid ${loader.pid} ready after ${secs(readyMs)} s; logs: ${relative(ROOT, logBase)}-{fetcher,loader}.log`);

    const monitor = new Monitor({ pool: db.pool, dbName: database.name, loadQueue: queues.load, inflightCap: config.HASAD_MAX_INFLIGHT_BATCHES, intervalMs: INTERVAL_MS, cores });
    monitor.track('fetcher', fetcher.pid);
    monitor.track('loader', loader.pid);
    monitor.track('bench', process.pid);
    const redisPid = await localRedisPid(redisUrl);
    if (redisPid) monitor.track('redis', redisPid);
    monitor.start();
    cleanups.push(async () => monitor.stop());

    const org = await createOrganization(db, { slug: `bench-${randomBytes(3).toString('hex')}`, name: 'Ministère du banc d’essai' });
    machine = await machineInfo(db.pool, redisUrl);

    meta = {
      phases: [...ONLY],
      datasets: DATASETS,
      pageSize: PAGE_SIZE,
      pages: paged?.pages ?? null,
      feedBytes: paged?.bytes ?? null,
      feedRenderMs: paged?.renderMs ?? null,
      database: database.name,
      queuePrefix: prefix,
      logLevel: LOG_LEVEL,
      childEnv: extra,
      lifted,
      settings: pickSettings(config),
      workersReadyMs: Math.round(readyMs),
      pids: { fetcher: fetcher.pid, loader: loader.pid, bench: process.pid, redis: redisPid ?? null },
    };

    const ctx: PhaseContext = { db, config, server, monitor, roles, logBase };
    /**
     * New fetcher and loader processes, so that a phase's peak RSS is its own: V8 keeps the heap
     * an earlier phase grew until its next major GC (after phase 4's document the fetcher sat at
     * about 900 MB), which would be charged to the next phase. Not timed.
     */
    const freshRoles = async (why: string, more?: Record<string, string>) => {
      if (phases.length === 0 && more === undefined) return;
      const current = ctx.roles;
      await Promise.all([current.fetcher.stop(10_000), current.loader.stop(10_000)]);
      const next = await launch(more);
      current.fetcher = next.r.fetcher;
      current.loader = next.r.loader;
      monitor.track('fetcher', next.r.fetcher.pid);
      monitor.track('loader', next.r.loader.pid);
      console.log(`fresh fetcher pid ${next.r.fetcher.pid} and loader pid ${next.r.loader.pid} for ${why}, ready after ${secs(next.readyMs)} s (logs ${relative(ROOT, logBase)}-{fetcher,loader}${next.suffix}.log)`);
    };
    const N = DATASETS;
    // A phase that broke (a role died, a timeout) leaves nothing sound to measure the next one on.
    const unbroken = () => phases.every((p) => !p.error);

    if (paged) {
      const P = paged.pages;
      const source = await createSource(db, { organizationId: org.id, kind: 'dcat', url: paged.ctl.url, config: {}, withdrawThreshold: null });

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
      phases.at(-1)!.storage = await storagePerDataset(db.pool, source.id);
      // Issue 17's aims, CPU first (the machine is shared: CPU a dataset moves less with other work).
      setAims(phases.at(-1)!, (r) => [
        { text: `CPU <= ${AIM_FIRST_CPU_US} µs a dataset (fetcher, loader and their PostgreSQL backends)`, met: r.monitor && cpuPerDataset(r) <= AIM_FIRST_CPU_US },
        { text: '>= 10,000 datasets/s', met: r.rates && r.rates.wallDatasetsPerSec >= 10_000 },
        { text: 'fetcher < 300 MB', met: r.monitor && r.monitor.processes.fetcher!.peakRssMb < 300 },
        { text: 'loader < 300 MB', met: r.monitor && r.monitor.processes.loader!.peakRssMb < 300 },
      ]);

      // 2. Unchanged, served again with 200: none written. The pages carry a comment (other bytes,
      // the same tokens): since 2026-12-08 a Turtle page is hashed by its tokens (comments, spaces
      // and blank node labels aside) and one whose tokens hash as in the last run is not parsed,
      // like one of the very same bytes (phase 2b). Phase 2c serves the same triples written with
      // another prefix (other tokens): each page is parsed and its triples hashed, and one whose
      // triples hash as in the last run is not mapped or loaded (its datasets count as seen).
      /** What phases 2, 2b and 2c check: every page answered 200 and counted not modified, nothing written. */
      const unchangedWith200 = (run: Run, statuses: Record<string, number>) => [
        expect('status', run.status, 'unchanged'),
        expect('unchanged', run.unchanged, N),
        expect('created', run.created, 0),
        expect('updated', run.updated, 0),
        expect('pagesNotModified', run.pagesNotModified, P),
        expect('HTTP 200 answers', statuses['200'] ?? 0, P),
      ];
      if (unbroken()) {
        paged.ctl.conditional = false;
        const commentMs = paged.setComment('régénéré');
        console.log(`feed pages re-rendered with a comment in ${secs(commentMs)} s (not timed)`);
        phases.push(
          // Every page found to hold the very tokens of the last run: not parsed, mapped or loaded.
          await runPhase(ctx, 'unchanged200', '2 unchanged, HTTP 200, other bytes', source.id, unchangedWith200),
        );
        setAims(phases.at(-1)!, (r) => [
          { text: `CPU <= ${AIM_UNCHANGED_CPU_US} µs a dataset (fetcher, loader and their PostgreSQL backends)`, met: r.monitor && cpuPerDataset(r) <= AIM_UNCHANGED_CPU_US },
          { text: '>= 30,000 datasets/s', met: r.rates && r.rates.wallDatasetsPerSec >= 30_000 },
        ]);
      }

      // 2b. Unchanged, served again with 200 and the very same bytes (a server without ETags):
      // every page is hashed, recognised, and not parsed.
      if (unbroken()) {
        phases.push(
          await runPhase(ctx, 'unchanged200same', '2b unchanged, HTTP 200, same bytes', source.id, unchangedWith200),
        );
        setAims(phases.at(-1)!, (r) => [{ text: '>= 15,000 datasets/s', met: r.rates && r.rates.wallDatasetsPerSec >= 15000 }]);
      }

      // 2c. Unchanged, served again with 200, the same triples written with another prefix: every
      // page parsed (other tokens), its triples hashed before its graph is built, and found the
      // last run's. No aim of its own: what a re-serialised feed costs, beside phase 2.
      if (unbroken()) {
        const renameMs = paged.setPrefixRenamed();
        console.log(`feed pages re-rendered with another prefix in ${secs(renameMs)} s (not timed)`);
        phases.push(
          // Every page parsed and found to hold the very triples of the last run: not mapped or loaded.
          await runPhase(ctx, 'unchanged200prefixes', '2c unchanged, HTTP 200, other prefixes', source.id, unchangedWith200),
        );
        setAims(phases.at(-1)!, () => []);
      }
      paged.ctl.conditional = true;

      // 3. Unchanged, the server answers 304 to every page.
      if (unbroken()) {
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
    }

    // 4. The same datasets as one unpaged document, into a source of its own.
    if (ONLY.has('unpaged') && unbroken()) {
      const unpaged: PrerenderedCatalog = mountPrerendered(server, '/ministere-complet', { datasets: DATASETS, pageSize: 0 }, 'turtle');
      meta.unpagedBytes = unpaged.bytes;
      meta.unpagedRenderMs = unpaged.renderMs;
      console.log(`unpaged feed: one document of ${int(unpaged.bytes / MB)} MB, pre-rendered in ${secs(unpaged.renderMs)} s (not timed)`);
      const second = await createSource(db, { organizationId: org.id, kind: 'dcat', url: unpaged.ctl.url, config: {}, withdrawThreshold: null });
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

    // 5. A CSV inventory as a French-language ministry exports it: one file, one row a dataset.
    if (ONLY.has('csv') && unbroken()) {
      await freshRoles('the CSV phase');
      const t0 = performance.now();
      const body = generateCsvInventory({ rows: CSV_ROWS });
      const renderMs = Math.round(performance.now() - t0);
      console.log(`CSV inventory: ${int(CSV_ROWS)} rows, ${int(body.length / MB)} MB (semicolon, Windows-1252, CRLF), generated in ${secs(renderMs)} s (not timed)`);
      // No charset in the Content-Type, as offices' servers send it: the encoding is detected.
      server.route('/inventaire/jeux-de-donnees.csv', { status: 200, body, contentType: 'text/csv' });
      const csvSource = await createSource(db, { organizationId: org.id, kind: 'csv', url: `${server.url}/inventaire/jeux-de-donnees.csv`, config: csvInventoryConfig(), withdrawThreshold: null });
      const phase = await runPhase(ctx, 'csv', `5 CSV inventory, ${int(CSV_ROWS)} rows`, csvSource.id, (run, statuses) => [
        expect('status', run.status, 'succeeded'),
        expect('seen', run.seen, CSV_ROWS),
        expect('created', run.created, CSV_ROWS),
        expect('invalid', run.invalid, 0),
        expect('pagesFetched', run.pagesFetched, 1),
        expect('HTTP 200 answers', statuses['200'] ?? 0, 1),
      ]);
      phases.push(phase);
      await checkRowCount(ctx, phase, csvSource.id, CSV_ROWS);
      if (phase.run && !phase.error) {
        const dialect = await problemMessage(db, phase.run.id, 'csv_dialect');
        phase.csv = {
          rows: CSV_ROWS,
          bytes: body.length,
          renderMs,
          dialect,
          ...(phase.timings && { mbPerSecRun: Math.round((body.length / MB / (phase.timings.runMs / 1000)) * 10) / 10 }),
        };
        if (!dialect?.startsWith('read as windows-1252') || !dialect.includes('semicolon-delimited')) fail(phase, `csv_dialect ${JSON.stringify(dialect)}, expected windows-1252 and semicolons`);
        // The titles that need Windows-1252 (’ — é â ô) came through: the first, middle and last rows.
        for (const i of [1, Math.ceil(CSV_ROWS / 2), CSV_ROWS]) {
          const title = await titleOf(db, csvSource.id, csvInventoryIdentifier(i));
          const f = expect(`title of row ${i}`, title, csvInventoryTitle(i));
          if (f) fail(phase, f);
        }
      }
      const dcat = phases.find((p) => p.key === 'initial' && p.ok)?.rates?.wallDatasetsPerSec;
      setAims(phase, (r) => [
        dcat === undefined
          ? { text: '>= 5,000 datasets/s (the DCAT aim; phase 1 not run)', met: r.rates && r.rates.wallDatasetsPerSec >= 5000 }
          : { text: `>= DCAT first harvest (${int(dcat)}/s)`, met: r.rates && r.rates.wallDatasetsPerSec >= dcat },
        { text: 'fetcher < 300 MB', met: r.monitor && r.monitor.processes.fetcher!.peakRssMb < 300 },
      ]);
    }

    // 6. A paged SOAP service (one POST a page), generating each page when asked as a real one would.
    if (ONLY.has('soap') && unbroken()) {
      await freshRoles('the SOAP phase');
      const svc: SoapDatasetService = await startSoapDatasetService({ count: SOAP_RECORDS, delayMs: SOAP_SERVER_MS });
      cleanups.push(() => svc.close());
      const pages = Math.ceil(SOAP_RECORDS / SOAP_PAGE_SIZE);
      console.log(`SOAP service: ${int(SOAP_RECORDS)} records, ${pages} pages of ${SOAP_PAGE_SIZE}, paging by total${SOAP_SERVER_MS ? `, ${SOAP_SERVER_MS} ms added per page` : ''}`);
      const soapSource = await createSource(db, { organizationId: org.id, kind: 'soap', url: svc.url, config: soapDatasetServiceConfig({ pageSize: SOAP_PAGE_SIZE }), withdrawThreshold: null });
      const phase = await runPhase(
        ctx,
        'soap',
        `6 SOAP service, ${pages} pages`,
        soapSource.id,
        (run, statuses) => [
          expect('status', run.status, 'succeeded'),
          expect('seen', run.seen, SOAP_RECORDS),
          expect('created', run.created, SOAP_RECORDS),
          expect('invalid', run.invalid, 0),
          expect('pagesFetched', run.pagesFetched, pages),
          expect('HTTP 200 answers', statuses['200'] ?? 0, pages),
          expect('pages asked, in order', JSON.stringify(svc.ordinals()), JSON.stringify(Array.from({ length: pages }, (_, i) => i + 1))),
        ],
        svc,
      );
      phases.push(phase);
      await checkRowCount(ctx, phase, soapSource.id, SOAP_RECORDS);
      phase.soap = { records: SOAP_RECORDS, pageSize: SOAP_PAGE_SIZE, addedServerMs: SOAP_SERVER_MS, timings: soapTimings(svc.requests, SOAP_RECORDS) };
      setAims(phase, (r) => {
        const t = r.soap?.timings;
        return [{ text: `server-bound (Hasad's time per page <= the server's)`, met: t?.hasadMs && t.serverMs ? t.hasadMs.mean <= t.serverMs.mean : undefined }];
      });
    }

    // 7. The reference: rdflib (what ckanext-dcat parses with) against Hasad's whole harvest of the
    // same pages, in Turtle and in RDF/XML. Hasad first (fetch, parse, normalise, load into
    // PostgreSQL, into an empty catalogue), then rdflib parsing the very bytes Hasad was served,
    // one after the other so that neither competes with the other for the two cores.
    if (ONLY.has('rdflib') && unbroken()) {
      const version = ensureRdflib((line) => console.log(line));
      cleanups.push(async () => stopRdflib());
      for (const [format, rdflibFormat, ext, key] of [
        ['turtle', 'turtle', 'ttl', 'rdfTurtle'],
        ['rdfxml', 'xml', 'rdf', 'rdfXml'],
      ] as const) {
        if (!unbroken()) break;
        await freshRoles(`the ${format} harvest`);
        await resetCatalogue(db);
        const feed = mountPrerendered(server, `/reference-${format}`, { datasets: RDFLIB_N, pageSize: PAGE_SIZE }, format);
        console.log(`${format} feed: ${feed.pages} pages, ${int(feed.bytes / MB)} MB, pre-rendered in ${secs(feed.renderMs)} s (not timed)`);
        const src = await createSource(db, { organizationId: org.id, kind: 'dcat', url: feed.ctl.url, config: {}, withdrawThreshold: null });
        const phase = await runPhase(ctx, key, `7 ${format}, ${int(RDFLIB_N)} datasets, ${feed.pages} pages`, src.id, (run, statuses) => [
          expect('status', run.status, 'succeeded'),
          expect('created', run.created, RDFLIB_N),
          expect('HTTP 200 answers', statuses['200'] ?? 0, feed.pages),
        ]);
        phases.push(phase);
        await checkRowCount(ctx, phase, src.id, RDFLIB_N);
        // A directory of this run's own: two benches at once must not delete each other's pages.
        const dir = join(ROOT, 'bench', '.data', 'rdflib', `${stamp}-${format}`);
        const files = writePages(dir, feed.bodies(), ext);
        feed.unmount();
        process.stdout.write(`rdflib ${version} parsing the same ${files.length} ${format} pages (${int(feed.bytes / MB)} MB), one process ... `);
        try {
          const t = await timeRdflib(files, rdflibFormat, feed.bytes);
          phase.rdflib = { ...t, loadAverage: loadAverage()[0] };
          console.log(`${t.parseSeconds.toFixed(1)} s, ${int(t.triples)} triples, ${int(t.maxRssMb)} MB`);
        } catch (err) {
          fail(phase, `rdflib: ${(err as Error).message}`);
          console.log(`FAILED: ${(err as Error).message}`);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
        setAims(phase, (r) => [
          { text: "Hasad's whole harvest faster than rdflib's parse alone", met: r.timings && r.rdflib ? r.timings.wallMs / 1000 < r.rdflib.parseSeconds : undefined },
        ]);
      }
    }

    // 8. Scaling: the first harvest of paged feeds of growing size, each into an empty catalogue
    // with fresh roles (so each peak RSS is that size's own).
    if (ONLY.has('scaling') && unbroken()) {
      for (const size of SCALING_SIZES) {
        if (!unbroken()) break;
        await freshRoles(`scaling at ${int(size)}`);
        // Fresh roles pay once for what a running service paid long ago: the parsing worker's start
        // (about 1.7 s), compiling, PostgreSQL's caches. Paid here, untimed, on a small harvest of
        // its own, so that a size's CPU a dataset is the harvest's, not the start's (which weighed
        // some 500 µs a dataset on 10,000 and nothing on a million).
        if (WARMUP > 0) await warmUp(ctx, org.id, WARMUP, `/echauffement-${size}`);
        await resetCatalogue(db);
        const feed = mountPrerendered(server, `/echelle-${size}`, { datasets: size, pageSize: PAGE_SIZE }, 'turtle');
        console.log(`scaling feed: ${int(size)} datasets, ${feed.pages} pages, ${int(feed.bytes / MB)} MB, pre-rendered in ${secs(feed.renderMs)} s (not timed)`);
        const src = await createSource(db, { organizationId: org.id, kind: 'dcat', url: feed.ctl.url, config: {}, withdrawThreshold: null });
        const phase = await runPhase(ctx, 'scale', `8 scaling, ${int(size)} datasets`, src.id, (run, statuses) => [
          expect('status', run.status, 'succeeded'),
          expect('created', run.created, size),
          expect('HTTP 200 answers', statuses['200'] ?? 0, feed.pages),
        ]);
        phase.size = size;
        phases.push(phase);
        await checkRowCount(ctx, phase, src.id, size);
        feed.unmount();
      }
      const scaled = phases.filter((p) => p.key === 'scale' && p.ok);
      const largest = scaled.at(-1);
      if (largest && scaled.length > 1) {
        const v = scalingVerdict(scaled);
        setAims(largest, () => [
          { text: `throughput flat within 20 % (slowest / fastest ${pct(v.rateRatio)})`, met: v.flat },
          { text: `fetcher memory independent of size (${v.fetcherPeaks.map((m) => mb(m)).join(' / ')})`, met: v.fetcherFlat },
        ]);
      }
    }

    // 9. Workers: the same harvest with one and with two fetcher + loader processes; once as one
    // source (a run is fetched by one fetcher, page after page: only loading can spread), once as
    // four sources of a quarter each, harvested at once (fetching spreads too).
    if (ONLY.has('workers') && unbroken()) {
      const whole = mountPrerendered(server, '/ouvriers', { datasets: WORKERS_N, pageSize: PAGE_SIZE }, 'turtle');
      const quarter = Math.floor(WORKERS_N / 4);
      const parts = [1, 2, 3, 4].map((k) => mountPrerendered(server, `/ouvriers-${k}`, { datasets: quarter, pageSize: PAGE_SIZE }, 'turtle'));
      console.log(`workers feeds: one of ${int(WORKERS_N)} datasets (${whole.pages} pages), four of ${int(quarter)} (not timed)`);
      let extra: RoleProcess[] = [];
      cleanups.push(() => Promise.all(extra.map((r) => r.stop(10_000))));
      for (const w of [1, 2]) {
        if (!unbroken()) break;
        await Promise.all(extra.map((r) => r.stop(10_000)));
        extra = [];
        await freshRoles(`${w} fetcher + loader process${w > 1 ? 'es' : ''}`);
        for (let k = 2; k <= w; k++) {
          const more = await launch();
          extra.push(more.r.fetcher, more.r.loader);
          monitor.track(`fetcher${k}`, more.r.fetcher.pid);
          monitor.track(`loader${k}`, more.r.loader.pid);
        }
        await waitForWorkerCount(queues, w);
        await resetCatalogue(db);
        const one = await createSource(db, { organizationId: org.id, kind: 'dcat', url: whole.ctl.url, config: {}, withdrawThreshold: null });
        const p1 = await runPhase(ctx, 'workers', `9 ${w} fetcher + ${w} loader, one source of ${int(WORKERS_N)}`, one.id, (run) => [expect('status', run.status, 'succeeded'), expect('created', run.created, WORKERS_N)]);
        p1.workers = w;
        phases.push(p1);
        await checkRowCount(ctx, p1, one.id, WORKERS_N);
        if (!unbroken()) break;
        await resetCatalogue(db);
        const four = await Promise.all(parts.map((f) => createSource(db, { organizationId: org.id, kind: 'dcat', url: f.ctl.url, config: {}, withdrawThreshold: null })));
        const p4 = await runMultiPhase(ctx, 'workersMulti', `9 ${w} fetcher + ${w} loader, 4 sources of ${int(quarter)} at once`, four.map((x) => x.id), quarter);
        p4.workers = w;
        phases.push(p4);
      }
      await Promise.all(extra.map((r) => r.stop(10_000)));
      extra = [];
      for (const key of ['workers', 'workersMulti'] as const) {
        const [a, b] = [1, 2].map((w) => phases.find((p) => p.key === key && p.workers === w && p.ok));
        if (a?.timings && b?.timings) {
          const speedUp = a.timings.wallMs / b.timings.wallMs;
          setAims(b, () => [{ text: `speed-up ${speedUp.toFixed(2)}x over 1 + 1 (${cores} cores)`, met: undefined }]);
        }
      }
    }

    // 10. The kept description's cost: the same first harvest with and without each dataset's
    // source description (HASAD_BENCH_SKIP_SOURCE_DESCRIPTION, measurement only), interleaved
    // and in alternating order, so that the machine's drift falls on both; fresh roles and an
    // empty catalogue each time. CPU a dataset (roles and their PostgreSQL backends) is compared:
    // on a shared machine it moves far less than wall time.
    if (ONLY.has('description') && unbroken()) {
      const feed = mountPrerendered(server, '/description', { datasets: DESCRIPTION_N, pageSize: PAGE_SIZE }, 'turtle');
      console.log(`description feed: ${int(DESCRIPTION_N)} datasets, ${feed.pages} pages, ${int(feed.bytes / MB)} MB (not timed)`);
      for (let rep = 1; rep <= DESCRIPTION_REPS && unbroken(); rep++) {
        for (const kept of rep % 2 === 1 ? [true, false] : [false, true]) {
          if (!unbroken()) break;
          await freshRoles(`kept description ${kept ? 'on' : 'off'}, repetition ${rep}`, { HASAD_BENCH_SKIP_SOURCE_DESCRIPTION: kept ? '0' : '1' });
          // As for scaling: the roles' start is not the description's cost (it fell on both sides
          // and so lowered the share).
          if (WARMUP > 0) await warmUp(ctx, org.id, WARMUP, `/echauffement-description-${rep}-${kept ? 'on' : 'off'}`);
          await resetCatalogue(db);
          const src = await createSource(db, { organizationId: org.id, kind: 'dcat', url: feed.ctl.url, config: {}, withdrawThreshold: null });
          const phase = await runPhase(ctx, 'description', `10 first harvest ${kept ? 'with' : 'without'} kept descriptions (${rep})`, src.id, (run) => [
            expect('status', run.status, 'succeeded'),
            expect('created', run.created, DESCRIPTION_N),
          ]);
          phase.keptDescription = kept;
          phases.push(phase);
          await checkRowCount(ctx, phase, src.id, DESCRIPTION_N);
          phase.storage = await storagePerDataset(db.pool, src.id);
          const stored = phase.storage.descriptionTextBytes > 0;
          if (stored !== kept) fail(phase, `kept descriptions ${stored ? 'stored' : 'absent'}, expected ${kept ? 'stored' : 'absent'}`);
        }
      }
      feed.unmount();
      const share = descriptionShare(phases);
      const last = phases.filter((p) => p.key === 'description' && p.keptDescription).at(-1);
      if (share !== undefined && last) setAims(last, () => [{ text: `kept description costs ≤ 15 % of first-harvest CPU (${pct1(share.share)}, ${descriptionCodec})`, met: share.share <= 0.15 }]);
    }
  } catch (err) {
    console.error(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    phases.push({ key: 'initial', title: 'setup', ok: false, failures: [], error: (err as Error).message, aims: [] });
  } finally {
    await cleanups.run();
  }

  if (cleanups.interrupted) {
    console.error('interrupted: no results written');
    await cleanups.run();
    return 130;
  }
  const ok = phases.length > 0 && phases.every((p) => p.ok);
  const result = {
    bench: 'harvest',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    ok,
    machine: { cores, cpu: cpus()[0]?.model ?? null, memoryGb: Math.round(totalmem() / MB / 1024), node: process.version, loadAverageStart: load0, loadAverageEnd: loadAverage() },
    options: { only: [...ONLY], datasets: DATASETS, pageSize: PAGE_SIZE, skipUnpaged: args['skip-unpaged'], csvRows: CSV_ROWS, soapRecords: SOAP_RECORDS, soapPageSize: SOAP_PAGE_SIZE, soapServerMs: SOAP_SERVER_MS, logLevel: LOG_LEVEL, childEnv: args['child-env'], nodeArgs: args['node-arg'], intervalMs: INTERVAL_MS, descriptionDatasets: DESCRIPTION_N, descriptionReps: DESCRIPTION_REPS },
    meta,
    phases,
    logs: started.length
      ? {
          fetcher: started.filter((r) => r.role === 'fetcher').map((r) => relative(ROOT, r.logFile)),
          loader: started.filter((r) => r.role === 'loader').map((r) => relative(ROOT, r.logFile)),
          fetcherWarnings: started.filter((r) => r.role === 'fetcher').flatMap((r) => warnings(r.logFile)),
          loaderWarnings: started.filter((r) => r.role === 'loader').flatMap((r) => warnings(r.logFile)),
        }
      : undefined,
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
  if (machine && !args['no-summary']) {
    const sections = summarySections(phases, machine, startedAt.toISOString());
    if (Object.keys(sections).length) {
      updateSummary(RESULTS, sections, SUMMARY_ORDER);
      console.log(`summary: bench/results/summary.md, sections ${Object.keys(sections).join(', ')}`);
    }
  }
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
  /** Where the answers are logged: the feed server, or a service of its own (SOAP). */
  log: { requests: Array<{ status: number }> } = ctx.server,
): Promise<PhaseResult> {
  process.stdout.write(`${title} ... `);
  const served = log.requests.length;
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
    result.loadAverage = loadAverage()[0];
    const statuses = countStatuses(log.requests.slice(served).map((r) => r.status));
    result.server = { requests: log.requests.length - served, statuses };
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
    result.loadAverage = loadAverage()[0];
    if (stats) {
      const { series, ...summary } = stats;
      result.monitor = summary;
      result.series = series;
    }
    result.error = err instanceof Error ? err.message : String(err);
    if (runId) {
      const run = await getRun(ctx.db, runId).catch(() => undefined);
      if (run) result.run = runSummary(run);
    }
    console.log(`BROKE after ${secs(performance.now() - p0)} s: ${result.error}`);
  }
  return result;
}

/**
 * Several sources triggered at once (phase 9's four quarters); wall = first trigger → last run
 * finished, and the counts are the runs' sums.
 */
async function runMultiPhase(ctx: PhaseContext, key: PhaseKey, title: string, sourceIds: string[], each: number): Promise<PhaseResult> {
  process.stdout.write(`${title} ... `);
  const result: PhaseResult = { key, title, ok: false, failures: [], aims: [] };
  ctx.monitor.beginPhase();
  const t0 = Date.now();
  const p0 = performance.now();
  try {
    const queued = await Promise.all(sourceIds.map((id) => triggerHarvest(ctx.db, ctx.config, id, 'manual')));
    const runs = await Promise.race([Promise.all(queued.map((q) => waitForRun(ctx.db, q.id, TIMEOUT_MS))), diedDuring(ctx.roles.fetcher), diedDuring(ctx.roles.loader)]);
    const observedWallMs = performance.now() - p0;
    const stats = await ctx.monitor.endPhase();
    result.loadAverage = loadAverage()[0];
    const { series, ...summary } = stats;
    result.monitor = summary;
    result.series = series;
    const sum = (f: (r: Run) => number) => runs.reduce((a, r) => a + f(r), 0);
    const finished = Math.max(...runs.map((r) => r.finishedAt!.getTime()));
    const started = Math.min(...runs.map((r) => (r.startedAt ?? r.createdAt).getTime()));
    const statuses = [...new Set(runs.map((r) => r.status))];
    result.run = {
      ...runSummary(runs[0]!),
      id: runs.map((r) => r.id).join(','),
      status: statuses.length === 1 ? statuses[0]! : statuses.join('+'),
      seen: sum((r) => r.seen),
      created: sum((r) => r.created),
      updated: sum((r) => r.updated),
      unchanged: sum((r) => r.unchanged),
      withdrawn: sum((r) => r.withdrawn),
      invalid: sum((r) => r.invalid),
      pagesFetched: sum((r) => r.pagesFetched),
      pagesNotModified: sum((r) => r.pagesNotModified),
      bytes: sum((r) => r.bytes),
    };
    result.timings = { wallMs: finished - t0, observedWallMs: Math.round(observedWallMs), runMs: finished - started, queuedMs: started - t0, firstBatchMs: null, fetchMs: null, loadTailMs: null, finaliseMs: null, batches: 0 };
    result.rates = {
      runDatasetsPerSec: Math.round(result.run.seen / (Math.max(1, finished - started) / 1000)),
      wallDatasetsPerSec: Math.round(result.run.seen / (Math.max(1, finished - t0) / 1000)),
    };
    for (const r of runs) {
      const f = expect(`run ${r.id} status`, r.status, 'succeeded') ?? expect(`run ${r.id} created`, r.created, each);
      if (f) result.failures.push(f);
    }
    result.ok = result.failures.length === 0;
    console.log(`${result.run.status} in ${secs(result.timings.wallMs)} s${result.ok ? '' : ` — WRONG: ${result.failures.join('; ')}`}`);
  } catch (err) {
    await ctx.monitor.endPhase().catch(() => undefined);
    result.loadAverage = loadAverage()[0];
    result.error = err instanceof Error ? err.message : String(err);
    console.log(`BROKE after ${secs(performance.now() - p0)} s: ${result.error}`);
  }
  return result;
}

/**
 * Empties the catalogue and the run history (not the sources), so that the next harvest is a
 * first harvest into empty tables, whatever the phases before it loaded.
 */
/** An untimed first harvest of `datasets` on the current roles (scaling's warm-up); fails the bench if it does not succeed. */
async function warmUp(ctx: PhaseContext, organizationId: string, datasets: number, path: string): Promise<void> {
  const t0 = performance.now();
  const h = ctx.db;
  const feed = mountPrerendered(ctx.server, path, { datasets, pageSize: PAGE_SIZE }, 'turtle');
  try {
    const src = await createSource(h, { organizationId, kind: 'dcat', url: feed.ctl.url, config: {}, withdrawThreshold: null });
    const queued = await triggerHarvest(h, ctx.config, src.id, 'manual');
    const run = await Promise.race([waitForRun(h, queued.id, TIMEOUT_MS), diedDuring(ctx.roles.fetcher), diedDuring(ctx.roles.loader)]);
    if (run.status !== 'succeeded') throw new Error(`the warm-up harvest of ${int(datasets)} datasets ended ${run.status}: ${run.error ?? ''}`);
    console.log(`warm-up: ${int(datasets)} datasets harvested in ${secs(performance.now() - t0)} s (not timed)`);
  } finally {
    feed.unmount();
  }
}

async function resetCatalogue(h: DbHandle): Promise<void> {
  await h.pool.query('TRUNCATE datasets, dataset_changes, source_pages, runs CASCADE');
  // Each timed harvest into the empty catalogue then starts just after a checkpoint, not wherever
  // the last one left the WAL: a checkpoint falling during one run and not another makes the
  // loader's backend write index pages whole to the WAL again in one of them only. (Its CPU varied
  // by up to 30 µs a dataset between runs of the same code in phase 10, 2026-12-07.)
  if (!checkpointRefused) {
    await h.pool.query('CHECKPOINT').catch((err: Error) => {
      checkpointRefused = true;
      console.log(`CHECKPOINT refused (${err.message}): timed runs start wherever the last left the WAL`);
    });
  }
}
let checkpointRefused = false;

/** Waits until `n` workers listen on each queue. */
async function waitForWorkerCount(queues: Queues, n: number): Promise<void> {
  const t0 = performance.now();
  for (;;) {
    const [h, l] = await Promise.all([queues.harvest.getWorkersCount(), queues.load.getWorkersCount()]);
    if (h >= n && l >= n) return;
    if (performance.now() - t0 > 120_000) throw new Error(`${n} fetcher and loader workers did not register within 120 s (have ${h} and ${l})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Phase 8's aims over all sizes: throughput flat within 20 % (the slowest size's datasets/s at
 * least 80 % of the fastest's), and the fetcher's peak RSS independent of the size (the largest
 * size's within 20 %, or 30 MB, of the smallest's: a paged feed is held one page at a time).
 */
function scalingVerdict(scaled: PhaseResult[]) {
  const rates = scaled.map((p) => p.rates?.wallDatasetsPerSec ?? 0);
  const fetcherPeaks = scaled.map((p) => p.monitor?.processes.fetcher?.peakRssMb ?? 0);
  const rateRatio = Math.min(...rates) / Math.max(...rates);
  const first = fetcherPeaks[0]!;
  const fetcherFlat = Math.max(...fetcherPeaks) <= Math.max(first * 1.2, first + 30);
  return { rates, fetcherPeaks, rateRatio, flat: rateRatio >= 0.8, fetcherFlat };
}

const SUMMARY_ORDER = ['harvest', 'rdflib', 'scaling', 'workers', 'description'];

/** A share as a percentage with one decimal (phase 10's difference is a few per cent). */
const pct1 = (share: number) => `${(share * 100).toFixed(1)} %`;

/** Issue 17: a first harvest, and an unchanged one with other bytes, cost at most this much CPU a dataset (µs). */
const AIM_FIRST_CPU_US = 200;
const AIM_UNCHANGED_CPU_US = 60;

/** CPU µs a dataset of one phase: the roles and their PostgreSQL backends, over the datasets seen. */
function cpuPerDataset(p: PhaseResult): number {
  return Math.round((hasadCpu(p) / Math.max(1, p.run?.seen ?? 0)) * 1e6);
}

/**
 * Phase 10's comparison: mean CPU µs a dataset with and without the kept descriptions, and the
 * share of the first-harvest figure (with) that keeping them costs.
 */
function descriptionShare(phases: PhaseResult[]): { withUs: number; withoutUs: number; share: number; withRuns: number[]; withoutRuns: number[]; repetitions: { min: number; median: number; max: number } | undefined } | undefined {
  const runs = phases.filter((p) => p.key === 'description' && p.ok && p.monitor);
  const withRuns = runs.filter((p) => p.keptDescription).map(cpuPerDataset);
  const withoutRuns = runs.filter((p) => !p.keptDescription).map(cpuPerDataset);
  if (withRuns.length === 0 || withoutRuns.length === 0) return undefined;
  const mean = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
  const withUs = mean(withRuns);
  const withoutUs = mean(withoutRuns);
  // Each repetition's own share (its "with" run against the "without" run beside it): how far the
  // machine moves the figure within one invocation, so that a verdict near 15 % can be read as
  // what it is. The verdict itself stays on the means.
  const own = withRuns.length === withoutRuns.length ? withRuns.map((w, i) => (w - withoutRuns[i]!) / w).sort((a, b) => a - b) : [];
  const repetitions = own.length > 1 ? { min: own[0]!, median: own.length % 2 ? own[(own.length - 1) / 2]! : (own[own.length / 2 - 1]! + own[own.length / 2]!) / 2, max: own.at(-1)! } : undefined;
  return { withUs, withoutUs, share: (withUs - withoutUs) / withUs, withRuns, withoutRuns, repetitions };
}

/** CPU seconds the fetcher, the loader and the PostgreSQL backends serving them used during a phase. */
function hasadCpu(p: PhaseResult): number {
  const m = p.monitor;
  if (!m) return NaN;
  return Object.entries(m.processes).filter(([k]) => /^(fetcher|loader)/.test(k)).reduce((a, [, v]) => a + v.cpuSeconds, 0) + Object.values(m.postgresCpuSeconds).reduce((a, b) => a + b, 0);
}

/** The summary table's sections for the phases this run measured (see lib/summary.ts). */
function summarySections(phases: PhaseResult[], machine: Machine, ranAt: string): Record<string, SummarySection> {
  const out: Record<string, SummarySection> = {};
  const ok = phases.filter((p) => p.ok);
  const section = (key: string, title: string, rows: SummaryRow[]) => {
    if (rows.length) out[key] = { title, ranAt, machine, rows };
  };
  const peaks = (p: PhaseResult) => `fetcher ${mb(p.monitor?.processes.fetcher?.peakRssMb)}, loader ${mb(p.monitor?.processes.loader?.peakRssMb)}`;
  const aimOf = (p: PhaseResult, i: number) => p.aims[i];
  const row = (p: PhaseResult, figure: string, value: string, i: number): SummaryRow => ({ figure, value, aim: aimOf(p, i)?.text ?? '-', met: aimOf(p, i)?.met, load: p.loadAverage });

  const h: SummaryRow[] = [];
  for (const p of ok.filter((x) => ['initial', 'unchanged200', 'unchanged200same', 'unchanged200prefixes', 'notModified304', 'unpaged', 'csv', 'soap'].includes(x.key))) {
    const rate = `${int(p.rates?.wallDatasetsPerSec)} datasets/s (${int(p.run?.seen)} in ${secs(p.timings?.wallMs)} s)`;
    if (p.key === 'notModified304') h.push(row(p, p.title, `${secs(p.timings?.wallMs)} s`, 0));
    else if (p.key === 'unpaged') h.push(row(p, p.title, `${rate}; ${peaks(p)}`, 0));
    else if (p.key === 'soap') {
      // A run with --soap-server-ms (a service that takes its time, as a real one's database does)
      // is its own row, beside the default service's.
      const added = p.soap?.addedServerMs ? ` (service +${p.soap.addedServerMs} ms a page)` : '';
      h.push(row(p, `${p.title}${added}`, `${rate}; Hasad ${p.soap?.timings.hasadMs?.mean ?? '-'} ms a page, server ${p.soap?.timings.serverMs?.mean ?? '-'} ms`, 0));
    }
    else if (p.key === 'unchanged200prefixes') h.push({ figure: `${p.title}: CPU a dataset`, value: `${cpuPerDataset(p)} µs (fetcher, loader and their PostgreSQL backends); ${rate}`, aim: '-', met: undefined, load: p.loadAverage });
    else if (p.key === 'initial' || p.key === 'unchanged200') {
      // CPU a dataset first, then the rate (aims 0 and 1).
      h.push(row(p, `${p.title}: CPU a dataset`, `${cpuPerDataset(p)} µs (fetcher, loader and their PostgreSQL backends)`, 0));
      h.push(row(p, p.title, rate, 1));
      if (p.key === 'initial') h.push({ figure: `${p.title}: peak RSS`, value: peaks(p), aim: '< 300 MB each', met: (p.monitor?.processes.fetcher?.peakRssMb ?? 1e9) < 300 && (p.monitor?.processes.loader?.peakRssMb ?? 1e9) < 300, load: p.loadAverage });
    } else {
      h.push(row(p, p.title, rate, 0));
      if (p.key === 'csv') h.push({ figure: `${p.title}: peak RSS`, value: peaks(p), aim: '< 300 MB each', met: (p.monitor?.processes.fetcher?.peakRssMb ?? 1e9) < 300 && (p.key === 'csv' || (p.monitor?.processes.loader?.peakRssMb ?? 1e9) < 300), load: p.loadAverage });
    }
  }
  section('harvest', 'harvest', h);

  const r: SummaryRow[] = [];
  for (const p of ok.filter((x) => x.rdflib && x.timings)) {
    const hasad = p.timings!.wallMs / 1000;
    const ref = p.rdflib!.parseSeconds;
    const factor = ref / hasad;
    r.push({
      figure: `${p.key === 'rdfTurtle' ? 'Turtle' : 'RDF/XML'}, ${int(p.run?.seen)} datasets (${int(p.rdflib!.bytes / MB)} MB)`,
      value:
        `Hasad whole harvest ${hasad.toFixed(1)} s vs rdflib ${p.rdflib!.version} parse alone ${ref.toFixed(1)} s: Hasad ${factor >= 1 ? `${factor.toFixed(2)}x faster` : `${(1 / factor).toFixed(2)}x slower`}` +
        ` (CPU: Hasad's roles and their PostgreSQL backends ${hasadCpu(p).toFixed(0)} s, rdflib ${p.rdflib!.cpuSeconds.toFixed(0)} s)`,
      aim: 'Hasad whole pipeline faster than rdflib parse alone',
      met: hasad < ref,
      load: Math.max(p.loadAverage ?? 0, p.rdflib!.loadAverage),
    });
  }
  section('rdflib', 'reference (rdflib)', r);

  const sc: SummaryRow[] = [];
  const scaled = ok.filter((x) => x.key === 'scale');
  // CPU per dataset (the roles and their PostgreSQL backends) is what the machine's other work
  // moves least: on a shared machine it shows whether the line bends where datasets/s cannot.
  for (const p of scaled) sc.push({ figure: `first harvest, ${int(p.size)} datasets`, value: `${int(p.rates?.wallDatasetsPerSec)} datasets/s, ${cpuPerDataset(p)} µs CPU a dataset; ${peaks(p)}`, aim: '-', met: undefined, load: p.loadAverage });
  if (scaled.length > 1) {
    const v = scalingVerdict(scaled);
    const maxLoad = Math.max(...scaled.map((p) => p.loadAverage ?? 0));
    sc.push({ figure: 'throughput over sizes', value: `slowest / fastest ${pct(v.rateRatio)}`, aim: 'flat within 20 %', met: v.flat, load: maxLoad });
    const cpus = scaled.map(cpuPerDataset);
    sc.push({ figure: 'CPU a dataset over sizes', value: `${cpus.join(' / ')} µs (lowest / highest ${pct(Math.min(...cpus) / Math.max(...cpus))})`, aim: 'flat within 20 % (the same aim, free of the other work)', met: Math.min(...cpus) / Math.max(...cpus) >= 0.8, load: maxLoad });
    sc.push({ figure: 'fetcher peak RSS over sizes', value: v.fetcherPeaks.map((m) => mb(m)).join(' / '), aim: 'independent of size', met: v.fetcherFlat, load: maxLoad });
  }
  section('scaling', 'scaling', sc);

  const w: SummaryRow[] = [];
  for (const key of ['workers', 'workersMulti'] as const) {
    const [a, b] = [1, 2].map((n) => ok.find((p) => p.key === key && p.workers === n));
    for (const p of [a, b]) if (p) w.push({ figure: p.title.replace(/^9 /, ''), value: `${secs(p.timings?.wallMs)} s, ${int(p.rates?.wallDatasetsPerSec)} datasets/s`, aim: '-', met: undefined, load: p.loadAverage });
    if (a?.timings && b?.timings) w.push({ figure: `speed-up, ${key === 'workers' ? 'one source' : 'four sources'}`, value: `${(a.timings.wallMs / b.timings.wallMs).toFixed(2)}x`, aim: `printed (${machine.cores} cores)`, met: undefined, load: b.loadAverage });
  }
  section('workers', 'workers', w);

  const d: SummaryRow[] = [];
  const share = descriptionShare(ok);
  const described = ok.filter((p) => p.key === 'description');
  if (share !== undefined) {
    const store = described.find((p) => p.keptDescription)?.storage;
    const maxLoad = Math.max(...described.map((p) => p.loadAverage ?? 0));
    d.push({ figure: `first harvest, ${int(described[0]?.run?.seen)} datasets, CPU a dataset with / without kept descriptions`, value: `${share.withUs} / ${share.withoutUs} µs (runs: ${share.withRuns.join(', ')} / ${share.withoutRuns.join(', ')})`, aim: '-', met: undefined, load: maxLoad });
    const spread = share.repetitions ? ` (each repetition: ${pct1(share.repetitions.min)} to ${pct1(share.repetitions.max)}, median ${pct1(share.repetitions.median)})` : '';
    d.push({ figure: 'share of first-harvest CPU the kept description costs', value: `${pct1(share.share)}${spread}`, aim: '≤ 15 %', met: share.share <= 0.15, load: maxLoad });
    if (store) d.push({ figure: 'storage a dataset with kept description', value: `${int(store.rowBytes)} B a row: canonical record ${int(store.recordBytes)} B + description ${int(store.descriptionBytes)} B`, aim: '-', met: undefined, load: maxLoad });
  }
  section('description', 'kept description', d);
  return out;
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

/** The message of a run's first problem with `code` (e.g. the CSV dialect it was read in), or null. */
async function problemMessage(h: DbHandle, runId: string, code: string): Promise<string | null> {
  const res = await h.pool.query<{ message: string }>('SELECT message FROM run_problems WHERE run_id = $1 AND code = $2 ORDER BY id LIMIT 1', [runId, code]);
  return res.rows[0]?.message ?? null;
}

/** The French title stored for one dataset of a source. */
async function titleOf(h: DbHandle, sourceId: string, identifier: string): Promise<string | null> {
  const res = await h.pool.query<{ fr: string | null }>(`SELECT title->>'fr' AS fr FROM datasets WHERE source_id = $1 AND source_identifier = $2`, [sourceId, identifier]);
  return res.rows[0]?.fr ?? null;
}

function fail(phase: PhaseResult, failure: string): void {
  phase.failures.push(failure);
  phase.ok = false;
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

/** "read as windows-1252 (detected: …), semicolon-delimited (detected)" → "windows-1252 (detected), semicolon (detected)". */
function dialectSummary(message: string | null): string {
  if (!message) return '-';
  const enc = /^read as (\S+) \((detected|config|bom|charset)?/.exec(message);
  const delim = /(\w+)-delimited \(([^)]*)\)/.exec(message);
  return `${enc?.[1] ?? '?'}${enc?.[2] ? ` (${enc[2]})` : ''}, ${delim?.[1] ?? '?'} (${delim?.[2] ?? '?'})`;
}

function nonNegativeInt(s: string, flag: string): number {
  const n = Number(s.replace(/[_,]/g, ''));
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} wants an integer >= 0, got "${s}"`);
  return n;
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
      ['phase', 'status', 'datasets', 'CPU µs/ds', 'wall s', 'run s', 'wall ds/s', 'run ds/s', 'aim'],
      phases.map((p) => [
        p.title,
        p.error ? 'BROKE' : `${p.run?.status ?? '-'}${p.ok ? '' : ' (WRONG)'}`,
        int(p.run?.seen),
        p.monitor && p.run?.seen ? int(cpuPerDataset(p)) : '-',
        secs(p.timings?.wallMs),
        secs(p.timings?.runMs),
        int(p.rates?.wallDatasetsPerSec),
        int(p.rates?.runDatasetsPerSec),
        p.aims.map(yes).join('; '),
      ]),
    ),
  );

  // Storage and CPU a dataset: what keeping each dataset's source description costs is weighed here.
  for (const p of phases.filter((x) => x.storage)) {
    const st = p.storage!;
    const cpu = p.monitor ? Math.round((hasadCpu(p) / Math.max(1, p.run?.seen ?? 0)) * 1e6) : undefined;
    console.log(
      `\n${p.title}: storage per dataset ${int(st.rowBytes)} B a row: canonical record ${int(st.recordBytes)} B + kept description ${int(st.descriptionBytes)} B stored ` +
        `(${int(st.descriptionTextBytes)} B as N-Triples text, ${pct(st.compressedShare)} of rows compressed); CPU ${cpu === undefined ? '-' : int(cpu)} µs a dataset (fetcher, loader and their PostgreSQL backends)`,
    );
  }

  const share = descriptionShare(phases);
  if (share !== undefined) {
    console.log(
      `\nKept description: first harvest CPU ${share.withUs} µs a dataset with it (runs ${share.withRuns.join(', ')}), ${share.withoutUs} µs without ` +
        `(runs ${share.withoutRuns.join(', ')}): keeping it costs ${pct1(share.share)} of the first-harvest figure (aim ≤ 15 %: ${share.share <= 0.15 ? 'met' : 'MISSED'}); ` +
        (share.repetitions ? `each repetition's own share ${pct1(share.repetitions.min)} to ${pct1(share.repetitions.max)}, median ${pct1(share.repetitions.median)}; ` : '') +
        `descriptions compressed with ${descriptionCodec} (node ${process.version}${descriptionCodec === 'zstd' ? '' : ': zstd needs Node 22.15 or later; Hasad targets Node 24'})`,
    );
  }

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

  const csv = phases.filter((p) => p.csv);
  if (csv.length) {
    console.log('\nCSV inventory: one file, streamed (rows mapped and handed to the loader as they arrive); MB/s = file size / run time');
    console.log(
      table(
        ['phase', 'file', 'rows', 'run MB/s', 'read as'],
        csv.map((p) => [p.title, `${(p.csv!.bytes / MB).toFixed(1)} MB`, int(p.csv!.rows), p.csv!.mbPerSecRun?.toFixed(1) ?? '-', dialectSummary(p.csv!.dialect)]),
      ),
    );
  }
  const soap = phases.filter((p) => p.soap);
  if (soap.length) {
    console.log('\nSOAP service, one page at a time. server = request in -> last byte of the answer out (generating the page');
    console.log('as a real service would, plus --soap-server-ms); Hasad = that last byte -> the next request in (read, parse,');
    console.log('map, hand the batch to the loader, checkpoint). server share = server time / fetch span (1 = server-bound)');
    console.log(
      table(
        ['phase', 'pages', 'server ms/page mean/p50/p95', 'Hasad ms/page mean/p50/p95', 'server share', 'fetch span', 'fetch-only rec/s', 'run rec/s'],
        soap.map((p) => {
          const t = p.soap!.timings;
          return [p.title, `${t.pages} x ${p.soap!.pageSize}`, fmtSpread(t.serverMs), fmtSpread(t.hasadMs), pct(t.serverShare), `${secs(t.fetchSpanMs)} s`, int(t.fetchRecordsPerSec), int(p.rates?.runDatasetsPerSec)];
        }),
      ),
    );
  }

  const ref = phases.filter((p) => p.rdflib && p.timings);
  if (ref.length) {
    console.log("\nThe reference: rdflib parsing the same pages (one Python process, one graph a page, as ckanext-dcat), after Hasad's whole");
    console.log('harvest of them (fetch, parse, normalise, load into PostgreSQL: trigger -> runs.finished_at). load = 1-min load average at the end');
    console.log(
      table(
        ['feed', 'MB', 'Hasad wall s', 'Hasad CPU s (roles+pg)', 'rdflib parse s', 'rdflib CPU s', 'rdflib triples', 'rdflib RSS', 'Hasad vs rdflib', 'load (Hasad / rdflib)'],
        ref.map((p) => {
          const r = p.rdflib!;
          const hasad = p.timings!.wallMs / 1000;
          const cpu = hasadCpu(p);
          const f = r.parseSeconds / hasad;
          return [p.title, int(r.bytes / MB), hasad.toFixed(1), cpu.toFixed(1), r.parseSeconds.toFixed(1), r.cpuSeconds.toFixed(1), int(r.triples), mb(r.maxRssMb), f >= 1 ? `${f.toFixed(2)}x faster` : `${(1 / f).toFixed(2)}x slower`, `${p.loadAverage?.toFixed(1) ?? '-'} / ${r.loadAverage.toFixed(1)}`];
        }),
      ),
    );
  }
  const scaled = phases.filter((p) => p.key === 'scale' && p.ok);
  if (scaled.length) {
    console.log('\nScaling: first harvest of paged feeds (fresh roles, empty catalogue each time)');
    console.log(
      table(
        ['datasets', 'wall s', 'wall ds/s', 'fetcher peak', 'loader peak', 'load'],
        scaled.map((p) => [int(p.size), secs(p.timings?.wallMs), int(p.rates?.wallDatasetsPerSec), mb(p.monitor?.processes.fetcher?.peakRssMb), mb(p.monitor?.processes.loader?.peakRssMb), p.loadAverage?.toFixed(1) ?? '-']),
      ),
    );
    if (scaled.length > 1) {
      const v = scalingVerdict(scaled);
      console.log(`throughput flat within 20 %: ${v.flat ? 'met' : 'MISSED'} (slowest / fastest ${pct(v.rateRatio)}); fetcher memory independent of size: ${v.fetcherFlat ? 'met' : 'MISSED'} (${v.fetcherPeaks.map((m) => mb(m)).join(' / ')})`);
    }
  }
  const workers = phases.filter((p) => p.workers && p.timings);
  if (workers.length) {
    console.log('\nWorkers: fetcher + loader processes (each); the machine has ' + String(availableParallelism()) + ' cores');
    console.log(
      table(
        ['phase', 'wall s', 'wall ds/s', 'CPU s all roles', 'load'],
        workers.map((p) => [p.title, secs(p.timings?.wallMs), int(p.rates?.wallDatasetsPerSec), Object.entries(p.monitor?.processes ?? {}).filter(([k]) => /^(fetcher|loader)/.test(k)).reduce((a, [, v]) => a + v.cpuSeconds, 0).toFixed(1), p.loadAverage?.toFixed(1) ?? '-']),
      ),
    );
    for (const key of ['workers', 'workersMulti'] as const) {
      const [a, b] = [1, 2].map((w) => workers.find((p) => p.key === key && p.workers === w));
      if (a?.timings && b?.timings) console.log(`speed-up with 2 + 2 (${key === 'workers' ? 'one source' : 'four sources at once'}): ${(a.timings.wallMs / b.timings.wallMs).toFixed(2)}x`);
    }
  }

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

/** `--summary-from`: the summary sections of earlier runs, from their result files, on this machine's versions. */
async function summaryFrom(files: string[]): Promise<number> {
  const db = createDb(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', { max: 1 });
  try {
    const machine = await machineInfo(db.pool, process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    for (const f of files) {
      const r = JSON.parse(readFileSync(f, 'utf8')) as { startedAt: string; phases: PhaseResult[] };
      const sections = summarySections(r.phases, machine, r.startedAt);
      updateSummary(RESULTS, sections, SUMMARY_ORDER);
      console.log(`${f}: sections ${Object.keys(sections).join(', ') || '(none)'}`);
    }
    return 0;
  } finally {
    await db.close();
  }
}

(args['summary-from'] ? summaryFrom(args['summary-from'].split(',').map((f) => f.trim())) : main()).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

/**
 * Harvest benchmark: a generated DCAT catalogue (French and Arabic literals, two distributions
 * per dataset), a CSV inventory (semicolon, Windows-1252, French) and a paged SOAP service, all
 * served from loopback, harvested into PostgreSQL by the real fetcher and loader running as
 * separate child processes (`hasad start --role fetcher|loader`).
 *
 *   npm run bench                          all six phases: 100,000 DCAT datasets, 100,000 CSV rows, 20,000 SOAP records
 *   npm run bench -- --datasets 5000 --csv-rows 5000 --soap-records 2000   quick smoke run
 *   npm run bench -- --only dcat,csv,soap  some phases: dcat (1-3), unpaged (4), csv (5), soap (6)
 *   npm run bench -- --skip-unpaged        all but phase 4
 *   npm run bench -- --soap-server-ms 50   the SOAP service takes 50 ms more per page (a real one's database)
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
import { envSchema, loadConfig, queueSettings, type HasadConfig } from '@hasad/core';
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
import { mountPrerendered, type PrerenderedCatalog } from './lib/feed.ts';
import { fmtSpread, soapTimings, type SoapTimings } from './lib/kinds.ts';
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

/** Groups of phases `--only` selects: dcat = 1-3 (paged feed, then unchanged 200 and 304), unpaged = 4, csv = 5, soap = 6. */
const GROUPS = ['dcat', 'unpaged', 'csv', 'soap'] as const;
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
 * to variables the configuration knows, and `--child-env` wins.
 */
const LIFTED: Record<string, string> = {
  HASAD_HOST_RATE_PER_SECOND: '100000',
  HASAD_FETCH_MAX_BYTES: String(1024 * 1024 * 1024),
};

type PhaseKey = 'initial' | 'unchanged200' | 'unchanged200same' | 'notModified304' | 'unpaged' | 'csv' | 'soap';

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
  /** SOAP: the service's own time per page against Hasad's (see lib/kinds.ts). */
  soap?: { records: number; pageSize: number; addedServerMs: number; timings: SoapTimings };
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
  ].filter(Boolean);
  console.log(`Hasad harvest bench: ${plan.join('; ')}; ${cores} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / MB / 1024)} GB, node ${process.version}`);
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
  /** Every role process started, in order (the roles are restarted before the CSV and SOAP phases). */
  const started: RoleProcess[] = [];
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
    const launch = async () => {
      const suffix = started.length === 0 ? '' : `-${started.length / 2 + 1}`;
      const r = { fetcher: startRole(ROOT, 'fetcher', env, `${logBase}-fetcher${suffix}.log`, nodeArgs), loader: startRole(ROOT, 'loader', env, `${logBase}-loader${suffix}.log`, nodeArgs) };
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

    const org = await createOrganization(db.db, { slug: `bench-${randomBytes(3).toString('hex')}`, name: 'Ministère du banc d’essai' });

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
    const freshRoles = async (why: string) => {
      if (phases.length === 0) return;
      const current = ctx.roles;
      await Promise.all([current.fetcher.stop(10_000), current.loader.stop(10_000)]);
      const next = await launch();
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
      const source = await createSource(db.db, { organizationId: org.id, kind: 'dcat', url: paged.ctl.url, config: {}, withdrawThreshold: null });

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

      // 2. Unchanged, served again with 200: every dataset compared, none written. The pages carry
      // a comment (other bytes, same triples): a page with the very bytes of the last run is
      // taken as not modified without being parsed (its body hash), which phase 3 covers.
      if (unbroken()) {
        paged.ctl.conditional = false;
        const commentMs = paged.setComment('régénéré');
        console.log(`feed pages re-rendered with a comment in ${secs(commentMs)} s (not timed)`);
        phases.push(
          await runPhase(ctx, 'unchanged200', '2 unchanged, HTTP 200, other bytes', source.id, (run, statuses) => [
            expect('status', run.status, 'unchanged'),
            expect('unchanged', run.unchanged, N),
            expect('created', run.created, 0),
            expect('updated', run.updated, 0),
            expect('pagesNotModified', run.pagesNotModified, 0),
            expect('HTTP 200 answers', statuses['200'] ?? 0, P),
          ]),
        );
        setAims(phases.at(-1)!, (r) => [{ text: '>= 15,000 datasets/s', met: r.rates && r.rates.wallDatasetsPerSec >= 15000 }]);
      }

      // 2b. Unchanged, served again with 200 and the very same bytes (a server without ETags):
      // every page is hashed, recognised, and not parsed.
      if (unbroken()) {
        phases.push(
          await runPhase(ctx, 'unchanged200same', '2b unchanged, HTTP 200, same bytes', source.id, (run, statuses) => [
            expect('status', run.status, 'unchanged'),
            expect('seen', run.seen, N),
            expect('created', run.created, 0),
            expect('updated', run.updated, 0),
            expect('pagesNotModified', run.pagesNotModified, P),
            expect('HTTP 200 answers', statuses['200'] ?? 0, P),
          ]),
        );
        setAims(phases.at(-1)!, (r) => [{ text: '>= 15,000 datasets/s', met: r.rates && r.rates.wallDatasetsPerSec >= 15000 }]);
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

    // 5. A CSV inventory as a French-language ministry exports it: one file, one row a dataset.
    if (ONLY.has('csv') && unbroken()) {
      await freshRoles('the CSV phase');
      const t0 = performance.now();
      const body = generateCsvInventory({ rows: CSV_ROWS });
      const renderMs = Math.round(performance.now() - t0);
      console.log(`CSV inventory: ${int(CSV_ROWS)} rows, ${int(body.length / MB)} MB (semicolon, Windows-1252, CRLF), generated in ${secs(renderMs)} s (not timed)`);
      // No charset in the Content-Type, as offices' servers send it: the encoding is detected.
      server.route('/inventaire/jeux-de-donnees.csv', { status: 200, body, contentType: 'text/csv' });
      const csvSource = await createSource(db.db, { organizationId: org.id, kind: 'csv', url: `${server.url}/inventaire/jeux-de-donnees.csv`, config: csvInventoryConfig(), withdrawThreshold: null });
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
      const soapSource = await createSource(db.db, { organizationId: org.id, kind: 'soap', url: svc.url, config: soapDatasetServiceConfig({ pageSize: SOAP_PAGE_SIZE }), withdrawThreshold: null });
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
    options: { only: [...ONLY], datasets: DATASETS, pageSize: PAGE_SIZE, skipUnpaged: args['skip-unpaged'], csvRows: CSV_ROWS, soapRecords: SOAP_RECORDS, soapPageSize: SOAP_PAGE_SIZE, soapServerMs: SOAP_SERVER_MS, logLevel: LOG_LEVEL, childEnv: args['child-env'], nodeArgs: args['node-arg'], intervalMs: INTERVAL_MS },
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

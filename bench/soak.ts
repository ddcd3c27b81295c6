/**
 * Soak: the whole of Hasad (scheduler, fetcher, loader and API, each its own process) harvests a
 * changing set of sources of every kind (DCAT Turtle and RDF/XML, CSV, SOAP, CKAN) on one-minute
 * schedules for N minutes, while the portal API serves a steady read load; the feeds change
 * between runs (datasets added, changed, removed). Samples every process's RSS, Redis memory and
 * keys, and PostgreSQL table sizes; at the end lets every source harvest once more with its feed
 * frozen, checks the catalogue against the feeds, and reports memory over time (start, middle,
 * end, max, slope per hour, a bound check), Redis, tables, and every error seen.
 *
 *   npm run soak -- --minutes 30
 *   npm run soak -- --minutes 2 --read-rps 10        a quick check
 *
 * Results: bench/results/soak-<time>.json and .md; the roles' logs in bench/results/logs/.
 * Exits 1 when a role crashed, the catalogue is wrong at the end, or a bound check failed.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { loadConfig, queueSettings } from '@hasad/core';
import { createDb, createOrganization, createSource } from '@hasad/db';
import { createTestDatabase } from '@hasad/db/testing';
import { jobCatalog, Queues } from '@hasad/queues';
import {
  ckanPackage,
  csvInventoryConfig,
  FeedServer,
  generateCsvInventory,
  mountCatalog,
  soapDatasetServiceConfig,
  startCkanPortal,
  startSoapDatasetService,
  type CatalogControl,
} from '@hasad/testkit';
import { deleteQueueKeys } from '../test/helpers/pipeline.ts';
import { Cleanup } from './lib/cleanup.ts';
import { logSummary, type LogSummary } from './lib/logs.ts';
import { loadAverage, MB, readCpuSeconds, readMemory } from './lib/proc.ts';
import { int } from './lib/report.ts';
import { roleEnv, startRole, type RoleProcess } from './lib/roles.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results');

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    /** Seconds between two samples of RSS; Redis and PostgreSQL are sampled every 6th. */
    sample: { type: 'string', default: '5' },
    'read-rps': { type: 'string', default: '20' },
    retention: { type: 'string', default: '5' },
    'change-every': { type: 'string', default: '60' },
    dcat: { type: 'string', default: '3000' },
    rdfxml: { type: 'string', default: '2000' },
    csv: { type: 'string', default: '3000' },
    soap: { type: 'string', default: '1000' },
    ckan: { type: 'string', default: '1000' },
    'settle-timeout': { type: 'string', default: '300' },
    'log-level': { type: 'string', default: 'info' },
  },
});
const num = (flag: keyof typeof args) => {
  const n = Number(String(args[flag]).replace(/[_,]/g, ''));
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${flag} wants a positive number, got "${String(args[flag])}"`);
  return n;
};
const MINUTES = num('minutes');
const SAMPLE_MS = num('sample') * 1000;
const READ_RPS = num('read-rps');
const RETENTION = Math.round(num('retention'));
const CHANGE_MS = num('change-every') * 1000;
const SETTLE_MS = num('settle-timeout') * 1000;
const LOG_LEVEL = args['log-level']!;

/** Memory may not grow more than this from the second quarter of the soak to the last (MB, or the share, whichever is larger). */
const RSS_BOUND = { mb: 32, share: 0.15 };

interface Sample {
  /** Minutes since the soak started. */
  t: number;
  rss: Record<string, number>;
  cpu: Record<string, number>;
  load1: number;
}
interface StoreSample {
  t: number;
  redis:
    | {
        usedMemoryMb: number;
        dbKeys: number;
        ourKeys: number;
        ourBytesMb: number;
        jobs: Record<string, number>;
        /** Finished jobs each queue keeps (`<queue>.completed`, `<queue>.failed`: the sizes of BullMQ's sets), whatever the queue. */
        retained: Record<string, number>;
      }
    | undefined;
  tables: Record<string, { rows: number; totalMb: number }>;
}

/** One source of the soak, its feed, and what its catalogue must hold. */
interface SoakSource {
  name: string;
  kind: string;
  id: string;
  /** Datasets the feed lists now. */
  expected(): number;
  /** Adds, changes and removes a few datasets; returns how many of each. */
  mutate(): { added: number; changed: number; removed: number };
  /** Forgets the requests the feed server logged (they would grow for the whole soak). */
  forget(): void;
}

const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
/** `share` of `n`, at least 1. */
const some = (n: number, share: number) => Math.max(1, Math.round(n * share));
/** Shares of a feed changed at each mutation: under the withdraw threshold (20 %) by far. */
const ADD = 0.01;
const CHANGE = 0.01;
const REMOVE = 0.005;

/** Up to `k` distinct numbers in 1..n, none in `skip`. */
function sample(n: number, k: number, skip: ReadonlySet<number>): number[] {
  const out = new Set<number>();
  for (let tries = 0; out.size < k && tries < k * 20; tries++) {
    const i = 1 + Math.floor(Math.random() * n);
    if (!skip.has(i)) out.add(i);
  }
  return [...out];
}

function dcatSource(name: string, ctl: CatalogControl, id: string, server: FeedServer): SoakSource {
  ctl.options.revised = new Set();
  ctl.options.omit = new Set();
  return {
    name,
    kind: `dcat (${ctl.format})`,
    id,
    expected: () => ctl.options.datasets - ctl.options.omit!.size,
    mutate() {
      const o = ctl.options;
      const live = o.datasets - o.omit!.size;
      // Toggling `revised` changes the title each time (revised, then back).
      const changed = sample(o.datasets, some(live, CHANGE), o.omit!);
      for (const i of changed) if (!o.revised!.delete(i)) o.revised!.add(i);
      const removed = sample(o.datasets, some(live, REMOVE), o.omit!);
      for (const i of removed) o.omit!.add(i);
      const added = some(live, ADD);
      o.datasets += added;
      return { added, changed: changed.length, removed: removed.length };
    },
    forget: () => (server.requests.length = 0),
  };
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/:/g, '-').replace(/\.\d+Z$/, 'Z');
  mkdirSync(join(RESULTS, 'logs'), { recursive: true });
  const cores = availableParallelism();
  const machine = { cpu: cpus()[0]?.model ?? '?', cores, memoryGb: Math.round(totalmem() / MB / 1024), node: process.version };
  console.log(`Hasad soak: ${MINUTES} min; ${cores} cores (${machine.cpu}), ${machine.memoryGb} GB, node ${process.version}; load average ${loadAverage().join(' ')}`);

  const cleanups = new Cleanup();

  try {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    const prefix = `hasad-soak-${randomBytes(4).toString('hex')}`;
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    cleanups.push(() => deleteQueueKeys(redisUrl, prefix));
    const apiPort = await freePort();
    const apiBase = `http://127.0.0.1:${apiPort}`;
    const childEnv: Record<string, string> = {
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      HASAD_QUEUE_PREFIX: prefix,
      HASAD_ALLOW_PRIVATE_HOSTS: '1',
      LOG_LEVEL,
      PORT: String(apiPort),
      HOST: '127.0.0.1',
      // One-minute schedules (the shortest the configuration allows), spread over that minute.
      HASAD_MIN_SCHEDULE_INTERVAL_MS: '60000',
      HASAD_SCHEDULE_SPREAD_MS: '60000',
      // A short run history, so that the soak shows it bounded.
      HASAD_RUN_RETENTION_COUNT: String(RETENTION),
      // One client address reads steadily: the anonymous rate limit would answer 429.
      HASAD_RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000000',
      HASAD_RATE_LIMIT_PER_IP_PER_MINUTE: '1000000000',
    };
    const config = loadConfig(childEnv);
    const db = createDb(database.url, { max: 3, applicationName: 'soak' });
    cleanups.push(() => db.close());
    const queues = new Queues(queueSettings(config));
    cleanups.push(() => queues.close());

    // The institutions.
    const server = await FeedServer.start();
    cleanups.push(() => server.close());
    const soap = await startSoapDatasetService({ count: num('soap'), omit: new Set() });
    cleanups.push(() => soap.close());
    const ckan = await startCkanPortal(num('ckan'));
    cleanups.push(() => ckan.close());
    const org = await createOrganization(db, { slug: `soak-${randomBytes(3).toString('hex')}`, name: 'Ministère de l’endurance' });
    const add = async (kind: string, url: string, cfg: Record<string, unknown> = {}) =>
      (await createSource(db, { organizationId: org.id, kind, url, config: cfg, schedule: '1m', timezone: 'UTC', withdrawThreshold: null })).id;

    const sources: SoakSource[] = [];
    const ttl = mountCatalog(server, '/ministere', { datasets: num('dcat'), pageSize: 500 }, 'turtle');
    sources.push(dcatSource('ministere', ttl, await add('dcat', ttl.url), server));
    const rdf = mountCatalog(server, '/agence', { datasets: num('rdfxml'), pageSize: 500 }, 'rdfxml');
    sources.push(dcatSource('agence', rdf, await add('dcat', rdf.url), server));

    // CSV: rows come and go (the generator has no revised rows); the file is regenerated.
    const csv = { rows: num('csv'), omit: new Set<number>() };
    const serveCsv = () => server.route('/inventaire.csv', { status: 200, body: generateCsvInventory(csv), contentType: 'text/csv' });
    serveCsv();
    sources.push({
      name: 'inventaire',
      kind: 'csv',
      id: await add('csv', `${server.url}/inventaire.csv`, csvInventoryConfig()),
      expected: () => csv.rows - csv.omit.size,
      mutate() {
        const live = csv.rows - csv.omit.size;
        const removed = sample(csv.rows, some(live, REMOVE), csv.omit);
        for (const i of removed) csv.omit.add(i);
        const added = some(live, ADD);
        csv.rows += added;
        serveCsv();
        return { added, changed: 0, removed: removed.length };
      },
      forget: () => {},
    });

    // SOAP: records come and go (its generator has no revised records).
    const so = soap.options;
    sources.push({
      name: 'service-soap',
      kind: 'soap',
      id: await add('soap', soap.url, soapDatasetServiceConfig({ pageSize: 100 })),
      expected: () => so.count - so.omit!.size,
      mutate() {
        const live = so.count - so.omit!.size;
        const removed = sample(so.count, some(live, REMOVE), so.omit!);
        for (const i of removed) so.omit!.add(i);
        const added = some(live, ADD);
        so.count += added;
        return { added, changed: 0, removed: removed.length };
      },
      forget: () => (soap.requests.length = 0),
    });

    // CKAN: packages added, retitled, deleted.
    let ckanNext = num('ckan') + 1;
    let ckanRevision = 0;
    sources.push({
      name: 'portail-ckan',
      kind: 'ckan',
      id: await add('ckan', ckan.url, { rows: 100, language: 'fr' }),
      expected: () => ckan.packages.size,
      mutate() {
        const keys = [...ckan.packages.keys()];
        const n = keys.length;
        ckanRevision++;
        const changed = new Set(Array.from({ length: some(n, CHANGE) }, () => pick(keys)));
        for (const i of changed) {
          const p = ckanPackage(i);
          const title = `${String(p.title)} (révision ${ckanRevision})`;
          ckan.packages.set(i, { ...p, title, title_translated: { fr: title, ar: `مجموعة البيانات ${i} (${ckanRevision})` }, metadata_modified: new Date().toISOString().replace('Z', '') });
        }
        const removed = new Set(Array.from({ length: some(n, REMOVE) }, () => pick(keys)).filter((i) => !changed.has(i)));
        for (const i of removed) ckan.packages.delete(i);
        const added = some(n, ADD);
        for (let k = 0; k < added; k++, ckanNext++) ckan.packages.set(ckanNext, ckanPackage(ckanNext));
        return { added, changed: changed.size, removed: removed.size };
      },
      forget: () => (ckan.requests.length = 0),
    });
    console.log(`sources (every 1 min): ${sources.map((s) => `${s.name} ${s.kind} ${int(s.expected())}`).join('; ')}`);

    // The services, one process each, as in production.
    const env = roleEnv(childEnv);
    const logBase = join(RESULTS, 'logs', `soak-${stamp}`);
    const roles: Record<string, RoleProcess> = {};
    for (const role of ['scheduler', 'fetcher', 'loader', 'api']) roles[role] = startRole(ROOT, role, env, `${logBase}-${role}.log`);
    cleanups.push(() => Promise.all(Object.values(roles).map((r) => r.stop(30_000))));
    const crashes: string[] = [];
    let stopping = false;
    for (const r of Object.values(roles)) {
      void r.exited.then((how) => {
        if (!stopping) crashes.push(`${r.role} exited (code ${how.code}, signal ${how.signal}): ${r.stderrTail().trim().slice(-500)}`);
      });
    }
    await waitReady(queues, apiBase, roles);
    console.log(`roles ready: ${Object.values(roles).map((r) => `${r.role} pid ${r.pid}`).join(', ')}; API on ${apiBase}; logs ${relative(ROOT, logBase)}-<role>.log`);

    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
    cleanups.push(async () => redis.disconnect());
    const t0 = performance.now();
    const minutesNow = () => (performance.now() - t0) / 60_000;

    // Sampling.
    const samples: Sample[] = [];
    const stores: StoreSample[] = [];
    let sampling = false;
    let nth = 0;
    const takeSample = async () => {
      if (sampling) return;
      sampling = true;
      try {
        const rss: Record<string, number> = {};
        const cpu: Record<string, number> = {};
        for (const r of Object.values(roles)) {
          const m = readMemory(r.pid);
          if (m) rss[r.role] = round(m.rss / MB);
          const c = readCpuSeconds(r.pid);
          if (c !== undefined) cpu[r.role] = round(c);
        }
        rss.soak = round((readMemory(process.pid)?.rss ?? 0) / MB);
        samples.push({ t: round(minutesNow(), 3), rss, cpu, load1: loadAverage()[0] });
        if (nth++ % 6 === 0) stores.push(await sampleStores(redis, prefix, queues, db.pool, minutesNow()));
      } catch (err) {
        console.error(`sample failed: ${(err as Error).message}`);
      } finally {
        sampling = false;
      }
    };
    await takeSample();
    const sampler = setInterval(() => void takeSample(), SAMPLE_MS);

    // The feeds change every CHANGE_MS.
    const mutations: Record<string, { added: number; changed: number; removed: number }> = Object.fromEntries(sources.map((s) => [s.name, { added: 0, changed: 0, removed: 0 }]));
    const mutator = setInterval(() => {
      for (const s of sources) {
        const m = s.mutate();
        const acc = mutations[s.name]!;
        acc.added += m.added;
        acc.changed += m.changed;
        acc.removed += m.removed;
        s.forget();
      }
    }, CHANGE_MS);

    // Steady read load on the portal API.
    const reader = startReader(apiBase, db.pool, READ_RPS);

    const endAt = t0 + MINUTES * 60_000;
    let lastPrint = 0;
    while (performance.now() < endAt && !cleanups.interrupted && crashes.length === 0) {
      await new Promise((r) => setTimeout(r, 1000));
      if (performance.now() - lastPrint > 60_000) {
        lastPrint = performance.now();
        const s = samples.at(-1);
        const st = stores.at(-1);
        console.log(
          `${minutesNow().toFixed(1)} min: RSS ${Object.entries(s?.rss ?? {}).map(([k, v]) => `${k} ${Math.round(v)}`).join(' ')} MB; ` +
            `runs ${st?.tables.runs?.rows ?? '?'}; our Redis keys ${st?.redis?.ourKeys ?? '?'}; reads ${int(reader.stats.total)} (${reader.stats.failed} failed); load ${loadAverage()[0]}`,
        );
      }
    }
    clearInterval(mutator);
    if (cleanups.interrupted) return 130;

    // Freeze the feeds; every source harvests once more; the catalogue must then match them.
    const frozenAt = new Date();
    console.log(`feeds frozen at ${minutesNow().toFixed(1)} min; waiting for one more run of each source (at most ${SETTLE_MS / 1000} s)`);
    const settle = await settleRuns(db.pool, sources, frozenAt, SETTLE_MS, () => crashes.length > 0 || cleanups.interrupted);
    await reader.stop();
    clearInterval(sampler);
    await takeSample();
    stores.push(await sampleStores(redis, prefix, queues, db.pool, minutesNow()));

    const catalogue = await checkCatalogue(db.pool, sources, settle);
    const runStatuses = (await db.pool.query<{ status: string; error_code: string | null; n: number }>(`SELECT status, error_code, count(*)::int AS n FROM runs GROUP BY 1, 2 ORDER BY 3 DESC`)).rows;
    // Runs deleted by retention are gone from the table: the loader's "run finished" lines count them all.
    stopping = true;
    await Promise.all(Object.values(roles).map((r) => r.stop(30_000)));
    const logs: Record<string, LogSummary> = {};
    for (const r of Object.values(roles)) logs[r.role] = logSummary(r.logFile);
    const runsLogged = countRunEnds(roles.fetcher!.logFile, roles.loader!.logFile);

    const base = join(RESULTS, `soak-${stamp}`);
    // The raw figures first: a report that cannot be built must not lose 30 minutes of samples.
    writeFileSync(`${base}.json`, `${JSON.stringify({ samples, stores, logs, crashes, catalogue, runStatuses, runsLogged, reads: reader.stats, mutations, settle }, null, 2)}\n`);
    const report = buildReport({ machine, startedAt, minutes: MINUTES, samples, stores, logs, crashes, catalogue, runStatuses, runsLogged, reads: reader.stats, mutations, sources, settle, prefix });
    writeFileSync(`${base}.json`, `${JSON.stringify({ ...report.data, samples, stores }, null, 2)}\n`);
    writeFileSync(`${base}.md`, report.markdown);
    console.log(`\n${report.markdown}`);
    console.log(`results: ${relative(ROOT, base)}.json and .md`);
    return report.ok ? 0 : 1;
  } catch (err) {
    console.error(`soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  } finally {
    await cleanups.run();
  }
}

/** A port the OS says is free now (listen on 0, close): the API role is given it as PORT. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitReady(queues: Queues, apiBase: string, roles: Record<string, RoleProcess>): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    for (const r of Object.values(roles)) if (r.child.exitCode !== null || r.child.signalCode !== null) throw new Error(`the ${r.role} exited while starting:\n${r.stderrTail()}`);
    const [h, l] = await Promise.all([queues.harvest.getWorkersCount(), queues.load.getWorkersCount()]);
    const api = await fetch(`${apiBase}/healthz`).then((res) => res.ok, () => false);
    if (h > 0 && l > 0 && api) return;
    if (Date.now() > deadline) throw new Error('the roles were not ready within 120 s');
    await new Promise((r) => setTimeout(r, 200));
  }
}

const TABLES = ['runs', 'run_pages', 'run_batches', 'run_problems', 'source_pages', 'datasets', 'dataset_changes'];

async function sampleStores(redis: Redis, prefix: string, queues: Queues, pool: import('pg').Pool, t: number): Promise<StoreSample> {
  let r: StoreSample['redis'];
  try {
    const info = await redis.info('memory');
    const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
    const dbKeys = await redis.dbsize();
    let ourKeys = 0;
    let ourBytes = 0;
    const retainedSets: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      ourKeys += keys.length;
      for (const k of keys) if (/:(completed|failed)$/.test(k)) retainedSets.push(k);
      if (keys.length) {
        const p = redis.pipeline();
        for (const k of keys) p.memory('USAGE', k);
        for (const [, v] of (await p.exec()) ?? []) ourBytes += Number(v ?? 0);
      }
    } while (cursor !== '0');
    const [h, l] = await Promise.all([
      queues.harvest.getJobCounts('wait', 'active', 'delayed', 'completed', 'failed'),
      queues.load.getJobCounts('wait', 'active', 'delayed', 'completed', 'failed'),
    ]);
    const jobs: Record<string, number> = {};
    for (const [k, v] of Object.entries(h)) jobs[`harvest.${k}`] = v;
    for (const [k, v] of Object.entries(l)) jobs[`load.${k}`] = v;
    const retained: Record<string, number> = {};
    for (const k of retainedSets) retained[k.slice(prefix.length + 1).replace(/:/g, '.')] = await redis.zcard(k);
    r = { usedMemoryMb: round(used / MB), dbKeys, ourKeys, ourBytesMb: round(ourBytes / MB, 3), jobs, retained };
  } catch {
    r = undefined;
  }
  const tables: StoreSample['tables'] = {};
  const res = await pool.query<{ t: string; rows: string; bytes: string }>(
    `SELECT t, (xpath('/row/n/text()', query_to_xml('SELECT count(*) AS n FROM ' || t, false, true, '')))[1]::text AS rows,
            pg_total_relation_size(t::regclass) AS bytes
     FROM unnest($1::text[]) AS t`,
    [TABLES],
  );
  for (const row of res.rows) tables[row.t] = { rows: Number(row.rows), totalMb: round(Number(row.bytes) / MB, 3) };
  return { t: round(t, 3), redis: r, tables };
}

interface ReadStats {
  total: number;
  failed: number;
  byKind: Record<string, { n: number; status: Record<string, number>; errors: number; latencies: number[] }>;
  /** p95 latency per minute over all kinds, ms. */
  perMinute: Array<{ minute: number; n: number; p50: number; p95: number; bad: number }>;
}

/**
 * Issues READ_RPS requests a second, cycling through a keyword search with facets, a dataset
 * page, the change feed (followed by its cursor, as a mirror does) and a page of the DCAT export.
 * Never more than 16 in flight: a slow API shows as latency and a lower rate, not as a pile-up.
 */
function startReader(base: string, pool: import('pg').Pool, rps: number): { stats: ReadStats; stop(): Promise<void> } {
  const stats: ReadStats = { total: 0, failed: 0, byKind: {}, perMinute: [] };
  const words = ['eau', 'budget', 'écoles', 'population', 'routes', 'santé', 'marchés publics', 'précipitations', 'مياه', 'Casablanca'];
  let ids: string[] = [];
  let cursor: string | undefined;
  let inFlight = 0;
  let n = 0;
  const t0 = performance.now();
  let minute = { minute: 0, lat: [] as number[], bad: 0 };
  const closeMinute = () => {
    if (minute.lat.length) {
      const s = [...minute.lat].sort((a, b) => a - b);
      const at = (q: number) => round(s[Math.min(s.length - 1, Math.floor(q * s.length))]!, 1);
      stats.perMinute.push({ minute: minute.minute, n: s.length, p50: at(0.5), p95: at(0.95), bad: minute.bad });
    }
  };
  const refreshIds = async () => {
    try {
      ids = (await pool.query<{ id: string }>(`SELECT id FROM datasets WHERE status = 'active' ORDER BY random() LIMIT 200`)).rows.map((r) => r.id);
    } catch {
      // Next time.
    }
  };
  void refreshIds();
  const idTimer = setInterval(() => void refreshIds(), 30_000);
  const one = async () => {
    const kind = ['search', 'dataset', 'changes', 'catalog'][n++ % 4]!;
    let path: string;
    if (kind === 'search') path = `/api/v1/datasets?q=${encodeURIComponent(pick(words))}&facets=theme,format,license,keyword,language`;
    else if (kind === 'dataset') path = ids.length ? `/api/v1/datasets/${pick(ids)}` : '/api/v1/datasets?limit=20';
    else if (kind === 'changes') path = `/api/v1/changes?limit=100${cursor ? `&since=${encodeURIComponent(cursor)}` : ''}`;
    else path = `/catalog.ttl?page=${1 + Math.floor(Math.random() * 5)}`;
    const k = (stats.byKind[kind] ??= { n: 0, status: {}, errors: 0, latencies: [] });
    const started = performance.now();
    let bad = false;
    try {
      const res = await fetch(base + path, { signal: AbortSignal.timeout(30_000) });
      const body = await res.text();
      k.status[res.status] = (k.status[res.status] ?? 0) + 1;
      if (kind === 'changes' && res.ok) cursor = (JSON.parse(body) as { nextCursor?: string }).nextCursor ?? cursor;
      // A dataset withdrawn since the ids were sampled answers 404 or 410: expected, not a failure.
      bad = res.status >= 500 || (res.status >= 400 && !(kind === 'dataset' && (res.status === 404 || res.status === 410)));
    } catch {
      k.errors++;
      bad = true;
    }
    const ms = performance.now() - started;
    k.n++;
    k.latencies.push(ms);
    stats.total++;
    if (bad) stats.failed++;
    const m = Math.floor((performance.now() - t0) / 60_000);
    if (m !== minute.minute) {
      closeMinute();
      minute = { minute: m, lat: [], bad: 0 };
    }
    minute.lat.push(ms);
    if (bad) minute.bad++;
  };
  const pending = new Set<Promise<void>>();
  const timer = setInterval(() => {
    if (inFlight >= 16) return;
    inFlight++;
    const p = one().finally(() => {
      inFlight--;
      pending.delete(p);
    });
    pending.add(p);
  }, 1000 / rps);
  return {
    stats,
    async stop() {
      clearInterval(timer);
      clearInterval(idTimer);
      await Promise.all(pending);
      closeMinute();
    },
  };
}

interface Settle {
  /** Per source: the run that started after the freeze and finished, or why none. */
  runs: Record<string, { runId?: string; status?: string; seen?: number; waitedS: number }>;
}

/** Waits until each source has a run created after `frozenAt` that has finished. */
async function settleRuns(pool: import('pg').Pool, sources: SoakSource[], frozenAt: Date, timeoutMs: number, abort: () => boolean): Promise<Settle> {
  const t0 = Date.now();
  const runs: Settle['runs'] = {};
  for (;;) {
    for (const s of sources) {
      if (runs[s.name]?.runId) continue;
      const r = (
        await pool.query<{ id: string; status: string; seen: number }>(
          `SELECT id, status, seen FROM runs WHERE source_id = $1 AND created_at > $2 AND status NOT IN ('queued', 'running') ORDER BY created_at LIMIT 1`,
          [s.id, frozenAt],
        )
      ).rows[0];
      runs[s.name] = r ? { runId: r.id, status: r.status, seen: r.seen, waitedS: Math.round((Date.now() - t0) / 1000) } : { waitedS: Math.round((Date.now() - t0) / 1000) };
    }
    if (sources.every((s) => runs[s.name]?.runId) || Date.now() - t0 > timeoutMs || abort()) return { runs };
    await new Promise((r) => setTimeout(r, 2000));
  }
}

interface CatalogueCheck {
  name: string;
  kind: string;
  expected: number;
  active: number;
  lastRun: string;
  ok: boolean;
}

async function checkCatalogue(pool: import('pg').Pool, sources: SoakSource[], settle: Settle): Promise<CatalogueCheck[]> {
  const out: CatalogueCheck[] = [];
  for (const s of sources) {
    const active = (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM datasets WHERE source_id = $1 AND status = 'active'`, [s.id])).rows[0]!.n;
    const r = settle.runs[s.name];
    const okStatus = r?.status === 'succeeded' || r?.status === 'unchanged';
    out.push({ name: s.name, kind: s.kind, expected: s.expected(), active, lastRun: r?.status ?? 'none after the freeze', ok: okStatus && active === s.expected() });
  }
  return out;
}

/** Runs the roles' logs say ended, by status (the runs table keeps only the last few per source). */
function countRunEnds(...files: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of files) {
    for (const line of readLines(f)) {
      if (!line.includes('"msg":"run finished"')) continue;
      try {
        const l = JSON.parse(line) as { status?: string };
        out[l.status ?? '?'] = (out[l.status ?? '?'] ?? 0) + 1;
      } catch {
        // A cut line.
      }
    }
  }
  return out;
}

function readLines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n');
  } catch {
    return [];
  }
}

/**
 * The most finished jobs each queue keeps, by set (`harvest.completed`…), from the queue
 * catalogue's removeOnComplete / removeOnFail counts: `true` keeps none; an age alone, or
 * nothing, sets no count (the set is then bounded by time only, and has no entry here).
 */
function retentionCaps(): Record<string, number> {
  const caps: Record<string, number> = {};
  for (const def of Object.values(jobCatalog)) {
    const pairs: Array<[string, boolean | number | { age?: number; count?: number } | undefined]> = [
      ['completed', def.opts.removeOnComplete],
      ['failed', def.opts.removeOnFail],
    ];
    for (const [state, opt] of pairs) {
      const cap = opt === true ? 0 : typeof opt === 'object' && typeof opt.count === 'number' ? opt.count : undefined;
      const key = `${def.queue}.${state}`;
      if (cap !== undefined) caps[key] = Math.max(caps[key] ?? 0, cap);
    }
  }
  return caps;
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

interface MemoryRow {
  process: string;
  startMb: number;
  middleMb: number;
  endMb: number;
  maxMb: number;
  /** Least squares over the samples after the first quarter, MB per hour. */
  slopeMbPerHour: number;
  /** Mean of the last quarter minus the mean of the second quarter, MB. */
  growthMb: number;
  boundMb: number;
  bounded: boolean;
}

/** Start, middle, end, max, slope after warm-up, and the bound check for one series of (minute, MB). */
function memoryRow(name: string, pts: Array<{ t: number; v: number }>, bound = RSS_BOUND): MemoryRow | undefined {
  if (pts.length === 0) return undefined;
  const T = pts.at(-1)!.t;
  const q = (a: number, b: number) => pts.filter((p) => p.t >= a * T && p.t <= b * T).map((p) => p.v);
  const after = pts.filter((p) => p.t >= 0.25 * T);
  const second = mean(q(0.25, 0.5));
  const last = mean(q(0.75, 1));
  const boundMb = Math.max(bound.mb, bound.share * second);
  const growthMb = last - second;
  return {
    process: name,
    startMb: round(pts[0]!.v, 1),
    middleMb: round(pts.reduce((best, p) => (Math.abs(p.t - T / 2) < Math.abs(best.t - T / 2) ? p : best)).v, 1),
    endMb: round(pts.at(-1)!.v, 1),
    maxMb: round(Math.max(...pts.map((p) => p.v)), 1),
    slopeMbPerHour: round(slope(after.map((p) => p.t / 60), after.map((p) => p.v)), 1),
    growthMb: round(growthMb, 1),
    boundMb: round(boundMb, 1),
    bounded: growthMb <= boundMb,
  };
}

function buildReport(r: {
  machine: Record<string, unknown>;
  startedAt: Date;
  minutes: number;
  samples: Sample[];
  stores: StoreSample[];
  logs: Record<string, LogSummary>;
  crashes: string[];
  catalogue: CatalogueCheck[];
  runStatuses: Array<{ status: string; error_code: string | null; n: number }>;
  runsLogged: Record<string, number>;
  reads: ReadStats;
  mutations: Record<string, { added: number; changed: number; removed: number }>;
  sources: SoakSource[];
  settle: Settle;
  prefix: string;
}): { ok: boolean; markdown: string; data: Record<string, unknown> } {
  const procs = ['scheduler', 'fetcher', 'loader', 'api', 'soak'];
  const memory = procs
    .map((p) => memoryRow(p, r.samples.filter((s) => s.rss[p] !== undefined).map((s) => ({ t: s.t, v: s.rss[p]! }))))
    .filter((m): m is MemoryRow => m !== undefined);
  const redisPts = r.stores.filter((s) => s.redis);
  // Redis is shared with other work on this machine: used_memory is the whole server's; our keys are ours.
  const redisOurs = memoryRow('redis: our keys (MB)', redisPts.map((s) => ({ t: s.t, v: s.redis!.ourBytesMb })), { mb: 1, share: 0.25 });
  const redisUsed = memoryRow('redis: used_memory, whole server (MB)', redisPts.map((s) => ({ t: s.t, v: s.redis!.usedMemoryMb })), { mb: 32, share: 0.25 });
  const keyRow = memoryRow('redis: our key count', redisPts.map((s) => ({ t: s.t, v: s.redis!.ourKeys })), { mb: 50, share: 0.25 });
  // Finished jobs are kept on purpose (removeOnComplete / removeOnFail of the queue catalogue:
  // harvest and link-check jobs 1,000 or 24 h), one key each, so over a soak shorter than that
  // the key count grows by a few a run: bounded by the caps, not flat. What must stay flat is
  // everything else: the keys that are not retained jobs.
  const retained = (s: StoreSample) => Object.values(s.redis!.retained ?? {}).reduce((a, b) => a + b, 0);
  const otherKeys = memoryRow('redis: our keys that are not retained jobs', redisPts.map((s) => ({ t: s.t, v: s.redis!.ourKeys - retained(s) })), { mb: 10, share: 0.1 });
  const lastRedis = redisPts.at(-1)?.redis;
  const kept = lastRedis?.retained ?? {};
  const caps = retentionCaps();
  // Bytes per retained job (least squares of our bytes over the retained count), and what our
  // keys would weigh with every set that holds jobs at its cap.
  const perJobMb = slope(redisPts.map(retained), redisPts.map((s) => s.redis!.ourBytesMb));
  const headroom = Object.entries(kept).reduce((a, [set, n]) => a + (n > 0 ? Math.max(0, (caps[set] ?? Number.POSITIVE_INFINITY) - n) : 0), 0);
  const projectedMb = lastRedis ? lastRedis.ourBytesMb + headroom * Math.max(0, perJobMb) : NaN;
  const overCap = Object.entries(kept).filter(([set, n]) => n > (caps[set] ?? Number.POSITIVE_INFINITY)).map(([set]) => set);
  const keptText = Object.entries(kept).filter(([, n]) => n > 0).map(([set, n]) => `${set} ${int(n)} (cap ${caps[set] === undefined ? 'none' : int(caps[set])})`).join(', ') || 'none';
  const loadLeft = lastRedis ? (lastRedis.jobs['load.wait'] ?? 0) + (lastRedis.jobs['load.active'] ?? 0) + (lastRedis.jobs['load.delayed'] ?? 0) + (lastRedis.jobs['load.completed'] ?? 0) : NaN;
  const tableRows = TABLES.map((t) => {
    const pts = r.stores.filter((s) => s.tables[t]);
    const at = (f: number) => pts.reduce((best, p) => (Math.abs(p.t - f * pts.at(-1)!.t) < Math.abs(best.t - f * pts.at(-1)!.t) ? p : best));
    return { table: t, start: pts[0]?.tables[t], middle: pts.length ? at(0.5).tables[t] : undefined, end: pts.at(-1)?.tables[t], maxMb: Math.max(0, ...pts.map((p) => p.tables[t]!.totalMb)) };
  });
  const runsEnd = tableRows.find((t) => t.table === 'runs')?.end?.rows ?? 0;
  // Each source keeps RETENTION finished runs, plus its last success and one live run.
  const runBound = r.sources.length * (RETENTION + 2);
  const runHistoryBounded = runsEnd <= runBound;
  // Once retention holds the runs table steady (from the second quarter on), the rows of the run
  // history may grow only as the feeds do (about 1 % a minute here): last quarter ≤ 1.25 × second.
  const T = r.stores.at(-1)?.t ?? 0;
  const quarter = (t: string, a: number, b: number) => mean(r.stores.filter((s) => s.t >= a * T && s.t <= b * T).map((s) => s.tables[t]?.rows ?? 0));
  const steady = quarter('runs', 0.25, 0.5) >= r.sources.length * RETENTION;
  const historyGrowth = Object.fromEntries(['run_pages', 'run_batches', 'run_problems'].map((t) => [t, round(quarter(t, 0.75, 1) / Math.max(1, quarter(t, 0.25, 0.5)), 2)]));
  const historyRowsBounded: boolean | undefined = steady ? Object.values(historyGrowth).every((g) => g <= 1.25) : undefined;
  const logErrors = Object.values(r.logs).reduce((a, l) => a + l.error + l.fatal, 0);
  const failedRuns = r.runStatuses.filter((s) => s.status === 'failed' || s.status === 'needs_review').reduce((a, s) => a + s.n, 0);
  const catalogueOk = r.catalogue.every((c) => c.ok);
  const memoryOk = memory.filter((m) => m.process !== 'soak').every((m) => m.bounded);
  const redisOk = (otherKeys?.bounded ?? false) && overCap.length === 0 && loadLeft === 0 && projectedMb < 64;
  const ok = r.crashes.length === 0 && catalogueOk && memoryOk && redisOk && runHistoryBounded && historyRowsBounded !== false;
  const loads = r.samples.map((s) => s.load1);
  const yes = (b: boolean) => (b ? 'yes' : '**NO**');

  const md: string[] = [];
  md.push(`### Soak of ${r.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC: ${r.minutes} min`);
  md.push('');
  md.push(
    `${r.machine.cores} cores (${String(r.machine.cpu)}), ${String(r.machine.memoryGb)} GB, node ${String(r.machine.node)}; machine shared with other work: load average (1 min) ${round(Math.min(...loads), 1)} to ${round(Math.max(...loads), 1)}, mean ${round(mean(loads), 1)}. ` +
      `Sources (1-minute schedules, feeds changed every ${CHANGE_MS / 1000} s): ${r.sources.map((s) => `${s.kind} ${int(s.expected())}`).join(', ')} datasets at the end; ` +
      `${int(r.reads.total)} API reads at ${READ_RPS}/s; run history kept: ${RETENTION} per source. **Result: ${ok ? 'pass' : 'FAIL'}.**`,
  );
  md.push('');
  md.push('Memory (RSS, MB; slope by least squares after the first quarter; growth = mean of the last quarter − mean of the second; bound = max(32 MB, 15 %)):');
  md.push('');
  md.push(mdTable(['process', 'start', 'middle', 'end', 'max', 'slope MB/h', 'growth', 'bound', 'bounded'], memory.map((m) => [m.process, f(m.startMb), f(m.middleMb), f(m.endMb), f(m.maxMb), f(m.slopeMbPerHour), f(m.growthMb), f(m.boundMb), m.process === 'soak' ? '(load generator)' : yes(m.bounded)])));
  md.push('');
  md.push(
    `Redis (our keys: the soak's queue prefix, summed \`MEMORY USAGE\`; used_memory is the whole shared server). Finished harvest ` +
      `and link-check jobs are kept up to their caps (the queue catalogue); kept at the end: ${keptText}, about ${(perJobMb * 1024).toFixed(1)} KB each, so our keys would weigh about ${f(projectedMb)} MB at the caps ` +
      `(< 64 MB: ${yes(projectedMb < 64)}); load jobs left at the end: ${loadLeft} (must be 0: ${yes(loadLeft === 0)}); the keys that are not retained jobs must stay flat (growth ≤ max(10, 10 %)):`,
  );
  md.push('');
  md.push(
    mdTable(
      ['series', 'start', 'middle', 'end', 'max', 'slope /h', 'bounded'],
      [otherKeys, keyRow, redisOurs, redisUsed]
        .filter((m): m is MemoryRow => m !== undefined)
        .map((m) => [m.process, f(m.startMb), f(m.middleMb), f(m.endMb), f(m.maxMb), f(m.slopeMbPerHour), m === otherKeys ? yes(m.bounded) : m === redisUsed ? '(shared server)' : '(grows with retained jobs, capped)']),
    ),
  );
  md.push('');
  md.push(`PostgreSQL (rows / total size with indexes and TOAST; run history bound: ≤ ${runBound} runs = ${r.sources.length} sources × (${RETENTION} + last success + live run): ${yes(runHistoryBounded)}; rows of run_pages, run_batches and run_problems, mean of the last quarter over the second (≤ 1.25 once retention holds): ${Object.entries(historyGrowth).map(([t, g]) => `${t} ${g}`).join(', ')}: ${historyRowsBounded === undefined ? 'not judged (the soak is too short for the retention to hold the runs table by its second quarter)' : yes(historyRowsBounded)}):`);
  md.push('');
  const cell = (x?: { rows: number; totalMb: number }) => (x ? `${int(x.rows)} / ${x.totalMb.toFixed(2)} MB` : '-');
  md.push(mdTable(['table', 'start', 'middle', 'end'], tableRows.map((t) => [t.table, cell(t.start), cell(t.middle), cell(t.end)])));
  md.push('');
  const totalMut = Object.values(r.mutations).reduce((a, m) => ({ added: a.added + m.added, changed: a.changed + m.changed, removed: a.removed + m.removed }), { added: 0, changed: 0, removed: 0 });
  md.push(`Catalogue after the feeds were frozen and each source harvested once more (${int(totalMut.added)} datasets added, ${int(totalMut.changed)} changed, ${int(totalMut.removed)} removed over the soak): ${catalogueOk ? 'every source matches its feed' : '**MISMATCH**'}.`);
  md.push('');
  md.push(mdTable(['source', 'kind', 'in the feed', 'active in Hasad', 'last run', 'ok'], r.catalogue.map((c) => [c.name, c.kind, int(c.expected), int(c.active), c.lastRun, yes(c.ok)])));
  md.push('');
  const ended = Object.entries(r.runsLogged).map(([s, n]) => `${n} ${s}`).join(', ');
  md.push(`Runs: ${ended || '(no run end lines at this log level)'} (from the roles' logs); in the runs table at the end: ${r.runStatuses.map((s) => `${s.n} ${s.status}${s.error_code ? ` (${s.error_code})` : ''}`).join(', ')}.`);
  md.push('');
  const kinds = Object.entries(r.reads.byKind).map(([k, v]) => {
    const s = [...v.latencies].sort((a, b) => a - b);
    const p = (q: number) => (s.length ? round(s[Math.min(s.length - 1, Math.floor(q * s.length))]!, 1) : 0);
    return [k, int(v.n), Object.entries(v.status).map(([st, n]) => `${n}×${st}`).join(' '), String(v.errors), f(p(0.5)), f(p(0.95)), f(p(0.99))];
  });
  md.push(`API reads (${int(r.reads.total)}, ${r.reads.failed} failed: 5xx, unexpected 4xx or no answer):`);
  md.push('');
  md.push(mdTable(['kind', 'requests', 'statuses', 'errors', 'p50 ms', 'p95 ms', 'p99 ms'], kinds));
  const pm = r.reads.perMinute;
  if (pm.length >= 2) {
    const firstQ = pm.slice(0, Math.max(1, Math.floor(pm.length / 4)));
    const lastQ = pm.slice(-Math.max(1, Math.floor(pm.length / 4)));
    md.push('');
    md.push(`Read p95 per minute: first quarter mean ${f(mean(firstQ.map((m) => m.p95)))} ms, last quarter ${f(mean(lastQ.map((m) => m.p95)))} ms.`);
  }
  md.push('');
  md.push(`Errors: ${r.crashes.length ? `**${r.crashes.length} role crash(es)**: ${r.crashes.join('; ')}` : 'no role crashed'}; ${logErrors} error/fatal log lines; ${failedRuns} failed or needs-review runs in the table.`);
  md.push('');
  md.push(mdTable(['role', 'log lines', 'warn', 'error', 'fatal', 'most frequent warn+ messages'], Object.entries(r.logs).map(([role, l]) => [role, int(l.lines), String(l.warn), String(l.error), String(l.fatal), l.top.slice(0, 3).map((t) => `${t.count}× ${t.message.replace(/\|/g, '/')}`).join('<br>') || '-'])));
  md.push('');

  return {
    ok,
    markdown: md.join('\n'),
    data: {
      bench: 'soak',
      ok,
      startedAt: r.startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      minutes: r.minutes,
      machine: r.machine,
      settings: { readRps: READ_RPS, retention: RETENTION, changeEverySeconds: CHANGE_MS / 1000, sampleSeconds: SAMPLE_MS / 1000, logLevel: LOG_LEVEL, rssBound: RSS_BOUND, prefix: r.prefix },
      loadAverage: { min: Math.min(...loads), max: Math.max(...loads), mean: round(mean(loads), 2) },
      memory,
      redis: { ours: redisOurs, keys: keyRow, otherKeys, usedMemory: redisUsed, jobsKept: kept, caps, perJobKb: round(perJobMb * 1024, 2), projectedMbAtCap: round(projectedMb, 1), loadJobsLeft: loadLeft, bounded: redisOk },
      tables: tableRows,
      runHistory: { runsEnd, bound: runBound, bounded: runHistoryBounded, historyGrowth, historyRowsBounded: historyRowsBounded ?? null },
      catalogue: r.catalogue,
      settle: r.settle,
      mutations: r.mutations,
      runs: { table: r.runStatuses, logged: r.runsLogged },
      reads: { total: r.reads.total, failed: r.reads.failed, byKind: Object.fromEntries(kinds.map((row) => [row[0], { n: row[1], status: row[2], errors: row[3], p50: row[4], p95: row[5], p99: row[6] }])), perMinute: r.reads.perMinute },
      crashes: r.crashes,
      logs: r.logs,
    },
  };
}

const f = (n: number) => (Number.isFinite(n) ? (Math.abs(n) >= 100 ? String(Math.round(n)) : n.toFixed(1)) : '-');

function mdTable(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function round(n: number, digits = 2): number {
  const k = 10 ** digits;
  return Math.round(n * k) / k;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

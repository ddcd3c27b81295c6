/**
 * Search benchmark: loads a generated catalogue (French and Arabic titles, descriptions and
 * keywords; see generated-records.ts) with the loader's own `loadBatch` into a scratch
 * database, then times `searchDatasets` — a keyword search with all five facets, the first
 * page of 20 — over a few hundred realistic queries, as the API runs it.
 *
 *   npx tsx bench/search.bench.ts                    200,000 datasets, 200 queries
 *   npx tsx bench/search.bench.ts --datasets 20000   quick run
 *   npx tsx bench/search.bench.ts --unique-keywords  every dataset's keyword list unlike any other (worst case for the keyword facet)
 *   npx tsx bench/search.bench.ts --keep             keep the database (printed) for EXPLAIN
 *   npx tsx bench/search.bench.ts --url postgres://…/db   reuse a kept database, skip loading
 *   npx tsx bench/search.bench.ts --url … --explain eau      the plan of one search
 *
 * Prints p50/p95/p99/max per kind of request. Times are measured in this process around each
 * call (four round trips on loopback: settings, search, the page's rows, commit); Fastify's
 * routing and serialisation are not included. Also prints the CPU time the PostgreSQL backends
 * spent per search (from /proc, so PostgreSQL must run on this machine): on a busy shared
 * machine latencies grow with the queue for the CPU, while the CPU a search takes stays close
 * to what it would be alone. Each figure is printed with the load average when it was taken.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createDb, type DbHandle } from '../packages/db/src/client.ts';
import { explainSearch, searchDatasets, type DatasetFilter } from '../packages/db/src/repositories/datasets.repository.ts';
import { benchDatabase } from './lib/database.ts';
import { benchQueries, loadGeneratedCatalogue } from './lib/generated-records.ts';
import { readCpuSeconds } from './lib/proc.ts';

const { values: args } = parseArgs({
  options: {
    datasets: { type: 'string', default: '200000' },
    queries: { type: 'string', default: '200' },
    batch: { type: 'string', default: '1000' },
    keep: { type: 'boolean', default: false },
    url: { type: 'string' },
    explain: { type: 'string' },
    'unique-keywords': { type: 'boolean', default: false },
  },
});
const DATASETS = Number(args.datasets);
const QUERIES = Number(args.queries);
const BATCH = Number(args.batch);

/** Ends the run early (after --explain). */
class Done extends Error {}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** PostgreSQL backends of this bench's pool (read after the warm-up opened them). */
let backends: number[] = [];
/** CPU seconds of each backend still running. */
const backendCpu = () => new Map(backends.flatMap((pid) => {
  const c = readCpuSeconds(pid);
  return c === undefined ? [] : [[pid, c] as const];
}));
/**
 * CPU seconds the backends used between two readings. A backend the pool closed meanwhile (its
 * idle timeout: the searches run one at a time, so the second connection idles through a phase)
 * counts nothing; summing the totals instead made its earlier CPU a negative figure (-184 ms a
 * search, seen 2026-12-07).
 */
const cpuBetween = (before: Map<number, number>, after: Map<number, number>) =>
  [...after].reduce((sum, [pid, c]) => sum + (before.has(pid) ? c - before.get(pid)! : 0), 0);

async function load(h: DbHandle): Promise<void> {
  await loadGeneratedCatalogue(h, { datasets: DATASETS, batch: BATCH, uniqueKeywords: args['unique-keywords'] });
}

async function time(h: DbHandle, label: string, filters: DatasetFilter[]): Promise<void> {
  const ms: number[] = [];
  let hits = 0;
  let none = 0;
  const load1 = loadavg()[0]!;
  const cpu0 = backendCpu();
  for (const f of filters) {
    const t = performance.now();
    const res = await searchDatasets(h, { limit: 20, ...f });
    ms.push(performance.now() - t);
    hits += res.total;
    if (res.total === 0) none++;
  }
  const pgCpuMs = (cpuBetween(cpu0, backendCpu()) * 1000) / filters.length;
  ms.sort((a, b) => a - b);
  const f = (x: number) => x.toFixed(1).padStart(6);
  console.log(
    `  ${label.padEnd(44)} n=${String(ms.length).padStart(3)}  p50 ${f(percentile(ms, 50))} ms  p95 ${f(percentile(ms, 95))} ms  p99 ${f(percentile(ms, 99))} ms  max ${f(ms[ms.length - 1]!)} ms  PostgreSQL CPU ${f(pgCpuMs)} ms/search  load avg ${load1.toFixed(1)}  mean total ${Math.round(hits / ms.length)}${none ? ` (${none} without a hit)` : ''}`,
  );
}

const { url, drop } = await benchDatabase(args.url);
const h = createDb(url, { max: 2 });
try {
  const size = Number((await h.pool.query('SELECT count(*) AS n FROM datasets')).rows[0].n);
  console.log(`search bench: ${url.replace(/\/\/[^@/]*@/, '//')}`);
  if (size === 0) await load(h);
  else console.log(`  reusing ${size} datasets`);
  const stats = (await h.pool.query(`SELECT pg_size_pretty(pg_table_size('datasets')) AS t, pg_size_pretty(pg_relation_size('datasets_search_idx')) AS gin, current_setting('shared_buffers') AS sb, current_setting('work_mem') AS wm`)).rows[0];
  console.log(`  datasets table ${stats.t}, search index ${stats.gin}; shared_buffers ${stats.sb}, work_mem ${stats.wm}`);

  if (args.explain !== undefined) {
    console.log(await explainSearch(h, { q: args.explain, limit: 20 }));
    process.exitCode = 0;
  }
  const qs = args.explain !== undefined ? [] : benchQueries(QUERIES);
  // Warm-up (the cache state of a server that has been answering): not counted.
  if (qs.length === 0) throw new Done();
  // Both pool connections, opened by concurrent searches (a lone search reuses one).
  for (const q of qs.slice(0, 20)) await Promise.all([searchDatasets(h, { q, limit: 20 }), searchDatasets(h, { q, limit: 20 })]);
  // Client backends only (an autovacuum worker of the freshly loaded table is listed too).
  backends = (await h.pool.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend'`)).rows.map((r) => r.pid);
  console.log(`\n  ${QUERIES} keyword searches, all five facets (organization, theme, format, license, keyword), 20 items, by relevance:`);
  await time(h, 'keyword search + all facets', qs.map((q) => ({ q })));
  await time(h, 'same, facets=none', qs.map((q) => ({ q, facets: [] })));
  await time(h, 'same, sorted by title', qs.map((q) => ({ q, sort: 'title' as const })));
  await time(h, 'keyword + theme filter + all facets', qs.map((q, i) => ({ q, theme: [['ENVI', 'GOVE', 'TRAN', 'EDUC', 'ECON', 'SOCI', 'HEAL', 'AGRI'][i % 8]!] })));
  console.log('\n  other requests, for the record:');
  await time(h, 'browse: no q, all facets (whole catalogue)', Array.from({ length: 10 }, () => ({})));
  await time(h, 'filter only: theme=ENVI, all facets', Array.from({ length: 10 }, () => ({ theme: ['ENVI'] })));
  await time(h, 'worst word: "données" (in every dataset)', Array.from({ length: 10 }, () => ({ q: 'données' })));
} catch (err) {
  if (!(err instanceof Done)) throw err;
} finally {
  await h.close();
  if (args.keep) console.log(`\nkept database: ${url}`);
  else await drop?.();
}

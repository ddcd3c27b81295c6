/**
 * CSW benchmark: the CSW adapter harvests a paged ISO 19139 geoportal on loopback (@hasad/testkit's
 * CSW service, generated bilingual records of about 9 KB each, as a GeoNetwork answers them) that
 * takes `--server-ms` per page, as a real catalogue's database does. Prints records per second, per
 * page the server's time, the harvest's (from one page's last byte to the next's: with the next page
 * asked while this one is parsed, the longer of the server's time and Hasad's work) and how long
 * the server sat idle waiting for Hasad to ask the next page, and peak memory. The aim: a page
 * takes no longer than the server's (within 10%), so that the harvest is limited by the server's paging.
 *
 *   npm run bench:csw                                   20,000 records, pages of 100, server 50 ms a page
 *   npm run bench:csw -- --records 2000 --page-size 50  a quick run
 *   npm run bench:csw -- --workers 1                    one parsing worker (the fetcher has HASAD_FETCHER_CONCURRENCY)
 *   npm run bench:csw -- --warmup 0                     a cold start: the parsing workers start within the timed harvest
 *
 * The service runs in a process of its own, as a real catalogue does: it builds page N+1 while Hasad
 * parses page N (CPU and memory are Hasad's process's alone).
 *
 * Pages are parsed as the fetcher parses them: in a parsing worker thread (`ParsePool`, records
 * packed for the load queue there), the HTTP client in this thread. `--in-thread` parses them in
 * this thread instead, as a preview or the CLI does.
 *
 * The host limiter's request rate is lifted (`--host-rps`, default 1000): at the fetcher's default
 * of 5 requests a second, a page starts at most every 200 ms, and that wait, not Hasad's work,
 * would be what "Hasad's time per page" measures. `--host-rps 5` shows the harvest as run.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { DEFAULT_PARSE_LIMITS, defaultHttpOptions, getAdapter, harvestWithConfig, ParsePool } from '@hasad/sources';
import { fmtSpread, spread } from './lib/kinds.ts';
import { int } from './lib/report.ts';

const { values: args } = parseArgs({
  options: {
    records: { type: 'string', default: '20000' },
    'page-size': { type: 'string', default: '100' },
    'server-ms': { type: 'string', default: '50' },
    'host-rps': { type: 'string', default: '1000' },
    'in-thread': { type: 'boolean', default: false },
    workers: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '3' },
  },
});
const RECORDS = Number(args.records);
const PAGE_SIZE = Number(args['page-size']);
const SERVER_MS = Number(args['server-ms']);
const HOST_RPS = Number(args['host-rps']);
const WARMUP_PAGES = Number(args.warmup);
if (![RECORDS, PAGE_SIZE, SERVER_MS, HOST_RPS, WARMUP_PAGES].every((n) => Number.isInteger(n) && n >= 0) || RECORDS === 0 || PAGE_SIZE === 0 || HOST_RPS === 0) {
  console.error('--records, --page-size and --host-rps must be positive integers, --server-ms a non-negative one');
  process.exit(2);
}

/**
 * The service in a process of its own, as a real catalogue is: it receives page N+1's request and
 * builds that page while this process parses page N. Its requests' times are in ms since the epoch.
 */
async function startServiceProcess(): Promise<{ url: string; requests: () => Promise<Array<{ request: string; receivedAt: number; finishedAt?: number }>>; close: () => Promise<void> }> {
  const code = `
import { generatedCswRecords, startCswService } from '@hasad/testkit';
const [count, delayMs] = JSON.parse(process.argv[1]);
// ISO only: the other schemas' texts of the generated records would only weigh on its memory.
const records = generatedCswRecords(count).map(({ id, iso }) => ({ id, iso }));
const svc = await startCswService({ records, schemas: ['iso'], delayMs });
const at = (t) => (t === undefined ? undefined : performance.timeOrigin + t);
process.stdout.write(svc.url + '\\n');
process.stdin.on('data', () => process.stdout.write(JSON.stringify(svc.requests.map((r) => ({ request: r.request, receivedAt: at(r.receivedAt), finishedAt: at(r.finishedAt) }))) + '\\n'));
process.stdin.on('end', () => void svc.close().then(() => process.exit(0)));
`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, JSON.stringify([RECORDS, SERVER_MS])], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const url = (await lines.next()).value as string;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    url,
    async requests() {
      child.stdin.write('?\n');
      return JSON.parse((await lines.next()).value as string);
    },
    async close() {
      child.stdin.end();
      await exited;
    },
  };
}

const svc = await startServiceProcess();
/** Now in ms since the epoch, comparable with the service's times. */
const epochNow = () => performance.timeOrigin + performance.now();
let peakRss = 0;
let peakHeap = 0;
const sample = () => {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
};
const timer = setInterval(sample, 20);
const rssBefore = process.memoryUsage().rss;
// As the fetcher has it (services/fetcher/src/worker.ts): a worker per concurrent harvest
// (HASAD_FETCHER_CONCURRENCY, default 2), batches packed there. A harvest alone has both.
const pool = args['in-thread'] ? undefined : new ParsePool({ size: Number(args.workers), limits: DEFAULT_PARSE_LIMITS, packForQueue: true });

const harvestOptions = { url: svc.url, config: { pageSize: PAGE_SIZE }, http: { ...defaultHttpOptions, allowPrivateHosts: true, hostRequestsPerSecond: HOST_RPS }, ...(pool !== undefined && { parsePool: pool }) };
// The fetcher's pool lives as long as the fetcher: its workers are started (their code loaded,
// about a second under tsx) by its first harvest, not by each. An untimed harvest of the first
// pages starts them and compiles the reader; its requests are left out of the figures.
let coldFirstPageMs: number | undefined;
if (WARMUP_PAGES > 0) {
  const w0 = epochNow();
  let seen = 0;
  for await (const ev of harvestWithConfig(getAdapter('csw'), harvestOptions)) {
    if (ev.type !== 'page') continue;
    coldFirstPageMs ??= epochNow() - w0;
    if (++seen >= WARMUP_PAGES) break;
  }
}

let harvested = 0;
let invalid = 0;
let bytes = 0;
const t0 = epochNow();
const threads0 = threadCpu();
const cpu0 = process.cpuUsage();
for await (const ev of harvestWithConfig(getAdapter('csw'), harvestOptions)) {
  if (ev.type === 'batch') {
    harvested += ev.records.length;
    invalid += ev.invalidIdentifiers.length;
  } else bytes += ev.bytes;
  // RSS alone between the timer's samples: the full memoryUsage() walks the heap, which would be counted as Hasad's work.
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
}
const totalMs = epochNow() - t0;
// CPU time is what a loaded machine does not inflate (wall time waits for a core); Hasad's alone (the service runs in its own process).
const cpu = process.cpuUsage(cpu0);
const cpuMs = (cpu.user + cpu.system) / 1000;
const threads1 = threadCpu();
clearInterval(timer);
await pool?.close();
// The timed harvest's pages (the warm-up's were asked before it began).
const pages = (await svc.requests()).filter((r) => r.request === 'GetRecords' && r.receivedAt >= t0);
await svc.close();

const serverMs = pages.map((r) => (r.finishedAt ?? r.receivedAt) - r.receivedAt);
// Pages overlap (the next one is asked while this one is parsed): what a page costs the harvest is
// the time from the previous page's last byte to its own, and for the last page, from its last
// byte to the harvest's end (Hasad's work on it alone).
const ends = pages.map((r) => r.finishedAt ?? r.receivedAt);
const wallMs = ends.slice(1).map((end, i) => end - ends[i]!);
if (ends.length > 0) wallMs.push(t0 + totalMs - ends.at(-1)!);
// How long the service sat idle between two pages, waiting for Hasad to ask the next (0 when asked ahead in time).
const idleMs = pages.slice(1).map((r, i) => Math.max(0, r.receivedAt - ends[i]!));
const server = spread(serverMs);
const wall = spread(wallMs);
const idle = spread(idleMs);

console.log(`CSW: ${int(RECORDS)} ISO 19139 records (${(bytes / RECORDS / 1024).toFixed(1)} KB each on the wire), pages of ${PAGE_SIZE}, server +${SERVER_MS} ms a page, host limiter ${int(HOST_RPS)} requests/s, parsed ${pool === undefined ? 'in this thread (--in-thread)' : "in a parsing worker, as the fetcher does"}`);
if (coldFirstPageMs !== undefined) console.log(`  warmed by an untimed harvest of ${WARMUP_PAGES} pages first (--warmup; its first page took ${Math.round(coldFirstPageMs)} ms from the start, ${pool === undefined ? 'compiling the reader' : "the parsing workers' start among it"})`);
console.log(`  harvested ${int(harvested)} records (${invalid} invalid) in ${pages.length} pages, ${(totalMs / 1000).toFixed(2)} s: ${int(harvested / (totalMs / 1000))} records/s`);
console.log(`  per page (mean / p50 / p95): server ${fmtSpread(server)}; harvest (last byte to last byte) ${fmtSpread(wall)}; server idle waiting for Hasad ${fmtSpread(idle)}`);
console.log(`  CPU per page (Hasad's process): ${(cpuMs / pages.length).toFixed(1)} ms${threadSplit(threads0, threads1, pages.length)}`);
console.log(`  server idle ${Math.round((idleMs.reduce((a, b) => a + b, 0) / totalMs) * 100)}% of the harvest; aim: limited by the server's paging, a page taking no longer than the server's (${wall && server && wall.mean <= server.mean * 1.1 ? 'met' : 'not met'}: ${wall && server ? `${Math.round((wall.mean / server.mean) * 100)}%` : '?'} of the server's time)`);
console.log(`  peak memory (Hasad's process): RSS ${Math.round(peakRss / 1024 / 1024)} MB (${Math.round(rssBefore / 1024 / 1024)} MB before), heap of this thread ${Math.round(peakHeap / 1024 / 1024)} MB`);
if (harvested + invalid !== RECORDS) {
  console.error(`wrong result: ${harvested + invalid} records harvested, ${RECORDS} served`);
  process.exit(1);
}

/**
 * CPU time of each of this process's threads by name, in ms (Linux's /proc; empty elsewhere): the
 * main thread (named after the process), the parsing workers, V8's GC helpers, libuv's pool.
 */
function threadCpu(): Map<string, { name: string; ms: number }> {
  const out = new Map<string, { name: string; ms: number }>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const f = stat.slice(close + 2).split(' ');
      // utime and stime are fields 14 and 15 of stat, in clock ticks (100 a second on Linux).
      out.set(tid, { name, ms: (Number(f[11]) + Number(f[12])) * 10 });
    }
  } catch {
    // Not Linux: no split.
  }
  return out;
}

/**
 * The CPU a page of the main thread and of the others grouped by thread name, from two threadCpu()
 * readings. Node 20 names every thread "node" (the parsing workers, V8's GC helpers, libuv's pool
 * alike); later versions name them apart.
 */
function threadSplit(before: Map<string, { name: string; ms: number }>, after: Map<string, { name: string; ms: number }>, pages: number): string {
  if (after.size === 0 || pages === 0) return '';
  const byKind = new Map<string, number>();
  const mainTid = String(process.pid);
  for (const [tid, t] of after) {
    const kind = tid === mainTid ? 'main thread' : `threads "${t.name}"`;
    byKind.set(kind, (byKind.get(kind) ?? 0) + t.ms - (before.get(tid)?.ms ?? 0));
  }
  return ` (${[...byKind].filter(([, ms]) => ms > 0).map(([k, ms]) => `${k} ${(ms / pages).toFixed(1)}`).join(', ')})`;
}

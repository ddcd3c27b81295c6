/**
 * The DCAT adapter alone (no PostgreSQL, Redis or fetcher): serves a generated catalogue from
 * loopback, harvests it with the adapter and packs every record for the queue as the fetcher's
 * parsing workers do (content hash, kept description compressed), and prints the adapter's and the
 * packing's CPU a dataset. For profiling the fetcher's per-dataset work:
 *   node --cpu-prof --import tsx bench/_dcatcheck.ts [datasets] [pageSize] [nodescription]
 * `nodescription` harvests without the kept source descriptions (measurement only), to compare.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generatePage, pageCount, pageUrl, MEDIA_TYPES } from '@hasad/testkit';
import { getAdapter, harvestWithConfig, packRecord } from '@hasad/sources';
import type { CanonicalDataset } from '@hasad/core';

const N = Number(process.argv[2] ?? 20000);
const size = Number(process.argv[3] ?? 1000);
const keepSourceDescription = process.argv[4] !== 'nodescription';
const server = createServer();
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const opts = { datasets: N, pageSize: size, baseUrl: base };
const pages = new Map<string, string>();
for (let n = 1; n <= pageCount(opts); n++) pages.set(new URL(pageUrl(base, n)).search, generatePage(opts, n, 'turtle'));
server.on('request', (req, res) => {
  const body = pages.get(new URL(req.url!, base).search) ?? pages.get('?page=1')!;
  res.writeHead(200, { 'content-type': MEDIA_TYPES.turtle }).end(body);
});
const a = getAdapter('dcat');
const records: CanonicalDataset[] = [];
const cpu0 = process.cpuUsage();
for await (const ev of harvestWithConfig(a, { url: pageUrl(base, 1), config: {}, batchSize: 1000, keepSourceDescription, http: { allowPrivateHosts: true, userAgent: 'x', timeoutMs: 10000, maxBytes: 1e9, maxRedirects: 1, hostRequestsPerSecond: 100000 } } as never)) {
  if (ev.type === 'batch') for (const r of ev.records) records.push(r);
}
const cpu1 = process.cpuUsage(cpu0);
let h = 0;
const cpu2 = process.cpuUsage();
for (const r of records) h += packRecord(r).packed.hash.length;
const cpu3 = process.cpuUsage(cpu2);
console.log(`datasets ${records.length}; adapter ${((cpu1.user + cpu1.system) / records.length).toFixed(1)} µs CPU a dataset (incl. the loopback server); packing (hash, compression) ${((cpu3.user + cpu3.system) / records.length).toFixed(1)} µs CPU a dataset (${h})`);
server.close();

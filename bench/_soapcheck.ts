import { startSoapDatasetService, soapDatasetServiceConfig } from '@hasad/testkit';
import { getAdapter, harvestWithConfig } from '@hasad/sources';
const N = Number(process.argv[2] ?? 20000);
const size = Number(process.argv[3] ?? 200);
const svc = await startSoapDatasetService({ count: N });
const a = getAdapter('soap');
const config = soapDatasetServiceConfig({ pageSize: size });
let n = 0;
const t1 = performance.now();
for await (const ev of harvestWithConfig(a, { url: svc.url, config, batchSize: 1000, http: { allowPrivateHosts: true, userAgent: 'x', timeoutMs: 10000, maxBytes: 1e9, maxRedirects: 1, hostRequestsPerSecond: 100000 } } as any)) {
  if (ev.type === 'batch') n += ev.records.length;
}
const total = performance.now() - t1;
const server = svc.requests.reduce((s, r) => s + (r.finishedAt! - r.receivedAt), 0);
console.log('records', n, 'pages', svc.requests.length, Math.round(total), 'ms total;', (server / svc.requests.length).toFixed(2), 'ms/page server;', ((total - server) / svc.requests.length).toFixed(2), 'ms/page client');
await svc.close();

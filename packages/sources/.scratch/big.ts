import { dcatAdapter } from '../src/index.ts';
let peak = 0; const t0 = performance.now(); let n = 0;
const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 50);
for await (const ev of dcatAdapter.harvest({ url: process.argv[2]!, config: {}, http: { allowPrivateHosts: true, userAgent: 't', timeoutMs: 60000, maxBytes: 1e9, maxRedirects: 3 } })) {
  if (ev.type === 'batch') { n += ev.records.length; JSON.stringify(ev.records); }
  else console.log('page', ev.pageNo, ev.recordCount, ev.bytes, ev.format, ev.problems);
  peak = Math.max(peak, process.memoryUsage().rss);
}
clearInterval(timer);
const s = (performance.now() - t0) / 1000;
console.log(`${n} datasets in ${s.toFixed(1)} s = ${Math.round(n / s)}/s; peak RSS ${(peak / 1048576).toFixed(0)} MB`);

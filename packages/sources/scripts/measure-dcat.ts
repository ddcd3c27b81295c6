/**
 * Throughput and memory check for the DCAT parse + map path (not a test: timings vary by machine).
 *
 *   npx tsx packages/sources/scripts/measure-dcat.ts [datasets=1000] [rounds=5]
 *
 * Generates a Turtle page of N datasets (French and Arabic literals, two distributions each),
 * then parses and maps it `rounds` times, printing datasets/s and peak RSS.
 */
import { mapPage } from '../src/adapters/dcat/map.ts';
import { parseRdfString } from '../src/adapters/dcat/parse.ts';
import { generateTurtlePage } from '../test/support/dcat-generator.ts';

const n = Number(process.argv[2] ?? 1000);
const rounds = Number(process.argv[3] ?? 5);
const text = generateTurtlePage(n);
let peakRss = 0;
for (let r = 0; r < rounds; r++) {
  const t0 = performance.now();
  const { graph } = await parseRdfString(text, { url: 'https://data.example.ma/catalog.ttl' });
  const t1 = performance.now();
  let records = 0;
  for (const b of mapPage(graph, 1000)) records += b.records.length;
  const t2 = performance.now();
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  console.log(
    `round ${r + 1}: ${records} datasets, ${graph.tripleCount} triples, ${(text.length / 1e6).toFixed(1)} M chars; ` +
      `parse ${(t1 - t0).toFixed(0)} ms, map ${(t2 - t1).toFixed(0)} ms; ` +
      `${Math.round(records / ((t2 - t0) / 1000))} datasets/s, ${Math.round(graph.tripleCount / ((t1 - t0) / 1000))} triples/s parse`,
  );
}
console.log(`peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MB`);

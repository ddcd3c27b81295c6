import fs from 'node:fs';
import { readRdf } from '../src/adapters/dcat/parse.ts';
import { mapPage } from '../src/adapters/dcat/map.ts';
for (const p of process.argv.slice(2)) {
  const { graph } = await readRdf(fs.createReadStream(p), { url: 'http://example.test/x' });
  for (const b of mapPage(graph, 1000)) console.log(JSON.stringify(b, null, 1));
}

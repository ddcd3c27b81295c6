import fs from 'node:fs';
import path from 'node:path';
import { readRdf } from '../src/adapters/dcat/parse.ts';
import { mapPage, findNextPage } from '../src/adapters/dcat/map.ts';
const root = '/work/shared/conformance';
const dirs = ['ckanext-dcat/examples-dcat','ckanext-dcat/harvester-fixtures','w3c-dcat3-examples','dcat-ap/2.1.1/examples','dcat-ap/3.0.1/examples','dcat-ap/3.0.0-hvd/examples','piveau-hub-edp'];
for (const d of dirs) for (const f of fs.readdirSync(path.join(root,d))) {
  if (!/\.(ttl|rdf|jsonld|nt)$/.test(f)) continue;
  const p = path.join(root,d,f);
  try {
    const { graph, format } = await readRdf(fs.createReadStream(p), { url: 'http://example.test/' + d + '/' + f });
    let n=0, probs: string[] = [];
    for (const b of mapPage(graph, 1000)) { n+=b.records.length; probs.push(...b.problems.map(p=>p.severity[0]+':'+p.code)); }
    console.log('OK', d+'/'+f, format, 'triples', graph.tripleCount, 'records', n, [...new Set(probs)].join(','), findNextPage(graph,'http://x/').nextUrl ?? '');
  } catch (e) { console.log('ERR', d+'/'+f, (e as Error).message.slice(0,200)); }
}

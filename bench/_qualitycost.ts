/**
 * What metadata quality costs: the scorer per record (Node CPU), and a source's quality for one
 * source of --datasets datasets: aggregated on read (SQL aggregates) against reading the
 * aggregate the link check stored after the run.
 *
 *   npx tsx bench/_qualitycost.ts [--datasets 100000] [--repeat 5]
 */
import { parseArgs } from 'node:util';
import type { CanonicalDataset } from '@hasad/core';
import { CRITERION_NAMES, scoreDataset, toStored } from '@hasad/quality';
import { computeSourceQuality, getSourceQuality, prepareRecord, refreshSourceQuality } from '@hasad/pipeline';
import { createDb } from '../packages/db/src/client.ts';
import { createTestDatabase } from '../packages/db/src/testing.ts';
import { createOrganization } from '../packages/db/src/repositories/organizations.repository.ts';
import { createSource } from '../packages/db/src/repositories/sources.repository.ts';
import { createRun } from '../packages/db/src/repositories/runs.repository.ts';
import { loadBatch } from '../packages/db/src/repositories/load.repository.ts';
import { pickLinksToCheck } from '../packages/db/src/repositories/quality.repository.ts';
import { generatedRecord } from './lib/generated-records.ts';

const { values: args } = parseArgs({ options: { datasets: { type: 'string', default: '100000' }, repeat: { type: 'string', default: '5' } } });
const N = Number(args.datasets);
const REPEAT = Number(args.repeat);

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

// 1. The scorer alone, over generated records (Node CPU, after a warm-up).
const sample = Array.from({ length: 5000 }, (_, i) => generatedRecord(i).record as unknown as CanonicalDataset);
for (const r of sample) scoreDataset(r);
let best = Infinity;
for (let k = 0; k < REPEAT; k++) {
  const c = cpuUs();
  for (const r of sample) scoreDataset(r);
  best = Math.min(best, (cpuUs() - c) / sample.length);
}
const full = JSON.stringify(scoreDataset(sample[0]!)).length;
const stored = JSON.stringify(toStored(scoreDataset(sample[0]!))).length;
const record = JSON.stringify(sample[0]).length;
console.log(`scoreDataset: ${best.toFixed(1)} µs CPU per record (best of ${REPEAT}); stored quality ${stored} bytes of JSON (full form ${full}; the record ${record})`);

// 2. One source of N datasets, loaded with the loader's own loadBatch.
const database = await createTestDatabase();
const h = createDb(database.url, { max: 4 });
try {
  const org = await createOrganization(h, { slug: 'q', name: 'Q' });
  const source = await createSource(h, { organizationId: org.id, kind: 'dcat', url: 'https://data.example.ma/q' });
  const run = await createRun(h, source.id, 'manual');
  const t = performance.now();
  for (let b = 0; b * 1000 < N; b++) {
    const records = Array.from({ length: Math.min(1000, N - b * 1000) }, (_, j) => generatedRecord(b * 1000 + j));
    await loadBatch(h, { runId: run.id, sourceId: source.id, pageNo: 1, batchNo: b, records, problems: [], invalidIdentifiers: [] }, prepareRecord);
  }
  console.log(`loaded ${N} datasets in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  await h.pool.query('VACUUM ANALYZE datasets');

  const time = async (what: string, f: () => Promise<unknown>) => {
    const times: number[] = [];
    for (let k = 0; k < REPEAT; k++) {
      const s = performance.now();
      await f();
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    console.log(`${what}: median ${times[Math.floor(times.length / 2)]!.toFixed(1)} ms, best ${times[0]!.toFixed(1)} ms`);
  };
  await time(`aggregate on read (computeSourceQuality), ${N} datasets`, () => computeSourceQuality(h, source.id));
  await time('aggregate and store (refreshSourceQuality, what the link check does)', () => refreshSourceQuality(h, source.id, run.id));
  await time('read the stored aggregate (getSourceQuality)', () => getSourceQuality(h, source.id));
  const q = await getSourceQuality(h, source.id);
  console.log(`  score ${q.score}/${q.max}, ${q.improvements.length} improvements`);
  const p = performance.now();
  const links = await pickLinksToCheck(h, source.id, 20, run.id, { linkCriterion: CRITERION_NAMES.indexOf('accessUrlAnswers') });
  console.log(`pickLinksToCheck (20 of ${N} datasets): ${(performance.now() - p).toFixed(0)} ms, ${links.length} URLs`);
} finally {
  await h.close();
  await database.drop();
}

import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedServer } from '@hasad/testkit';
import { CONFORMANCE_DIR, HAVE_CONFORMANCE, warnIfMissing } from './helpers/conformance.ts';
import { startTestPipeline, type TestPipeline } from './helpers/pipeline.ts';

const DIRS = ['ckanext-dcat/examples-dcat', 'ckanext-dcat/harvester-fixtures', 'w3c-dcat3-examples', 'dcat-ap/2.1.1/examples', 'dcat-ap/3.0.1/examples', 'dcat-ap/3.0.0-hvd/examples', 'piveau-hub-edp'];
const TYPES: Record<string, string> = { '.ttl': 'text/turtle', '.rdf': 'application/rdf+xml', '.jsonld': 'application/ld+json', '.nt': 'application/n-triples' };
/**
 * Files that are not valid RDF, as published: the two ckanext-dcat uses as examples of broken
 * input; one of its examples that uses a prefix it never declares (`healthdcatap:`); DCAT-AP
 * examples with a `/` in a prefixed name or an `@prefix` without its final dot; piveau
 * examples that are snippets (missing dots, cut off at the end).
 */
const KNOWN_INVALID = new Set([
  'ckanext-dcat/harvester-fixtures/invalid.rdf',
  'ckanext-dcat/harvester-fixtures/invalid.ttl',
  'ckanext-dcat/examples-dcat/dataset.ttl',
  'dcat-ap/3.0.1/examples/example-bee-population-dataset-series-api.ttl',
  'dcat-ap/3.0.1/examples/example-bee-population-dataset-series-combined.ttl',
  'dcat-ap/3.0.0-hvd/examples/example-bees_wasps_dataset.ttl',
  'piveau-hub-edp/example_catalog.ttl',
  'piveau-hub-edp/example_dataset.ttl',
  'piveau-hub-edp/example_dataset_geonames.ttl',
  'piveau-hub-edp/example_distribution.ttl',
  'piveau-hub-edp/example_empty_catalog.ttl',
  'piveau-hub-edp/example_external_dataset.ttl',
  'piveau-hub-edp/example_index_dataset.ttl',
  'piveau-hub-edp/simple_dataset.ttl',
]);

/** JSON-LD whose @context is a remote URL: Hasad never fetches contexts from the network. */
const remoteContext = (body: string) => /"@context"\s*:\s*"https?:/.test(body);

warnIfMissing('the conformance harvest test');

// Every real-world DCAT file in ../shared/conformance, served on loopback and harvested by
// the whole pipeline, one source per file.
describe.skipIf(!HAVE_CONFORMANCE)('harvesting the real-world DCAT files of ../shared/conformance', () => {
  let p: TestPipeline;
  let server: FeedServer;
  const files: string[] = [];
  const remote = new Set<string>();

  beforeAll(async () => {
    p = await startTestPipeline(['fetcher', 'loader'], { HASAD_HARVEST_ATTEMPTS: '1' });
    server = await FeedServer.start();
    for (const dir of DIRS) {
      for (const name of readdirSync(join(CONFORMANCE_DIR, dir)).sort()) {
        const type = TYPES[extname(name)];
        if (!type) continue;
        const rel = `${dir}/${name}`;
        // ckanext-dcat's paging fixture links to an external host; point it at the loopback copy.
        const body = readFileSync(join(CONFORMANCE_DIR, rel), 'utf8').replaceAll('http://some.dcat.file.pagination.rdf/page/', `${server.url}/conformance/ckanext-dcat/harvester-fixtures/pagination_page`);
        server.route(`/conformance/${rel}`, { body, contentType: `${type}; charset=utf-8` });
        files.push(rel);
        if (extname(name) === '.jsonld' && remoteContext(body)) remote.add(rel);
      }
    }
    server.route('/conformance/ckanext-dcat/harvester-fixtures/pagination_page2', {
      body: readFileSync(join(CONFORMANCE_DIR, 'ckanext-dcat/harvester-fixtures/pagination_page2.rdf'), 'utf8'),
      contentType: 'application/rdf+xml',
    });
  });
  afterAll(async () => {
    await p?.close();
    await server?.close();
  });

  it('harvests every valid file; the known-invalid ones fail with a parse error naming the line, changing nothing', async () => {
    expect(files.length).toBeGreaterThan(100);
    const report: string[] = [];
    const unexpected: string[] = [];
    let total = 0;
    for (const rel of files) {
      const before = await snapshot(p);
      const sourceId = await p.addSource(`${server.url}/conformance/${rel}`);
      const run = await p.harvest(sourceId);
      if (KNOWN_INVALID.has(rel) || remote.has(rel)) {
        expect(run.status, rel).toBe('failed');
        expect(run.errorCode, rel).toBe('parse_error');
        expect(run.error, rel).toMatch(remote.has(rel) ? /remote @context https?:\S+ is not fetched/ : /line \d+/);
        expect(await snapshot(p), `${rel} changed the catalogue`).toEqual(before);
        report.push(`${rel}: failed as expected: ${run.error}`);
        continue;
      }
      const problems = await p.problems(run.id);
      // Examples that hold no dataset (a catalogue record, a distribution alone) or only invalid
      // ones: a run that loads nothing fails with its own code and changes nothing (issue 12).
      if (run.status === 'failed' && (run.errorCode === 'no_datasets' || run.errorCode === 'no_valid_records')) {
        expect(await snapshot(p), `${rel} changed the catalogue`).toEqual(before);
        report.push(`${rel}: failed ${run.errorCode}${problems.length ? ` (${[...new Set(problems.map((x) => x.code))].join(', ')})` : ''}`);
        continue;
      }
      if (run.status === 'failed') {
        unexpected.push(`${rel}: ${run.errorCode}: ${run.error}`);
        continue;
      }
      expect(['succeeded', 'unchanged'], rel).toContain(run.status);
      const rows = await p.datasets(sourceId);
      expect(rows.size, rel).toBe(run.created);
      total += rows.size;
      report.push(`${rel}: ${run.status}, ${rows.size} datasets, ${problems.length} problems${problems.length ? ` (${[...new Set(problems.map((x) => x.code))].join(', ')})` : ''}`);
    }
    expect(unexpected).toEqual([]);
    console.log(`conformance harvest, ${files.length} files, ${total} datasets:\n  ${report.join('\n  ')}`);
    expect(total).toBeGreaterThan(50);
    // About 150 harvests one after the other: 2 minutes on an idle machine, more on a shared one.
  }, 600_000);

  it('follows ckanext-dcat hydra:nextPage paging fixtures to all four datasets', async () => {
    const sourceId = await p.addSource(`${server.url}/conformance/ckanext-dcat/harvester-fixtures/pagination_page1.rdf`);
    const run = await p.harvest(sourceId);
    expect(run).toMatchObject({ status: 'succeeded', pagesFetched: 2, created: 4 });
  });

  it('a feed that turns invalid fails its run with the position and withdraws nothing', async () => {
    const path = '/conformance/turning-invalid.ttl';
    const good = readFileSync(join(CONFORMANCE_DIR, 'ckanext-dcat/examples-dcat/dataset_multilingual.ttl'), 'utf8');
    server.route(path, { body: good, contentType: 'text/turtle' });
    const sourceId = await p.addSource(`${server.url}${path}`);
    const first = await p.harvest(sourceId);
    expect(first.status).toBe('succeeded');
    const rows = await p.datasets(sourceId);
    expect(rows.size).toBeGreaterThan(0);
    server.route(path, { body: readFileSync(join(CONFORMANCE_DIR, 'ckanext-dcat/harvester-fixtures/invalid.ttl'), 'utf8'), contentType: 'text/turtle' });
    const broken = await p.harvest(sourceId);
    expect(broken).toMatchObject({ status: 'failed', errorCode: 'parse_error', withdrawn: 0 });
    expect(broken.error).toMatch(/line \d+/);
    expect((await p.datasets(sourceId)).size).toBe(rows.size);
  });
});

async function snapshot(p: TestPipeline) {
  const res = await p.rt.db.pool.query('SELECT id, status, content_hash, updated_at FROM datasets ORDER BY id');
  return res.rows;
}


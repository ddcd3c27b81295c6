import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedServer, mountCatalog } from '@hasad/testkit';
import { DcatApValidator, judgeViolations, parseSourceDescription, summarise, type ShaclResult } from '@hasad/api/testing';
import { CONFORMANCE_DIR, HAVE_CONFORMANCE, warnIfMissing } from './helpers/conformance.ts';
import { startTestPipeline, type TestPipeline } from './helpers/pipeline.ts';

// The DCAT-AP export end to end: catalogues harvested by the real pipeline, published by the
// real API on loopback (GET /catalog, GET /api/v1/datasets/:id as Turtle), validated against the
// DCAT-AP 3.0.1 SHACL shapes, and harvested back by Hasad itself as a DCAT source.

const DIRS = ['ckanext-dcat/examples-dcat', 'ckanext-dcat/harvester-fixtures', 'w3c-dcat3-examples', 'dcat-ap/2.1.1/examples', 'dcat-ap/3.0.1/examples', 'dcat-ap/3.0.0-hvd/examples', 'piveau-hub-edp'];
const TYPES: Record<string, string> = { '.ttl': 'text/turtle', '.rdf': 'application/rdf+xml', '.jsonld': 'application/ld+json', '.nt': 'application/n-triples' };
const SHACL_DIR = join(CONFORMANCE_DIR, 'dcat-ap', '3.0.1', 'shacl');

type Row = { id: string; status: string; record: Record<string, unknown>; contentHash: string };

let p: TestPipeline;
let server: FeedServer;
let orgs = 0;

beforeAll(async () => {
  p = await startTestPipeline(['api', 'fetcher', 'loader'], {
    PORT: '0',
    HASAD_HARVEST_ATTEMPTS: '1',
    // The mirror harvests and the per-dataset validation are many anonymous requests.
    HASAD_RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000',
    HASAD_RATE_LIMIT_PER_MINUTE: '1000000',
    HASAD_RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
  });
  server = await FeedServer.start();
});
afterAll(async () => {
  await p?.close();
  await server?.close();
});

/** A source of its own organisation (slug returned): /catalog?organization= then selects it. */
async function addSource(url: string): Promise<{ sourceId: string; slug: string }> {
  const slug = `export-${++orgs}`;
  return { sourceId: await p.addSource(url, { slug }), slug };
}

/** What the export does with one original record beyond giving it back (see roundTrip). */
interface ExportRule {
  /** An earlier active record claims its IRI: it goes out under Hasad's IRI. */
  demoted?: boolean;
  /** Its source gave a dct:publisher (one the record could not use, e.g. a nameless agent): the source's goes out. */
  sourceGavePublisher?: boolean;
}

/**
 * Harvests `/catalog.ttl?organization=<slug>` (paged by `limit`) into a new source and compares
 * its datasets with the original's. The export adds what DCAT-AP asks for and the source did
 * not give: Hasad's URI for a dataset that had none (or whose IRI an earlier record claims: the
 * export never merges two records), the organisation as publisher when the source named none.
 */
async function roundTrip(slug: string, original: Map<string, Row>, limit: number, rules: Map<string, ExportRule> = new Map()): Promise<{ pages: number; mismatches: string[] }> {
  const mirror = await addSource(`${p.rt.apiUrl}/catalog.ttl?organization=${slug}&limit=${limit}`);
  const run = await p.harvest(mirror.sourceId);
  expect(run.status, JSON.stringify(run)).toBe('succeeded');
  const copy = await p.datasets(mirror.sourceId);
  const mismatches: string[] = [];
  if (copy.size !== original.size) mismatches.push(`${original.size} datasets became ${copy.size}`);
  for (const [identifier, row] of original) {
    const back = copy.get(identifier)?.record;
    if (!back) {
      mismatches.push(`${identifier}: missing`);
      continue;
    }
    const expected: Record<string, unknown> = { ...row.record };
    const rule = rules.get(identifier) ?? {};
    if (rule.demoted && typeof expected.uri === 'string' && expected.uri !== expected.identifier) {
      // The source's IRI goes out in adms:identifier (export.ts): the copy has it as an other
      // identifier, unless it is the record's dct:identifier too (then it says nothing new).
      const others = [...((expected.otherIdentifier as unknown[] | undefined) ?? []), { notation: expected.uri, datatype: 'http://www.w3.org/2001/XMLSchema#anyURI' }];
      expected.otherIdentifier = others.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    }
    if (expected.uri === undefined || rule.demoted) expected.uri = `${p.rt.apiUrl}/api/v1/datasets/${row.id}`;
    if (expected.publisher === undefined && !rule.sourceGavePublisher) expected.publisher = { name: { '': 'Ministère de test' } };
    if (JSON.stringify(sortKeys(back)) !== JSON.stringify(sortKeys(expected))) {
      mismatches.push(`${identifier}:\n    was  ${JSON.stringify(sortKeys(expected))}\n    back ${JSON.stringify(sortKeys(back))}`);
    }
  }
  return { pages: run.pagesFetched, mismatches };
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sortKeys(x)]));
  return v;
}

describe('GET /catalog harvested by Hasad itself', () => {
  it('gives back the same datasets from a generated catalogue of 250, over three Hydra pages', async () => {
    const feed = mountCatalog(server, '/generated', { datasets: 250, pageSize: 100 });
    const { sourceId, slug } = await addSource(feed.url);
    expect((await p.harvest(sourceId)).status).toBe('succeeded');
    const original = await p.datasets(sourceId);
    expect(original.size).toBe(250);
    const { pages, mismatches } = await roundTrip(slug, original, 100);
    expect(pages).toBe(3);
    expect(mismatches).toEqual([]);
    // Same records, so the same content hash: a second mirror harvest would change nothing.
  });
});

warnIfMissing('the DCAT-AP export conformance test');

describe.skipIf(!HAVE_CONFORMANCE)('the export of the real-world DCAT files of ../shared/conformance', () => {
  it('conforms to the mandatory DCAT-AP 3.0.1 shapes wherever the source gave the mandatory fields, and round-trips', async () => {
    const validator = new DcatApValidator(SHACL_DIR);
    const all: ShaclResult[] = [];
    const unexplained: string[] = [];
    const mismatches: string[] = [];
    let excused = 0;
    let datasets = 0;
    let files = 0;
    // Dataset IRIs of the records harvested so far (the original and its mirror claim each).
    const claimed = new Set<string>();
    for (const dir of DIRS) {
      for (const name of readdirSync(join(CONFORMANCE_DIR, dir)).sort()) {
        const type = TYPES[extname(name)];
        if (!type) continue;
        const rel = `${dir}/${name}`;
        server.route(`/conformance/${rel}`, { body: readFileSync(join(CONFORMANCE_DIR, rel), 'utf8'), contentType: `${type}; charset=utf-8` });
        const { sourceId, slug } = await addSource(`${server.url}/conformance/${rel}`);
        const run = await p.harvest(sourceId);
        // Invalid files and remote JSON-LD contexts fail their run (conformance-harvest.e2e.test.ts).
        if (run.status === 'failed') continue;
        const rows = await p.datasets(sourceId);
        if (rows.size === 0) continue;
        files++;
        const rules = new Map<string, ExportRule>();
        for (const [identifier, row] of rows) {
          datasets++;
          const res = await fetch(`${p.rt.apiUrl}/api/v1/datasets/${row.id}`, { headers: { accept: 'text/turtle' } });
          expect(res.status).toBe(200);
          const results = await validator.validate(await res.text());
          // What the source itself said (kept losslessly and exported beside Hasad's record).
          const kept = await fetch(`${p.rt.apiUrl}/api/v1/datasets/${row.id}/source`);
          const source = kept.status === 200 && (kept.headers.get('content-type') ?? '').includes('n-triples') ? parseSourceDescription(await kept.text()) : [];
          const verdict = judgeViolations(row.record, results, source);
          const uri = typeof row.record.uri === 'string' ? row.record.uri : undefined;
          rules.set(identifier, {
            demoted: uri !== undefined && claimed.has(uri),
            sourceGavePublisher: source.some((q) => q.predicate.value === 'http://purl.org/dc/terms/publisher' && (uri ? q.subject.value === uri : q.subject.termType === 'BlankNode')),
          });
          excused += verdict.excused.length;
          for (const v of verdict.unexplained) unexplained.push(`${rel} ${identifier}: ${v.path} ${v.shape} ${v.message} (${v.focusNode})`);
          all.push(...results);
        }
        const back = await roundTrip(slug, rows, 1000, rules);
        for (const row of rows.values()) if (typeof row.record.uri === 'string') claimed.add(row.record.uri);
        mismatches.push(...back.mismatches.map((m) => `${rel} ${m}`));
      }
    }
    // The catalogue node and its Hydra view, on a page without datasets.
    const catalog = await validator.validate(await (await fetch(`${p.rt.apiUrl}/catalog.ttl?organization=no-such-organisation`)).text());
    expect(catalog.filter((r) => r.severity === 'Violation')).toEqual([]);

    console.log(
      `DCAT-AP 3.0.1 SHACL over the export of ${datasets} datasets harvested from ${files} conformance files:\n` +
        `  ${unexplained.length} violations Hasad would have to answer for, ${excused} from mandatory fields the sources did not give, or values the sources themselves stated against the shapes (text where DCAT-AP wants an IRI, a wrong datatype, a repeated single-valued property)\n` +
        `  recommended-shape warnings (${all.filter((r) => r.severity !== 'Violation').length}):\n${summarise(all.filter((r) => r.severity !== 'Violation'))}`,
    );
    expect(unexplained).toEqual([]);
    expect(mismatches).toEqual([]);
    expect(datasets).toBeGreaterThan(50);
  });
});

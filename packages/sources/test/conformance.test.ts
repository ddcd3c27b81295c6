/**
 * Conformance: every DCAT example and fixture collected in ../shared/conformance (verbatim copies
 * of files from ckanext-dcat, the W3C DCAT 3 recommendation, SEMIC DCAT-AP and piveau-hub, see
 * its SOURCES.md) is served from a loopback server and harvested through the real adapter.
 */
import { harvestWithConfig } from '../src/adapters/index.ts';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalDataset, RecordProblem } from '@hasad/core';
import { ParseError } from '@hasad/core';
import { createDcatAdapter } from '../src/adapters/dcat/index.ts';
import type { HarvestEvent, SourceAdapter } from '../src/types.ts';
import { loopbackHttp, startLoopback } from '@hasad/sources/testing';
import type { Loopback } from '@hasad/sources/testing';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const conformance = path.resolve(repoRoot, '..', 'shared', 'conformance');
const present = existsSync(conformance);
if (!present) console.warn(`SKIPPED: ../shared/conformance not found (looked in ${conformance}); DCAT conformance tests did not run`);

const DIRS = ['ckanext-dcat/examples-dcat', 'ckanext-dcat/harvester-fixtures', 'w3c-dcat3-examples', 'piveau-hub-edp'];
const RDF_FILE = /\.(ttl|rdf|jsonld|nt)$/;

function listFiles(): string[] {
  const dirs = [...DIRS];
  const dcatAp = path.join(conformance, 'dcat-ap');
  for (const release of existsSync(dcatAp) ? readdirSync(dcatAp) : []) {
    if (existsSync(path.join(dcatAp, release, 'examples'))) dirs.push(`dcat-ap/${release}/examples`);
  }
  return dirs
    .filter((d) => existsSync(path.join(conformance, d)))
    .flatMap((d) => readdirSync(path.join(conformance, d)).map((f) => `${d}/${f}`))
    .filter((f) => RDF_FILE.test(f))
    .sort();
}

/**
 * Files that are not valid in their syntax upstream. Each must fail with a ParseError naming the
 * line, never crash or hang. Checked by hand; the reason is what the W3C grammar forbids.
 */
const KNOWN_INVALID: Record<string, string> = {
  'ckanext-dcat/harvester-fixtures/invalid.rdf': 'deliberately broken RDF/XML (ckanext-dcat harvester test)',
  'ckanext-dcat/harvester-fixtures/invalid.ttl': 'deliberately broken Turtle (ckanext-dcat harvester test)',
  'ckanext-dcat/examples-dcat/dataset.ttl': 'uses the prefix healthdcatap: without declaring it',
  'dcat-ap/3.0.0-hvd/examples/example-bees_wasps_dataset.ttl': '@prefix declaration without its final dot',
  'dcat-ap/3.0.1/examples/example-bee-population-dataset-series-api.ttl': 'prefixed name with an unescaped "/" in its local part',
  'dcat-ap/3.0.1/examples/example-bee-population-dataset-series-combined.ttl': 'prefixed name with an unescaped "/" in its local part',
  'piveau-hub-edp/example_catalog.ttl': 'last statement ends with ";" instead of "."',
  'piveau-hub-edp/example_empty_catalog.ttl': 'last statement ends with ";" instead of "."',
  'piveau-hub-edp/example_dataset.ttl': '@prefix declaration without its final dot',
  'piveau-hub-edp/example_dataset_geonames.ttl': '@prefix declaration without its final dot',
  'piveau-hub-edp/example_distribution.ttl': '@prefix declaration without its final dot',
  'piveau-hub-edp/example_external_dataset.ttl': '@prefix declaration without its final dot',
  'piveau-hub-edp/example_index_dataset.ttl': '@prefix declaration without its final dot',
  'piveau-hub-edp/simple_dataset.ttl': '@prefix declaration without its final dot',
};

/**
 * Remote JSON-LD contexts. The adapter never fetches contexts (that would bypass the address
 * policy, and this machine has no internet); deployments pass known ones in. The DCAT-AP 3.0.1
 * examples name the context published with the 3.0.0 HTML release; the copy shipped next to
 * them (releases/3.0.1/html/examples/context.jsonld) is that context as released with 3.0.1, so
 * we resolve the URL to it here. Without it those files fail with a "remote @context" ParseError,
 * which the last test checks and lists.
 */
const DCAT_AP_EXAMPLES_CONTEXT = 'https://semiceu.github.io/uri.semic.eu-generated/DCAT-AP/releases/3.0.0/html/examples/context.jsonld';

function loadContexts(): Map<string, unknown> {
  const local = path.join(conformance, 'dcat-ap/3.0.1/examples/context.jsonld');
  return existsSync(local) ? new Map([[DCAT_AP_EXAMPLES_CONTEXT, JSON.parse(readFileSync(local, 'utf8'))]]) : new Map();
}

interface Outcome {
  records: CanonicalDataset[];
  problems: RecordProblem[];
  events: HarvestEvent[];
  error?: unknown;
}

async function harvest(adapter: SourceAdapter, url: string): Promise<Outcome> {
  const out: Outcome = { records: [], problems: [], events: [] };
  try {
    for await (const ev of harvestWithConfig(adapter, { url, config: {}, http: loopbackHttp, maxPages: 5 })) {
      out.events.push(ev);
      if (ev.type === 'batch') {
        out.records.push(...ev.records);
        out.problems.push(...ev.problems);
      } else {
        out.problems.push(...(ev.problems ?? []));
      }
    }
  } catch (error) {
    out.error = error;
  }
  return out;
}

describe.skipIf(!present)('DCAT conformance corpus (../shared/conformance)', () => {
  let server: Loopback;
  const withContexts = createDcatAdapter({ jsonLdContexts: loadContexts() });
  const files = present ? listFiles() : [];
  const results = new Map<string, Outcome>();

  beforeAll(async () => {
    // Static files with no Content-Type: the extension (and, failing that, the first bytes) decides.
    server = await startLoopback(async (req, res, base) => {
      const rel = decodeURIComponent(new URL(req.url ?? '/', base).pathname).slice(1);
      if (rel.includes('..') || !existsSync(path.join(conformance, rel))) {
        res.writeHead(404);
        res.end();
        return;
      }
      let body = await readFile(path.join(conformance, rel));
      // The ckanext pagination fixtures link to a made-up host; point them at this server.
      if (rel.startsWith('ckanext-dcat/harvester-fixtures/pagination_page')) {
        const here = `${base}/ckanext-dcat/harvester-fixtures/pagination_page`;
        body = Buffer.from(body.toString('utf8').replace(/http:\/\/some\.dcat\.file\.pagination\.rdf\/page\/(\d+)/g, `${here}$1.rdf`));
      }
      res.writeHead(200);
      res.end(body);
    });
    for (const f of files) results.set(f, await harvest(withContexts, `${server.base}/${f}`));
  });
  afterAll(async () => {
    await server?.close();
  });

  it('finds the corpus', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it('harvests every valid file without error, and every record has a title and identifier', () => {
    const failures: string[] = [];
    for (const f of files) {
      if (KNOWN_INVALID[f] !== undefined) continue;
      const r = results.get(f) as Outcome;
      if (r.error !== undefined) failures.push(`${f}: ${(r.error as Error).message}`);
      for (const rec of r.records) {
        expect(rec.identifier).not.toBe('');
        expect(Object.keys(rec.title).length).toBeGreaterThan(0);
      }
    }
    expect(failures).toEqual([]);
  });

  it('fails each known-invalid file with a ParseError naming the line', () => {
    for (const [f, reason] of Object.entries(KNOWN_INVALID)) {
      const r = results.get(f);
      if (r === undefined) continue;
      expect([f, reason, r.error]).toEqual([f, reason, expect.any(ParseError)]);
      expect((r.error as Error).message).toMatch(/ at line \d+/);
    }
  });

  it('ckanext pagination fixtures: follows the hydra:nextPage literal to 4 datasets on 2 pages', async () => {
    const r = await harvest(withContexts, `${server.base}/ckanext-dcat/harvester-fixtures/pagination_page1.rdf`);
    expect(r.error).toBeUndefined();
    expect(r.records.map((d) => d.identifier)).toEqual([1, 2, 3, 4].map((n) => `https://data.some.org/catalog/datasets/${n}`));
    const pages = r.events.filter((e) => e.type === 'page');
    expect(pages.map((p) => p.nextUrl)).toEqual([`${server.base}/ckanext-dcat/harvester-fixtures/pagination_page2.rdf`, undefined]);
  });

  it('ckanext harvester fixtures: distributions, keywords and duplicates as ckanext-dcat expects', () => {
    const get = (f: string) => results.get(`ckanext-dcat/harvester-fixtures/${f}`) as Outcome;
    expect(get('with_distribution_bnode.rdf').records[0]?.distributions).toEqual([
      { title: { '': 'Example resource 1' }, accessUrl: 'http://data.some.org/download.zip' },
    ]);
    expect(get('with_distribution_uri.rdf').records[0]?.distributions).toEqual([
      { uri: 'https://data.some.org/catalog/datasets/1/resource/1', title: { '': 'Example resource 1' }, accessUrl: 'http://data.some.org/download.zip' },
    ]);
    expect(get('unicode_in_keywords.ttl').records.map((d) => d.keywords)).toEqual([{ '': ['Garduña', 'förskola'] }, { '': ['San Sebastián', 'Ελλάδα'] }]);
    expect(get('commas_in_keywords.ttl').records.map((d) => d.keywords[''])).toEqual([['Utbildning, kontaktuppgifter'], ['Trees, forest, shrub']]);
    expect(get('duplicate_titles.rdf').records).toHaveLength(2);
    expect(get('catalog.ttl').records).toHaveLength(2);
    expect(get('catalog.rdf').records).toHaveLength(2);
    // Dataset 2 is listed by the catalogue but never typed dcat:Dataset: not a dataset.
    expect(get('remote_file_small.ttl').records.map((d) => d.identifier)).toEqual(['https://data.some.org/catalog/datasets/1']);
  });

  it('ckanext examples: keeps every language of a multilingual dataset', () => {
    const r = results.get('ckanext-dcat/examples-dcat/dataset_multilingual.ttl') as Outcome;
    expect(r.records).toHaveLength(1);
    expect(Object.keys(r.records[0]?.title ?? {}).sort()).toEqual(['ca', 'en', 'es']);
    expect(r.records[0]?.keywords['ca']).toEqual(['Pins', 'Roures']);
  });

  it('W3C DCAT 3 examples: the same example in Turtle, RDF/XML and JSON-LD maps to the same records', () => {
    const stems = new Set(files.filter((f) => f.startsWith('w3c-dcat3-examples/')).map((f) => f.replace(RDF_FILE, '')));
    const compared: string[] = [];
    for (const stem of stems) {
      const variants = ['ttl', 'rdf', 'jsonld'].map((ext) => results.get(`${stem}.${ext}`)).filter((r): r is Outcome => r !== undefined);
      if (variants.length < 2) continue;
      // With two datasets sharing an identifier, "first kept" follows document order, which
      // differs between syntaxes: compare identifiers only then.
      const duplicates = variants.some((v) => v.problems.some((p) => p.code === 'duplicate_identifier'));
      const [first, ...rest] = variants.map((v) => ({
        records: [...v.records].sort((a, b) => a.identifier.localeCompare(b.identifier)).map((r) => (duplicates ? r.identifier : r)),
        codes: v.problems.map((p) => `${p.severity}:${p.code}`).sort(),
      }));
      for (const other of rest) expect([stem, other]).toEqual([stem, first]);
      compared.push(stem);
    }
    expect(compared.length).toBeGreaterThan(20);
  });

  it('DCAT-AP 3.0.1 examples: JSON-LD (with the local context) and Turtle agree', () => {
    const pairs = files.filter((f) => f.startsWith('dcat-ap/3.0.1/examples/') && f.endsWith('.jsonld') && !f.endsWith('/context.jsonld'));
    let agreed = 0;
    for (const f of pairs) {
      const jsonld = results.get(f) as Outcome;
      const ttl = results.get(f.replace(/\.jsonld$/, '.ttl'));
      expect([f, jsonld.error]).toEqual([f, undefined]);
      if (ttl === undefined || ttl.error !== undefined) continue;
      const ids = (o: Outcome) => o.records.map((r) => r.identifier).sort();
      expect([f, ids(jsonld)]).toEqual([f, ids(ttl)]);
      agreed++;
    }
    expect(agreed).toBeGreaterThan(5);
  });

  it('without local contexts, JSON-LD files with a remote @context fail with a clear ParseError', async () => {
    const plain = createDcatAdapter();
    const needRemote: string[] = [];
    for (const f of files.filter((x) => x.endsWith('.jsonld'))) {
      const r = await harvest(plain, `${server.base}/${f}`);
      if (r.error === undefined) continue;
      expect([f, r.error]).toEqual([f, expect.any(ParseError)]);
      expect((r.error as Error).message).toMatch(/remote @context \S+ is not fetched/);
      needRemote.push(f);
    }
    console.info(`JSON-LD files that need a remote @context (resolved locally in the other tests):\n  ${needRemote.join('\n  ')}`);
    expect(needRemote.length).toBeGreaterThan(0);
  });
});

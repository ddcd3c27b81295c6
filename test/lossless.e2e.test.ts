import { Parser, type Quad } from 'n3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedServer } from '@hasad/testkit';
import { decompressDescription } from '@hasad/core';
import { dashboardSignIn } from './helpers/dashboard.ts';
import { startTestPipeline, type TestPipeline } from './helpers/pipeline.ts';

// What a source says of a dataset is kept and exported as it said it (issue 12): the kept
// description, the never-merged export of a dataset IRI two records claim, and the runs that
// load nothing. Real pipeline (fetcher, loader, API) on a fresh database; feeds on loopback.

const PREFIXES = `@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix spdx: <http://spdx.org/rdf/terms#> .
@prefix dcatde: <http://dcat-ap.de/def/dcatde/> .
@prefix locn: <http://www.w3.org/ns/locn#> .
@prefix gsp: <http://www.opengis.net/ont/geosparql#> .
`;

const DCATDE = 'http://dcat-ap.de/def/dcatde/';
const DCAT = 'http://www.w3.org/ns/dcat#';
const DCT = 'http://purl.org/dc/terms/';

function germanFeed(attribution: string): string {
  return `${PREFIXES}
<https://daten.example.de/ds/luft> a dcat:Dataset ;
  dct:title "Luftqualität"@de , "Qualité de l'air"@fr ;
  dct:description "Messwerte"@de ;
  dcatde:contributorID <http://dcat-ap.de/def/contributors/hamburg> ;
  dcatde:politicalGeocodingLevelURI <http://dcat-ap.de/def/politicalGeocoding/Level/state> ;
  dct:spatial [ a dct:Location ; locn:geometry "POINT(10 53.5)"^^gsp:wktLiteral ] ;
  dcat:distribution [ a dcat:Distribution ;
    dcat:accessURL <https://daten.example.de/luft.csv> ;
    dcatde:licenseAttributionByText "${attribution}" ;
    spdx:checksum [ a spdx:Checksum ; spdx:algorithm spdx:checksumAlgorithm_sha1 ; spdx:checksumValue "da39a3ee5e6b4b0d3255bfef95601890afd80709" ]
  ] .
`;
}

function parseTurtle(text: string, base: string): Quad[] {
  return new Parser({ baseIRI: base }).parse(text);
}

let p: TestPipeline;
let server: FeedServer;
let orgs = 0;

beforeAll(async () => {
  [server, p] = await Promise.all([FeedServer.start(), startTestPipeline(['api', 'fetcher', 'loader'], { PORT: '0', HASAD_HARVEST_ATTEMPTS: '1' })]);
});
afterAll(async () => {
  await Promise.all([p?.close(), server?.close()]);
});

async function addSource(path: string, body: string): Promise<{ sourceId: string; slug: string }> {
  server.route(path, { body, contentType: 'text/turtle; charset=utf-8' });
  const slug = `lossless-${++orgs}`;
  return { sourceId: await p.addSource(`${server.url}${path}`, { slug }), slug };
}

async function get(path: string, accept = '*/*'): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(`${p.rt.apiUrl}${path}`, { headers: { accept } });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

/** The dashboard's overview as a signed-in operator sees it, in English. */
async function dashboardOverview(): Promise<string> {
  const page = await fetch(`${p.rt.apiUrl}/dashboard?l=en`, { headers: { cookie: await dashboardSignIn(p) } });
  expect(page.status).toBe(200);
  return page.text();
}

describe('each dataset keeps its source description', () => {
  it('is stored beside the record, served back by /source, exported by /catalog with its extensions, and a change in it alone is a change', async () => {
    const { sourceId, slug } = await addSource('/de/luft.ttl', germanFeed('Freie und Hansestadt Hamburg'));
    const first = await p.harvest(sourceId);
    expect(first).toMatchObject({ status: 'succeeded', created: 1 });
    const [row] = [...(await p.datasets(sourceId)).values()];
    // The record itself (API, search) does not carry the description; its own columns do.
    expect(row!.record['sourceDescription']).toBeUndefined();
    const stored = await p.rt.db.pool.query('SELECT source_format, source_description_deflated FROM datasets WHERE id = $1', [row!.id]);
    expect(stored.rows[0].source_format).toBe('application/n-triples');
    // Stored compressed, as the fetcher sent it (docs/record.md, "What is kept losslessly").
    const storedText = decompressDescription(stored.rows[0].source_description_deflated);

    const source = await get(`/api/v1/datasets/${row!.id}/source`);
    expect(source.status).toBe(200);
    expect(source.type).toMatch(/^application\/n-triples/);
    expect(source.body).toBe(storedText);
    expect(source.body).toContain(`<https://daten.example.de/ds/luft> <${DCATDE}contributorID> <http://dcat-ap.de/def/contributors/hamburg> .`);
    expect(source.body).toContain('"Freie und Hansestadt Hamburg"');
    expect(source.body).toContain('"POINT(10 53.5)"^^<http://www.opengis.net/ont/geosparql#wktLiteral>');

    const exported = await get(`/catalog.ttl?organization=${slug}`);
    expect(exported.status).toBe(200);
    const quads = parseTurtle(exported.body, p.rt.apiUrl!);
    const ds = 'https://daten.example.de/ds/luft';
    const objectsOf = (s: string, pred: string) => quads.filter((q) => q.subject.value === s && q.predicate.value === pred).map((q) => q.object);
    expect(objectsOf(ds, `${DCATDE}politicalGeocodingLevelURI`).map((o) => o.value)).toEqual(['http://dcat-ap.de/def/politicalGeocoding/Level/state']);
    const dists = objectsOf(ds, `${DCAT}distribution`);
    expect(dists).toHaveLength(1);
    expect(objectsOf(dists[0]!.value, `${DCATDE}licenseAttributionByText`).map((o) => o.value)).toEqual(['Freie und Hansestadt Hamburg']);
    const checksum = objectsOf(dists[0]!.value, 'http://spdx.org/rdf/terms#checksum')[0]!;
    expect(objectsOf(checksum.value, 'http://spdx.org/rdf/terms#checksumValue').map((o) => o.value)).toEqual(['da39a3ee5e6b4b0d3255bfef95601890afd80709']);
    // The source gave one title per language: one each, not the source's and a canonical copy.
    expect(objectsOf(ds, `${DCT}title`)).toHaveLength(2);
    // Hasad's additions for what the source did not say: the publisher it knows, the feed.
    expect(objectsOf(ds, `${DCT}publisher`)).toHaveLength(1);
    expect(objectsOf(ds, `${DCT}source`).map((o) => o.value)).toEqual([`${server.url}/de/luft.ttl`]);
    // RDF/XML carries the extension predicates too (under generated prefixes).
    const xml = await get(`/catalog.rdf?organization=${slug}`);
    // dcatde has its own prefix since the export writes DCAT-AP.de terms (69d5344); any other namespace gets nsN.
    expect(xml.body).toMatch(/xmlns:(?:ns\d+|dcatde)="http:\/\/dcat-ap\.de\/def\/dcatde\/"/);
    expect(xml.body).toContain('>Freie und Hansestadt Hamburg</');

    // Only the attribution text changes: nothing of the canonical record does.
    server.route('/de/luft.ttl', { body: germanFeed('Landesbetrieb Geoinformation'), contentType: 'text/turtle; charset=utf-8' });
    const second = await p.harvest(sourceId);
    expect(second).toMatchObject({ status: 'succeeded', updated: 1, created: 0 });
    expect((await get(`/api/v1/datasets/${row!.id}/source`)).body).toContain('"Landesbetrieb Geoinformation"');
    const third = await p.harvest(sourceId);
    expect(third).toMatchObject({ status: 'unchanged', updated: 0 });
  });

  it('a kept description whose stored bytes cannot be read costs only itself: /catalog exports its dataset from the record, the others with theirs', async () => {
    const feed = `${PREFIXES}
<https://daten.example.de/ds/wasser> a dcat:Dataset ; dct:title "Wasser"@de ; dcatde:contributorID <http://dcat-ap.de/def/contributors/bremen> .
<https://daten.example.de/ds/boden> a dcat:Dataset ; dct:title "Boden"@de ; dcatde:contributorID <http://dcat-ap.de/def/contributors/bremen> .
`;
    const { sourceId, slug } = await addSource('/de/zwei.ttl', feed);
    expect(await p.harvest(sourceId)).toMatchObject({ status: 'succeeded', created: 2 });
    const rows = [...(await p.datasets(sourceId)).values()];
    const damaged = rows.find((r) => r.title['de'] === 'Wasser')!;
    // A zstd frame's magic followed by bytes no codec reads (damaged storage, or a frame on a Node without zstd).
    await p.rt.db.pool.query(`UPDATE datasets SET source_description_deflated = '\\x28b52ffd00ffffffff'::bytea WHERE id = $1`, [damaged.id]);

    const exported = await get(`/catalog.ttl?organization=${slug}`);
    expect(exported.status).toBe(200);
    const quads = parseTurtle(exported.body, p.rt.apiUrl!);
    const objectsOf = (s: string, pred: string) => quads.filter((q) => q.subject.value === s && q.predicate.value === pred).map((q) => q.object.value);
    // The damaged one from its canonical record (title kept, the extension only its description held gone) ...
    expect(objectsOf('https://daten.example.de/ds/wasser', `${DCT}title`)).toEqual(['Wasser']);
    expect(objectsOf('https://daten.example.de/ds/wasser', `${DCATDE}contributorID`)).toEqual([]);
    // ... the other with its description, as before.
    expect(objectsOf('https://daten.example.de/ds/boden', `${DCATDE}contributorID`)).toEqual(['http://dcat-ap.de/def/contributors/bremen']);
    // The dataset's own page in RDF too; its /source is a server error (the detail, naming the dataset, is logged).
    expect((await get(`/api/v1/datasets/${damaged.id}`, 'text/turtle')).status).toBe(200);
    const source = await get(`/api/v1/datasets/${damaged.id}/source`);
    expect(source.status).toBe(500);
    expect(JSON.parse(source.body)).toMatchObject({ error: { code: 'internal' } });
  });

  it('a dataset of a source kind that keeps none answers 404 no_source_description', async () => {
    const res = await get('/api/v1/datasets/00000000-0000-4000-8000-000000000000/source');
    expect(res.status).toBe(404);
    const csvPath = '/inventaire.csv';
    server.route(csvPath, { body: 'identifiant;titre\r\njeu-1;Jeu 1\r\n', contentType: 'text/csv; charset=utf-8' });
    const sourceId = await p.addSource(`${server.url}${csvPath}`, { kind: 'csv' });
    expect(await p.harvest(sourceId)).toMatchObject({ status: 'succeeded', created: 1 });
    const [row] = [...(await p.datasets(sourceId)).values()];
    const none = await get(`/api/v1/datasets/${row!.id}/source`);
    expect(none.status).toBe(404);
    expect(JSON.parse(none.body)).toMatchObject({ error: { code: 'no_source_description' } });
  });
});

describe('the export never merges two records', () => {
  const shared = 'https://data.example.org/dataset/shared-iri';
  const feed = (title: string, file: string) => `${PREFIXES}
<${shared}> a dcat:Dataset ; dct:title "${title}"@fr ;
  dcat:distribution <https://data.example.org/dist/${file}> .
<https://data.example.org/dist/${file}> a dcat:Distribution ; dcat:downloadURL <https://data.example.org/files/${file}> .
`;

  it('two sources publishing the same dataset IRI: two nodes in /catalog, the second under a Hasad IRI with the original in adms:identifier; the dashboard and /metrics show the clash', async () => {
    const a = await addSource('/clash/a.ttl', feed('Première source', 'a.csv'));
    expect(await p.harvest(a.sourceId)).toMatchObject({ status: 'succeeded', created: 1 });
    const before = await get('/metrics');
    expect(before.body).toMatch(/^hasad_dataset_iri_clashes 0$/m);
    const b = await addSource('/clash/b.ttl', feed('Seconde source', 'b.csv'));
    expect(await p.harvest(b.sourceId)).toMatchObject({ status: 'succeeded', created: 1 });
    const [rowB] = [...(await p.datasets(b.sourceId)).values()];

    const quads = parseTurtle((await get(`/catalog.ttl?organization=${a.slug}&organization=${b.slug}`)).body, p.rt.apiUrl!);
    const datasets = quads.filter((q) => q.predicate.value === 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type' && q.object.value === `${DCAT}Dataset`).map((q) => q.subject.value);
    const hasadIri = `${p.rt.apiUrl}/api/v1/datasets/${rowB!.id}`;
    expect(datasets.sort()).toEqual([hasadIri, shared].sort());
    const distsOf = (s: string) => quads.filter((q) => q.subject.value === s && q.predicate.value === `${DCAT}distribution`).map((q) => q.object.value);
    expect(distsOf(shared)).toEqual(['https://data.example.org/dist/a.csv']);
    expect(distsOf(hasadIri)).toEqual(['https://data.example.org/dist/b.csv']);
    const titleOf = (s: string) => quads.filter((q) => q.subject.value === s && q.predicate.value === `${DCT}title`).map((q) => q.object.value);
    expect(titleOf(shared)).toEqual(['Première source']);
    expect(titleOf(hasadIri)).toEqual(['Seconde source']);
    const idNode = quads.find((q) => q.subject.value === hasadIri && q.predicate.value === 'http://www.w3.org/ns/adms#identifier')?.object;
    expect(idNode).toBeDefined();
    expect(quads.find((q) => q.subject.equals(idNode!) && q.predicate.value === 'http://www.w3.org/2004/02/skos/core#notation')?.object.value).toBe(shared);

    expect((await get('/metrics')).body).toMatch(/^hasad_dataset_iri_clashes 1$/m);
    const overview = await dashboardOverview();
    const tile = overview.slice(overview.indexOf('data-testid="iri-clashes"'));
    expect(tile).toContain(`<code>${shared}</code>`);
    // Both records, the one that keeps the IRI first.
    expect(tile.indexOf(`/dashboard/sources/${a.sourceId}`)).toBeGreaterThan(0);
    expect(tile.indexOf(`/dashboard/sources/${b.sourceId}`)).toBeGreaterThan(tile.indexOf(`/dashboard/sources/${a.sourceId}`));
  });
});

describe('a run that loads nothing fails', () => {
  it('every record invalid: failed no_valid_records, nothing withdrawn', async () => {
    const good = `${PREFIXES}<https://x.example/ds/1> a dcat:Dataset ; dct:title "Un" .\n<https://x.example/ds/2> a dcat:Dataset ; dct:title "Deux" .\n`;
    const { sourceId } = await addSource('/nothing/invalid.ttl', good);
    expect(await p.harvest(sourceId)).toMatchObject({ status: 'succeeded', created: 2 });
    server.route('/nothing/invalid.ttl', { body: `${PREFIXES}<https://x.example/ds/1> a dcat:Dataset ; dct:description "sans titre" .\n<https://x.example/ds/2> a dcat:Dataset .\n`, contentType: 'text/turtle' });
    const run = await p.harvest(sourceId);
    expect(run).toMatchObject({ status: 'failed', errorCode: 'no_valid_records', withdrawn: 0, invalid: 2 });
    expect(run.error).toMatch(/every record the feed gave was invalid \(2\)/);
    expect((await p.datasets(sourceId)).size).toBe(2);
    expect((await p.problems(run.id)).map((x) => x.code)).toContain('missing_title');
  });

  it('a document with no dataset: failed no_datasets', async () => {
    const { sourceId } = await addSource('/nothing/empty-catalog.ttl', `${PREFIXES}<https://x.example/catalog> a dcat:Catalog ; dct:title "Catalogue vide" .\n`);
    const run = await p.harvest(sourceId);
    expect(run).toMatchObject({ status: 'failed', errorCode: 'no_datasets', withdrawn: 0, seen: 0 });
    expect(run.error).toMatch(/holds no dataset/);
  });
});

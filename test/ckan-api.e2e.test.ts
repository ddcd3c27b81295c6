import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedServer, mountCatalog } from '@hasad/testkit';
import { startTestPipeline, type TestPipeline } from './helpers/pipeline.ts';

// Hasad harvesting Hasad through its CKAN-compatible API: a generated DCAT catalogue is harvested
// by the real pipeline into source A, then a `--kind ckan` source pointed at the running API
// (package_search, filtered by fq on A's organisation, paged by rows/start, sorted by id)
// harvests it back. Same datasets: same titles, descriptions, keywords, licence, dates and
// distribution URLs. Identifiers differ by design: the CKAN package id is the Hasad id.

type Row = { id: string; record: Record<string, unknown> };

let p: TestPipeline;
let server: FeedServer;

beforeAll(async () => {
  p = await startTestPipeline(['api', 'fetcher', 'loader'], { PORT: '0', HASAD_HARVEST_ATTEMPTS: '1' });
  server = await FeedServer.start();
});
afterAll(async () => {
  await p?.close();
  await server?.close();
});

/** The URLs of a record's distributions, sorted (the comparison key with the title). */
function urls(record: Record<string, unknown>): string[] {
  const ds = (record['distributions'] ?? []) as Array<{ accessUrl?: string; downloadUrl?: string }>;
  return ds.flatMap((d) => [d.accessUrl, d.downloadUrl].filter((u): u is string => u !== undefined)).sort();
}

/** What must survive the CKAN round trip unchanged. */
function comparable(record: Record<string, unknown>): Record<string, unknown> {
  return {
    title: record['title'],
    description: record['description'],
    keywords: record['keywords'],
    license: record['license'],
    issued: record['issued'],
    modified: record['modified'],
    language: record['language'],
    spatial: record['spatial'],
    temporal: record['temporal'],
    accrualPeriodicity: record['accrualPeriodicity'],
    themes: record['themes'],
    contactPoint: record['contactPoint'],
    publisher: record['publisher'],
    landingPage: record['landingPage'],
    urls: urls(record),
    formats: ((record['distributions'] ?? []) as Array<{ format?: string }>).map((d) => d.format?.replace(/^.*\/file-type\//, '')).sort(),
  };
}

describe('Hasad harvesting Hasad through the CKAN API (--kind ckan)', () => {
  it('yields the same datasets from a generated catalogue of 250, over three package_search pages', async () => {
    const feed = mountCatalog(server, '/generated', { datasets: 250, pageSize: 100 });
    const slug = 'source-a';
    const a = await p.addSource(feed.url, { slug });
    expect((await p.harvest(a)).status).toBe('succeeded');
    const original = (await p.datasets(a)) as Map<string, Row>;
    expect(original.size).toBe(250);

    const mirror = await p.addSource(`${p.rt.apiUrl}`, { kind: 'ckan', slug: 'mirror', config: { rows: 100, fq: `organization:${slug}` } });
    const run = await p.harvest(mirror);
    expect(run, JSON.stringify(await p.problems(run.id))).toMatchObject({ status: 'succeeded', seen: 250, created: 250, invalid: 0, pagesFetched: 3 });
    const copy = (await p.datasets(mirror)) as Map<string, Row>;
    expect(copy.size).toBe(250);

    const byHasadId = new Map([...original.values()].map((r) => [r.id, r]));
    const mismatches: string[] = [];
    for (const [identifier, back] of copy) {
      // The CKAN package id is the Hasad id of the original.
      const was = byHasadId.get(identifier);
      if (!was) {
        mismatches.push(`${identifier}: not a Hasad id of source A`);
        continue;
      }
      const expected = JSON.stringify(comparable(was.record));
      const got = JSON.stringify(comparable(back.record));
      if (expected !== got) mismatches.push(`${identifier}:\n    was  ${expected}\n    back ${got}`);
    }
    expect(mismatches).toEqual([]);
    // Title + URLs identify each dataset one to one.
    const key = (r: Row) => `${JSON.stringify(r.record['title'])} ${urls(r.record).join(' ')}`;
    expect(new Set([...copy.values()].map(key))).toEqual(new Set([...original.values()].map(key)));

    const problems = await p.problems(run.id);
    expect(problems.filter((x) => x.severity !== 'info')).toEqual([]);

    // A second harvest of the mirror changes nothing: the API answers the same packages.
    const again = await p.harvest(mirror);
    expect(again).toMatchObject({ status: 'unchanged', seen: 250, created: 0, updated: 0, withdrawn: 0 });
  });

  it('keeps the fields of a fully described dataset: contact, publisher, coverage, languages, frequency, landing page, media type and size', async () => {
    const EU = 'http://publications.europa.eu/resource/authority';
    server.route('/rich.ttl', {
      contentType: 'text/turtle; charset=utf-8',
      body: `@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix vcard: <http://www.w3.org/2006/vcard/ns#> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://data.example.ma/catalog> a dcat:Catalog ; dct:title "Catalogue"@fr ; dcat:dataset <https://data.example.ma/dataset/barrages> .
<https://data.example.ma/dataset/barrages> a dcat:Dataset ;
  dct:identifier "barrages-2024" ;
  dct:title "Taux de remplissage des barrages"@fr, "نسبة ملء السدود"@ar ;
  dct:description "Taux quotidien par barrage."@fr ;
  dcat:keyword "eau"@fr, "barrages"@fr, "ماء"@ar ;
  dcat:theme <${EU}/data-theme/ENVI>, <${EU}/data-theme/AGRI> ;
  dct:publisher [ a foaf:Agent ; foaf:name "Ministère de l'Équipement et de l'Eau"@fr ; foaf:mbox <mailto:data@equipement.gov.ma> ] ;
  dcat:contactPoint [ a vcard:Kind ; vcard:fn "Direction de l'eau" ; vcard:hasEmail <mailto:eau@equipement.gov.ma> ] ;
  dcat:landingPage <https://data.example.ma/barrages> ;
  dct:issued "2023-02-01"^^xsd:date ; dct:modified "2024-06-30T12:00:00Z"^^xsd:dateTime ;
  dct:license <https://creativecommons.org/licenses/by/4.0/> ;
  dct:spatial <https://sws.geonames.org/2542007/> ;
  dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "2010-01-01"^^xsd:date ; dcat:endDate "2024-12-31"^^xsd:date ] ;
  dct:accrualPeriodicity <${EU}/frequency/DAILY> ;
  dct:language <${EU}/language/FRA>, <${EU}/language/ARA> ;
  dcat:distribution [ a dcat:Distribution ; dct:title "Fichier CSV"@fr ; dct:description "Une ligne par jour."@fr ;
    dcat:accessURL <https://data.example.ma/barrages> ; dcat:downloadURL <https://data.example.ma/barrages.csv> ;
    dct:format <${EU}/file-type/CSV> ; dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv> ; dcat:byteSize "52000"^^xsd:nonNegativeInteger ;
    dct:issued "2023-02-01"^^xsd:date ; dct:modified "2024-06-30"^^xsd:date ] .
`,
    });
    const a = await p.addSource(`${server.url}/rich.ttl`, { slug: 'rich' });
    expect((await p.harvest(a)).status).toBe('succeeded');
    const [was] = [...((await p.datasets(a)) as Map<string, Row>).values()];
    // The comparison below is only worth something if the record is as rich as the feed.
    expect(was!.record).toMatchObject({
      contactPoint: { name: "Direction de l'eau", email: 'eau@equipement.gov.ma' },
      publisher: { email: 'data@equipement.gov.ma' },
      temporal: [{ start: '2010-01-01', end: '2024-12-31' }],
      spatial: ['https://sws.geonames.org/2542007/'],
      accrualPeriodicity: `${EU}/frequency/DAILY`,
      landingPage: 'https://data.example.ma/barrages',
      distributions: [{ mediaType: 'text/csv', byteSize: 52000, downloadUrl: 'https://data.example.ma/barrages.csv' }],
    });
    expect((was!.record['language'] as string[]).length).toBe(2);
    const mirror = await p.addSource(p.rt.apiUrl!, { kind: 'ckan', slug: 'rich-mirror', config: { fq: 'organization:rich' } });
    const run = await p.harvest(mirror);
    expect(run.status, JSON.stringify(await p.problems(run.id))).toBe('succeeded');
    const copy = (await p.datasets(mirror)) as Map<string, Row>;
    expect([...copy.keys()]).toEqual([was!.id]);
    const back = copy.get(was!.id)!.record;
    // Everything but what CKAN has no room for: the dataset URI becomes the CKAN package URL, and
    // a distribution's URI its resource URL.
    const strip = (r: Record<string, unknown>) => ({
      ...r,
      identifier: undefined,
      uri: undefined,
      distributions: (r['distributions'] as Array<Record<string, unknown>>).map((d) => ({ ...d, uri: undefined, format: String(d['format']).replace(/^.*\/file-type\//, '') })),
    });
    expect(JSON.parse(JSON.stringify(strip(back)))).toEqual(JSON.parse(JSON.stringify(strip(was!.record))));
  });

  it('answers Solr field queries in q and fq in CKAN\'s shape, as a CKAN source harvesting Hasad sends them', async () => {
    // The 'rich' source of the test above holds one dataset; 'source-a' 250 generated ones.
    const mirror = await p.addSource(p.rt.apiUrl!, {
      kind: 'ckan',
      slug: 'rich-fq',
      config: { fq: '(organization:rich OR organization:nobody) AND (tags:eau OR tags:absent) AND -res_format:PDF AND title:"remplissage des barrages" AND metadata_modified:[NOW-1DAY TO *]' },
    });
    const run = await p.harvest(mirror);
    expect(run, JSON.stringify(await p.problems(run.id))).toMatchObject({ status: 'succeeded', seen: 1, created: 1 });

    const search = async (params: Record<string, string>, status = 200) => {
      const res = await fetch(`${p.rt.apiUrl}/api/3/action/package_search?${new URLSearchParams(params)}`);
      expect(res.status, JSON.stringify(params)).toBe(status);
      return (await res.json()) as Record<string, any>;
    };
    const body = await search({ q: 'organization:source-a AND NOT organization:rich', fq: 'metadata_created:[* TO NOW]', rows: '2', 'facet.field': '["organization"]' });
    expect(Object.keys(body).sort()).toEqual(['help', 'result', 'success']);
    expect(Object.keys(body['result']).sort()).toEqual(['count', 'facets', 'results', 'search_facets', 'sort']);
    expect(body['result']).toMatchObject({ count: 250, facets: { organization: { 'source-a': 250 } } });
    expect(body['result']['results']).toHaveLength(2);
    expect((await search({ fq: 'organization:rich OR organization:rich-fq' }))['result']['count']).toBe(2);
    // The barrages dataset is in rich, in rich-mirror (the test above) and in rich-fq.
    expect((await search({ q: 'title:barrages', fq: '-organization:rich' }))['result']['count']).toBe(2);
    expect((await search({ q: 'title:barrages', fq: '-organization:rich NOT organization:rich-mirror' }))['result']['results'][0]['organization']['name']).toBe('rich-fq');
    expect((await search({ fq: 'metadata_modified:[* TO NOW-1DAY]' }))['result']['count']).toBe(0);
    expect(await search({ q: 'title:(barrages' }, 400)).toMatchObject({ success: false, error: { __type: 'Search Query Error', message: expect.stringContaining('never closed') } });
    expect(await search({ fq: 'maintainer:x' }, 409)).toMatchObject({ success: false, error: { __type: 'Validation Error', fq: [expect.stringContaining('"maintainer"')] } });
  });
});

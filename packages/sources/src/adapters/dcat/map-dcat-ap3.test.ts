import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { Parser } from 'n3';
import { describe, expect, it } from 'vitest';
import type { CanonicalDataset, RecordProblem } from '@hasad/core';
import { MAPPED_PREDICATES } from './graph.ts';
import { mapPage } from './map.ts';
import { parseRdfString } from './parse.ts';
import type { RdfFormat } from './parse.ts';

// The DCAT-AP 3.0.1 properties beyond the core fields, and the values that used to be mangled,
// read from real-shaped snippets of ../shared/conformance and from the shapes the issue reports.

const CONFORMANCE = join(import.meta.dirname, '../../../../../../shared/conformance');
const HAVE = existsSync(CONFORMANCE);
const FEED = 'https://feed.example.de/dcat/catalog.rdf';
const FORMATS: Record<string, RdfFormat> = { '.ttl': 'turtle', '.rdf': 'rdfxml', '.jsonld': 'jsonld', '.nt': 'ntriples' };

async function mapText(text: string, format: RdfFormat = 'turtle', url = FEED): Promise<{ records: CanonicalDataset[]; problems: RecordProblem[] }> {
  const { graph } = await parseRdfString(text, { url, format });
  const batches = [...mapPage(graph, 1000)];
  return { records: batches.flatMap((b) => b.records), problems: batches.flatMap((b) => b.problems) };
}

const one = async (text: string, format: RdfFormat = 'turtle') => {
  const { records, problems } = await mapText(text, format);
  expect(records).toHaveLength(1);
  return { d: records[0] as CanonicalDataset, problems };
};

const conformance = (rel: string) => readFileSync(join(CONFORMANCE, rel), 'utf8');

const TTL = `
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix locn: <http://www.w3.org/ns/locn#> .
@prefix adms: <http://www.w3.org/ns/adms#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix spdx: <http://spdx.org/rdf/terms#> .
@prefix dcatde: <http://dcat-ap.de/def/dcatde/> .
@prefix dcatap: <http://data.europa.eu/r5r/> .
@prefix gsp: <http://www.opengis.net/ont/geosparql#> .
`;

describe('values the mapper used to mangle', () => {
  it('reads a relative vcard:hasEmail (resolved by the parser against the feed) back as the address', async () => {
    const { d } = await one(
      `<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/" xmlns:vcard="http://www.w3.org/2006/vcard/ns#">
  <dcat:Dataset rdf:about="https://data.example.de/d/1">
    <dct:title>Baustellen</dct:title>
    <dcat:contactPoint><vcard:Organization><vcard:fn>Amt</vcard:fn><vcard:hasEmail rdf:resource="someone@example.org"/></vcard:Organization></dcat:contactPoint>
  </dcat:Dataset>
</rdf:RDF>`,
      'rdfxml',
    );
    expect(d.contactPoint?.email).toBe('someone@example.org');
  });

  it('drops the space of "mailto: x@y" and percent-decodes tel: numbers', async () => {
    const { d } = await one(`${TTL}
<https://data.example.de/d/2> a dcat:Dataset ; dct:title "Haltestellen" ;
  dct:publisher [ foaf:name "Stadt" ; foaf:mbox "mailto: opendata@stadt.de" ] ;
  dcat:contactPoint [ vcard:fn "Stadt" ; vcard:hasEmail "mailto: kontakt@stadt.de" ; vcard:hasTelephone <tel:+49%2040%204%2028%2040%20-%203494> ] .`);
    expect(d.publisher?.email).toBe('opendata@stadt.de');
    expect(d.contactPoint?.email).toBe('kontakt@stadt.de');
    expect(d.contactPoint?.phone).toBe('+49 40 4 28 40 - 3494');
  });

  it('keeps a publisher named only by rdfs:label or skos:prefLabel', async () => {
    const { records } = await mapText(`${TTL}
<https://data.example.de/d/3> a dcat:Dataset ; dct:title "A" ; dct:publisher [ rdfs:label "Landesamt"@de ] .
<https://data.example.de/d/4> a dcat:Dataset ; dct:title "B" ; dct:publisher [ skos:prefLabel "Bezirksamt"@de, "District office"@en ] .`);
    expect(records.map((r) => r.publisher)).toEqual([{ name: { de: 'Landesamt' } }, { name: { de: 'Bezirksamt', en: 'District office' } }]);
  });

  it('keeps a closed period whose end is not a date as given, with a problem, not as an open-ended one', async () => {
    const { d, problems } = await one(`${TTL}
<https://data.example.de/d/5> a dcat:Dataset ; dct:title "Pegel" ;
  dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "1998-01-01"^^xsd:date ; dcat:endDate "2003-02-30"^^xsd:date ] .`);
    expect(d.temporal).toEqual([{ start: '1998-01-01', endAsGiven: '2003-02-30' }]);
    expect(problems.map((p) => [p.code, p.field])).toEqual([['invalid_date', 'temporal.end']]);
  });

  it('keeps both of two landing pages', async () => {
    const { d, problems } = await one(`${TTL}
<https://data.example.de/d/6> a dcat:Dataset ; dct:title "Zwei" ; dcat:landingPage <https://b.example.de/page>, <https://a.example.de/page> .`);
    expect(d.landingPage).toBe('https://a.example.de/page');
    expect(d.landingPages).toEqual(['https://a.example.de/page', 'https://b.example.de/page']);
    expect(problems).toEqual([]);
  });
});

describe('DCAT-AP 3.0.1 properties in the canonical record', () => {
  it('maps reuse terms: dct:rights, a dct:accessRights blank node with only a description, the DL-BY-DE attribution text', async () => {
    const { d } = await one(`${TTL}
<https://data.example.de/d/7> a dcat:Dataset ; dct:title "Luftmessnetz" ;
  dct:accessRights [ a dct:RightsStatement ; dct:description "Frei zugänglich"@de, "Freely accessible"@en ] ;
  dct:rights [ a dct:RightsStatement ; rdfs:label "Namensnennung: Stadt Rostock"@de ] ;
  dct:license <http://dcat-ap.de/def/licenses/dl-by-de/2.0> ;
  dcatde:licenseAttributionByText "© Stadt Rostock (2024)"@de ;
  dcat:distribution [ a dcat:Distribution ; dcat:accessURL <https://x.de/a> ;
    dct:rights [ rdfs:label "Nur für nicht-kommerzielle Zwecke"@de ] ;
    dcatde:licenseAttributionByText "© Stadt Rostock"@de ] .`);
    expect(d.accessRights).toBe('Freely accessible');
    expect(d.accessRightsStatement).toEqual({ label: { de: 'Frei zugänglich', en: 'Freely accessible' } });
    expect(d.rights).toEqual([{ label: { de: 'Namensnennung: Stadt Rostock' } }]);
    expect(d.attributionText).toEqual({ de: '© Stadt Rostock (2024)' });
    expect(d.distributions[0]?.rights).toEqual([{ label: { de: 'Nur für nicht-kommerzielle Zwecke' } }]);
    expect(d.distributions[0]?.attributionText).toEqual({ de: '© Stadt Rostock' });
  });

  it('maps versions, provenance, creators, identifiers, relations, series and distribution details', async () => {
    const { records } = await mapText(`${TTL}
<https://data.example.de/series/luft> a dcat:DatasetSeries ; dct:title "Luft (Reihe)"@de .
<https://data.example.de/d/8> a dcat:Dataset ; dct:title "Luft 2024"@de ;
  owl:versionInfo "2.1" ; adms:versionNotes "Neue Stationen"@de, "New stations"@en ;
  dct:abstract "Kurzfassung"@de ;
  dct:conformsTo <http://www.opengis.net/def/crs/EPSG/0/25833> ;
  dct:relation <https://data.example.de/d/9> ;
  dcat:qualifiedRelation [ a dcat:Relationship ; dct:relation <https://data.example.de/d/7> ; dcat:hadRole <http://www.iana.org/assignments/relation/related> ] ;
  dct:provenance [ a dct:ProvenanceStatement ; rdfs:label "Aus Messstationen"@de ] ;
  dct:creator [ a foaf:Organization ; foaf:name "Umweltamt"@de ] ;
  adms:identifier [ a adms:Identifier ; skos:notation "10.1234/luft"^^<http://purl.org/spar/datacite/doi> ; adms:schemaAgency "DataCite" ] ,
    [ a adms:Identifier ; skos:notation "https://data.example.de/d/8"^^xsd:anyURI ] ;
  dcat:inSeries <https://data.example.de/series/luft> ;
  dcatap:applicableLegislation <http://data.europa.eu/eli/reg_impl/2023/138/oj> ;
  dcat:distribution <https://data.example.de/dist/8> .
<https://data.example.de/dist/8> a dcat:Distribution ; dcat:accessURL <https://x.de/wms> ;
  dct:language <http://publications.europa.eu/resource/authority/language/DEU> ;
  dct:identifier "dist-8" ; foaf:page <https://x.de/doc> ;
  spdx:checksum [ a spdx:Checksum ; spdx:algorithm spdx:checksumAlgorithm_sha1 ; spdx:checksumValue "da39a3ee5e6b4b0d3255bfef95601890afd80709"^^xsd:hexBinary ] ;
  dcatap:availability <http://publications.europa.eu/resource/authority/planned-availability/STABLE> ;
  adms:status <http://publications.europa.eu/resource/authority/distribution-status/COMPLETED> ;
  dcat:accessService [ a dcat:DataService ; dct:title "WMS Luft"@de ; dcat:endpointURL <https://x.de/wms> ;
    dct:conformsTo <http://www.opengeospatial.org/standards/wms> ; dcat:servesDataset <https://data.example.de/d/8> ] .`);
    const series = records.find((r) => r.uri === 'https://data.example.de/series/luft');
    expect(series?.isSeries).toBe(true);
    const d = records.find((r) => r.uri === 'https://data.example.de/d/8') as CanonicalDataset;
    expect(d.isSeries).toBeUndefined();
    expect(d).toMatchObject({
      version: '2.1',
      versionNotes: { de: 'Neue Stationen', en: 'New stations' },
      abstract: { de: 'Kurzfassung' },
      conformsTo: [{ uri: 'http://www.opengis.net/def/crs/EPSG/0/25833' }],
      relation: ['https://data.example.de/d/9'],
      qualifiedRelation: [{ relation: 'https://data.example.de/d/7', role: 'http://www.iana.org/assignments/relation/related' }],
      provenance: [{ label: { de: 'Aus Messstationen' } }],
      creator: [{ name: { de: 'Umweltamt' } }],
      otherIdentifier: [{ notation: '10.1234/luft', datatype: 'http://purl.org/spar/datacite/doi', schemaAgency: 'DataCite' }],
      inSeries: ['https://data.example.de/series/luft'],
      applicableLegislation: ['http://data.europa.eu/eli/reg_impl/2023/138/oj'],
    });
    expect(d.distributions[0]).toMatchObject({
      language: ['http://publications.europa.eu/resource/authority/language/DEU'],
      identifier: 'dist-8',
      documentation: ['https://x.de/doc'],
      checksum: { algorithm: 'http://spdx.org/rdf/terms#checksumAlgorithm_sha1', value: 'da39a3ee5e6b4b0d3255bfef95601890afd80709' },
      availability: 'http://publications.europa.eu/resource/authority/planned-availability/STABLE',
      status: 'http://publications.europa.eu/resource/authority/distribution-status/COMPLETED',
      accessService: [
        {
          title: { de: 'WMS Luft' },
          endpointUrl: ['https://x.de/wms'],
          conformsTo: [{ uri: 'http://www.opengeospatial.org/standards/wms' }],
          servesDataset: ['https://data.example.de/d/8'],
        },
      ],
    });
  });

  it('keeps typed geometries with their datatype and prefLabel-only or adminUnitL2 locations', async () => {
    const { d, problems } = await one(`${TTL}
<https://data.example.de/d/10> a dcat:Dataset ; dct:title "Orte" ;
  dct:spatial [ a dct:Location ;
    locn:geometry "POLYGON((1 2,3 4,5 6,1 2))"^^gsp:wktLiteral, "<gml:Point><gml:pos>1 2</gml:pos></gml:Point>"^^gsp:gmlLiteral,
                  "{\\"type\\":\\"Point\\",\\"coordinates\\":[1,2]}"^^<https://www.iana.org/assignments/media-types/application/vnd.geo+json> ] ,
    [ a dct:Location ; skos:prefLabel "Rostock"@de, "روستوك"@ar ] ,
    [ a dct:Location ; locn:adminUnitL2 <http://dcat-ap.de/def/politicalGeocoding/regionalKey/130030000000> ] ,
    [ a dct:Location ; gsp:hasGeometry [ gsp:asWKT "POINT(12 54)"^^gsp:wktLiteral ] ] .`);
    expect(problems).toEqual([]);
    expect(d.spatial).toContain('روستوك'); // the display name: untagged, English, else the smallest tag
    expect(d.spatial).toContain('http://dcat-ap.de/def/politicalGeocoding/regionalKey/130030000000');
    expect(d.spatial).toContain('POINT(12 54)');
    const geoms = d.locations?.flatMap((l) => l.geometry ?? []) ?? [];
    expect(geoms.map((g) => g.datatype).sort()).toEqual([
      'http://www.opengis.net/ont/geosparql#gmlLiteral',
      'http://www.opengis.net/ont/geosparql#wktLiteral',
      'http://www.opengis.net/ont/geosparql#wktLiteral',
      'https://www.iana.org/assignments/media-types/application/vnd.geo+json',
    ]);
    expect(d.locations).toContainEqual({ label: { ar: 'روستوك', de: 'Rostock' } });
    expect(d.locations).toContainEqual({ adminUnitL2: ['http://dcat-ap.de/def/politicalGeocoding/regionalKey/130030000000'] });
  });

  it('maps the catalogue record that describes a dataset', async () => {
    const { d } = await one(`${TTL}
<https://data.example.de/record/11> a dcat:CatalogRecord ; foaf:primaryTopic <https://data.example.de/d/11> ;
  dct:modified "2024-03-01"^^xsd:date ; dct:issued "2020-01-01"^^xsd:date ;
  dct:conformsTo <https://semiceu.github.io/DCAT-AP/releases/3.0.1> ; adms:status <http://purl.org/adms/changetype/Updated> .
<https://data.example.de/d/11> a dcat:Dataset ; dct:title "Mit Katalogeintrag" .`);
    expect(d.catalogRecord).toEqual({
      uri: 'https://data.example.de/record/11',
      issued: '2020-01-01',
      modified: '2024-03-01',
      conformsTo: [{ uri: 'https://semiceu.github.io/DCAT-AP/releases/3.0.1' }],
      status: 'http://purl.org/adms/changetype/Updated',
    });
  });

  it('gives the same record, and no warning, whatever the syntax: the new fields are sorted by content', async () => {
    const ttl = `${TTL}
<https://data.example.de/d/12> a dcat:Dataset ; dct:title "Sortiert" ;
  dct:rights [ rdfs:label "B" ], [ rdfs:label "A" ] ; dct:creator [ foaf:name "Y" ], [ foaf:name "X" ] ;
  adms:identifier [ skos:notation "2" ], [ skos:notation "1" ] .`;
    const a = await one(ttl);
    const b = await one(ttl.replace('[ rdfs:label "B" ], [ rdfs:label "A" ]', '[ rdfs:label "A" ], [ rdfs:label "B" ]').replace('[ foaf:name "Y" ], [ foaf:name "X" ]', '[ foaf:name "X" ], [ foaf:name "Y" ]'));
    expect(a.problems).toEqual([]);
    expect(b.d).toEqual(a.d);
    expect(a.d.rights).toEqual([{ label: { '': 'A' } }, { label: { '': 'B' } }]);
  });
});

describe.skipIf(!HAVE)('conformance files', () => {
  it('dataset_gov_de.rdf (DCAT-AP.de): rights, conformsTo and status on every distribution, GeoJSON + WKT location typed, adminUnitL2 location kept', async () => {
    const { d } = await one(conformance('ckanext-dcat/examples-dcat/dataset_gov_de.rdf'), 'rdfxml');
    expect(d.distributions.length).toBeGreaterThan(1);
    for (const dist of d.distributions) {
      expect(dist.rights).toEqual([{ uri: 'http://dcat-ap.de/def/licenses/cc-zero' }]);
      expect(dist.conformsTo).toEqual([{ label: { '': 'http://dcat-ap.de/def/dcatde/' } }]);
    }
    expect(d.distributions.some((x) => x.status === 'http://purl.org/adms/status/Completed')).toBe(true);
    expect(d.locations?.flatMap((l) => (l.geometry ?? []).map((g) => g.datatype)).sort()).toEqual([
      'http://www.opengis.net/ont/geosparql#wktLiteral',
      'https://www.iana.org/assignments/media-types/application/vnd.geo+json',
    ]);
    expect(d.spatial).toContain('http://dcat-ap.de/def/politicalGeocoding/regionalKey/130030000000');
  });

  it('E_DCAT-AP-ES_full_optional.ttl: every optional property of a dataset and a distribution', async () => {
    const { records } = await mapText(conformance('dcat-ap-national/es/E_DCAT-AP-ES_full_optional.ttl'));
    const d = records.find((r) => r.uri === 'http://dcat-ap-es.ejemplo.org/dataset/dataset-ejemplo-1') as CanonicalDataset;
    expect(d.creator).toEqual([{ uri: 'http://datos.gob.es/recurso/sector-publico/org/Organismo/E0DAT0001' }]);
    expect(records.some((r) => (r.qualifiedAttribution ?? []).length > 0)).toBe(true);
    const dist = records.flatMap((r) => r.distributions).find((x) => x.checksum !== undefined);
    expect(dist).toMatchObject({
      checksum: { algorithm: 'http://spdx.org/rdf/terms#checksumAlgorithm_sha1', value: '4304CF2E751E6053C90B1804C89C0EBB758F395A' },
      spatialResolutionInMeters: 199,
      temporalResolution: 'PT99M',
      hasPolicy: ['http://publications.europa.eu/resource/authority/access-right/SENSITIVE'],
      rights: [{ uri: 'http://publications.europa.eu/resource/authority/access-right/CONFIDENTIAL' }],
    });
  });

  it('an ODRS rights statement keeps its attribution text, URL and data licence', async () => {
    const { d } = await one(`${TTL}
@prefix odrs: <http://schema.theodi.org/odrs#> .
<https://data.example.es/d/1> a dcat:Dataset ; dct:title "Con derechos" ; dct:rights <http://dcat-ap-es.ejemplo.org/catalogo/derechos-de-acceso> .
${conformance('dcat-ap-national/es/E_DCAT-AP-ES_full_optional.ttl').split('\n').slice(87, 93).join('\n')}`);
    expect(d.rights).toEqual([
      {
        uri: 'http://dcat-ap-es.ejemplo.org/catalogo/derechos-de-acceso',
        label: { '': 'Derechos relativos a la reutilización del Catálogo de Datos Abiertos' },
        attributionText: { '': 'Atribución de autoría al Organismo' },
        attributionUrl: 'http://datos.gob.es/recurso/sector-publico/org/Organismo/E0DAT0001',
        dataLicense: 'http://publications.europa.eu/resource/authority/licence/CC_BY_4_0',
      },
    ]);
  });

  /**
   * Coverage: every DCAT-AP 3.0.1 property (a sh:path of the release's SHACL) that a conformance
   * file uses inside a dataset's description is one the mapper reads. Read but not a record field
   * of the dataset by design: rdf:type (decides dataset vs series), dcat:dataset / dcat:service /
   * dcat:catalog / dcat:record (catalogue-level), dcat:seriesMember (the series' members are
   * harvested each on its own), dct:source of a dataset (the export's dct:source is the feed
   * Hasad harvested from; the source's own is kept in the description).
   */
  it('every DCAT-AP 3.0.1 property used in a dataset description of the conformance files reaches the mapper', async () => {
    const shapes = new Parser().parse(conformance('dcat-ap/3.0.1/shacl/dcat-ap-SHACL.ttl'));
    const paths = new Set(shapes.filter((q) => q.predicate.value === 'http://www.w3.org/ns/shacl#path' && q.object.termType === 'NamedNode').map((q) => q.object.value));
    expect(paths.size).toBeGreaterThan(60);
    const byDesign = new Set(
      ['rdf-syntax-ns#type', 'dcat#dataset', 'dcat#service', 'dcat#catalog', 'dcat#record', 'dcat#seriesMember', 'terms/source', 'terms/hasPart', 'terms/isPartOf'].map((x) =>
        x.startsWith('rdf') ? `http://www.w3.org/1999/02/22-${x}` : x.startsWith('dcat') ? `http://www.w3.org/ns/${x}` : `http://purl.org/dc/${x}`,
      ),
    );
    const missing = new Map<string, string>();
    let descriptions = 0;
    for (const dir of ['dcat-ap/3.0.1/examples', 'dcat-ap/3.0.0-hvd/examples', 'dcat-ap/2.1.1/examples', 'dcat-ap-national', 'w3c-dcat3-examples', 'ckanext-dcat/examples-dcat', 'geodcat-ap']) {
      for (const rel of listFiles(join(CONFORMANCE, dir))) {
        const format = FORMATS[extname(rel)];
        if (format === undefined || format === 'jsonld') continue; // JSON-LD contexts are remote: the same examples are read as Turtle
        let graph;
        try {
          graph = (await parseRdfString(readFileSync(rel, 'utf8'), { url: FEED, format })).graph;
        } catch {
          continue; // files meant to be invalid (conformance-harvest.e2e.test.ts)
        }
        for (const key of graph.datasetKeys()) {
          const body = graph.triples.describe(key)?.body ?? '';
          descriptions++;
          for (const m of body.matchAll(/^\S+ <([^>]+)> /gm)) {
            const p = m[1] as string;
            if (paths.has(p) && !MAPPED_PREDICATES.has(p) && !byDesign.has(p)) missing.set(p, rel.slice(CONFORMANCE.length + 1));
          }
        }
      }
    }
    expect(descriptions).toBeGreaterThan(100);
    expect(Object.fromEntries(missing)).toEqual({});
  });
});

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

import { describe, expect, it } from 'vitest';
import type { CanonicalDataset } from '@hasad/core';
import { datasetQuads } from './dcat-graph.ts';
import { readRecords } from './read-back.testing.ts';
import { serialize } from './rdf-serialize.ts';

// The canonical triples alone (what /catalog writes for a source that keeps no RDF description:
// CSW ISO records, CSV, SOAP, CKAN) must give the same record back to Hasad's own DCAT adapter,
// for every DCAT-AP 3.0.1 field the record has.

const BASE = 'https://hasad.example';

const RECORD: CanonicalDataset = {
  identifier: 'luft-2024',
  uri: 'https://data.example.de/d/luft',
  title: { de: 'Luft 2024', en: 'Air 2024' },
  description: { de: 'Messwerte' },
  keywords: { de: ['luft'] },
  themes: ['http://publications.europa.eu/resource/authority/data-theme/ENVI'],
  publisher: { name: { de: 'Umweltamt' } },
  contactPoint: { name: 'Amt', email: 'someone@example.org', phone: '+49 40 4 28 40 - 3494', organizationName: { de: 'Umweltamt' } },
  landingPage: 'https://a.example.de/page',
  landingPages: ['https://a.example.de/page', 'https://b.example.de/page'],
  license: 'http://dcat-ap.de/def/licenses/dl-by-de/2.0',
  licenseDocument: { uri: 'http://dcat-ap.de/def/licenses/dl-by-de/2.0', label: { de: 'Datenlizenz Deutschland – Namensnennung' } },
  accessRights: 'Freely accessible',
  accessRightsStatement: { label: { de: 'Frei zugänglich', en: 'Freely accessible' } },
  spatial: ['POLYGON((1 2,3 4,5 6,1 2))', 'https://sws.geonames.org/2844588/', 'روستوك'],
  locations: [
    { geometry: [{ value: 'POLYGON((1 2,3 4,5 6,1 2))', datatype: 'http://www.opengis.net/ont/geosparql#wktLiteral' }] },
    { label: { ar: 'روستوك', de: 'Rostock' } },
  ],
  temporal: [{ start: '1998-01-01', endAsGiven: '2003-02-30' }],
  language: [],
  isSeries: true,
  inSeries: ['https://data.example.de/series/luft'],
  version: '2.1',
  versionNotes: { de: 'Neue Stationen', en: 'New stations' },
  abstract: { de: 'Kurzfassung' },
  conformsTo: [{ uri: 'http://www.opengis.net/def/crs/EPSG/0/25833' }],
  relation: ['https://data.example.de/d/9'],
  qualifiedRelation: [{ relation: 'https://data.example.de/d/7', role: 'http://www.iana.org/assignments/relation/related' }],
  provenance: [{ label: { de: 'Aus Messstationen' } }],
  creator: [{ name: { de: 'Messnetz' } }],
  otherIdentifier: [{ notation: '10.1234/luft', datatype: 'http://purl.org/spar/datacite/doi', schemaAgency: 'DataCite' }],
  rights: [{ uri: 'http://dcat-ap-es.ejemplo.org/derechos', label: { '': 'Derechos' }, attributionText: { '': 'Atribución' }, dataLicense: 'http://publications.europa.eu/resource/authority/licence/CC_BY_4_0' }],
  attributionText: { de: '© Stadt Rostock (2024)' },
  documentation: ['https://a.example.de/page', 'https://docs.example.de/luft'],
  applicableLegislation: ['http://data.europa.eu/eli/reg_impl/2023/138/oj'],
  hvdCategory: ['http://data.europa.eu/bna/c_dd313021'],
  spatialResolutionInMeters: 199,
  temporalResolution: 'PT1H',
  qualifiedAttribution: [{ agent: 'https://www.ala.org.au/', role: 'https://inspire.ec.europa.eu/metadata-codelist/ResponsiblePartyRole/distributor' }],
  catalogRecord: { uri: 'https://data.example.de/record/luft', modified: '2024-03-01', conformsTo: [{ uri: 'https://semiceu.github.io/DCAT-AP/releases/3.0.1' }] },
  distributions: [
    {
      accessUrl: 'https://x.de/wms',
      rights: [{ label: { de: 'Nur nicht-kommerziell' } }],
      language: ['http://publications.europa.eu/resource/authority/language/DEU'],
      identifier: 'dist-8',
      documentation: ['https://x.de/doc'],
      checksum: { algorithm: 'http://spdx.org/rdf/terms#checksumAlgorithm_sha1', value: 'da39a3ee5e6b4b0d3255bfef95601890afd80709' },
      availability: 'http://publications.europa.eu/resource/authority/planned-availability/STABLE',
      status: 'http://publications.europa.eu/resource/authority/distribution-status/COMPLETED',
      accessService: [{ title: { de: 'WMS Luft' }, endpointUrl: ['https://x.de/wms'], conformsTo: [{ uri: 'http://www.opengeospatial.org/standards/wms' }], servesDataset: ['https://data.example.de/d/luft'] }],
    },
  ],
};

describe('the canonical export of the DCAT-AP 3.0.1 fields', () => {
  it('reads back as the same record, in Turtle and RDF/XML', async () => {
    const quads = datasetQuads({ id: '00000000-0000-4000-8000-000000000001', uri: RECORD.uri ?? null, record: RECORD as unknown as CanonicalDataset & Record<string, unknown>, organizationName: 'Umweltamt', sourceUrl: 'https://feed.example.de/catalog' }, BASE);
    for (const [format, type] of [['turtle', 'text/turtle'], ['rdfxml', 'application/rdf+xml']] as const) {
      const { records, problems } = await readRecords(serialize(quads, format), `${BASE}/catalog`, type);
      expect(records).toEqual([RECORD]);
      // The one warning: the end that is not a date, kept as given.
      expect(problems).toEqual([expect.objectContaining({ code: 'invalid_date', field: 'temporal.end' })]);
    }
  });
});

describe('data services (GeoDCAT-AP)', () => {
  const DCAT = 'http://www.w3.org/ns/dcat#';
  const SERVICE: CanonicalDataset = {
    identifier: 'wms-occupation',
    title: { fr: 'Service WMS d’occupation des sols' },
    description: { fr: 'Cartes d’occupation des sols' },
    keywords: { fr: ['occupation des sols'] },
    themes: [],
    spatial: [],
    temporal: [],
    language: [],
    distributions: [{ accessUrl: 'https://geo.example.ma/wms', format: 'WMS' }],
    type: 'http://inspire.ec.europa.eu/metadata-codelist/ResourceType/service',
    dataService: {
      endpointUrl: ['https://geo.example.ma/wms'],
      endpointDescription: ['https://geo.example.ma/wms?SERVICE=WMS&REQUEST=GetCapabilities'],
      conformsTo: [{ uri: 'http://www.opengeospatial.org/standards/wms' }],
      servesDataset: ['geo-00001', 'not-harvested'],
      type: 'http://inspire.ec.europa.eu/metadata-codelist/SpatialDataServiceType/view',
    },
  };
  const svcIri = `${BASE}/api/v1/datasets/00000000-0000-4000-8000-000000000002`;

  it('a service record is a dcat:DataService with its endpoints, standards, type and served datasets, without distributions', () => {
    const quads = datasetQuads(
      { id: '00000000-0000-4000-8000-000000000002', uri: null, record: SERVICE as unknown as CanonicalDataset & Record<string, unknown>, organizationName: 'Ministère', sourceUrl: 'https://geo.example.ma/csw', servesDataset: ['https://geo.example.ma/id/geo-00001', 'not-harvested'] },
      BASE,
    );
    const of = (p: string) => quads.filter((q) => q.subject.value === svcIri && q.predicate.value === p).map((q) => q.object.value);
    expect(of('http://www.w3.org/1999/02/22-rdf-syntax-ns#type')).toEqual([`${DCAT}DataService`]);
    expect(of(`${DCAT}endpointURL`)).toEqual(['https://geo.example.ma/wms']);
    expect(of(`${DCAT}endpointDescription`)).toEqual(['https://geo.example.ma/wms?SERVICE=WMS&REQUEST=GetCapabilities']);
    expect(of('http://purl.org/dc/terms/conformsTo')).toEqual(['http://www.opengeospatial.org/standards/wms']);
    expect(of('http://purl.org/dc/terms/type').sort()).toEqual(['http://inspire.ec.europa.eu/metadata-codelist/ResourceType/service', 'http://inspire.ec.europa.eu/metadata-codelist/SpatialDataServiceType/view']);
    expect(of(`${DCAT}distribution`)).toEqual([]);
    // The resolved dataset by its IRI; the unresolved reference as a dataset named by its identifier.
    const served = quads.filter((q) => q.subject.value === svcIri && q.predicate.value === `${DCAT}servesDataset`).map((q) => q.object);
    expect(served.map((o) => o.termType).sort()).toEqual(['BlankNode', 'NamedNode']);
    const blank = served.find((o) => o.termType === 'BlankNode')!;
    expect(quads.filter((q) => q.subject.equals(blank)).map((q) => q.object.value).sort()).toEqual([`${DCAT}Dataset`, 'not-harvested']);
  });

  it('the distribution of a served dataset at the service endpoint gets dcat:accessService; a dataset with none gets one', () => {
    const dataset = (dists: CanonicalDataset['distributions']) =>
      datasetQuads(
        {
          id: '00000000-0000-4000-8000-000000000003',
          uri: 'https://geo.example.ma/id/geo-00001',
          record: { ...RECORD, uri: 'https://geo.example.ma/id/geo-00001', distributions: dists } as unknown as CanonicalDataset & Record<string, unknown>,
          organizationName: 'Ministère',
          sourceUrl: 'https://geo.example.ma/csw',
          servedBy: [{ iri: svcIri, endpointUrl: ['https://geo.example.ma/wms'] }],
        },
        BASE,
      );
    const links = (quads: ReturnType<typeof datasetQuads>) =>
      quads.filter((q) => q.predicate.value === `${DCAT}accessService` && q.object.value === svcIri).map((q) => quads.find((d) => d.subject.equals(q.subject) && d.predicate.value === `${DCAT}accessURL`)?.object.value);
    expect(links(dataset([{ accessUrl: 'https://geo.example.ma/wms?SERVICE=WMS&REQUEST=GetCapabilities' }, { downloadUrl: 'https://geo.example.ma/files/a.gpkg', accessUrl: 'https://geo.example.ma/files/a.gpkg' }]))).toEqual([
      'https://geo.example.ma/wms?SERVICE=WMS&REQUEST=GetCapabilities',
    ]);
    expect(links(dataset([{ accessUrl: 'https://geo.example.ma/files/a.gpkg' }]))).toEqual(['https://geo.example.ma/wms']);
  });
});

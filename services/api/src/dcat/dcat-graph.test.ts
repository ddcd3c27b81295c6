import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataFactory, Parser, type Quad, type Term } from 'n3';
import { describe, expect, it } from 'vitest';
import type { CanonicalDataset } from '@hasad/core';
import { mapIsoXml } from '@hasad/sources';
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

// SEMIC's ISO 19139 → GeoDCAT-AP test cases (../shared/conformance/geodcat-ap): each input mapped by
// the CSW adapter and exported, compared with the reference output on the GeoDCAT-AP terms.
const SEMIC_CASES = resolve(fileURLToPath(new URL('../../../../', import.meta.url)), '..', 'shared', 'conformance', 'geodcat-ap', 'semic-iso-19139-to-dcat-ap', 'test-cases');
const HAVE_SEMIC = existsSync(SEMIC_CASES);
if (!HAVE_SEMIC) console.warn(`SKIPPED the GeoDCAT-AP export of ISO 19139 records: ${SEMIC_CASES} not found (it holds the shared conformance files; see README)`);

describe.skipIf(!HAVE_SEMIC)('the GeoDCAT-AP export of an ISO 19139 record, against SEMIC’s reference output', () => {
  const G = 'http://data.europa.eu/930/';
  const DCT = 'http://purl.org/dc/terms/';
  const DCAT = 'http://www.w3.org/ns/dcat#';
  const PROV = 'http://www.w3.org/ns/prov#';
  const DQV = 'http://www.w3.org/ns/dqv#';
  const FOAF = 'http://xmlns.com/foaf/0.1/';
  const CNT = 'http://www.w3.org/2011/content#';
  const ADMS = 'http://www.w3.org/ns/adms#';
  const VCARD = 'http://www.w3.org/2006/vcard/ns#';
  const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
  const ID = '00000000-0000-4000-8000-0000000000a1';

  /** The values reached from `start` along `path` (blank nodes followed), sorted: IRIs and literals' lexical forms. */
  const follow = (quads: Quad[], start: Term[], path: string[]): string[] => {
    let nodes = start;
    for (const p of path) nodes = nodes.flatMap((n) => quads.filter((q) => q.subject.equals(n) && q.predicate.value === p).map((q) => q.object));
    return [...new Set(nodes.map((n) => (n.termType === 'BlankNode' ? '_' : n.value)))].sort();
  };
  /** The described resource: the node with a resource type. */
  const mainNode = (quads: Quad[]) => quads.find((q) => q.predicate.value === `${G}resourceType`)!.subject;
  /** Its catalogue record: SEMIC writes foaf:isPrimaryTopicOf, Hasad the record's foaf:primaryTopic. */
  const recordOf = (quads: Quad[], main: Term) => [
    ...quads.filter((q) => q.subject.equals(main) && q.predicate.value === `${FOAF}isPrimaryTopicOf`).map((q) => q.object),
    ...quads.filter((q) => q.object.equals(main) && q.predicate.value === `${FOAF}primaryTopic`).map((q) => q.subject),
  ];

  const exported = (name: string) => {
    const file = readFileSync(join(SEMIC_CASES, name, 'input.xml'), 'utf8');
    // multilingual-metadata is a GetRecordById answer: its record, as a harvest cuts it.
    const xml = /<gmd:MD_Metadata[\s\S]*<\/gmd:MD_Metadata>/.exec(file)?.[0] ?? file;
    const { record } = mapIsoXml(xml, `${name}/input.xml`);
    expect(record).toBeDefined();
    const ours = datasetQuads(
      { id: ID, uri: record!.uri ?? null, record: record as unknown as CanonicalDataset & Record<string, unknown>, organizationName: 'Org', sourceUrl: 'https://geo.example.org/csw', sourceMetadataUrl: `${BASE}/api/v1/datasets/${ID}/source` },
      BASE,
    );
    const expected = new Parser().parse(readFileSync(join(SEMIC_CASES, name, 'expected_output.ttl'), 'utf8'));
    return { ours, expected };
  };

  // Paths from the described resource whose values must be SEMIC's.
  const SAME_FROM_RESOURCE: string[][] = [
    [`${G}resourceType`],
    [`${G}topicCategory`],
    [`${G}referenceSystem`],
    [`${DCT}created`],
    [`${DQV}hasQualityMeasurement`, `${DQV}isMeasurementOf`],
    [`${DQV}hasQualityMeasurement`, `${DQV}value`],
    [`${PROV}qualifiedAttribution`, `${DCAT}hadRole`],
    [`${PROV}qualifiedAttribution`, `${PROV}agent`, `${FOAF}name`],
    [`${DCT}rightsHolder`, `${FOAF}name`],
    [`${G}custodian`, `${FOAF}name`],
    [`${PROV}wasUsedBy`, `${PROV}generated`, `${DCT}type`],
    [`${PROV}wasUsedBy`, `${PROV}generated`, `${DCT}description`],
    [`${PROV}wasUsedBy`, `${PROV}qualifiedAssociation`, `${PROV}hadPlan`, `${PROV}wasDerivedFrom`],
    [`${DCAT}distribution`, `${DCAT}accessService`, `${G}serviceProtocol`],
    [`${DCAT}distribution`, `${ADMS}representationTechnique`],
    [`${G}purpose`],
  ];
  const SAME_FROM_RECORD: string[][] = [
    [`${DCT}identifier`],
    [`${DCT}source`, `${CNT}characterEncoding`],
    [`${DCT}source`, `${DCT}modified`],
    [`${PROV}qualifiedAttribution`, `${DCAT}hadRole`],
    [`${DCAT}contactPoint`, `${VCARD}fn`],
    [`${DCAT}contactPoint`, `${VCARD}hasEmail`],
  ];

  it.each(['basic_dataset', 'transfersize-bytesize', 'identifiers-anchor'])('%s: the GeoDCAT-AP terms of the dataset and its catalogue record are SEMIC’s', (name) => {
    const { ours, expected } = exported(name);
    const [o, e] = [mainNode(ours), mainNode(expected)];
    for (const path of SAME_FROM_RESOURCE) expect(follow(ours, [o], path), path.join(' / ')).toEqual(follow(expected, [e], path));
    for (const path of SAME_FROM_RECORD) expect(follow(ours, recordOf(ours, o), path), `record: ${path.join(' / ')}`).toEqual(follow(expected, recordOf(expected, e), path));
    // Not vacuous: the reference output has these terms.
    expect(follow(expected, [e], [`${G}topicCategory`])).not.toEqual([]);
    expect(follow(expected, [e], [`${DCAT}distribution`, `${ADMS}representationTechnique`])).not.toEqual([]);
    expect(follow(expected, recordOf(expected, e), [`${DCAT}contactPoint`, `${VCARD}hasEmail`])).not.toEqual([]);
    expect(follow(expected, [e], [`${PROV}wasUsedBy`, `${PROV}generated`, `${DCT}type`])).not.toEqual([]);
  });

  it.each([
    ['network-service', [`${G}resourceType`, `${G}serviceType`, `${G}serviceCategory`, `${G}serviceProtocol`, `${DCT}created`]],
    ['multilingual-metadata', [`${G}resourceType`, `${G}serviceType`, `${G}serviceCategory`, `${G}purpose`]],
  ])('%s: the service’s GeoDCAT-AP terms are SEMIC’s', (name, predicates) => {
    const { ours, expected } = exported(name);
    const [o, e] = [mainNode(ours), mainNode(expected)];
    expect(follow(ours, [o], [RDF_TYPE])).toEqual(follow(expected, [e], [RDF_TYPE]).filter((t) => t !== `${PROV}Entity`));
    for (const p of predicates) {
      expect(follow(ours, [o], [p]), p).toEqual(follow(expected, [e], [p]));
      expect(follow(expected, [e], [p]), p).not.toEqual([]);
    }
  });

  it('the catalogue record links the kept ISO 19139 XML: dct:source, served by the API as application/xml', () => {
    const { ours } = exported('basic_dataset');
    const record = recordOf(ours, mainNode(ours));
    expect(follow(ours, record, [`${DCT}source`])).toEqual([`${BASE}/api/v1/datasets/${ID}/source`]);
    const source = DataFactory.namedNode(`${BASE}/api/v1/datasets/${ID}/source`);
    expect(follow(ours, [source], [RDF_TYPE])).toEqual([`${DCAT}CatalogRecord`]);
    expect(follow(ours, [source], [`${DCT}format`])).toEqual(['https://www.iana.org/assignments/media-types/application/xml']);
  });
});

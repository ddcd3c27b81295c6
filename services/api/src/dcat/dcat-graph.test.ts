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

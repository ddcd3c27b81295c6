import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CanonicalDataset } from '@hasad/core';
import type { GeoDetails } from '@hasad/sources';
import { API_TAGS } from './openapi.ts';
import { seedCatalogue, startApiHarness, type ApiHarness } from './test-harness.ts';

// What a portal developer reads at /docs: every operation of the public API under one of the
// documented tags, with a summary. A route added without them fails here.

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('/openapi.json', () => {
  it('files every operation under a documented tag, with a summary', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { tags: Array<{ name: string; description: string }>; paths: Record<string, Record<string, { tags?: string[]; summary?: string }>> };
    const known = new Set(doc.tags.map((t) => t.name));
    expect([...known].sort()).toEqual(Object.keys(API_TAGS).sort());
    for (const t of doc.tags) expect(t.description, t.name).not.toBe('');
    const problems: string[] = [];
    let operations = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        operations++;
        const where = `${method.toUpperCase()} ${path}`;
        if (!op.tags?.length) problems.push(`${where}: no tag`);
        else for (const t of op.tags) if (!known.has(t)) problems.push(`${where}: tag "${t}" is not one of ${[...known].join(', ')}`);
        if (!op.summary?.trim()) problems.push(`${where}: no summary`);
      }
    }
    expect(operations).toBeGreaterThan(25);
    expect(problems).toEqual([]);
    // The portal's routes, each where a portal developer looks for it.
    const tagOf = (path: string, method = 'get') => doc.paths[path]?.[method]?.tags?.[0];
    expect(tagOf('/api/v1/datasets')).toBe('search');
    expect(tagOf('/api/v1/datasets/{id}')).toBe('catalogue');
    expect(tagOf('/api/v1/changes')).toBe('changes');
    expect(tagOf('/catalog')).toBe('export');
    expect(tagOf('/api/3/action/{action}')).toBe('CKAN');
    expect(tagOf('/api/v1/sources', 'post')).toBe('institutions');
    expect(tagOf('/healthz')).toBe('operations');
  });
});

/** T with every optional property made present, all the way down: a fixture of this type has every field. */
type Complete<T> = T extends readonly (infer U)[] ? Complete<U>[] : T extends object ? { [K in keyof T]-?: Complete<T[K]> } : T;

const lang = (fr: string) => ({ fr, ar: `${fr} (ar)` });
const res = (n: string) => ({
  uri: `https://example.org/${n}`,
  label: lang(n),
  type: `https://example.org/type/${n}`,
  attributionText: lang(`attribution ${n}`),
  attributionUrl: `https://example.org/${n}/attribution`,
  dataLicense: 'http://creativecommons.org/licenses/by/4.0/',
});
const agent = (n: string) => ({ uri: `https://example.org/agent/${n}`, name: lang(n), email: `${n}@example.org`, homepage: `https://${n}.example.org`, type: 'http://purl.org/adms/publishertype/NationalAuthority' });
const geometry = [{ value: 'POINT(-7.6 33.6)', datatype: 'http://www.opengis.net/ont/geosparql#wktLiteral' }];
const service = {
  uri: 'https://example.org/wms',
  title: lang('WMS'),
  description: lang('service'),
  endpointUrl: ['https://example.org/wms'],
  endpointDescription: ['https://example.org/wms?request=GetCapabilities'],
  conformsTo: [res('wms-spec')],
  servesDataset: ['https://example.org/dataset/rich'],
  license: 'http://creativecommons.org/licenses/by/4.0/',
  accessRights: 'http://publications.europa.eu/resource/authority/access-right/PUBLIC',
  keywords: { fr: ['carte'] },
  themes: ['http://publications.europa.eu/resource/authority/data-theme/ENVI'],
  landingPage: 'https://example.org/wms/about',
  documentation: ['https://example.org/wms/doc'],
  hvdCategory: ['http://data.europa.eu/bna/c_ac64a52d'],
  applicableLegislation: ['http://data.europa.eu/eli/reg_impl/2023/138/oj'],
  type: 'http://inspire.ec.europa.eu/metadata-codelist/SpatialDataServiceType/view',
};

/** A dataset carrying every field of the canonical record (and a geoportal's GeoDCAT-AP details): the compiler says when one is missing. */
const RICH: Complete<Omit<CanonicalDataset, 'sourceDescription'>> & { geo: Complete<GeoDetails> } = {
  identifier: 'rich-1',
  uri: 'https://example.org/dataset/rich',
  title: lang('Jeu complet'),
  description: lang('Toutes les propriétés'),
  keywords: { fr: ['eau'], ar: ['ماء'] },
  themes: ['http://publications.europa.eu/resource/authority/data-theme/ENVI'],
  publisher: agent('publisher'),
  contactPoint: { uri: 'https://example.org/contact', name: 'Service', email: 'data@example.org', url: 'https://example.org/contact', phone: '+212 5 22 00 00 00', organizationName: lang('Service'), address: '1 rue X, Rabat 10000, Maroc' },
  landingPage: 'https://example.org/rich',
  issued: '2024-01-01',
  modified: '2025-01-01T00:00:00Z',
  license: 'http://creativecommons.org/licenses/by/4.0/',
  accessRights: 'http://publications.europa.eu/resource/authority/access-right/PUBLIC',
  spatial: ['https://sws.geonames.org/2542007/'],
  temporal: [{ start: '1998-01-01', end: '2000-12-31', startAsGiven: '1998', endAsGiven: '2000-13-45' }],
  accrualPeriodicity: 'http://publications.europa.eu/resource/authority/frequency/ANNUAL',
  language: ['http://publications.europa.eu/resource/authority/language/FRA'],
  distributions: [
    {
      uri: 'https://example.org/dist/1',
      title: lang('CSV'),
      description: lang('fichier'),
      accessUrl: 'https://example.org/dist/1',
      downloadUrl: 'https://example.org/dist/1.csv',
      format: 'http://publications.europa.eu/resource/authority/file-type/CSV',
      mediaType: 'text/csv',
      license: 'http://creativecommons.org/licenses/by/4.0/',
      byteSize: 1024,
      issued: '2024-01-01',
      modified: '2025-01-01',
      rights: [res('dist-rights')],
      licenseDocument: res('dist-licence'),
      attributionText: lang('© Example'),
      language: ['fr'],
      identifier: 'dist-1',
      documentation: ['https://example.org/dist/1/doc'],
      checksum: { algorithm: 'http://spdx.org/rdf/terms#checksumAlgorithm_sha1', value: 'da39a3ee5e6b4b0d3255bfef95601890afd80709' },
      accessService: [service],
      availability: 'http://data.europa.eu/r5r/availability/stable',
      status: 'http://purl.org/adms/status/Completed',
      conformsTo: [res('schema')],
      compressFormat: 'http://www.iana.org/assignments/media-types/application/gzip',
      packageFormat: 'http://publications.europa.eu/resource/authority/file-type/TAR',
      spatialResolutionInMeters: 30,
      temporalResolution: 'P1D',
      hasPolicy: ['https://example.org/policy'],
      applicableLegislation: ['http://data.europa.eu/eli/reg_impl/2023/138/oj'],
      accessRights: 'http://publications.europa.eu/resource/authority/access-right/PUBLIC',
    },
  ],
  isSeries: true,
  inSeries: ['https://example.org/series'],
  landingPages: ['https://example.org/rich', 'https://example.org/rich-2'],
  version: '2.1',
  versionNotes: lang('notes'),
  abstract: lang('résumé'),
  type: 'http://publications.europa.eu/resource/authority/dataset-type/STATISTICAL',
  conformsTo: [res('standard')],
  relation: ['https://example.org/related'],
  qualifiedRelation: [{ relation: 'https://example.org/related', role: 'http://www.iana.org/assignments/relation/related' }],
  provenance: [res('provenance')],
  creator: [agent('creator')],
  otherIdentifier: [{ notation: '10.1000/xyz', datatype: 'http://www.w3.org/2001/XMLSchema#string', uri: 'https://doi.org/10.1000/xyz', schemaAgency: 'DOI', issued: '2024-01-01' }],
  rights: [res('rights')],
  licenseDocument: res('licence'),
  accessRightsStatement: res('access'),
  attributionText: lang('© Example'),
  locations: [
    {
      uri: 'https://sws.geonames.org/2542007/',
      label: lang('Casablanca'),
      geometry,
      bbox: geometry,
      centroid: geometry,
      inScheme: 'https://www.geonames.org',
      identifier: '2542007',
      adminUnitL1: ['Casablanca-Settat'],
      adminUnitL2: ['Casablanca'],
    },
  ],
  documentation: ['https://example.org/doc'],
  hasVersion: ['https://example.org/v3'],
  isVersionOf: ['https://example.org/v1'],
  isReferencedBy: ['https://example.org/paper'],
  hasPart: ['https://example.org/part'],
  isPartOf: ['https://example.org/whole'],
  sample: ['https://example.org/dist/sample'],
  wasGeneratedBy: ['https://example.org/activity'],
  qualifiedAttribution: [{ agent: 'https://example.org/agent/x', role: 'http://inspire.ec.europa.eu/metadata-codelist/ResponsiblePartyRole/custodian' }],
  applicableLegislation: ['http://data.europa.eu/eli/reg_impl/2023/138/oj'],
  hvdCategory: ['http://data.europa.eu/bna/c_ac64a52d'],
  spatialResolutionInMeters: 10,
  temporalResolution: 'P1Y',
  first: 'https://example.org/first',
  last: 'https://example.org/last',
  prev: 'https://example.org/prev',
  catalogRecord: {
    uri: 'https://example.org/record/rich',
    title: lang('fiche'),
    description: lang('fiche'),
    issued: '2024-01-01',
    modified: '2025-01-01',
    status: 'http://purl.org/adms/status/UnderDevelopment',
    conformsTo: [res('dcat-ap')],
    language: ['fr'],
    source: 'https://example.org/record/source',
    identifier: 'rich-1',
    characterEncoding: 'UTF-8',
    responsibleParty: [{ role: 'http://inspire.ec.europa.eu/metadata-codelist/ResponsiblePartyRole/pointOfContact', agent: agent('metadata-contact') }],
    contactPoint: { uri: 'https://example.org/metadata-contact', name: 'Fiche', email: 'fiche@example.org', url: 'https://example.org/fiche', phone: '+212', organizationName: lang('Service'), address: '1 rue X, Rabat' },
  },
  created: '2020-01-01',
  resourceType: 'http://inspire.ec.europa.eu/metadata-codelist/ResourceType/dataset',
  topicCategory: ['http://inspire.ec.europa.eu/metadata-codelist/TopicCategory/environment'],
  referenceSystem: ['http://www.opengis.net/def/crs/EPSG/0/4326'],
  spatialResolution: [{ scale: 25000 }, { distance: 10, unit: 'm' }],
  responsibleParty: [{ role: 'http://inspire.ec.europa.eu/metadata-codelist/ResponsiblePartyRole/owner', agent: agent('owner') }],
  conformity: [{ specification: res('inspire'), specificationDate: '2010-12-08', degree: 'http://inspire.ec.europa.eu/metadata-codelist/DegreeOfConformity/conformant', explanation: lang('conforme') }],
  characterEncoding: 'UTF-8',
  serviceCategory: ['http://inspire.ec.europa.eu/metadata-codelist/SpatialDataServiceCategory/infoMapAccessService'],
  purpose: lang('pourquoi'),
  representationTechnique: ['http://inspire.ec.europa.eu/metadata-codelist/SpatialRepresentationType/vector'],
  dataService: service,
  geo: {
    resourceType: 'dataset',
    serviceType: 'view',
    operatesOn: ['https://example.org/dataset/rich'],
    coupledResources: [{ identifier: 'https://example.org/dataset/rich', operation: 'GetMap' }],
    topicCategories: ['environment'],
    created: '2020-01-01',
    metadataModified: '2025-01-01',
    metadataLanguage: 'http://publications.europa.eu/resource/authority/language/FRA',
    characterSet: 'utf8',
    spatialResolution: ['1:25000'],
    geometries: [{ bbox: [-7.7, 33.5, -7.5, 33.7], wkt: 'POLYGON((-7.7 33.5,-7.5 33.5,-7.5 33.7,-7.7 33.7,-7.7 33.5))', geojson: '{"type":"Polygon"}' }],
    geographicIdentifiers: ['MA-06'],
    referenceSystems: ['http://www.opengis.net/def/crs/EPSG/0/4326'],
    identifiers: ['rich-1'],
    conformity: [{ specification: lang('INSPIRE'), uri: 'http://data.europa.eu/eli/reg/2010/1089', date: '2010-12-08', pass: true, explanation: lang('conforme') }],
    constraints: [{ kind: 'use', code: 'otherRestrictions', text: lang('aucune'), uri: 'https://example.org/constraint' }],
    provenance: lang('lignée'),
    parties: [{ role: 'pointOfContact', organisation: lang('Org'), individual: lang('Nom'), position: lang('Poste'), email: 'p@example.org', phone: '+212', url: 'https://example.org', metadata: true }],
    keywordSets: [{ thesaurus: lang('GEMET'), thesaurusUri: 'https://www.eionet.europa.eu/gemet', type: 'theme', keywords: [{ label: lang('eau'), uri: 'https://example.org/kw/eau' }] }],
    accessServices: [{ endpointUrl: 'https://example.org/wms', protocol: 'OGC:WMS', serviceType: 'WMS', title: lang('WMS') }],
    formats: ['GeoTIFF'],
    pages: ['https://example.org/page'],
    metadataStandard: 'ISO 19115:2003/19139 1.0',
  },
};

/** The schema with every object that lists its properties closed: a property it does not describe then fails validation. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (schema === null || typeof schema !== 'object') return schema;
  const out = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, k === 'properties' ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, closed(s)])) : closed(v)]));
  if ('properties' in out) out['additionalProperties'] = false;
  return out;
}

describe('the dataset answer and its OpenAPI schema', () => {
  it('a dataset with every field of the record validates against the documented schema, every property described, none dropped', async () => {
    const s = await seedCatalogue(h.db, 0);
    const org = (await h.pool.query<{ organization_id: string }>('SELECT organization_id FROM sources WHERE id = $1', [s.source.hcp])).rows[0]!.organization_id;
    const { rows } = await h.pool.query<{ id: string }>(
      `INSERT INTO datasets (source_id, organization_id, source_identifier, uri, title, record, content_hash, status, created_run, changed_run)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, md5($6::text), 'active', $7, $7) RETURNING id`,
      [s.source.hcp, org, RICH.identifier, RICH.uri, JSON.stringify(RICH.title), JSON.stringify(RICH), s.run.hcpOld],
    );
    const id = rows[0]!.id;
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: unknown }> }> }>>;
    };
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i).addFormat('date-time', { validate: (v: string) => !Number.isNaN(Date.parse(v)) && /T/.test(v) });
    const check = (path: string, body: unknown) => {
      const schema = doc.paths[path]!['get']!.responses['200']!.content['application/json']!.schema;
      const validate = ajv.compile(closed(schema) as object);
      validate(body);
      // Each problem as the property it concerns: `/distributions/0/checksum: not described` and the like.
      const problems = (validate.errors ?? []).map((e) => (e.keyword === 'additionalProperties' ? `${e.instancePath}/${String(e.params['additionalProperty'])}: not described` : `${e.instancePath}: ${e.message}`));
      expect(problems, `${path}: the answer and the schema of /openapi.json disagree (services/api/src/schemas.ts)`).toEqual([]);
    };

    const one = await h.app.inject({ method: 'GET', url: `/api/v1/datasets/${id}` });
    expect(one.statusCode).toBe(200);
    const item = one.json() as Record<string, unknown>;
    // The answer carries the whole record, and the schema describes all of it.
    expect(item).toMatchObject(RICH);
    check('/api/v1/datasets/{id}', item);

    const list = await h.app.inject({ method: 'GET', url: `/api/v1/datasets?source=${s.source.hcp}&limit=100` });
    const items = (list.json() as { items: Array<{ id: string }> }).items;
    expect(items.find((i) => i.id === id)).toMatchObject(RICH);
    check('/api/v1/datasets', list.json());
  });
});

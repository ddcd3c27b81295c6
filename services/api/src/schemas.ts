/**
 * JSON schemas shared by the routes. Fastify validates requests against them and serialises
 * responses with them, so a property missing here is missing from the response: objects
 * that carry open-ended data (record fields a newer adapter adds, run details) say
 * `additionalProperties: true`.
 */

const uuid = { type: 'string', format: 'uuid' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;
const nullableString = { type: ['string', 'null'] } as const;
/** BCP 47 tag (lower-cased, `""` for untagged) → text. */
const langMap = { type: 'object', additionalProperties: { type: 'string' } } as const;
const langListMap = { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } } as const;
const stringList = { type: 'array', items: { type: 'string' } } as const;

/** The body of every 4xx and 5xx answer. */
export const errorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        /** Present on 5xx answers: quote it when reporting the problem; the logs carry the detail. */
        requestId: { type: 'string' },
      },
    },
  },
} as const;

export const errorResponses = { '4xx': errorBody, '5xx': errorBody } as const;

/** An ISO 8601 date (`2024-12-31`) or date-time with offset: the `modifiedFrom`/`modifiedTo` parameters. */
export const dateOrDateTime = {
  type: 'string',
  pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}:\\d{2}))?$',
} as const;

const str = { type: 'string' } as const;

/** A node that is mostly text (dct:RightsStatement, LicenseDocument, Standard, ProvenanceStatement): `Resource` in @hasad/core. */
const resource = {
  type: 'object',
  additionalProperties: true,
  properties: {
    uri: str,
    label: langMap,
    type: str,
    attributionText: { ...langMap, description: 'ODRS odrs:attributionText' },
    attributionUrl: { ...str, description: 'ODRS odrs:attributionURL' },
    dataLicense: { ...str, description: 'ODRS odrs:dataLicense' },
  },
} as const;
const resources = { type: 'array', items: resource } as const;

const agent = {
  type: 'object',
  additionalProperties: true,
  properties: { uri: str, name: langMap, email: str, homepage: str, type: { ...str, description: 'dct:type of the agent (IRI)' } },
} as const;

const contactPoint = {
  type: 'object',
  additionalProperties: true,
  properties: {
    uri: str,
    name: str,
    email: { ...str, description: 'without mailto:' },
    url: str,
    phone: { ...str, description: 'without tel:, percent-decoded' },
    organizationName: { ...langMap, description: 'vcard:organization-name' },
    address: { ...str, description: 'vcard:hasAddress as one line of text' },
  },
} as const;

const period = {
  type: 'object',
  additionalProperties: true,
  properties: {
    start: str,
    end: str,
    startAsGiven: { ...str, description: 'the start as the source wrote it, when it is not a valid date' },
    endAsGiven: { ...str, description: 'the end as the source wrote it, when it is not a valid date (the period is still closed)' },
  },
} as const;

/** A geometry literal with its datatype (WKT, GML, GeoJSON …). */
const geometries = {
  type: 'array',
  items: { type: 'object', additionalProperties: true, properties: { value: str, datatype: { ...str, description: "the literal's datatype IRI; absent for a plain string" } } },
} as const;

const location = {
  type: 'object',
  additionalProperties: true,
  properties: {
    uri: str,
    label: langMap,
    geometry: { ...geometries, description: 'locn:geometry, each encoding with its datatype' },
    bbox: { ...geometries, description: 'dcat:bbox' },
    centroid: { ...geometries, description: 'dcat:centroid' },
    inScheme: { ...str, description: 'the gazetteer the location comes from' },
    identifier: str,
    adminUnitL1: stringList,
    adminUnitL2: stringList,
  },
} as const;

const dataService = {
  type: 'object',
  additionalProperties: true,
  properties: {
    uri: str,
    title: langMap,
    description: langMap,
    endpointUrl: stringList,
    endpointDescription: stringList,
    conformsTo: { ...resources, description: 'the protocol or API specification (WMS, WFS, OpenAPI …)' },
    servesDataset: stringList,
    license: str,
    accessRights: str,
    keywords: langListMap,
    themes: stringList,
    landingPage: str,
    documentation: { ...stringList, description: 'foaf:page' },
    hvdCategory: stringList,
    applicableLegislation: stringList,
    type: str,
  },
} as const;

const distribution = {
  type: 'object',
  additionalProperties: true,
  properties: {
    uri: str,
    title: langMap,
    description: langMap,
    accessUrl: str,
    downloadUrl: str,
    format: str,
    mediaType: str,
    license: str,
    byteSize: { type: 'number' },
    issued: str,
    modified: str,
    rights: { ...resources, description: 'dct:rights: RightsStatements' },
    licenseDocument: { ...resource, description: 'dct:license as a node with text or a type (the licence itself is `license`)' },
    attributionText: { ...langMap, description: 'dcatde:licenseAttributionByText' },
    language: stringList,
    identifier: str,
    documentation: { ...stringList, description: 'foaf:page' },
    checksum: { type: 'object', additionalProperties: true, properties: { algorithm: str, value: str } },
    accessService: { type: 'array', items: dataService, description: 'dcat:accessService: the services (WMS, WFS, API …) this distribution is served by' },
    availability: str,
    status: str,
    conformsTo: resources,
    compressFormat: str,
    packageFormat: str,
    spatialResolutionInMeters: { type: 'number' },
    temporalResolution: { ...str, description: 'xsd:duration as given' },
    hasPolicy: { ...stringList, description: 'odrl:hasPolicy' },
    applicableLegislation: stringList,
    accessRights: str,
  },
} as const;

/** A responsible party of geographic metadata with its role (GeoDCAT-AP prov:qualifiedAttribution). */
const responsibleParties = {
  type: 'array',
  description: 'responsible parties by role (ISO 19139 CI_ResponsibleParty): prov:qualifiedAttribution with dcat:hadRole',
  items: { type: 'object', additionalProperties: true, properties: { role: { ...str, description: 'INSPIRE ResponsiblePartyRole IRI, else the ISO code' }, agent } },
} as const;

const catalogRecord = {
  type: 'object',
  additionalProperties: true,
  description: 'the dcat:CatalogRecord about this dataset, when the feed has one',
  properties: {
    uri: str,
    title: langMap,
    description: langMap,
    issued: str,
    modified: str,
    status: str,
    conformsTo: resources,
    language: stringList,
    source: str,
    identifier: { ...str, description: 'the metadata record’s identifier (ISO fileIdentifier)' },
    characterEncoding: { ...str, description: 'the source metadata’s character encoding (IANA name)' },
    responsibleParty: { ...responsibleParties, description: 'the metadata’s own contacts with their role' },
    contactPoint: { ...contactPoint, description: 'the metadata’s point of contact' },
  },
} as const;

/** GeoDCAT-AP details of a record harvested from a geoportal (CSW, ISO 19139): `GeoDetails` in @hasad/sources. */
const geoDetails = {
  type: 'object',
  additionalProperties: true,
  description: 'what an ISO 19139 record (CSW source) says beyond the canonical record',
  properties: {
    resourceType: { ...str, description: 'ISO hierarchy level: dataset, series, service …' },
    serviceType: str,
    operatesOn: stringList,
    coupledResources: {
      type: 'array',
      description: 'srv:coupledResource: a dataset the service serves (its identifier) and the operation serving it',
      items: { type: 'object', additionalProperties: true, properties: { identifier: str, operation: str } },
    },
    topicCategories: stringList,
    created: str,
    metadataModified: str,
    metadataLanguage: str,
    characterSet: str,
    spatialResolution: stringList,
    geometries: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: true,
        properties: { bbox: { type: 'array', items: { type: 'number' }, minItems: 4, maxItems: 4, description: '[west, south, east, north], WGS 84 degrees' }, wkt: str, geojson: str },
      },
    },
    geographicIdentifiers: stringList,
    referenceSystems: stringList,
    identifiers: stringList,
    conformity: {
      type: 'array',
      items: { type: 'object', additionalProperties: true, properties: { specification: langMap, uri: str, date: str, pass: { type: 'boolean' }, explanation: langMap } },
    },
    constraints: {
      type: 'array',
      items: { type: 'object', additionalProperties: true, properties: { kind: { ...str, description: 'access, use, security or other' }, code: str, text: langMap, uri: str } },
    },
    provenance: langMap,
    parties: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: true,
        properties: { role: str, organisation: langMap, individual: langMap, position: langMap, email: str, phone: str, url: str, metadata: { type: 'boolean' } },
      },
    },
    keywordSets: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: true,
        properties: {
          thesaurus: langMap,
          thesaurusUri: str,
          type: str,
          keywords: { type: 'array', items: { type: 'object', additionalProperties: true, properties: { label: langMap, uri: str } } },
        },
      },
    },
    accessServices: {
      type: 'array',
      items: { type: 'object', additionalProperties: true, properties: { endpointUrl: str, protocol: str, serviceType: str, title: langMap } },
    },
    formats: stringList,
    pages: stringList,
    metadataStandard: str,
  },
} as const;

/**
 * A dataset as the catalogue shows it: Hasad's own fields followed by every field of the
 * canonical record (`CanonicalDataset` in @hasad/core; the DCAT-AP 3 optional ones only when the
 * source gave them). openapi.int.test.ts checks that a record with every field validates against
 * this schema with no property left undescribed. Nested objects declare no `required`: the
 * serialiser would turn a record missing one into a 500.
 */
export const datasetItem = {
  type: 'object',
  additionalProperties: true,
  required: ['id', 'organization', 'sourceId', 'sourceIdentifier', 'uri', 'status', 'createdAt', 'updatedAt', 'withdrawnAt'],
  properties: {
    id: uuid,
    organization: { type: 'string', description: 'organisation slug' },
    sourceId: uuid,
    sourceIdentifier: { type: 'string' },
    uri: nullableString,
    status: { type: 'string', enum: ['active', 'withdrawn'] },
    createdAt: dateTime,
    updatedAt: dateTime,
    withdrawnAt: nullableDateTime,
    identifier: { type: 'string' },
    title: langMap,
    description: langMap,
    keywords: langListMap,
    themes: stringList,
    publisher: agent,
    contactPoint,
    landingPage: { type: 'string' },
    issued: { type: 'string' },
    modified: { type: 'string' },
    license: { type: 'string' },
    accessRights: { type: 'string' },
    spatial: stringList,
    temporal: { type: 'array', items: period },
    accrualPeriodicity: { type: 'string' },
    language: stringList,
    distributions: { type: 'array', items: distribution },
    isSeries: { type: 'boolean', description: 'the record is a dcat:DatasetSeries' },
    inSeries: stringList,
    landingPages: { ...stringList, description: 'every landing page, when the source gave more than one (`landingPage` is the first)' },
    version: str,
    versionNotes: langMap,
    abstract: langMap,
    type: str,
    conformsTo: { ...resources, description: 'the standards the dataset follows' },
    relation: stringList,
    qualifiedRelation: {
      type: 'array',
      items: { type: 'object', additionalProperties: true, properties: { relation: str, role: { ...str, description: 'dcat:hadRole' } } },
    },
    provenance: { ...resources, description: 'dct:provenance: ProvenanceStatements' },
    creator: { type: 'array', items: agent },
    otherIdentifier: {
      type: 'array',
      description: 'adms:identifier: other identifiers (DOIs, national registries …)',
      items: { type: 'object', additionalProperties: true, properties: { notation: str, datatype: str, uri: str, schemaAgency: str, issued: str } },
    },
    rights: { ...resources, description: 'dct:rights: RightsStatements (ODRS statements, reuse conditions …)' },
    licenseDocument: { ...resource, description: 'dct:license as a node with text or a type (the licence itself is `license`)' },
    accessRightsStatement: { ...resource, description: 'dct:accessRights as a RightsStatement (`accessRights` is its IRI or text)' },
    attributionText: { ...langMap, description: 'dcatde:licenseAttributionByText' },
    locations: { type: 'array', items: location, description: 'typed dct:spatial locations; `spatial` is their display form' },
    documentation: { ...stringList, description: 'foaf:page' },
    hasVersion: stringList,
    isVersionOf: stringList,
    isReferencedBy: stringList,
    hasPart: stringList,
    isPartOf: stringList,
    sample: stringList,
    wasGeneratedBy: stringList,
    qualifiedAttribution: { type: 'array', items: { type: 'object', additionalProperties: true, properties: { agent: str, role: str } } },
    applicableLegislation: stringList,
    hvdCategory: stringList,
    spatialResolutionInMeters: { type: 'number' },
    temporalResolution: { ...str, description: 'xsd:duration as given' },
    first: str,
    last: str,
    prev: str,
    catalogRecord,
    created: { ...str, description: 'dct:created (GeoDCAT-AP)' },
    resourceType: { ...str, description: 'geodcatap:resourceType: INSPIRE ResourceType IRI' },
    topicCategory: { ...stringList, description: 'geodcatap:topicCategory: INSPIRE TopicCategory IRIs' },
    referenceSystem: { ...stringList, description: 'geodcatap:referenceSystem: coordinate and temporal reference systems' },
    spatialResolution: {
      type: 'array',
      description: 'spatial resolutions: an equivalent scale (denominator) or a distance with its unit',
      items: { type: 'object', additionalProperties: true, properties: { scale: { type: 'number' }, distance: { type: 'number' }, unit: str } },
    },
    responsibleParty: responsibleParties,
    conformity: {
      type: 'array',
      description: 'conformity tests whatever their result (GeoDCAT-AP prov:wasUsedBy)',
      items: { type: 'object', additionalProperties: true, properties: { specification: resource, specificationDate: str, degree: { ...str, description: 'INSPIRE DegreeOfConformity IRI' }, explanation: langMap } },
    },
    characterEncoding: { ...str, description: 'cnt:characterEncoding of the data (IANA name)' },
    serviceCategory: { ...stringList, description: 'geodcatap:serviceCategory: INSPIRE SpatialDataServiceCategory IRIs' },
    purpose: { ...langMap, description: 'geodcatap:purpose' },
    representationTechnique: { ...stringList, description: 'adms:representationTechnique of the distributions: INSPIRE SpatialRepresentationType IRIs' },
    dataService: { ...dataService, description: 'set when the record is a service (an ISO 19139 service record of a geoportal): exported in /catalog as a dcat:DataService; `servesDataset` holds the references as the record gives them' },
    geo: geoDetails,
  },
} as const;

const facetValues = {
  type: 'array',
  items: {
    type: 'object',
    required: ['value', 'count'],
    properties: { value: { type: 'string' }, label: { type: 'string', description: "the value as shown, in the request's language (Accept-Language): organisation name, theme or licence label, language name" }, count: { type: 'integer' } },
  },
} as const;

/** Facet counts over the filtered set, most frequent first; only the facets asked for. */
export const facetsBody = {
  type: 'object',
  properties: {
    organization: { ...facetValues, description: 'organisation slug (value) and name (label)' },
    theme: facetValues,
    format: facetValues,
    license: facetValues,
    keyword: facetValues,
    language: facetValues,
  },
} as const;

export const organizationItem = {
  type: 'object',
  required: ['id', 'slug', 'name', 'datasetCount'],
  properties: {
    id: uuid,
    slug: { type: 'string' },
    name: { type: 'string' },
    datasetCount: { type: 'integer', description: 'active datasets' },
  },
} as const;

const counts = {
  seen: { type: 'integer' },
  created: { type: 'integer' },
  updated: { type: 'integer' },
  unchanged: { type: 'integer' },
  withdrawn: { type: 'integer' },
  invalid: { type: 'integer' },
} as const;

/** The short summary of a source's latest run shown with the source. */
export const lastRunSummary = {
  type: ['object', 'null'],
  required: ['id', 'status', 'createdAt', 'finishedAt'],
  properties: {
    id: uuid,
    status: { type: 'string' },
    createdAt: dateTime,
    finishedAt: nullableDateTime,
    errorCode: nullableString,
    ...counts,
  },
} as const;

export const sourceItem = {
  type: 'object',
  required: ['id', 'organization', 'kind', 'url', 'title', 'schedule', 'timezone', 'enabled', 'approvalStatus', 'reviewedBy', 'reviewedAt', 'reviewComment', 'createdAt', 'updatedAt', 'lastRun'],
  properties: {
    id: uuid,
    organization: { type: 'string', description: 'organisation slug' },
    kind: { type: 'string' },
    url: { type: 'string', description: 'a password in the URL is shown as ***' },
    title: nullableString,
    schedule: nullableString,
    timezone: { type: 'string' },
    enabled: { type: 'boolean' },
    approvalStatus: { type: 'string', enum: ['pending', 'approved', 'rejected'], description: 'only approved sources are scheduled and harvested' },
    reviewedBy: { type: ['string', 'null'], description: 'the operator who approved or rejected the source last' },
    reviewedAt: nullableDateTime,
    reviewComment: nullableString,
    config: {
      type: 'object',
      additionalProperties: true,
      description: 'the source config as stored, values under credential-like keys (password, token, key, secret, auth…) shown as •••••• and URLs without their password',
    },
    createdAt: dateTime,
    updatedAt: dateTime,
    lastRun: lastRunSummary,
  },
} as const;

export const runItem = {
  type: 'object',
  required: ['id', 'sourceId', 'status', 'trigger', 'createdAt'],
  properties: {
    id: uuid,
    sourceId: uuid,
    status: { type: 'string', enum: ['queued', 'running', 'succeeded', 'unchanged', 'needs_review', 'failed', 'cancelled'] },
    trigger: { type: 'string' },
    attempts: { type: 'integer' },
    ...counts,
    pendingWithdrawals: { type: ['integer', 'null'] },
    error: nullableString,
    errorCode: nullableString,
    pagesTotal: { type: ['integer', 'null'] },
    pagesFetched: { type: 'integer' },
    pagesNotModified: { type: 'integer' },
    bytes: { type: 'integer', description: 'bytes downloaded' },
    details: { type: 'object', additionalProperties: true },
    createdAt: dateTime,
    startedAt: nullableDateTime,
    finishedAt: nullableDateTime,
    heartbeatAt: dateTime,
    durationMs: { type: ['integer', 'null'], description: 'finishedAt − startedAt in milliseconds; null until the run has finished' },
  },
} as const;

export const problemItem = {
  type: 'object',
  required: ['severity', 'code', 'message', 'identifier', 'field', 'pageNo'],
  properties: {
    severity: { type: 'string', enum: ['error', 'warning', 'info'] },
    code: { type: 'string' },
    message: { type: 'string', description: 'what the harvester saw, in English, with the values involved' },
    text: { type: 'string', description: 'what the code means and what to change in the feed, in the language of Accept-Language (fr, ar, en)' },
    identifier: nullableString,
    field: nullableString,
    pageNo: { type: 'integer' },
  },
} as const;

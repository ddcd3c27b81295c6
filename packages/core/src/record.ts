import type { PROBLEM_SEVERITIES, ProblemCode } from './vocabulary.ts';
/**
 * The canonical dataset record every source kind is normalised to (DCAT-AP 3 aligned).
 *
 * Language maps keep every language a source gave: keys are BCP 47 tags as given
 * (lower-cased), and the empty string `""` holds untagged literals.
 */
export type LangMap = Record<string, string>;
/** Per-language lists, e.g. keywords: `{ fr: ["eau"], ar: ["ماء"] }`. */
export type LangListMap = Record<string, string[]>;

export interface Agent {
  uri?: string;
  /** foaf:name, else vcard:fn, rdfs:label or skos:prefLabel (an agent named only by a label is kept). */
  name?: LangMap;
  /** foaf:mbox / vcard:hasEmail without the `mailto:` scheme. */
  email?: string;
  homepage?: string;
  /** dct:type of the agent (URI), when given. */
  type?: string;
}

export interface ContactPoint {
  uri?: string;
  name?: string;
  /** vcard:hasEmail without `mailto:` (a relative IRI that the parser resolved against the feed is read back as the address). */
  email?: string;
  url?: string;
  /** vcard:hasTelephone without `tel:`, percent-decoded (`+49 40 428`). */
  phone?: string;
  /** vcard:organization-name. */
  organizationName?: LangMap;
  /** vcard:hasAddress as one line of text (street, locality, postal code, country). */
  address?: string;
}

export interface PeriodOfTime {
  /** ISO 8601 date or date-time as given (xsd:date, xsd:dateTime, xsd:gYear ...). */
  start?: string;
  end?: string;
  /**
   * The start or end exactly as the source wrote it when it is not a valid date (with an
   * `invalid_date` problem): a closed period with a bad end is not an open-ended one.
   */
  startAsGiven?: string;
  endAsGiven?: string;
}

/**
 * A node DCAT-AP ranges a property over and that is mostly text: dct:RightsStatement,
 * dct:LicenseDocument, dct:Standard, dct:ProvenanceStatement, a document. Its IRI when it has one,
 * its text in every language given (rdfs:label, else dct:title, dct:description, rdfs:comment…),
 * its dct:type.
 */
export interface Resource {
  uri?: string;
  label?: LangMap;
  type?: string;
  /** ODRS RightsStatement: odrs:attributionText (per language), odrs:attributionURL, odrs:dataLicense. */
  attributionText?: LangMap;
  attributionUrl?: string;
  dataLicense?: string;
}

/** adms:Identifier: a secondary identifier with the scheme it comes from. */
export interface Identifier {
  /** skos:notation, as given. */
  notation: string;
  /** The notation's datatype IRI, when typed (e.g. xsd:anyURI, a scheme's datatype). */
  datatype?: string;
  /** The identifier node's IRI, when it has one. */
  uri?: string;
  /** adms:schemaAgency (text) or dct:creator (an agent IRI) of the scheme. */
  schemaAgency?: string;
  issued?: string;
}

/** dcat:Relationship (dcat:qualifiedRelation): a related resource and the role it plays. */
export interface Relationship {
  /** dct:relation: the related resource (IRI). */
  relation: string;
  /** dcat:hadRole: the role (IRI or label). */
  role?: string;
}

/** spdx:Checksum. */
export interface Checksum {
  /** spdx:algorithm (IRI such as spdx:checksumAlgorithm_sha1, or a label). */
  algorithm: string;
  /** spdx:checksumValue (hex). */
  value: string;
}

/** A geometry literal with its datatype (gsp:wktLiteral, gsp:gmlLiteral, GeoJSON's media type IRI …). */
export interface Geometry {
  value: string;
  /** The literal's datatype IRI; absent for a plain string. */
  datatype?: string;
}

/** dct:Location, as given: names, geometries (each encoding kept with its datatype), bounding box, centroid. */
export interface Location {
  uri?: string;
  /** skos:prefLabel, else rdfs:label, dct:title, locn:geographicName, per language. */
  label?: LangMap;
  /** locn:geometry values (WKT, GML, GeoJSON), typed as given. */
  geometry?: Geometry[];
  /** dcat:bbox values. */
  bbox?: Geometry[];
  /** dcat:centroid values. */
  centroid?: Geometry[];
  /** skos:inScheme / dct:isPartOf: the gazetteer the location comes from. */
  inScheme?: string;
  /** dct:identifier of the location. */
  identifier?: string;
  /** locn:adminUnitL1 / locn:adminUnitL2 (directly or through locn:address): region, province … as IRIs or names, sorted. */
  adminUnitL1?: string[];
  adminUnitL2?: string[];
}

/** dcat:DataService (a distribution's dcat:accessService). */
export interface DataService {
  uri?: string;
  title?: LangMap;
  description?: LangMap;
  /** dcat:endpointURL (sorted). */
  endpointUrl: string[];
  /** dcat:endpointDescription (sorted). */
  endpointDescription?: string[];
  /** dct:conformsTo: the protocol or API specification (WMS, WFS, OpenAPI …). */
  conformsTo?: Resource[];
  /** dcat:servesDataset (IRIs, sorted; for a record's own `dataService`, the references as given). */
  servesDataset?: string[];
  license?: string;
  accessRights?: string;
  keywords?: LangListMap;
  themes?: string[];
  landingPage?: string;
  /** foaf:page. */
  documentation?: string[];
  /** dcatap:hvdCategory. */
  hvdCategory?: string[];
  /** dcatap:applicableLegislation. */
  applicableLegislation?: string[];
  /** dct:type (e.g. an INSPIRE spatial data service type). */
  type?: string;
}

export interface Distribution {
  uri?: string;
  title?: LangMap;
  description?: LangMap;
  accessUrl?: string;
  downloadUrl?: string;
  /** dct:format: a URI (EU file-type vocabulary) or a plain label such as `CSV`. */
  format?: string;
  /** dcat:mediaType, an IANA media type such as `text/csv` (URI form reduced to the type). */
  mediaType?: string;
  license?: string;
  /** Size in bytes (dcat:byteSize). */
  byteSize?: number;
  issued?: string;
  modified?: string;
  /** dct:rights: RightsStatements (ODRS statements, attribution requirements …). */
  rights?: Resource[];
  /** dct:license as a node with text or a type (the licence itself is `license`). */
  licenseDocument?: Resource;
  /** dcatde:licenseAttributionByText: the attribution text a licence such as DL-BY-DE requires. */
  attributionText?: LangMap;
  /** dct:language (URIs or codes, sorted). */
  language?: string[];
  /** dct:identifier. */
  identifier?: string;
  /** foaf:page: documentation pages (sorted). */
  documentation?: string[];
  /** spdx:checksum. */
  checksum?: Checksum;
  /** dcat:accessService: the services (WMS, WFS, API …) this distribution is served by. */
  accessService?: DataService[];
  /** dcatap:availability (IRI of the planned-availability vocabulary, or a label). */
  availability?: string;
  /** adms:status (IRI of the distribution-status vocabulary, or a label). */
  status?: string;
  /** dct:conformsTo: linked schemas. */
  conformsTo?: Resource[];
  /** dcat:compressFormat, dcat:packageFormat (IRIs or labels). */
  compressFormat?: string;
  packageFormat?: string;
  /** dcat:spatialResolutionInMeters. */
  spatialResolutionInMeters?: number;
  /** dcat:temporalResolution (xsd:duration as given). */
  temporalResolution?: string;
  /** odrl:hasPolicy (IRIs). */
  hasPolicy?: string[];
  /** dcatap:applicableLegislation (IRIs). */
  applicableLegislation?: string[];
  /** dct:accessRights of the distribution (IRI or label). */
  accessRights?: string;
}

/** dcat:CatalogRecord (the node whose foaf:primaryTopic is the dataset): the metadata about the metadata. */
export interface CatalogRecord {
  uri?: string;
  title?: LangMap;
  description?: LangMap;
  issued?: string;
  modified?: string;
  /** adms:status: the change type (IRI). */
  status?: string;
  /** dct:conformsTo: the application profile the metadata follows. */
  conformsTo?: Resource[];
  language?: string[];
  /** dct:source: the record this one was harvested from. */
  source?: string;
  /** dct:identifier of the metadata record (ISO 19139 `fileIdentifier`). */
  identifier?: string;
  /** cnt:characterEncoding of the source metadata (ISO `MD_Metadata/characterSet`), as an IANA charset name (`UTF-8`). */
  characterEncoding?: string;
  /** The metadata's own contacts (ISO `gmd:contact`) with their role: prov:qualifiedAttribution of the record. */
  responsibleParty?: ResponsibleParty[];
  /** dcat:contactPoint of the record: the metadata's point of contact (ISO `gmd:contact`, role `pointOfContact`, else the first). */
  contactPoint?: ContactPoint;
}

/**
 * A responsible party of geographic metadata (ISO 19139 `CI_ResponsibleParty`), described by its
 * name and contact rather than an IRI: prov:qualifiedAttribution with dcat:hadRole (GeoDCAT-AP).
 */
export interface ResponsibleParty {
  /** The role: an INSPIRE ResponsiblePartyRole IRI (`…/ResponsiblePartyRole/owner`), else the ISO code as given. */
  role: string;
  agent: Agent;
}

/** One spatial resolution: an equivalent scale (`1:25000` has `scale` 25000) or a ground distance with its unit as given. */
export type SpatialResolution = { scale: number } | { distance: number; unit?: string };

/**
 * A conformity test of the resource against a specification (ISO `DQ_ConformanceResult`), whatever
 * its result: prov:wasUsedBy in GeoDCAT-AP. A passed one is also in `conformsTo`.
 */
export interface Conformity {
  /** The specification (IRI, title per language). */
  specification: Resource;
  /** The specification's date (publication, revision or creation), when given. */
  specificationDate?: string;
  /** An INSPIRE DegreeOfConformity IRI: `…/conformant`, `…/notConformant`, `…/notEvaluated`. */
  degree: string;
  explanation?: LangMap;
}

export interface CanonicalDataset {
  /** The source's own identifier: dct:identifier when given, else the dataset URI. Unique per source. */
  identifier: string;
  /** The dataset's URI in the source, when it was not a blank node. */
  uri?: string;
  title: LangMap;
  description: LangMap;
  keywords: LangListMap;
  /** Theme URIs (dcat:theme), or labels where the source gave literals. */
  themes: string[];
  publisher?: Agent;
  contactPoint?: ContactPoint;
  landingPage?: string;
  /** ISO 8601 date or date-time, as given (normalised lexical form of an xsd date type). */
  issued?: string;
  modified?: string;
  license?: string;
  accessRights?: string;
  /** Spatial coverage: URIs (e.g. GeoNames) or labels. */
  spatial: string[];
  temporal: PeriodOfTime[];
  accrualPeriodicity?: string;
  /** Language URIs or codes (dct:language). */
  language: string[];
  distributions: Distribution[];

  // DCAT-AP 3.0.1 optional properties. Present only when the source gave them (so the records of
  // sources that do not say them, and their content hashes, are as before). Lists are sorted.

  /** rdf:type dcat:DatasetSeries: this record is a dataset series. */
  isSeries?: true;
  /** dcat:inSeries: the series this dataset belongs to (IRIs). */
  inSeries?: string[];
  /** All landing pages when the source gave more than one (`landingPage` is the first of them). */
  landingPages?: string[];
  /** dcat:version, else owl:versionInfo. */
  version?: string;
  /** adms:versionNotes, per language. */
  versionNotes?: LangMap;
  /** dct:abstract, per language. */
  abstract?: LangMap;
  /** dct:type (IRI or label). */
  type?: string;
  /** dct:conformsTo: the standards the dataset follows. */
  conformsTo?: Resource[];
  /** dct:relation: related resources (IRIs or labels). */
  relation?: string[];
  /** dcat:qualifiedRelation. */
  qualifiedRelation?: Relationship[];
  /** dct:provenance: ProvenanceStatements. */
  provenance?: Resource[];
  /** dct:creator. */
  creator?: Agent[];
  /** adms:identifier: other identifiers (DOIs, national registries …). */
  otherIdentifier?: Identifier[];
  /** dct:rights: RightsStatements (ODRS statements, reuse conditions …). */
  rights?: Resource[];
  /** dct:license as a node with text or a type (the licence itself is `license`). */
  licenseDocument?: Resource;
  /** dct:accessRights as a RightsStatement: its IRI and its text per language (`accessRights` is the IRI or the text). */
  accessRightsStatement?: Resource;
  /** dcatde:licenseAttributionByText: the attribution text a licence such as DL-BY-DE requires. */
  attributionText?: LangMap;
  /** Typed locations (dct:spatial nodes with their geometries and names); `spatial` is their display form. */
  locations?: Location[];
  /** foaf:page: documentation pages. */
  documentation?: string[];
  /** dcat:hasVersion, dcat:isVersionOf (IRIs). */
  hasVersion?: string[];
  isVersionOf?: string[];
  /** dct:isReferencedBy (IRIs). */
  isReferencedBy?: string[];
  /** dct:hasPart, dct:isPartOf (IRIs). */
  hasPart?: string[];
  isPartOf?: string[];
  /** adms:sample (distribution IRIs). */
  sample?: string[];
  /** prov:wasGeneratedBy (activity IRIs). */
  wasGeneratedBy?: string[];
  /** prov:qualifiedAttribution: agents (IRIs) with their role. */
  qualifiedAttribution?: Array<{ agent: string; role?: string }>;
  /** dcatap:applicableLegislation (ELI IRIs). */
  applicableLegislation?: string[];
  /** dcatap:hvdCategory (high-value dataset categories, IRIs). */
  hvdCategory?: string[];
  /** dcat:spatialResolutionInMeters. */
  spatialResolutionInMeters?: number;
  /** dcat:temporalResolution (xsd:duration as given). */
  temporalResolution?: string;
  /** dcat:first, dcat:last (of a series), dcat:prev (of a member): IRIs. */
  first?: string;
  last?: string;
  prev?: string;
  /** The dcat:CatalogRecord about this dataset, when the feed has one. */
  catalogRecord?: CatalogRecord;

  // GeoDCAT-AP (extended profile): what geographic metadata (ISO 19139 records of CSW sources) says
  // beyond DCAT-AP. Present only when the source gave them, as the fields above.

  /** dct:created: the resource's creation date. */
  created?: string;
  /** geodcatap:resourceType: the INSPIRE ResourceType IRI (`…/ResourceType/dataset`, `series`, `service`), else the ISO scope code as given. */
  resourceType?: string;
  /** geodcatap:topicCategory: ISO 19115 topic categories (INSPIRE TopicCategory IRIs, else the code as given). */
  topicCategory?: string[];
  /** geodcatap:referenceSystem: coordinate and temporal reference systems (IRIs such as `http://www.opengis.net/def/crs/EPSG/0/4258`, else codes as given). */
  referenceSystem?: string[];
  /** Spatial resolutions (equivalent scales, distances); a distance in metres is also `spatialResolutionInMeters`. */
  spatialResolution?: SpatialResolution[];
  /** The resource's responsible parties with their role (prov:qualifiedAttribution). */
  responsibleParty?: ResponsibleParty[];
  /** Conformity tests, whatever their result (prov:wasUsedBy). */
  conformity?: Conformity[];
  /** cnt:characterEncoding of the resource's data (ISO `characterSet` of the identification), as an IANA charset name. */
  characterEncoding?: string;
  /** geodcatap:serviceCategory of a service: ISO 19119 service categories (INSPIRE SpatialDataServiceCategory IRIs). */
  serviceCategory?: string[];
  /** geodcatap:purpose: why the resource was made (ISO `purpose`), per language. */
  purpose?: LangMap;
  /** adms:representationTechnique of the distributions: INSPIRE SpatialRepresentationType IRIs (`…/vector`, `…/grid`), else codes as given. */
  representationTechnique?: string[];
  /**
   * Present when the record describes a data service, not a dataset (an ISO 19139 record of
   * hierarchy level `service`): its endpoints, the standards it implements, its service type and
   * the datasets it serves. The record's own fields (title, description, keywords, publisher …)
   * are the service's; `/catalog` exports it as a `dcat:DataService` (under `dcat:service`), never
   * as a dataset. `servesDataset` holds the references as the source gave them (a dataset's
   * identifier or a link to its metadata); the export resolves them to the served records.
   */
  dataService?: DataService;

  /**
   * The source's own description of this dataset, kept as it said it (see docs/record.md, "What
   * is kept losslessly"). Stored beside the record, not in it; part of its content hash, so a
   * change there alone is a change.
   */
  sourceDescription?: SourceDescription;
}

/**
 * A dataset as its source described it, byte for byte what the adapter extracted.
 * - `application/n-triples`: the dataset's concise bounded description (every triple about it,
 *   following blank nodes and the nodes of the feed it points to), one triple a line, lines
 *   sorted, blank nodes labelled canonically, so the same description is the same text whatever
 *   the syntax or triple order of the page (the DCAT adapter).
 * - `application/xml`: an XML document or fragment as the source served it (e.g. ISO 19139 metadata).
 */
export interface SourceDescription {
  format: SourceDescriptionFormat;
  body: string;
  /**
   * Set by a reader whose whole record follows from this text and the reader's mapping version
   * (CSW's ISO 19139 and Dublin Core records): a fingerprint of both, which is then the record's
   * content hash, so that the record's canonical JSON need not be serialised to hash it. Not stored.
   */
  fingerprint?: string;
}

/** Media types a kept description may have. RDF ones are merged into /catalog; others are served as they are. */
export const SOURCE_DESCRIPTION_FORMATS = ['application/n-triples', 'application/xml'] as const;
export type SourceDescriptionFormat = (typeof SOURCE_DESCRIPTION_FORMATS)[number];

/** `info` notes what the harvest did (e.g. which CSV columns it mapped); it is not a defect. */
export type ProblemSeverity = (typeof PROBLEM_SEVERITIES)[number];

/**
 * A problem found with one record (or one page) during a harvest. Collected into the
 * run's report; never thrown to abort a harvest.
 */
export interface RecordProblem {
  severity: ProblemSeverity;
  /** Stable machine code, e.g. `invalid_date`, `missing_title` (one of PROBLEM_CODES). */
  code: ProblemCode;
  message: string;
  /** The record's identifier or URI, when known. */
  identifier?: string;
  /** The canonical field concerned, e.g. `modified` or `distributions[0].byteSize`. */
  field?: string;
}

import type { Agent, CanonicalDataset, Conformity, ContactPoint, DataService, Distribution, LangListMap, LangMap, PeriodOfTime, Resource, ResponsibleParty, SpatialResolution } from '@hasad/core';
import { newDataset, RecordProblems } from '../shared/batches.ts';
import type { RecordMapResult } from '../shared/batches.ts';
import { normaliseDate } from '../shared/values.ts';
import type { XNode } from '../soap/xml.ts';
import { anchorHref, at, attr, codeValue, first, kids, langText, langTextAt, readLocales, text, textAt } from './iso-xml.ts';
import type { Locales } from './iso-xml.ts';
import {
  charsetName, dataThemesFor, DEGREE_OF_CONFORMITY_BASE, frequencyUri, INSPIRE_SERVICE_TYPES, inspireTheme, languageUri, MD_METADATA_CHILDREN, partyRoleUri, PROTOCOL_STANDARDS,
  referenceSystemUri, representationTypeUri, RESOURCE_TYPE_SERVICE, resourceTypeUri, SERVICE_CATEGORY_BASE, SERVICE_TYPE_BASE, TOPIC_CATEGORIES, TOPIC_CATEGORY_BASE,
} from './vocab.ts';

/**
 * ISO 19139 (and ISO 19115-3) metadata → the canonical record, following SEMIC's GeoDCAT-AP
 * mapping of ISO 19139 (conformance/geodcat-ap/semic-iso-19139-to-dcat-ap/Mappings.md). What the
 * canonical record has no field for yet is kept in `geo` (GeoDCAT-AP properties) and the whole
 * ISO document in `sourceDescription`, so that nothing the record said is lost.
 */

export const GMD_NS = 'http://www.isotc211.org/2005/gmd';
export const MDB_NS_PREFIX = 'http://standards.iso.org/iso/19115/-3/mdb/';

/** A responsible party with its ISO role (CI_RoleCode). */
export interface IsoParty {
  role: string;
  organisation?: LangMap;
  individual?: LangMap;
  position?: LangMap;
  email?: string;
  phone?: string;
  url?: string;
  /** Whether the party is the metadata's contact (gmd:contact) rather than the resource's. */
  metadata?: true;
}

/** A legal or security constraint on the resource (dct:license / dct:accessRights / dct:rights). */
export interface IsoConstraint {
  /** `access` (accessConstraints, INSPIRE limitations on public access), `use` (useConstraints, useLimitation, conditions), `security`. */
  kind: 'access' | 'use' | 'security' | 'other';
  /** The ISO restriction code (otherRestrictions, license, copyright…), when given. */
  code?: string;
  text?: LangMap;
  uri?: string;
}

/** A conformity statement (DQ_ConformanceResult): dct:conformsTo when `pass` is true. */
export interface IsoConformity {
  specification: LangMap;
  uri?: string;
  date?: string;
  /** true conformant, false not conformant, undefined not evaluated. */
  pass?: boolean;
  explanation?: LangMap;
}

/** One srv:SV_CoupledResource: a dataset a service serves, and through which operation (GetMap, GetFeature…). */
export interface IsoCoupledResource {
  identifier: string;
  operation?: string;
}

/** A typed geometry of the resource's extent (bounding box) in the three GeoDCAT-AP encodings. */
export interface IsoGeometry {
  /** [west, south, east, north] in WGS 84 degrees. */
  bbox: [number, number, number, number];
  wkt: string;
  geojson: string;
}

/** An online resource that is a service endpoint (dcat:accessService). */
export interface IsoAccessService {
  endpointUrl: string;
  /** The protocol as the record gives it (`OGC:WMS`, `OGC:WFS-1.1.0-http-get-capabilities`). */
  protocol?: string;
  /** WMS, WFS, WCS, WMTS, CSW, SOS, WPS, ATOM, when the protocol names one. */
  serviceType?: string;
  title?: LangMap;
}

/** GeoDCAT-AP properties of an ISO record that the canonical record has no field for (yet). */
export interface GeoDetails {
  /** The hierarchy level (MD_ScopeCode): `dataset`, `series`, `service`, … */
  resourceType: string;
  /** For services: the INSPIRE/ISO service type (`view`, `download`, `OGC:WMS`). */
  serviceType?: string;
  /** For services: identifiers (uuidref) or URLs of the datasets they serve (srv:operatesOn, then srv:coupledResource). */
  operatesOn?: string[];
  /** For services: the coupled resources as given (srv:coupledResource): the dataset's identifier and the operation serving it. */
  coupledResources?: IsoCoupledResource[];
  topicCategories: string[];
  created?: string;
  /** The metadata's own date (gmd:dateStamp): the catalogue record's dct:modified. */
  metadataModified?: string;
  metadataLanguage?: string;
  characterSet?: string;
  /** `1:25000` (equivalent scale) or `10 m` (ground distance). */
  spatialResolution: string[];
  geometries: IsoGeometry[];
  /** Geographic identifiers as given (codes, URNs, URIs). */
  geographicIdentifiers: string[];
  referenceSystems: string[];
  /** Resource identifiers (citation identifiers: codes, URIs). */
  identifiers: string[];
  conformity: IsoConformity[];
  constraints: IsoConstraint[];
  /** Lineage statement (dct:provenance). */
  provenance?: LangMap;
  parties: IsoParty[];
  /** Every keyword with its thesaurus, as given. */
  keywordSets: Array<{ thesaurus?: LangMap; thesaurusUri?: string; type?: string; keywords: Array<{ label: LangMap; uri?: string }> }>;
  accessServices: IsoAccessService[];
  /** Other distribution formats given besides the one each distribution carries. */
  formats: string[];
  /** Pages about the resource (online resources with function information/search), besides the landing page. */
  pages: string[];
  /** The metadata standard it claims (name and version). */
  metadataStandard?: string;
}

/** The canonical record of an ISO document plus what only GeoDCAT-AP can say. */
/** The ISO document itself travels as the record's `sourceDescription` (`application/xml`, the whole document as served). */
export type IsoDataset = CanonicalDataset & { geo: GeoDetails };

export interface IsoMapResult extends RecordMapResult {
  record?: IsoDataset;
}

const DATE_TYPES = new Set(['creation', 'publication', 'revision']);

/**
 * Maps one `gmd:MD_Metadata` (`gmi:MI_Metadata`, `mdb:MD_Metadata`) element.
 * Errors (record left out): `missing_identifier`, `missing_title`, `iso_invalid` (an element the
 * ISO 19139 schema does not allow, or service identification in a dataset record). Warnings:
 * `invalid_date`, `invalid_url`, `invalid_bbox`, `unsupported_value`, and the INSPIRE checks
 * `iso_no_keyword`, `iso_no_format`, `iso_service_type`.
 * @param xml the record's own XML text, kept as its source description.
 */
export function mapIsoRecord(root: XNode, xml?: string): IsoMapResult {
  const pr = new RecordProblems();
  const locales = readLocales(root);
  const identifier = textAt(root, 'fileIdentifier') ?? textAt(root, 'metadataIdentifier/MD_Identifier/code');
  if (identifier !== undefined) pr.identifier = identifier;
  const L = (n: XNode | undefined): LangMap => langText(n, locales);

  // The schema checks the XSD would make and that records fail in practice.
  if (root.uri === GMD_NS || root.name === 'MI_Metadata') {
    for (const c of root.children) {
      if (c.uri === GMD_NS && !MD_METADATA_CHILDREN.has(c.name)) pr.error('iso_invalid', c.name, `<${c.prefix ? `${c.prefix}:` : ''}${c.name}> is not an element of ISO 19139 MD_Metadata; record skipped`);
    }
  }
  const resourceType = codeValue(first(root, 'hierarchyLevel')) ?? codeValue(first(root, 'metadataScope/MD_MetadataScope/resourceScope')) ?? 'dataset';
  const ident = at(root, 'identificationInfo/*')[0];
  if (ident === undefined) pr.error('iso_invalid', 'identificationInfo', 'the record has no identificationInfo; skipped');
  const isService = ident?.name === 'SV_ServiceIdentification';
  if (isService && (resourceType === 'dataset' || resourceType === 'series')) {
    pr.error('iso_invalid', 'identificationInfo', `a ${resourceType} record with service identification (srv:SV_ServiceIdentification); skipped`);
  }
  if (identifier === undefined) pr.error('missing_identifier', 'identifier', 'the record has no fileIdentifier; skipped');

  const citation = first(ident, 'citation/CI_Citation');
  const title = L(first(citation, 'title'));
  if (Object.keys(title).length === 0 && ident !== undefined) pr.error('missing_title', 'title', 'the record has no citation title; skipped');

  const geo: GeoDetails = {
    resourceType,
    topicCategories: [],
    spatialResolution: [],
    geometries: [],
    geographicIdentifiers: [],
    referenceSystems: [],
    identifiers: [],
    conformity: [],
    constraints: [],
    parties: [],
    keywordSets: [],
    accessServices: [],
    formats: [],
    pages: [],
  };
  const record: IsoDataset = { ...newDataset(identifier ?? '', title, L(first(ident, 'abstract'))), geo };
  if (pr.list.some((p) => p.severity === 'error')) return { problems: pr.list, ...(identifier !== undefined && { identifier }) };

  // Dates of the resource (citation) and of the metadata (dateStamp).
  for (const d of at(citation, 'date/CI_Date')) {
    const type = codeValue(first(d, 'dateType'));
    const raw = textAt(d, 'date');
    if (type === undefined || raw === undefined || !DATE_TYPES.has(type)) continue;
    const v = normaliseDate(raw);
    if (v === undefined) {
      pr.warn('invalid_date', type, `${type} date ${JSON.stringify(raw)} is not a valid date; dropped`);
      continue;
    }
    if (type === 'publication') record.issued ??= v;
    else if (type === 'revision') record.modified = record.modified === undefined || v > record.modified ? v : record.modified;
    else geo.created ??= v;
  }
  const stamp = textAt(root, 'dateStamp') ?? textAt(root, 'dateInfo/CI_Date/date');
  const stampValue = stamp === undefined ? undefined : normaliseDate(stamp);
  if (stampValue !== undefined) geo.metadataModified = stampValue;

  // Identifiers: an HTTP URI is the dataset's URI (GeoDCAT-AP), every code is kept.
  for (const id of at(citation, 'identifier/*')) {
    const code = anchorHref(first(id, 'code')) ?? textAt(id, 'code');
    if (code === undefined) continue;
    geo.identifiers.push(code);
    if (record.uri === undefined && /^https?:\/\/\S+$/i.test(code)) record.uri = code;
  }

  mapParties(root, ident, citation, locales, record, geo);
  mapKeywords(ident, locales, record, geo, pr);
  for (const t of at(ident, 'topicCategory/MD_TopicCategoryCode')) {
    const v = t.text.trim();
    if (v === '') continue;
    geo.topicCategories.push(TOPIC_CATEGORIES.has(v) ? TOPIC_CATEGORY_BASE + v : v);
  }
  mapExtent(ident, record, geo, pr);
  mapConstraints(ident, locales, record, geo);

  // Language and character set of the resource; the metadata's own language.
  for (const l of [...at(ident, 'language'), ...at(ident, 'defaultLocale/PT_Locale/language'), ...at(ident, 'otherLocale/PT_Locale/language')]) {
    const code = codeValue(l) ?? text(l);
    if (code === undefined) continue;
    const uri = languageUri(code);
    if (uri !== undefined) record.language.push(uri);
    else pr.warn('unsupported_value', 'language', `language ${JSON.stringify(code)} is not an ISO 639 code; dropped`);
  }
  record.language = [...new Set(record.language)];
  const metaLang = codeValue(first(root, 'language')) ?? textAt(root, 'language');
  if (metaLang !== undefined) geo.metadataLanguage = languageUri(metaLang) ?? metaLang;
  const resourceCharset = codeValue(first(ident, 'characterSet'));
  const metadataCharset = codeValue(first(root, 'characterSet'));
  const charset = resourceCharset ?? metadataCharset;
  if (charset !== undefined) geo.characterSet = charset;

  const resolutions: SpatialResolution[] = [];
  for (const r of at(ident, 'spatialResolution/MD_Resolution')) {
    const scale = textAt(r, 'equivalentScale/MD_RepresentativeFraction/denominator');
    if (scale !== undefined) {
      geo.spatialResolution.push(`1:${scale}`);
      if (Number(scale) > 0) resolutions.push({ scale: Number(scale) });
    }
    const dist = first(r, 'distance');
    const d = text(dist);
    if (d !== undefined) {
      const uom = attr(dist?.children[0], 'uom');
      geo.spatialResolution.push(uom === undefined ? d : `${d} ${uom}`);
      if (Number(d) > 0) resolutions.push({ distance: Number(d), ...(uom !== undefined && { unit: uom }) });
    }
  }
  const frequency = codeValue(first(ident, 'resourceMaintenance/MD_MaintenanceInformation/maintenanceAndUpdateFrequency'));
  if (frequency !== undefined) {
    const f = frequencyUri(frequency);
    if (f !== undefined) record.accrualPeriodicity = f;
    else pr.warn('unsupported_value', 'accrualPeriodicity', `maintenance frequency ${JSON.stringify(frequency)} is not an ISO 19115 code; dropped`);
  }
  for (const rs of at(root, 'referenceSystemInfo/MD_ReferenceSystem/referenceSystemIdentifier/*')) {
    const code = anchorHref(first(rs, 'code')) ?? textAt(rs, 'code');
    if (code !== undefined) geo.referenceSystems.push(code);
  }
  const standard = [textAt(root, 'metadataStandardName'), textAt(root, 'metadataStandardVersion')].filter((x) => x !== undefined).join(' ');
  if (standard !== '') geo.metadataStandard = standard;

  mapQuality(root, locales, geo);
  if (isService && ident !== undefined) mapService(ident, geo, pr);
  mapDistributions(root, ident, locales, record, geo, pr, isService);
  if (isService && ident !== undefined) record.dataService = dataServiceOf(root, ident, geo);

  // INSPIRE's minimum, as warnings: the record is still worth harvesting without them.
  if (Object.keys(record.keywords).length === 0 && record.themes.length === 0) pr.warn('iso_no_keyword', 'keywords', 'the record has no keyword (INSPIRE requires at least one)');
  if (!isService && at(root, 'distributionInfo/MD_Distribution/distributionFormat').length === 0 && at(root, 'distributionInfo/MD_Distribution/distributor/MD_Distributor/distributorFormat').length === 0) {
    pr.warn('iso_no_format', 'distributions', 'the record gives no distribution format (ISO 19139 requires one for datasets and series)');
  }
  fillDcatAp3(record, geo);
  fillGeoDcatAp(record, geo, { resolutions, ...(resourceCharset !== undefined && { resourceCharset }), ...(metadataCharset !== undefined && { metadataCharset }) });
  const purpose = nonEmpty(langTextAt(ident, 'purpose', locales));
  if (purpose !== undefined) record.purpose = purpose;
  const representations = at(ident, 'spatialRepresentationType').map(codeValue).filter((c): c is string => c !== undefined);
  if (representations.length > 0) record.representationTechnique = [...new Set(representations.map(representationTypeUri))].sort();
  if (xml !== undefined) record.sourceDescription = { format: 'application/xml', body: xml };
  return { record, problems: pr.list, identifier: record.identifier };
}

/**
 * The canonical DCAT-AP 3.0.1 fields ISO 19139 has, following SEMIC's GeoDCAT-AP mapping: series
 * (hierarchyLevel), other identifiers, creators (role author / originator), lineage (dct:provenance),
 * conformity passed (dct:conformsTo), use constraints not taken as the licence (dct:rights), the
 * access constraint's text (accessRightsStatement), the bounding boxes as typed geometries, other
 * pages (foaf:page), the metadata's own date and language (the catalogue record). `geo` keeps them too.
 */
function fillDcatAp3(record: IsoDataset, geo: GeoDetails): void {
  if (geo.resourceType === 'series') record.isSeries = true;
  if (record.dataService !== undefined) record.type = RESOURCE_TYPE_SERVICE;
  const ids = [...new Set(geo.identifiers)].filter((v) => v !== record.identifier).sort();
  if (ids.length > 0) record.otherIdentifier = ids.map((notation) => ({ notation }));
  const creators = geo.parties.filter((p) => !p.metadata && (p.role === 'author' || p.role === 'originator')).map(agentOf).filter((a) => Object.keys(a).length > 0);
  if (creators.length > 0) record.creator = uniqueSorted(creators);
  if (geo.provenance !== undefined) record.provenance = [{ label: geo.provenance }];
  const conforms = geo.conformity.filter((c) => c.pass === true).map((c) => ({ ...(c.uri !== undefined && { uri: c.uri }), label: c.specification }));
  if (conforms.length > 0) record.conformsTo = uniqueSorted(conforms);
  const rights = geo.constraints
    .filter((c) => c.kind !== 'access' && (c.text !== undefined || c.uri !== undefined) && (c.uri ?? c.text?.[''] ?? Object.values(c.text ?? {})[0]) !== record.license)
    .map((c) => ({ ...(c.uri !== undefined && { uri: c.uri }), ...(c.text !== undefined && { label: c.text }) }));
  if (rights.length > 0) record.rights = uniqueSorted(rights);
  const access = geo.constraints.find((c) => c.kind === 'access' && c.text !== undefined);
  if (access?.text !== undefined) record.accessRightsStatement = { ...(access.uri !== undefined && { uri: access.uri }), label: access.text };
  if (geo.geometries.length > 0) {
    record.locations = uniqueSorted(
      // One literal per property (DCAT-AP 3.0.1 allows one locn:geometry and one dcat:bbox a
      // location): the box as WKT geometry, and as GeoJSON its dcat:bbox.
      geo.geometries.map((g) => ({
        geometry: [{ value: g.wkt, datatype: 'http://www.opengis.net/ont/geosparql#wktLiteral' }],
        bbox: [{ value: g.geojson, datatype: 'https://www.iana.org/assignments/media-types/application/vnd.geo+json' }],
      })),
    );
  }
  if (geo.pages.length > 0) record.documentation = [...new Set(geo.pages)].sort();
  if (geo.metadataModified !== undefined || geo.metadataLanguage !== undefined) {
    record.catalogRecord = { ...(geo.metadataModified !== undefined && { modified: geo.metadataModified }), ...(geo.metadataLanguage !== undefined && { language: [geo.metadataLanguage] }) };
  }
}

/** A length in metres, when the unit of measure says metres (`m`, `metre`, EPSG's 9001 in URN or IRI form). */
function inMetres(r: SpatialResolution): number | undefined {
  if (!('distance' in r)) return undefined;
  return /^(?:m|metres?|meters?|(?:urn:ogc:def:uom:EPSG::|https?:\/\/www\.opengis\.net\/def\/uom\/EPSG\/0\/)9001)$/i.test(r.unit ?? '') ? r.distance : undefined;
}

/**
 * The GeoDCAT-AP (extended profile) fields of the canonical record, following SEMIC's mapping of
 * ISO 19139: creation date, resource type, topic categories, reference systems, spatial resolution
 * (a distance in metres is also dcat:spatialResolutionInMeters), the responsible parties of the
 * resource and of the metadata by role, every conformity test, character encodings, and a
 * service's ISO 19119 categories (keywords of INSPIRE's SpatialDataServiceCategory register).
 */
function fillGeoDcatAp(record: IsoDataset, geo: GeoDetails, o: { resolutions: SpatialResolution[]; resourceCharset?: string; metadataCharset?: string }): void {
  if (geo.created !== undefined) record.created = geo.created;
  record.resourceType = resourceTypeUri(geo.resourceType);
  if (geo.topicCategories.length > 0) record.topicCategory = [...new Set(geo.topicCategories)].sort();
  if (geo.referenceSystems.length > 0) record.referenceSystem = [...new Set(geo.referenceSystems.map(referenceSystemUri))].sort();
  if (o.resolutions.length > 0) record.spatialResolution = uniqueSorted(o.resolutions);
  const metres = o.resolutions.map(inMetres).find((m) => m !== undefined);
  if (metres !== undefined) record.spatialResolutionInMeters = metres;
  const party = (p: IsoParty): ResponsibleParty[] => {
    const agent = agentOf(p);
    return Object.keys(agent).length === 0 ? [] : [{ role: partyRoleUri(p.role), agent }];
  };
  const parties = geo.parties.filter((p) => !p.metadata).flatMap(party);
  if (parties.length > 0) record.responsibleParty = uniqueSorted(parties);
  const conformity = geo.conformity.map((c): Conformity => ({
    specification: { ...(c.uri !== undefined && { uri: c.uri }), ...(Object.keys(c.specification).length > 0 && { label: c.specification }) },
    ...(c.date !== undefined && { specificationDate: c.date }),
    degree: DEGREE_OF_CONFORMITY_BASE + (c.pass === true ? 'conformant' : c.pass === false ? 'notConformant' : 'notEvaluated'),
    ...(c.explanation !== undefined && { explanation: c.explanation }),
  }));
  if (conformity.length > 0) record.conformity = uniqueSorted(conformity);
  if (o.resourceCharset !== undefined) record.characterEncoding = charsetName(o.resourceCharset);
  if (record.dataService !== undefined) {
    const categories = geo.keywordSets.flatMap((set) => set.keywords.map((k) => k.uri).filter((u): u is string => u?.startsWith(SERVICE_CATEGORY_BASE) === true));
    if (categories.length > 0) record.serviceCategory = [...new Set(categories)].sort();
  }
  // The metadata record itself: its identifier, character encoding, contacts and point of contact.
  const metadata = geo.parties.filter((p) => p.metadata);
  const metadataParties = metadata.flatMap(party);
  const contact = metadata.find((p) => p.role === 'pointOfContact') ?? metadata[0];
  const contactPoint = contact === undefined ? undefined : contactOf(contact);
  record.catalogRecord = {
    ...record.catalogRecord,
    identifier: record.identifier,
    ...(o.metadataCharset !== undefined && { characterEncoding: charsetName(o.metadataCharset) }),
    ...(metadataParties.length > 0 && { responsibleParty: uniqueSorted(metadataParties) }),
    ...(contactPoint !== undefined && Object.keys(contactPoint).length > 0 && { contactPoint }),
  };
}

/** Distinct values sorted by their JSON, so the record does not depend on the order of the XML. */
function uniqueSorted<T>(values: T[]): T[] {
  const byJson = new Map(values.map((v) => [JSON.stringify(v), v] as const));
  return [...byJson.keys()].sort().map((k) => byJson.get(k) as T);
}

function nonEmpty(m: LangMap): LangMap | undefined {
  return Object.keys(m).length > 0 ? m : undefined;
}

/** One CI_ResponsibleParty (19139) or CI_Responsibility (19115-3). */
function readParty(p: XNode, locales: Locales): IsoParty {
  const role = codeValue(first(p, 'role')) ?? 'unknown';
  const party: IsoParty = { role };
  const parties = at(p, 'party/*');
  const org = parties.find((x) => x.name === 'CI_Organisation');
  const person = parties.find((x) => x.name === 'CI_Individual') ?? first(org, 'individual/CI_Individual');
  const set = <K extends 'organisation' | 'individual' | 'position'>(k: K, v: LangMap) => {
    if (Object.keys(v).length > 0) party[k] = v;
  };
  if (parties.length > 0) {
    set('organisation', langTextAt(org, 'name', locales));
    set('individual', langTextAt(person, 'name', locales));
    set('position', langTextAt(person, 'positionName', locales));
  } else {
    set('organisation', langTextAt(p, 'organisationName', locales));
    set('individual', langTextAt(p, 'individualName', locales));
    set('position', langTextAt(p, 'positionName', locales));
  }
  const contacts = [...at(p, 'contactInfo/CI_Contact'), ...parties.flatMap((x) => at(x, 'contactInfo/CI_Contact'))];
  for (const c of contacts) {
    party.email ??= textAt(c, 'address/CI_Address/electronicMailAddress')?.replace(/^mailto:/i, '');
    party.phone ??= textAt(c, 'phone/CI_Telephone/voice') ?? textAt(c, 'phone/CI_Telephone/number');
    party.url ??= textAt(c, 'onlineResource/CI_OnlineResource/linkage');
  }
  for (const k of ['email', 'phone', 'url'] as const) if (party[k] === undefined) delete party[k];
  return party;
}

function agentOf(p: IsoParty): Agent {
  const name = p.organisation ?? p.individual;
  return { ...(name !== undefined && { name }), ...(p.email !== undefined && { email: p.email }), ...(p.url !== undefined && { homepage: p.url }) };
}

function contactOf(p: IsoParty): ContactPoint {
  const name = p.organisation ?? p.individual ?? p.position;
  const label = name === undefined ? undefined : (Object.values(name)[0] as string);
  const c: ContactPoint = {};
  if (label !== undefined) c.name = label;
  if (p.email !== undefined) c.email = p.email;
  if (p.url !== undefined) c.url = p.url;
  if (p.phone !== undefined) c.phone = p.phone;
  return c;
}

/**
 * Parties by role (GeoDCAT-AP): `publisher` → dct:publisher; the resource's `pointOfContact`
 * (else the metadata contact) → dcat:contactPoint; every party is kept with its role.
 */
function mapParties(root: XNode, ident: XNode | undefined, citation: XNode | undefined, locales: Locales, record: IsoDataset, geo: GeoDetails): void {
  const resource = [...at(ident, 'pointOfContact/*'), ...at(citation, 'citedResponsibleParty/*')].map((p) => readParty(p, locales));
  const metadata = at(root, 'contact/*').map((p) => ({ ...readParty(p, locales), metadata: true as const }));
  geo.parties.push(...resource, ...metadata);
  const publisher = resource.find((p) => p.role === 'publisher');
  if (publisher !== undefined) record.publisher = agentOf(publisher);
  const contact = resource.find((p) => p.role === 'pointOfContact') ?? metadata.find((p) => p.role === 'pointOfContact') ?? metadata[0];
  if (contact !== undefined) {
    const c = contactOf(contact);
    if (Object.keys(c).length > 0) record.contactPoint = c;
  }
}

/**
 * Keywords: every label goes to dcat:keyword (per language); a keyword with a URI (gmx:Anchor)
 * from a thesaurus is a theme, and an INSPIRE theme (by URI or by its English or French label
 * in the INSPIRE themes thesaurus) also brings the EU data themes it is aligned with.
 */
function mapKeywords(ident: XNode | undefined, locales: Locales, record: IsoDataset, geo: GeoDetails, pr: RecordProblems): void {
  const keywords: LangListMap = {};
  const themes: string[] = [];
  for (const set of at(ident, 'descriptiveKeywords/MD_Keywords')) {
    const thesaurusNode = first(set, 'thesaurusName/CI_Citation/title');
    const thesaurus = thesaurusNode === undefined ? undefined : langText(thesaurusNode, locales);
    const thesaurusUri = anchorHref(thesaurusNode);
    const type = codeValue(first(set, 'type'));
    const inspireThesaurus = thesaurus !== undefined && Object.values(thesaurus).some((t) => /inspire/i.test(t) && /th[eè]me/i.test(t));
    const entry: GeoDetails['keywordSets'][number] = { ...(thesaurus !== undefined && nonEmpty(thesaurus) && { thesaurus }), ...(thesaurusUri !== undefined && { thesaurusUri }), ...(type !== undefined && { type }), keywords: [] };
    for (const k of kids(set, 'keyword')) {
      const label = langText(k, locales);
      const uri = anchorHref(k);
      if (Object.keys(label).length === 0 && uri === undefined) continue;
      entry.keywords.push({ label, ...(uri !== undefined && { uri }) });
      for (const [lang, v] of Object.entries(label)) {
        const list = (keywords[lang] ??= []);
        if (!list.includes(v)) list.push(v);
      }
      const inspire = uri !== undefined || inspireThesaurus ? Object.values(label).map((v) => inspireTheme(v, uri)).find((x) => x !== undefined) ?? (uri !== undefined ? inspireTheme('', uri) : undefined) : undefined;
      if (inspire !== undefined) themes.push(inspire, ...dataThemesFor(inspire));
      else if (uri !== undefined && /^https?:\/\//i.test(uri) && (thesaurus !== undefined || thesaurusUri !== undefined)) themes.push(uri);
      else if (inspireThesaurus) pr.warn('unsupported_value', 'themes', `keyword ${JSON.stringify(Object.values(label)[0])} of an INSPIRE themes thesaurus is not an INSPIRE theme; kept as a keyword`);
    }
    geo.keywordSets.push(entry);
  }
  record.keywords = keywords;
  record.themes = [...new Set(themes)];
}

function num(n: XNode | undefined, path: string): number | undefined {
  const t = textAt(n, path);
  if (t === undefined) return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

/** Bounding boxes (WKT in spatial, all three encodings in geo), geographic identifiers, temporal extents. */
function mapExtent(ident: XNode | undefined, record: IsoDataset, geo: GeoDetails, pr: RecordProblems): void {
  for (const ext of at(ident, 'extent/EX_Extent')) {
    for (const box of at(ext, 'geographicElement/EX_GeographicBoundingBox')) {
      const w = num(box, 'westBoundLongitude');
      const e = num(box, 'eastBoundLongitude');
      const s = num(box, 'southBoundLatitude');
      const n = num(box, 'northBoundLatitude');
      if (w === undefined || e === undefined || s === undefined || n === undefined || Math.abs(w) > 180 || Math.abs(e) > 180 || Math.abs(s) > 90 || Math.abs(n) > 90 || s > n) {
        pr.warn('invalid_bbox', 'spatial', `bounding box ${JSON.stringify([w, s, e, n])} is not valid WGS 84 (west, south, east, north); dropped`);
        continue;
      }
      const ring = [[w, s], [e, s], [e, n], [w, n], [w, s]];
      const wkt = `POLYGON((${ring.map(([x, y]) => `${x} ${y}`).join(', ')}))`;
      geo.geometries.push({ bbox: [w, s, e, n], wkt, geojson: JSON.stringify({ type: 'Polygon', coordinates: [ring] }) });
      record.spatial.push(wkt);
    }
    for (const id of at(ext, 'geographicElement/EX_GeographicDescription/geographicIdentifier/*')) {
      const code = anchorHref(first(id, 'code')) ?? textAt(id, 'code');
      if (code === undefined) continue;
      geo.geographicIdentifiers.push(code);
      record.spatial.push(code);
    }
    const description = textAt(ext, 'description');
    if (description !== undefined && record.spatial.length === 0) record.spatial.push(description);
    for (const t of at(ext, 'temporalElement/*/extent')) {
      const period = readPeriod(t, pr);
      if (period !== undefined) record.temporal.push(period);
    }
  }
  record.spatial = [...new Set(record.spatial)];
}

/** A gml TimePeriod (begin/endPosition or begin/end TimeInstant) or TimeInstant. */
function readPeriod(extent: XNode, pr: RecordProblems): PeriodOfTime | undefined {
  const period = first(extent, 'TimePeriod');
  const instant = first(extent, 'TimeInstant');
  const read = (raw: string | undefined, field: string): string | undefined => {
    if (raw === undefined) return undefined;
    const v = normaliseDate(raw);
    if (v === undefined) pr.warn('invalid_date', field, `temporal ${field} ${JSON.stringify(raw)} is not a valid date; dropped`);
    return v;
  };
  let start: string | undefined;
  let end: string | undefined;
  if (period !== undefined) {
    start = read(textAt(period, 'beginPosition') ?? textAt(period, 'begin/TimeInstant/timePosition'), 'start');
    end = read(textAt(period, 'endPosition') ?? textAt(period, 'end/TimeInstant/timePosition'), 'end');
  } else if (instant !== undefined) {
    start = end = read(textAt(instant, 'timePosition'), 'start');
  }
  if (start === undefined && end === undefined) return undefined;
  return { ...(start !== undefined && { start }), ...(end !== undefined && { end }) };
}

/**
 * resourceConstraints: access constraints (INSPIRE limitations on public access) → accessRights;
 * use constraints and use limitations → license (the first, URI preferred); all kept in geo.
 */
function mapConstraints(ident: XNode | undefined, locales: Locales, record: IsoDataset, geo: GeoDetails): void {
  for (const c of at(ident, 'resourceConstraints/*')) {
    const access = at(c, 'accessConstraints').map((x) => codeValue(x)).filter((x) => x !== undefined);
    const use = at(c, 'useConstraints').map((x) => codeValue(x)).filter((x) => x !== undefined);
    const kind: IsoConstraint['kind'] = c.name === 'MD_SecurityConstraints' ? 'security' : access.length > 0 ? 'access' : 'use';
    const code = [...access, ...use].find((x) => x !== 'otherRestrictions') ?? access[0] ?? use[0];
    const texts: Array<{ text: LangMap; uri?: string; kind: IsoConstraint['kind'] }> = [];
    for (const o of at(c, 'otherConstraints')) texts.push({ text: langText(o, locales), ...(anchorHref(o) !== undefined && { uri: anchorHref(o) as string }), kind });
    for (const o of at(c, 'useLimitation')) texts.push({ text: langText(o, locales), ...(anchorHref(o) !== undefined && { uri: anchorHref(o) as string }), kind: 'use' });
    for (const o of at(c, 'classification')) texts.push({ text: { '': codeValue(o) ?? '' }, kind: 'security' });
    if (texts.length === 0 && code !== undefined) texts.push({ text: {}, kind });
    for (const t of texts) {
      const entry: IsoConstraint = { kind: t.kind, ...(code !== undefined && { code }), ...(nonEmpty(t.text) && { text: t.text }), ...(t.uri !== undefined && { uri: t.uri }) };
      geo.constraints.push(entry);
    }
  }
  const statement = (c: IsoConstraint): string | undefined => c.uri ?? (c.text === undefined ? undefined : (Object.values(c.text)[0] as string | undefined));
  const accessEntry = geo.constraints.find((c) => c.kind === 'access' && c.uri !== undefined) ?? geo.constraints.find((c) => c.kind === 'access' && c.text !== undefined);
  const accessRights = accessEntry === undefined ? undefined : statement(accessEntry);
  if (accessRights !== undefined) record.accessRights = accessRights;
  const useEntry = geo.constraints.find((c) => c.kind === 'use' && c.uri !== undefined) ?? geo.constraints.find((c) => c.kind === 'use' && c.text !== undefined);
  const license = useEntry === undefined ? undefined : statement(useEntry);
  if (license !== undefined) record.license = license;
}

/** Conformity (DQ_ConformanceResult) and lineage (dct:provenance). */
function mapQuality(root: XNode, locales: Locales, geo: GeoDetails): void {
  for (const dq of at(root, 'dataQualityInfo/DQ_DataQuality')) {
    for (const r of at(dq, 'report/*/result/DQ_ConformanceResult')) {
      const spec = first(r, 'specification/CI_Citation');
      const specTitle = first(spec, 'title');
      const c: IsoConformity = { specification: langText(specTitle, locales) };
      const uri = anchorHref(specTitle);
      if (uri !== undefined) c.uri = uri;
      const date = textAt(spec, 'date/CI_Date/date');
      const d = date === undefined ? undefined : normaliseDate(date);
      if (d !== undefined) c.date = d;
      const pass = textAt(r, 'pass');
      if (pass === 'true' || pass === '1') c.pass = true;
      else if (pass === 'false' || pass === '0') c.pass = false;
      const explanation = nonEmpty(langTextAt(r, 'explanation', locales));
      if (explanation !== undefined) c.explanation = explanation;
      geo.conformity.push(c);
    }
    const lineage = nonEmpty(langTextAt(dq, 'lineage/LI_Lineage/statement', locales));
    if (lineage !== undefined && geo.provenance === undefined) geo.provenance = lineage;
  }
  for (const l of at(root, 'resourceLineage/LI_Lineage')) {
    const lineage = nonEmpty(langTextAt(l, 'statement', locales));
    if (lineage !== undefined && geo.provenance === undefined) geo.provenance = lineage;
  }
}

function mapService(ident: XNode, geo: GeoDetails, pr: RecordProblems): void {
  const type = textAt(ident, 'serviceType');
  if (type !== undefined) geo.serviceType = type;
  if (type === undefined || !INSPIRE_SERVICE_TYPES.has(type)) {
    pr.warn('iso_service_type', 'geo.serviceType', `service type ${JSON.stringify(type ?? '')} is not an INSPIRE spatial data service type (${[...INSPIRE_SERVICE_TYPES].join(', ')})`);
  }
  const served: string[] = [];
  for (const o of at(ident, 'operatesOn')) {
    // The coupled dataset's identifier (uuidref) when given, else the link to its metadata, else
    // the identifier of a dataset described inline (by value).
    const ref = [attr(o, 'uuidref'), attr(o, 'href'), textAt(o, 'MD_DataIdentification/citation/CI_Citation/identifier/*/code')].map((x) => x?.trim()).find((x) => x !== undefined && x !== '');
    if (ref !== undefined && !served.includes(ref)) served.push(ref);
  }
  // The other way ISO 19119 names them: srv:coupledResource, the operation and the dataset's
  // identifier (19139 srv:identifier; 19115-3 the identifier of srv:resourceReference, or srv:scopedName).
  const coupled: IsoCoupledResource[] = [];
  for (const c of at(ident, 'coupledResource/SV_CoupledResource')) {
    const id = textAt(c, 'identifier') ?? textAt(c, 'resourceReference/CI_Citation/identifier/*/code') ?? textAt(c, 'scopedName');
    if (id === undefined) continue;
    const operation = textAt(c, 'operationName') ?? textAt(c, 'operation/SV_OperationMetadata/operationName');
    coupled.push({ identifier: id, ...(operation !== undefined && { operation }) });
    if (!served.includes(id)) served.push(id);
  }
  if (served.length > 0) geo.operatesOn = served;
  if (coupled.length > 0) geo.coupledResources = coupled;
}

/** Whether an online resource is a capabilities document (by its query or its protocol). */
function isCapabilities(url: URL, protocol: string | undefined): boolean {
  return /(?:^|[?&])request=getcapabilities(?:&|$)/i.test(url.search) || /get-?capabilities/i.test(protocol ?? '');
}

/**
 * The GeoDCAT-AP data service of a service record. Endpoints: the resource locators (transfer
 * options) that are service endpoints (a known service protocol or a capabilities URL), else the
 * operations' connect points, else every resource locator (INSPIRE TG 3.7: a service's locator is
 * its access point). A capabilities URL is the endpoint description and, without its query, the
 * endpoint URL (GeoDCAT-AP 2.0.0, "Resource locator"). The protocols and a non-INSPIRE service
 * type (`OGC:WMS`) give the standards it conforms to; an INSPIRE service type its dct:type; the
 * coupled resources (srv:operatesOn, srv:coupledResource) the datasets it serves, as given (resolved at export).
 */
function dataServiceOf(root: XNode, ident: XNode, geo: GeoDetails): DataService {
  const locators = [
    ...at(root, 'distributionInfo/MD_Distribution/transferOptions/MD_DigitalTransferOptions/onLine/CI_OnlineResource'),
    ...at(root, 'distributionInfo/MD_Distribution/distributor/MD_Distributor/distributorTransferOptions/MD_DigitalTransferOptions/onLine/CI_OnlineResource'),
  ];
  const connectPoints = at(ident, 'containsOperations/SV_OperationMetadata/connectPoint/CI_OnlineResource');
  type Link = { url: URL; protocol?: string };
  const links = (nodes: XNode[]): Link[] =>
    nodes.flatMap((n) => {
      const raw = textAt(n, 'linkage');
      if (raw === undefined || !/^https?:\/\//i.test(raw) || !URL.canParse(raw)) return [];
      const protocol = textAt(n, 'protocol');
      return [{ url: new URL(raw), ...(protocol !== undefined && { protocol }) }];
    });
  const isEndpoint = (l: Link) => serviceTypeOf(l.protocol, l.url.href) !== undefined || isCapabilities(l.url, l.protocol);
  const fromLocators = links(locators);
  let chosen = fromLocators.filter(isEndpoint);
  if (chosen.length === 0) chosen = links(connectPoints);
  if (chosen.length === 0) chosen = fromLocators;
  const endpointUrl = new Set<string>();
  const endpointDescription = new Set<string>();
  const standards = new Map<string, Resource>();
  const standard = (name: string | undefined) => {
    const uri = name === undefined ? undefined : PROTOCOL_STANDARDS[name];
    if (uri !== undefined) standards.set(uri, { uri });
  };
  for (const l of chosen) {
    if (isCapabilities(l.url, l.protocol)) {
      endpointDescription.add(l.url.href);
      const base = new URL(l.url.href);
      base.search = '';
      base.hash = '';
      endpointUrl.add(base.href);
    } else endpointUrl.add(l.url.href);
    standard(serviceTypeOf(l.protocol, l.url.href));
  }
  for (const l of links(connectPoints)) standard(serviceTypeOf(l.protocol, l.url.href));
  const type = geo.serviceType;
  if (type !== undefined && !INSPIRE_SERVICE_TYPES.has(type)) standard(serviceTypeOf(type, ''));
  const service: DataService = { endpointUrl: [...endpointUrl].sort() };
  if (endpointDescription.size > 0) service.endpointDescription = [...endpointDescription].sort();
  if (standards.size > 0) service.conformsTo = [...standards.keys()].sort().map((k) => standards.get(k) as Resource);
  if (geo.operatesOn !== undefined) service.servesDataset = [...geo.operatesOn].sort();
  if (type !== undefined) service.type = INSPIRE_SERVICE_TYPES.has(type) ? SERVICE_TYPE_BASE + type : type;
  return service;
}

/** The service a protocol names (`OGC:WMS-1.3.0-http-get-map` → WMS), if any. */
function serviceTypeOf(protocol: string | undefined, url: string): string | undefined {
  const hay = `${protocol ?? ''} ${/[?&]service=(\w+)/i.exec(url)?.[1] ?? ''}`;
  const m = /\b(?:OGC:|ESRI:)?(WMS|WFS|WCS|WMTS|CSW|SOS|WPS|OGC API|ATOM)\b/i.exec(hay);
  return m?.[1]?.toUpperCase();
}

/**
 * Online resources → distributions. Function `information`/`search` → landing page (and pages; for
 * a service they are also its endpoint);
 * a service protocol (WMS, WFS, …) → an access URL with its access service; a download
 * (function download, `WWW:DOWNLOAD`) → download URL; anything else → access URL.
 * Formats (MD_Format, the distributor's too) apply to the download distributions (SEMIC: each
 * distribution carries the formats of its MD_Distribution).
 */
function mapDistributions(root: XNode, ident: XNode | undefined, locales: Locales, record: IsoDataset, geo: GeoDetails, pr: RecordProblems, isService: boolean): void {
  const formats: string[] = [];
  for (const f of [...at(root, 'distributionInfo/MD_Distribution/distributionFormat/MD_Format'), ...at(root, 'distributionInfo/MD_Distribution/distributor/MD_Distributor/distributorFormat/MD_Format')]) {
    const name = textAt(f, 'name') ?? textAt(f, 'formatSpecificationCitation/CI_Citation/title');
    if (name !== undefined && !formats.includes(name)) formats.push(name);
  }
  const resources: Array<{ res: XNode; size?: number }> = [];
  for (const opts of [...at(root, 'distributionInfo/MD_Distribution/transferOptions/MD_DigitalTransferOptions'), ...at(root, 'distributionInfo/MD_Distribution/distributor/MD_Distributor/distributorTransferOptions/MD_DigitalTransferOptions')]) {
    const mb = num(opts, 'transferSize');
    for (const res of at(opts, 'onLine/CI_OnlineResource')) resources.push({ res, ...(mb !== undefined && mb >= 0 && { size: Math.round(mb * 1_000_000) }) });
  }
  for (const res of at(ident, 'containsOperations/SV_OperationMetadata/connectPoint/CI_OnlineResource')) resources.push({ res });

  const seen = new Set<string>();
  resources.forEach(({ res, size }, i) => {
    const url = textAt(res, 'linkage');
    if (url === undefined) return;
    // Any absolute URL is kept as given (s3://, ftp:// included): only what cannot be a link is dropped.
    if (!URL.canParse(url) || /^(?:javascript|data|file|mailto):/i.test(url)) {
      pr.warn('invalid_url', `distributions[${i}].accessUrl`, `online resource ${JSON.stringify(url)} is not an absolute URL to data; dropped`);
      return;
    }
    const protocol = textAt(res, 'protocol');
    const fn = codeValue(first(res, 'function'));
    const title = langTextAt(res, 'name', locales);
    const description = langTextAt(res, 'description', locales);
    if (fn === 'information' || fn === 'search' || /^WWW:LINK.*info|^WWW:LINK$/i.test(protocol ?? '')) {
      if (record.landingPage === undefined) record.landingPage = url;
      else if (!geo.pages.includes(url)) geo.pages.push(url);
      // A service's own resource locator is its endpoint (INSPIRE TG 3.7), whatever its function says.
      if ((fn === 'information' || fn === 'search') && !isService) return;
    }
    const service = serviceTypeOf(protocol, url);
    const key = `${url} ${service ?? protocol ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    const d: Distribution = { accessUrl: url };
    if (nonEmpty(title)) d.title = title;
    if (nonEmpty(description)) d.description = description;
    if (service !== undefined) {
      d.format = service;
      // GeoDCAT-AP: the WMS/WFS/… endpoint is the distribution's dcat:accessService.
      // Its dct:conformsTo: the protocol's standard (GeoDCAT-AP's geodcatap:serviceProtocol), named as the record names the protocol.
      const standard = PROTOCOL_STANDARDS[service];
      const conformsTo = protocol === undefined && standard === undefined ? undefined : [{ ...(standard !== undefined && { uri: standard }), ...(protocol !== undefined && { label: { '': protocol } }) }];
      d.accessService = [{ endpointUrl: [url], ...(nonEmpty(title) && { title }), ...(conformsTo !== undefined && { conformsTo }) }];
      geo.accessServices.push({ endpointUrl: url, serviceType: service, ...(protocol !== undefined && { protocol }), ...(nonEmpty(title) && { title }) });
    } else {
      if (fn === 'download' || /DOWNLOAD/i.test(protocol ?? '')) d.downloadUrl = url;
      if (formats[0] !== undefined) d.format = formats[0];
    }
    if (size !== undefined) d.byteSize = size;
    record.distributions.push(d);
  });
  geo.formats = formats;
}

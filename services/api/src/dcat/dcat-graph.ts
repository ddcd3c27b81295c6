import { DataFactory, type Quad, type Quad_Object, type Quad_Subject } from 'n3';
import type { Agent, CanonicalDataset, CatalogRecord, Conformity, ContactPoint, DataService, Distribution, Geometry, Identifier, LangMap, Location, PeriodOfTime, Resource, ResponsibleParty, SpatialResolution } from '@hasad/core';

/**
 * The catalogue as DCAT-AP 3 RDF: canonical records back to triples.
 *
 * Two rules decide every choice here:
 * - **Round trip.** Hasad's own DCAT adapter reading these triples must give back the same
 *   canonical record, so each value is written the way the adapter maps it (a dataset keeps the
 *   source's URI, literals keep their language tags, a media type becomes the IANA IRI the
 *   adapter reduces to the type again, dates keep their xsd type).
 * - **DCAT-AP shapes.** Where DCAT-AP wants a node and the source gave a plain label (a licence,
 *   format, language or frequency written as text, a place name), the label is carried by a
 *   blank node (`[ a dct:LicenseDocument; rdfs:label "…" ]`), which the adapter reads back as the
 *   label: the value survives and the shape holds.
 */

const { namedNode, literal, blankNode, quad } = DataFactory;

export const NS = {
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  rdfs: 'http://www.w3.org/2000/01/rdf-schema#',
  xsd: 'http://www.w3.org/2001/XMLSchema#',
  dcat: 'http://www.w3.org/ns/dcat#',
  dct: 'http://purl.org/dc/terms/',
  foaf: 'http://xmlns.com/foaf/0.1/',
  vcard: 'http://www.w3.org/2006/vcard/ns#',
  locn: 'http://www.w3.org/ns/locn#',
  skos: 'http://www.w3.org/2004/02/skos/core#',
  hydra: 'http://www.w3.org/ns/hydra/core#',
  adms: 'http://www.w3.org/ns/adms#',
  prov: 'http://www.w3.org/ns/prov#',
  spdx: 'http://spdx.org/rdf/terms#',
  dcatap: 'http://data.europa.eu/r5r/',
  dcatde: 'http://dcat-ap.de/def/dcatde/',
  odrs: 'http://schema.theodi.org/odrs#',
  odrl: 'http://www.w3.org/ns/odrl/2/',
  geodcatap: 'http://data.europa.eu/930/',
  cnt: 'http://www.w3.org/2011/content#',
  dqv: 'http://www.w3.org/ns/dqv#',
  'sdmx-attribute': 'http://purl.org/linked-data/sdmx/2009/attribute#',
} as const;

const rdf = (l: string) => namedNode(`${NS.rdf}${l}`);
const rdfs = (l: string) => namedNode(`${NS.rdfs}${l}`);
const dcat = (l: string) => namedNode(`${NS.dcat}${l}`);
const dct = (l: string) => namedNode(`${NS.dct}${l}`);
const foaf = (l: string) => namedNode(`${NS.foaf}${l}`);
const vcard = (l: string) => namedNode(`${NS.vcard}${l}`);
const hydra = (l: string) => namedNode(`${NS.hydra}${l}`);
const xsd = (l: string) => namedNode(`${NS.xsd}${l}`);
const ns = (prefix: keyof typeof NS, l: string) => namedNode(`${NS[prefix]}${l}`);
const TYPE = rdf('type');

/** A dataset as the export needs it: the stored record and what Hasad knows around it. */
export interface ExportDataset {
  id: string;
  uri: string | null;
  record: Partial<CanonicalDataset> & Record<string, unknown>;
  organizationName: string;
  /** The feed the dataset was harvested from (credentials already removed). */
  sourceUrl: string;
  /** A data service's served datasets: their IRIs when resolved to records of the same source, else the references as given. */
  servesDataset?: string[];
  /** The data services of the same source that serve this dataset (their IRIs and endpoints). */
  servedBy?: ServedBy[];
  /** Where the API serves the source's own metadata kept as XML (an ISO 19139 record): the catalogue record's dct:source. */
  sourceMetadataUrl?: string;
}

/** A data service serving a dataset: its distributions that it is the access service of are linked to it. */
export interface ServedBy {
  iri: string;
  endpointUrl: string[];
}

/** An absolute IRI that Turtle, N-Triples and RDF/XML can all carry as is. */
export function isIri(s: string): boolean {
  return /^[a-z][a-z0-9+.-]*:[^\s<>"{}|\\^`]+$/i.test(s) && URL.canParse(s);
}

/** The IRI a dataset is published under: the source's own when it gave one, else Hasad's. */
export function datasetIri(d: Pick<ExportDataset, 'id' | 'uri'>, baseUrl: string): string {
  return d.uri && isIri(d.uri) ? d.uri : `${baseUrl}/api/v1/datasets/${d.id}`;
}

/** The xsd type of a date as the canonical record keeps it (normalised lexical form). */
function dateLiteral(v: string) {
  const type = /^-?\d{4,}$/.test(v) ? 'gYear' : /^-?\d{4,}-\d{2}$/.test(v) ? 'gYearMonth' : /T/.test(v) ? 'dateTime' : 'date';
  return literal(v, xsd(type));
}

class Builder {
  readonly quads: Quad[] = [];
  add(s: Quad_Subject, p: ReturnType<typeof namedNode>, o: Quad_Object): void {
    this.quads.push(quad(s, p, o));
  }
  langs(s: Quad_Subject, p: ReturnType<typeof namedNode>, map: LangMap | undefined): void {
    for (const [lang, text] of Object.entries(map ?? {})) if (typeof text === 'string') this.add(s, p, lang === '' ? literal(text) : literal(text, lang));
  }
  /** An IRI when the value is one, else a blank node of `type` labelled with it. */
  node(s: Quad_Subject, p: ReturnType<typeof namedNode>, value: string | undefined, type: string): void {
    if (value === undefined) return;
    if (isIri(value)) return this.add(s, p, namedNode(value));
    const b = blankNode();
    this.add(s, p, b);
    this.add(b, TYPE, namedNode(type));
    this.add(b, rdfs('label'), literal(value));
  }
  url(s: Quad_Subject, p: ReturnType<typeof namedNode>, value: string | undefined): void {
    if (value !== undefined) this.add(s, p, isIri(value) ? namedNode(value) : literal(value));
  }
  date(s: Quad_Subject, p: ReturnType<typeof namedNode>, value: string | undefined): void {
    if (value !== undefined) this.add(s, p, dateLiteral(value));
  }
}

function agent(b: Builder, a: Agent): Quad_Subject {
  const s = a.uri && isIri(a.uri) ? namedNode(a.uri) : blankNode();
  b.add(s, TYPE, foaf('Agent'));
  b.langs(s, foaf('name'), a.name);
  if (a.email) b.add(s, foaf('mbox'), isIri(`mailto:${a.email}`) ? namedNode(`mailto:${a.email}`) : literal(a.email));
  if (a.homepage) b.url(s, foaf('homepage'), a.homepage);
  if (a.type) b.add(s, dct('type'), isIri(a.type) ? namedNode(a.type) : literal(a.type));
  return s;
}

function contactPoint(b: Builder, c: ContactPoint): Quad_Subject {
  const s = c.uri && isIri(c.uri) ? namedNode(c.uri) : blankNode();
  b.add(s, TYPE, vcard('Kind'));
  if (c.name) b.add(s, vcard('fn'), literal(c.name));
  if (c.email) b.add(s, vcard('hasEmail'), isIri(`mailto:${c.email}`) ? namedNode(`mailto:${c.email}`) : literal(c.email));
  if (c.url) b.url(s, vcard('hasURL'), c.url);
  // A literal: telephone numbers as written ("+212 5 37 …") are seldom valid tel: IRIs.
  if (c.phone) b.add(s, vcard('hasTelephone'), literal(c.phone));
  b.langs(s, vcard('organization-name'), c.organizationName);
  return s;
}

/** WKT, GeoJSON or GML text: what the adapter reads from a location's geometry. */
const GEOMETRY = /^\s*(?:(?:SRID=\d+;)?(?:POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON|GEOMETRYCOLLECTION|ENVELOPE)\s*\(|\{|<)/i;

function spatial(b: Builder, s: Quad_Subject, value: string): void {
  if (isIri(value)) return b.add(s, dct('spatial'), namedNode(value));
  const loc = blankNode();
  b.add(s, dct('spatial'), loc);
  b.add(loc, TYPE, dct('Location'));
  b.add(loc, GEOMETRY.test(value) ? namedNode(`${NS.locn}geometry`) : namedNode(`${NS.skos}prefLabel`), literal(value));
}

function temporal(b: Builder, s: Quad_Subject, t: PeriodOfTime): void {
  const p = blankNode();
  b.add(s, dct('temporal'), p);
  b.add(p, TYPE, dct('PeriodOfTime'));
  b.date(p, dcat('startDate'), t.start);
  b.date(p, dcat('endDate'), t.end);
  // A bound that is not a date goes out as the source wrote it, untyped: never dropped (the period would look open-ended).
  if (t.startAsGiven !== undefined) b.add(p, dcat('startDate'), literal(t.startAsGiven));
  if (t.endAsGiven !== undefined) b.add(p, dcat('endDate'), literal(t.endAsGiven));
}

/** A value that is an IRI as a named node, else a plain literal (lists of IRIs or labels). */
const term = (v: string) => (isIri(v) ? namedNode(v) : literal(v));

/** A RightsStatement, LicenseDocument, Standard, ProvenanceStatement …: the IRI alone, or a node with its text. */
function resource(b: Builder, s: Quad_Subject, p: ReturnType<typeof namedNode>, r: Resource, type: string): void {
  const n = r.uri && isIri(r.uri) ? namedNode(r.uri) : blankNode();
  b.add(s, p, n);
  if (n.termType === 'NamedNode' && r.label === undefined && r.type === undefined && r.attributionText === undefined && r.attributionUrl === undefined && r.dataLicense === undefined) return;
  b.add(n, TYPE, namedNode(type));
  b.langs(n, rdfs('label'), r.label);
  if (r.type) b.add(n, dct('type'), term(r.type));
  b.langs(n, ns('odrs', 'attributionText'), r.attributionText);
  if (r.attributionUrl) b.url(n, ns('odrs', 'attributionURL'), r.attributionUrl);
  if (r.dataLicense) b.add(n, ns('odrs', 'dataLicense'), term(r.dataLicense));
}

function resources(b: Builder, s: Quad_Subject, p: ReturnType<typeof namedNode>, list: Resource[] | undefined, type: string): void {
  for (const r of list ?? []) resource(b, s, p, r, type);
}

function terms(b: Builder, s: Quad_Subject, p: ReturnType<typeof namedNode>, list: string[] | undefined): void {
  for (const v of list ?? []) b.add(s, p, term(v));
}

function geometries(b: Builder, s: Quad_Subject, p: ReturnType<typeof namedNode>, list: Geometry[] | undefined): void {
  for (const g of list ?? []) b.add(s, p, g.datatype ? literal(g.value, namedNode(g.datatype)) : literal(g.value));
}

/** The display value the DCAT adapter keeps in `spatial` for a blank location (map.ts locationText). */
function locationText(l: Location): string[] {
  for (const list of [l.geometry, l.bbox, l.centroid]) if (list !== undefined) return list.map((g) => g.value);
  if (l.label) {
    const rank = (t: string) => (t === '' ? 0 : t === 'en' || t.startsWith('en-') ? 1 : 2);
    const lang = Object.keys(l.label).sort((a, c) => rank(a) - rank(c) || (a < c ? -1 : a > c ? 1 : 0))[0];
    if (lang !== undefined) return [l.label[lang] as string];
  }
  return l.adminUnitL2 ?? l.adminUnitL1 ?? [];
}

function location(b: Builder, s: Quad_Subject, l: Location): void {
  const n = l.uri && isIri(l.uri) ? namedNode(l.uri) : blankNode();
  b.add(s, dct('spatial'), n);
  b.add(n, TYPE, dct('Location'));
  b.langs(n, namedNode(`${NS.skos}prefLabel`), l.label);
  geometries(b, n, namedNode(`${NS.locn}geometry`), l.geometry);
  geometries(b, n, dcat('bbox'), l.bbox);
  geometries(b, n, dcat('centroid'), l.centroid);
  if (l.inScheme) b.add(n, namedNode(`${NS.skos}inScheme`), term(l.inScheme));
  if (l.identifier) b.add(n, dct('identifier'), literal(l.identifier));
  terms(b, n, namedNode(`${NS.locn}adminUnitL1`), l.adminUnitL1);
  terms(b, n, namedNode(`${NS.locn}adminUnitL2`), l.adminUnitL2);
}

/** dct:spatial: the typed locations, then each `spatial` value none of them accounts for. */
function spatialAll(b: Builder, s: Quad_Subject, spatialValues: string[], locations: Location[]): void {
  const covered = new Set<string>();
  for (const l of locations) {
    location(b, s, l);
    if (l.uri && isIri(l.uri)) covered.add(l.uri);
    else for (const t of locationText(l)) covered.add(t);
  }
  for (const sp of spatialValues) if (!covered.has(sp)) spatial(b, s, sp);
}

function identifierNode(b: Builder, s: Quad_Subject, id: Identifier): void {
  const n = id.uri && isIri(id.uri) ? namedNode(id.uri) : blankNode();
  b.add(s, ns('adms', 'identifier'), n);
  b.add(n, TYPE, ns('adms', 'Identifier'));
  b.add(n, namedNode(`${NS.skos}notation`), id.datatype ? literal(id.notation, namedNode(id.datatype)) : literal(id.notation));
  if (id.schemaAgency) b.add(n, ns('adms', 'schemaAgency'), literal(id.schemaAgency));
  b.date(n, dct('issued'), id.issued);
}

function dataService(b: Builder, s: Quad_Subject, d: DataService): void {
  const n = d.uri && isIri(d.uri) ? namedNode(d.uri) : blankNode();
  b.add(s, dcat('accessService'), n);
  b.add(n, TYPE, dcat('DataService'));
  b.langs(n, dct('title'), d.title);
  b.langs(n, dct('description'), d.description);
  for (const u of d.endpointUrl) b.url(n, dcat('endpointURL'), u);
  terms(b, n, dcat('endpointDescription'), d.endpointDescription);
  resources(b, n, dct('conformsTo'), d.conformsTo, `${NS.dct}Standard`);
  serviceProtocols(b, n, d);
  terms(b, n, dcat('servesDataset'), d.servesDataset);
  b.node(n, dct('license'), d.license, `${NS.dct}LicenseDocument`);
  b.node(n, dct('accessRights'), d.accessRights, `${NS.dct}RightsStatement`);
  for (const [lang, words] of Object.entries(d.keywords ?? {})) for (const w of words) b.add(n, dcat('keyword'), lang === '' ? literal(w) : literal(w, lang));
  terms(b, n, dcat('theme'), d.themes);
  b.url(n, dcat('landingPage'), d.landingPage);
  terms(b, n, foaf('page'), d.documentation);
  terms(b, n, ns('dcatap', 'hvdCategory'), d.hvdCategory);
  terms(b, n, ns('dcatap', 'applicableLegislation'), d.applicableLegislation);
  if (d.type) b.add(n, dct('type'), term(d.type));
}

/**
 * What makes a record a `dcat:DataService` (GeoDCAT-AP): its endpoints, the standards it
 * implements, its service type, and the datasets it serves (IRIs; a reference that is not one is
 * a dataset node named by its identifier, as GeoDCAT-AP's "coupled resource" mapping writes it).
 */
function serviceProperties(b: Builder, s: Quad_Subject, svc: DataService, served: readonly string[]): void {
  for (const u of list<string>(svc.endpointUrl)) b.url(s, dcat('endpointURL'), u);
  terms(b, s, dcat('endpointDescription'), svc.endpointDescription);
  resources(b, s, dct('conformsTo'), svc.conformsTo, `${NS.dct}Standard`);
  if (svc.type) b.add(s, dct('type'), term(svc.type));
  serviceProtocols(b, s, svc);
  if (svc.type?.startsWith(SERVICE_TYPE_BASE)) b.add(s, ns('geodcatap', 'serviceType'), namedNode(svc.type));
  for (const ref of served) {
    if (isIri(ref)) {
      b.add(s, dcat('servesDataset'), namedNode(ref));
      continue;
    }
    const n = blankNode();
    b.add(s, dcat('servesDataset'), n);
    b.add(n, TYPE, dcat('Dataset'));
    b.add(n, dct('identifier'), literal(ref));
  }
}

/** INSPIRE's register of spatial data service types: such a dct:type is also geodcatap:serviceType. */
const SERVICE_TYPE_BASE = 'http://inspire.ec.europa.eu/metadata-codelist/SpatialDataServiceType/';
/** The standards of service protocols (OGC's, Atom's RFC) a data service conforms to: geodcatap:serviceProtocol too. */
const PROTOCOL_STANDARD = /^(?:https?:\/\/www\.opengeospatial\.org\/standards\/|https:\/\/www\.rfc-editor\.org\/rfc\/rfc4287$)/;

function serviceProtocols(b: Builder, s: Quad_Subject, d: Pick<DataService, 'conformsTo'>): void {
  for (const c of d.conformsTo ?? []) if (c.uri !== undefined && PROTOCOL_STANDARD.test(c.uri)) b.add(s, ns('geodcatap', 'serviceProtocol'), namedNode(c.uri));
}

/**
 * The GeoDCAT-AP properties of the responsible parties by role: each party as a
 * prov:qualifiedAttribution with dcat:hadRole, and, for the roles GeoDCAT-AP gives a property of
 * its own, that property too (publisher, point of contact and author are dct:publisher,
 * dcat:contactPoint and dct:creator, written from the canonical fields).
 */
const ROLE_PROPERTY: Readonly<Record<string, string>> = {
  owner: `${NS.dct}rightsHolder`,
  custodian: `${NS.geodcatap}custodian`,
  resourceProvider: `${NS.geodcatap}resourceProvider`,
  user: `${NS.geodcatap}user`,
  distributor: `${NS.geodcatap}distributor`,
  originator: `${NS.geodcatap}originator`,
  principalInvestigator: `${NS.geodcatap}principalInvestigator`,
  processor: `${NS.geodcatap}processor`,
};
const ROLE_BASE = 'http://inspire.ec.europa.eu/metadata-codelist/ResponsiblePartyRole/';

function responsibleParties(b: Builder, s: Quad_Subject, parties: readonly ResponsibleParty[], direct: boolean): void {
  for (const p of parties) {
    const a = blankNode();
    b.add(s, ns('prov', 'qualifiedAttribution'), a);
    b.add(a, TYPE, ns('prov', 'Attribution'));
    const who = agent(b, p.agent);
    b.add(who, TYPE, ns('prov', 'Agent'));
    b.add(a, ns('prov', 'agent'), who);
    b.add(a, dcat('hadRole'), term(p.role));
    const property = p.role.startsWith(ROLE_BASE) ? ROLE_PROPERTY[p.role.slice(ROLE_BASE.length)] : undefined;
    if (direct && property !== undefined) b.add(s, namedNode(property), agent(b, p.agent));
  }
}

/** A spatial resolution as GeoDCAT-AP writes it: a dqv:QualityMeasurement (scale as 1/denominator, or distance), and as text. */
function spatialResolution(b: Builder, s: Quad_Subject, r: SpatialResolution): void {
  const m = blankNode();
  b.add(s, ns('dqv', 'hasQualityMeasurement'), m);
  b.add(m, TYPE, ns('dqv', 'QualityMeasurement'));
  if ('scale' in r) {
    b.add(m, ns('dqv', 'isMeasurementOf'), ns('geodcatap', 'spatialResolutionAsScale'));
    b.add(m, ns('dqv', 'value'), literal(decimalText(1 / r.scale), xsd('decimal')));
    b.add(s, ns('geodcatap', 'spatialResolutionAsText'), literal(`1:${r.scale}`));
    return;
  }
  b.add(m, ns('dqv', 'isMeasurementOf'), ns('geodcatap', 'spatialResolutionAsDistance'));
  b.add(m, ns('dqv', 'value'), literal(decimalText(r.distance), xsd('decimal')));
  if (r.unit !== undefined) b.add(m, ns('sdmx-attribute', 'unitMeasure'), term(r.unit));
  b.add(s, ns('geodcatap', 'spatialResolutionAsText'), literal(r.unit === undefined ? String(r.distance) : `${r.distance} ${r.unit}`));
}

/**
 * A conformity test as GeoDCAT-AP writes it (prov:wasUsedBy): the testing activity used the
 * resource, following a plan derived from the specification, and generated a result of the
 * degree of conformity, with its explanation.
 */
function conformity(b: Builder, s: Quad_Subject, c: Conformity): void {
  const activity = blankNode();
  b.add(s, ns('prov', 'wasUsedBy'), activity);
  b.add(activity, TYPE, ns('prov', 'Activity'));
  b.add(activity, ns('prov', 'used'), s);
  const result = blankNode();
  b.add(activity, ns('prov', 'generated'), result);
  b.add(result, TYPE, ns('prov', 'Entity'));
  b.add(result, dct('type'), term(c.degree));
  b.langs(result, dct('description'), c.explanation);
  const association = blankNode();
  b.add(activity, ns('prov', 'qualifiedAssociation'), association);
  b.add(association, TYPE, ns('prov', 'Association'));
  const plan = blankNode();
  b.add(association, ns('prov', 'hadPlan'), plan);
  b.add(plan, TYPE, ns('prov', 'Plan'));
  const spec = c.specification.uri && isIri(c.specification.uri) ? namedNode(c.specification.uri) : blankNode();
  b.add(plan, ns('prov', 'wasDerivedFrom'), spec);
  b.add(spec, TYPE, dct('Standard'));
  b.langs(spec, dct('title'), c.specification.label);
  b.date(spec, dct('issued'), c.specificationDate);
}

/** A reference system (geodcatap:referenceSystem): a dct:Standard of INSPIRE's type "spatial reference system" when it is an IRI, else a labelled one. */
function referenceSystem(b: Builder, s: Quad_Subject, rs: string): void {
  if (!isIri(rs)) return b.node(s, ns('geodcatap', 'referenceSystem'), rs, `${NS.dct}Standard`);
  const n = namedNode(rs);
  b.add(s, ns('geodcatap', 'referenceSystem'), n);
  b.add(n, TYPE, dct('Standard'));
  if (rs.startsWith('http://www.opengis.net/def/crs/')) b.add(n, dct('type'), namedNode('http://inspire.ec.europa.eu/glossary/SpatialReferenceSystem'));
}

/** The GeoDCAT-AP (extended profile) properties of geographic metadata (ISO 19139 records), see docs/sources-csw.md. */
function geoDcatProperties(b: Builder, s: Quad_Subject, r: ExportDataset['record']): void {
  b.date(s, dct('created'), r.created);
  if (r.resourceType) b.add(s, ns('geodcatap', 'resourceType'), term(r.resourceType));
  terms(b, s, ns('geodcatap', 'topicCategory'), r.topicCategory);
  for (const rs of r.referenceSystem ?? []) referenceSystem(b, s, rs);
  for (const res of r.spatialResolution ?? []) spatialResolution(b, s, res);
  responsibleParties(b, s, r.responsibleParty ?? [], true);
  for (const c of r.conformity ?? []) conformity(b, s, c);
  terms(b, s, ns('geodcatap', 'serviceCategory'), r.serviceCategory);
  b.langs(s, ns('geodcatap', 'purpose'), r.purpose);
}

/**
 * The catalogue record: a node pointing at the dataset (foaf:primaryTopic), exported with it.
 * `sourceMetadataUrl`: where the API serves the source's own metadata (the kept ISO 19139 XML),
 * the record's dct:source (GeoDCAT-AP: the source metadata record, with its date and encoding).
 */
function catalogRecord(b: Builder, dataset: Quad_Subject, r: CatalogRecord, sourceMetadataUrl?: string): void {
  const n = r.uri && isIri(r.uri) ? namedNode(r.uri) : blankNode();
  b.add(n, TYPE, dcat('CatalogRecord'));
  b.add(n, foaf('primaryTopic'), dataset);
  // Both ways, as GeoDCAT-AP writes it (a reader following the dataset finds its record).
  b.add(dataset, foaf('isPrimaryTopicOf'), n);
  b.langs(n, dct('title'), r.title);
  b.langs(n, dct('description'), r.description);
  b.date(n, dct('issued'), r.issued);
  b.date(n, dct('modified'), r.modified);
  if (r.status) b.add(n, ns('adms', 'status'), term(r.status));
  resources(b, n, dct('conformsTo'), r.conformsTo, `${NS.dct}Standard`);
  for (const l of r.language ?? []) b.node(n, dct('language'), l, `${NS.dct}LinguisticSystem`);
  if (r.source) b.add(n, dct('source'), term(r.source));
  if (r.identifier) b.add(n, dct('identifier'), literal(r.identifier));
  if (r.contactPoint) b.add(n, dcat('contactPoint'), contactPoint(b, r.contactPoint));
  responsibleParties(b, n, r.responsibleParty ?? [], false);
  if (sourceMetadataUrl === undefined && r.characterEncoding === undefined) return;
  const src = sourceMetadataUrl !== undefined && isIri(sourceMetadataUrl) ? namedNode(sourceMetadataUrl) : blankNode();
  b.add(n, dct('source'), src);
  b.add(src, TYPE, dcat('CatalogRecord'));
  // The source's record is about the same dataset (DCAT-AP: a catalogue record has its primary topic).
  b.add(src, foaf('primaryTopic'), dataset);
  if (sourceMetadataUrl !== undefined) b.add(src, dct('format'), namedNode('https://www.iana.org/assignments/media-types/application/xml'));
  // The source record's date is an xsd:date (GeoDCAT-AP, as SEMIC's reference output writes it): the day of the metadata's date stamp.
  b.date(src, dct('modified'), r.modified?.slice(0, 10));
  if (r.characterEncoding) b.add(src, ns('cnt', 'characterEncoding'), literal(r.characterEncoding, xsd('string')));
}

/** A number as xsd:decimal's lexical form. */
const decimal = (n: number) => literal(Number.isInteger(n) ? `${n}.0` : String(n), xsd('decimal'));

/** xsd:decimal's lexical form of any number, small ones included (String(1e-7) is "1e-7", not a decimal). */
function decimalText(n: number): string {
  if (Number.isInteger(n)) return `${n}.0`;
  const s = String(n);
  return /e/i.test(s) ? n.toFixed(20).replace(/0+$/, '') : s;
}

/** A URL without its query and fragment, to compare a distribution's access URL with a service's endpoint. */
function endpointKey(url: string): string | undefined {
  if (!URL.canParse(url)) return undefined;
  const u = new URL(url);
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}`.toLowerCase();
}

/** The services whose endpoint a distribution is accessed at (its access URL, download URL or its own access services' endpoints). */
function servicesOf(d: Distribution, servedBy: readonly ServedBy[]): ServedBy[] {
  const urls = [d.accessUrl, d.downloadUrl, ...(d.accessService ?? []).flatMap((a) => a.endpointUrl ?? [])].filter((u): u is string => typeof u === 'string');
  const keys = new Set(urls.map(endpointKey));
  return servedBy.filter((svc) => svc.endpointUrl.some((e) => keys.has(endpointKey(e))));
}

/** What GeoDCAT-AP says of every distribution of a geographic resource: its data's character encoding and spatial representation. */
interface ResourceLevel {
  characterEncoding?: string;
  representationTechnique?: readonly string[];
}

function distribution(b: Builder, s: Quad_Subject, d: Distribution, servedBy: readonly ServedBy[] = [], geographic: ResourceLevel = {}): void {
  const n = d.uri && isIri(d.uri) ? namedNode(d.uri) : blankNode();
  b.add(s, dcat('distribution'), n);
  b.add(n, TYPE, dcat('Distribution'));
  b.langs(n, dct('title'), d.title);
  b.langs(n, dct('description'), d.description);
  b.url(n, dcat('accessURL'), d.accessUrl);
  b.url(n, dcat('downloadURL'), d.downloadUrl);
  b.node(n, dct('format'), d.format, `${NS.dct}MediaTypeOrExtent`);
  if (d.mediaType) b.node(n, dcat('mediaType'), `https://www.iana.org/assignments/media-types/${d.mediaType}`, `${NS.dct}MediaType`);
  // The licence with its text when the source described it: the same node the adapter read `license` from.
  if (d.licenseDocument && d.licenseDocument.uri === d.license) resource(b, n, dct('license'), d.licenseDocument, `${NS.dct}LicenseDocument`);
  else b.node(n, dct('license'), d.license, `${NS.dct}LicenseDocument`);
  if (typeof d.byteSize === 'number') b.add(n, dcat('byteSize'), literal(String(d.byteSize), xsd('nonNegativeInteger')));
  b.date(n, dct('issued'), d.issued);
  b.date(n, dct('modified'), d.modified);
  resources(b, n, dct('rights'), d.rights, `${NS.dct}RightsStatement`);
  b.langs(n, ns('dcatde', 'licenseAttributionByText'), d.attributionText);
  for (const l of d.language ?? []) b.node(n, dct('language'), l, `${NS.dct}LinguisticSystem`);
  if (d.identifier) b.add(n, dct('identifier'), literal(d.identifier));
  terms(b, n, foaf('page'), d.documentation);
  if (d.checksum) {
    const c = blankNode();
    b.add(n, ns('spdx', 'checksum'), c);
    b.add(c, TYPE, ns('spdx', 'Checksum'));
    b.add(c, ns('spdx', 'algorithm'), term(d.checksum.algorithm));
    b.add(c, ns('spdx', 'checksumValue'), literal(d.checksum.value, xsd('hexBinary')));
  }
  for (const svc of d.accessService ?? []) dataService(b, n, svc);
  // GeoDCAT-AP: a distribution served by a data service of the catalogue points at it.
  for (const svc of servicesOf(d, servedBy)) b.add(n, dcat('accessService'), namedNode(svc.iri));
  if (d.availability) b.add(n, ns('dcatap', 'availability'), term(d.availability));
  if (d.status) b.add(n, ns('adms', 'status'), term(d.status));
  resources(b, n, dct('conformsTo'), d.conformsTo, `${NS.dct}Standard`);
  if (d.compressFormat) b.add(n, dcat('compressFormat'), term(d.compressFormat));
  if (d.packageFormat) b.add(n, dcat('packageFormat'), term(d.packageFormat));
  if (typeof d.spatialResolutionInMeters === 'number') b.add(n, dcat('spatialResolutionInMeters'), decimal(d.spatialResolutionInMeters));
  if (d.temporalResolution) b.add(n, dcat('temporalResolution'), literal(d.temporalResolution, xsd('duration')));
  terms(b, n, ns('odrl', 'hasPolicy'), d.hasPolicy);
  terms(b, n, ns('dcatap', 'applicableLegislation'), d.applicableLegislation);
  b.node(n, dct('accessRights'), d.accessRights, `${NS.dct}RightsStatement`);
  // GeoDCAT-AP: the resource's character encoding and spatial representation are its distributions'.
  if (geographic.characterEncoding) b.add(n, ns('cnt', 'characterEncoding'), literal(geographic.characterEncoding, xsd('string')));
  terms(b, n, ns('adms', 'representationTechnique'), geographic.representationTechnique ? [...geographic.representationTechnique] : undefined);
}

const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

/**
 * The triples of one dataset. Its publisher is the one the source named, else the Hasad
 * organisation that published it there; `dct:source` points at the feed it was harvested from.
 */
export function datasetQuads(d: ExportDataset, baseUrl: string): Quad[] {
  const b = new Builder();
  const r = d.record;
  const s = namedNode(datasetIri(d, baseUrl));
  const service = r.dataService && typeof r.dataService === 'object' ? r.dataService : undefined;
  b.add(s, TYPE, service !== undefined ? dcat('DataService') : r.isSeries === true ? dcat('DatasetSeries') : dcat('Dataset'));
  if (typeof r.identifier === 'string') b.add(s, dct('identifier'), literal(r.identifier));
  b.langs(s, dct('title'), r.title);
  b.langs(s, dct('description'), r.description);
  for (const [lang, words] of Object.entries(r.keywords ?? {})) for (const w of list<string>(words)) b.add(s, dcat('keyword'), lang === '' ? literal(w) : literal(w, lang));
  for (const t of list<string>(r.themes)) b.add(s, dcat('theme'), isIri(t) ? namedNode(t) : literal(t));
  const publisher = r.publisher && typeof r.publisher === 'object' ? r.publisher : { name: { '': d.organizationName } };
  b.add(s, dct('publisher'), agent(b, publisher));
  if (r.contactPoint && typeof r.contactPoint === 'object') b.add(s, dcat('contactPoint'), contactPoint(b, r.contactPoint));
  for (const page of Array.isArray(r.landingPages) ? r.landingPages : [r.landingPage]) b.url(s, dcat('landingPage'), page);
  b.date(s, dct('issued'), r.issued);
  b.date(s, dct('modified'), r.modified);
  if (r.licenseDocument && r.licenseDocument.uri === r.license) resource(b, s, dct('license'), r.licenseDocument, `${NS.dct}LicenseDocument`);
  else b.node(s, dct('license'), r.license, `${NS.dct}LicenseDocument`);
  // The statement carries the text in every language; `accessRights` is its IRI or one of those texts.
  if (r.accessRightsStatement) resource(b, s, dct('accessRights'), r.accessRightsStatement, `${NS.dct}RightsStatement`);
  else b.node(s, dct('accessRights'), r.accessRights, `${NS.dct}RightsStatement`);
  b.node(s, dct('accrualPeriodicity'), r.accrualPeriodicity, `${NS.dct}Frequency`);
  for (const l of list<string>(r.language)) b.node(s, dct('language'), l, `${NS.dct}LinguisticSystem`);
  spatialAll(b, s, list<string>(r.spatial), list<Location>(r.locations));
  for (const t of list<PeriodOfTime>(r.temporal)) temporal(b, s, t);
  if (service !== undefined) serviceProperties(b, s, service, d.servesDataset ?? service.servesDataset ?? []);
  else {
    const servedBy = d.servedBy ?? [];
    const dists = list<Distribution>(r.distributions);
    const geographic: ResourceLevel = {
      ...(typeof r.characterEncoding === 'string' && { characterEncoding: r.characterEncoding }),
      ...(Array.isArray(r.representationTechnique) && { representationTechnique: r.representationTechnique }),
    };
    for (const dist of dists) distribution(b, s, dist, servedBy, geographic);
    // A service serving the dataset at an endpoint none of its distributions gives: a distribution of its own.
    for (const svc of servedBy) {
      if (svc.endpointUrl.length === 0 || dists.some((dist) => servicesOf(dist, [svc]).length > 0)) continue;
      distribution(b, s, { accessUrl: svc.endpointUrl[0] as string }, [svc], geographic);
    }
  }
  datasetExtras(b, s, r, d.sourceMetadataUrl);
  geoDcatProperties(b, s, r);
  if (isIri(d.sourceUrl)) b.add(s, dct('source'), namedNode(d.sourceUrl));
  return b.quads;
}

/** The DCAT-AP 3.0.1 optional properties, written the way the DCAT adapter reads them back. */
function datasetExtras(b: Builder, s: Quad_Subject, r: ExportDataset['record'], sourceMetadataUrl?: string): void {
  terms(b, s, dcat('inSeries'), r.inSeries);
  if (r.version) b.add(s, dcat('version'), literal(r.version));
  b.langs(s, ns('adms', 'versionNotes'), r.versionNotes);
  b.langs(s, dct('abstract'), r.abstract);
  if (r.type) b.add(s, dct('type'), term(r.type));
  resources(b, s, dct('conformsTo'), r.conformsTo, `${NS.dct}Standard`);
  terms(b, s, dct('relation'), r.relation);
  for (const q of r.qualifiedRelation ?? []) {
    const n = blankNode();
    b.add(s, dcat('qualifiedRelation'), n);
    b.add(n, TYPE, dcat('Relationship'));
    b.add(n, dct('relation'), term(q.relation));
    if (q.role) b.add(n, dcat('hadRole'), term(q.role));
  }
  resources(b, s, dct('provenance'), r.provenance, `${NS.dct}ProvenanceStatement`);
  for (const a of r.creator ?? []) b.add(s, dct('creator'), agent(b, a));
  for (const id of r.otherIdentifier ?? []) identifierNode(b, s, id);
  resources(b, s, dct('rights'), r.rights, `${NS.dct}RightsStatement`);
  b.langs(s, ns('dcatde', 'licenseAttributionByText'), r.attributionText);
  terms(b, s, foaf('page'), r.documentation);
  terms(b, s, dcat('hasVersion'), r.hasVersion);
  terms(b, s, dcat('isVersionOf'), r.isVersionOf);
  terms(b, s, dct('isReferencedBy'), r.isReferencedBy);
  terms(b, s, dct('hasPart'), r.hasPart);
  terms(b, s, dct('isPartOf'), r.isPartOf);
  terms(b, s, ns('adms', 'sample'), r.sample);
  terms(b, s, ns('prov', 'wasGeneratedBy'), r.wasGeneratedBy);
  for (const q of r.qualifiedAttribution ?? []) {
    const n = blankNode();
    b.add(s, ns('prov', 'qualifiedAttribution'), n);
    b.add(n, TYPE, ns('prov', 'Attribution'));
    b.add(n, ns('prov', 'agent'), term(q.agent));
    if (q.role) b.add(n, dcat('hadRole'), term(q.role));
  }
  terms(b, s, ns('dcatap', 'applicableLegislation'), r.applicableLegislation);
  terms(b, s, ns('dcatap', 'hvdCategory'), r.hvdCategory);
  if (typeof r.spatialResolutionInMeters === 'number') b.add(s, dcat('spatialResolutionInMeters'), decimal(r.spatialResolutionInMeters));
  if (r.temporalResolution) b.add(s, dcat('temporalResolution'), literal(r.temporalResolution, xsd('duration')));
  if (r.first) b.add(s, dcat('first'), term(r.first));
  if (r.last) b.add(s, dcat('last'), term(r.last));
  if (r.prev) b.add(s, dcat('prev'), term(r.prev));
  if (r.catalogRecord || sourceMetadataUrl !== undefined) catalogRecord(b, s, r.catalogRecord ?? {}, sourceMetadataUrl);
}

export interface CatalogPage {
  /** The URL this page was asked for, as the client sent it: the Hydra view's IRI. */
  pageUrl: string;
  /** The same URL with `page=n`. */
  pageUrlOf: (n: number) => string;
  page: number;
  lastPage: number;
  total: number;
}

/** The catalogue node (DCAT-AP mandatory title, description, publisher) and the page's Hydra view. */
export function catalogQuads(baseUrl: string, datasetIris: string[], paging: CatalogPage, serviceIris: string[] = []): Quad[] {
  const b = new Builder();
  const cat = namedNode(`${baseUrl}/catalog`);
  b.add(cat, TYPE, dcat('Catalog'));
  b.add(cat, TYPE, hydra('Collection'));
  b.langs(cat, dct('title'), { fr: 'Hasad — catalogue national des données ouvertes', ar: 'حصاد — الفهرس الوطني للبيانات المفتوحة', en: 'Hasad — national open data catalogue' });
  b.langs(cat, dct('description'), {
    fr: 'Les jeux de données des institutions publiques, moissonnés et unifiés par Hasad.',
    ar: 'مجموعات بيانات المؤسسات العمومية، يجمعها ويوحدها حصاد.',
    en: 'The datasets of public institutions, harvested and unified by Hasad.',
  });
  const publisher = namedNode(`${baseUrl}/#publisher`);
  b.add(cat, dct('publisher'), publisher);
  b.add(publisher, TYPE, foaf('Agent'));
  b.add(publisher, foaf('name'), literal('Hasad'));
  b.add(cat, foaf('homepage'), namedNode(`${baseUrl}/`));
  b.add(cat, hydra('totalItems'), literal(String(paging.total), xsd('nonNegativeInteger')));
  for (const iri of datasetIris) b.add(cat, dcat('dataset'), namedNode(iri));
  for (const iri of serviceIris) b.add(cat, dcat('service'), namedNode(iri));
  // The view is this page, always with its page number: never the collection's own IRI (a bare
  // /catalog request would otherwise type the catalogue itself as its view).
  const view = namedNode(paging.pageUrlOf(paging.page));
  b.add(cat, hydra('view'), view);
  b.add(view, TYPE, hydra('PartialCollectionView'));
  b.add(view, hydra('first'), namedNode(paging.pageUrlOf(1)));
  b.add(view, hydra('last'), namedNode(paging.pageUrlOf(paging.lastPage)));
  if (paging.page > 1) b.add(view, hydra('previous'), namedNode(paging.pageUrlOf(Math.min(paging.page - 1, paging.lastPage))));
  if (paging.page < paging.lastPage) b.add(view, hydra('next'), namedNode(paging.pageUrlOf(paging.page + 1)));
  return b.quads;
}

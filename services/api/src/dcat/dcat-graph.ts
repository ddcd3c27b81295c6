import { DataFactory, type Quad, type Quad_Object, type Quad_Subject } from 'n3';
import type { Agent, CanonicalDataset, ContactPoint, Distribution, LangMap, PeriodOfTime } from '@hasad/core';

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
} as const;

const rdf = (l: string) => namedNode(`${NS.rdf}${l}`);
const rdfs = (l: string) => namedNode(`${NS.rdfs}${l}`);
const dcat = (l: string) => namedNode(`${NS.dcat}${l}`);
const dct = (l: string) => namedNode(`${NS.dct}${l}`);
const foaf = (l: string) => namedNode(`${NS.foaf}${l}`);
const vcard = (l: string) => namedNode(`${NS.vcard}${l}`);
const hydra = (l: string) => namedNode(`${NS.hydra}${l}`);
const xsd = (l: string) => namedNode(`${NS.xsd}${l}`);
const TYPE = rdf('type');

/** A dataset as the export needs it: the stored record and what Hasad knows around it. */
export interface ExportDataset {
  id: string;
  uri: string | null;
  record: Partial<CanonicalDataset> & Record<string, unknown>;
  organizationName: string;
  /** The feed the dataset was harvested from (credentials already removed). */
  sourceUrl: string;
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
}

function distribution(b: Builder, s: Quad_Subject, d: Distribution): void {
  const n = d.uri && isIri(d.uri) ? namedNode(d.uri) : blankNode();
  b.add(s, dcat('distribution'), n);
  b.add(n, TYPE, dcat('Distribution'));
  b.langs(n, dct('title'), d.title);
  b.langs(n, dct('description'), d.description);
  b.url(n, dcat('accessURL'), d.accessUrl);
  b.url(n, dcat('downloadURL'), d.downloadUrl);
  b.node(n, dct('format'), d.format, `${NS.dct}MediaTypeOrExtent`);
  if (d.mediaType) b.node(n, dcat('mediaType'), `https://www.iana.org/assignments/media-types/${d.mediaType}`, `${NS.dct}MediaType`);
  b.node(n, dct('license'), d.license, `${NS.dct}LicenseDocument`);
  if (typeof d.byteSize === 'number') b.add(n, dcat('byteSize'), literal(String(d.byteSize), xsd('nonNegativeInteger')));
  b.date(n, dct('issued'), d.issued);
  b.date(n, dct('modified'), d.modified);
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
  b.add(s, TYPE, dcat('Dataset'));
  if (typeof r.identifier === 'string') b.add(s, dct('identifier'), literal(r.identifier));
  b.langs(s, dct('title'), r.title);
  b.langs(s, dct('description'), r.description);
  for (const [lang, words] of Object.entries(r.keywords ?? {})) for (const w of list<string>(words)) b.add(s, dcat('keyword'), lang === '' ? literal(w) : literal(w, lang));
  for (const t of list<string>(r.themes)) b.add(s, dcat('theme'), isIri(t) ? namedNode(t) : literal(t));
  const publisher = r.publisher && typeof r.publisher === 'object' ? r.publisher : { name: { '': d.organizationName } };
  b.add(s, dct('publisher'), agent(b, publisher));
  if (r.contactPoint && typeof r.contactPoint === 'object') b.add(s, dcat('contactPoint'), contactPoint(b, r.contactPoint));
  b.url(s, dcat('landingPage'), r.landingPage);
  b.date(s, dct('issued'), r.issued);
  b.date(s, dct('modified'), r.modified);
  b.node(s, dct('license'), r.license, `${NS.dct}LicenseDocument`);
  b.node(s, dct('accessRights'), r.accessRights, `${NS.dct}RightsStatement`);
  b.node(s, dct('accrualPeriodicity'), r.accrualPeriodicity, `${NS.dct}Frequency`);
  for (const l of list<string>(r.language)) b.node(s, dct('language'), l, `${NS.dct}LinguisticSystem`);
  for (const sp of list<string>(r.spatial)) spatial(b, s, sp);
  for (const t of list<PeriodOfTime>(r.temporal)) temporal(b, s, t);
  for (const dist of list<Distribution>(r.distributions)) distribution(b, s, dist);
  if (isIri(d.sourceUrl)) b.add(s, dct('source'), namedNode(d.sourceUrl));
  return b.quads;
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
export function catalogQuads(baseUrl: string, datasetIris: string[], paging: CatalogPage): Quad[] {
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
  const view = namedNode(paging.pageUrl);
  b.add(cat, hydra('view'), view);
  b.add(view, TYPE, hydra('PartialCollectionView'));
  b.add(view, hydra('first'), namedNode(paging.pageUrlOf(1)));
  b.add(view, hydra('last'), namedNode(paging.pageUrlOf(paging.lastPage)));
  if (paging.page > 1) b.add(view, hydra('previous'), namedNode(paging.pageUrlOf(Math.min(paging.page - 1, paging.lastPage))));
  if (paging.page < paging.lastPage) b.add(view, hydra('next'), namedNode(paging.pageUrlOf(paging.page + 1)));
  return b.quads;
}

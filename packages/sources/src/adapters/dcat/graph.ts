import type * as RDF from '@rdfjs/types';
import { PageTriples } from './describe.ts';

/**
 * A compact, subject-grouped view of one page's triples, holding only what the mapper reads.
 *
 * Why not an N3.Store: a page can be a whole 100 000-dataset catalogue (~2-4 M triples), and the
 * mapper only ever asks "objects of (subject, predicate)". Indexing all three positions would
 * triple the memory for lookups we never do. Here predicates we do not map are dropped at parse
 * time and the kept triples sit in columns (subject id, predicate code, encoded object), grouped
 * by subject with one counting sort once the page is parsed. Measured on a 100 000-dataset page,
 * one small object per triple plus per-subject arrays cost over twice the memory.
 */

const DCT = 'http://purl.org/dc/terms/';
const DCAT = 'http://www.w3.org/ns/dcat#';
const FOAF = 'http://xmlns.com/foaf/0.1/';
const VCARD = 'http://www.w3.org/2006/vcard/ns#';
const HYDRA = 'http://www.w3.org/ns/hydra/core#';
const RDFNS = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';
const RDFS = 'http://www.w3.org/2000/01/rdf-schema#';
const SKOS = 'http://www.w3.org/2004/02/skos/core#';
const LOCN = 'http://www.w3.org/ns/locn#';
const TIME = 'http://www.w3.org/2006/time#';
export const XSD = 'http://www.w3.org/2001/XMLSchema#';
const OWL = 'http://www.w3.org/2002/07/owl#';
const ADMS = 'http://www.w3.org/ns/adms#';
const PROV = 'http://www.w3.org/ns/prov#';
const SPDX = 'http://spdx.org/rdf/terms#';
const DCATAP = 'http://data.europa.eu/r5r/';
const DCATDE = 'http://dcat-ap.de/def/dcatde/';
const GSP = 'http://www.opengis.net/ont/geosparql#';
const ODRL = 'http://www.w3.org/ns/odrl/2/';
const ODRS = 'http://schema.theodi.org/odrs#';

/**
 * Predicate codes: small integers so each kept triple costs one small-integer array slot for its
 * predicate. A const object rather than an enum so the file also runs under plain type stripping.
 */
export const P = {
  identifier: 0,
  title: 1,
  description: 2,
  keyword: 3,
  theme: 4,
  publisher: 5,
  contactPoint: 6,
  landingPage: 7,
  page: 8,
  issued: 9,
  modified: 10,
  license: 11,
  accessRights: 12,
  spatial: 13,
  temporal: 14,
  accrualPeriodicity: 15,
  language: 16,
  distribution: 17,
  accessURL: 18,
  downloadURL: 19,
  format: 20,
  mediaType: 21,
  byteSize: 22,
  foafName: 23,
  vcardFn: 24,
  mbox: 25,
  homepage: 26,
  dctType: 27,
  hasEmail: 28,
  hasURL: 29,
  hasTelephone: 30,
  hasValue: 31,
  label: 32,
  value: 33,
  prefLabel: 34,
  geometry: 35,
  bbox: 36,
  centroid: 37,
  startDate: 38,
  endDate: 39,
  hasBeginning: 40,
  hasEnd: 41,
  inXSDDate: 42,
  inXSDDateTime: 43,
  hydraNext: 44,
  hydraNextPage: 45,
  comment: 46,
  // DCAT-AP 3.0.1 optional properties (record-fields).
  version: 47,
  versionInfo: 48,
  versionNotes: 49,
  abstract: 50,
  conformsTo: 51,
  relation: 52,
  qualifiedRelation: 53,
  hadRole: 54,
  provenance: 55,
  creator: 56,
  admsIdentifier: 57,
  notation: 58,
  schemaAgency: 59,
  rights: 60,
  attributionByText: 61,
  inSeries: 62,
  checksum: 63,
  algorithm: 64,
  checksumValue: 65,
  accessService: 66,
  endpointURL: 67,
  endpointDescription: 68,
  servesDataset: 69,
  availability: 70,
  admsStatus: 71,
  asWKT: 72,
  asGML: 73,
  asGeoJSON: 74,
  adminUnitL1: 75,
  adminUnitL2: 76,
  address: 77,
  geographicName: 78,
  inScheme: 79,
  hasVersion: 80,
  isVersionOf: 81,
  isReferencedBy: 82,
  hasPart: 83,
  isPartOf: 84,
  sample: 85,
  wasGeneratedBy: 86,
  applicableLegislation: 87,
  hvdCategory: 88,
  spatialResolution: 89,
  temporalResolution: 90,
  compressFormat: 91,
  packageFormat: 92,
  hasPolicy: 93,
  primaryTopic: 94,
  orgName: 95,
  qualifiedAttribution: 96,
  provAgent: 97,
  first: 98,
  last: 99,
  prev: 100,
  hasGeometry: 101,
  source: 102,
  odrsAttributionText: 103,
  odrsAttributionURL: 104,
  odrsDataLicense: 105,
} as const;
export type P = (typeof P)[keyof typeof P];

const SCHEMA_HTTP = 'http://schema.org/';
const SCHEMA_HTTPS = 'https://schema.org/';

const PREDICATES = new Map<string, P>([
  [`${DCT}identifier`, P.identifier],
  [`${DCT}title`, P.title],
  [`${DCT}description`, P.description],
  [`${DCAT}keyword`, P.keyword],
  [`${DCAT}theme`, P.theme],
  [`${DCT}publisher`, P.publisher],
  [`${DCAT}contactPoint`, P.contactPoint],
  [`${DCAT}landingPage`, P.landingPage],
  [`${FOAF}page`, P.page],
  [`${DCT}issued`, P.issued],
  [`${DCT}modified`, P.modified],
  [`${DCT}license`, P.license],
  [`${DCT}accessRights`, P.accessRights],
  [`${DCT}spatial`, P.spatial],
  [`${DCT}temporal`, P.temporal],
  [`${DCT}accrualPeriodicity`, P.accrualPeriodicity],
  [`${DCT}language`, P.language],
  [`${DCAT}distribution`, P.distribution],
  [`${DCAT}accessURL`, P.accessURL],
  [`${DCAT}downloadURL`, P.downloadURL],
  [`${DCT}format`, P.format],
  [`${DCAT}mediaType`, P.mediaType],
  [`${DCAT}byteSize`, P.byteSize],
  [`${FOAF}name`, P.foafName],
  [`${VCARD}fn`, P.vcardFn],
  [`${FOAF}mbox`, P.mbox],
  [`${FOAF}homepage`, P.homepage],
  [`${DCT}type`, P.dctType],
  [`${VCARD}hasEmail`, P.hasEmail],
  [`${VCARD}hasURL`, P.hasURL],
  [`${VCARD}hasTelephone`, P.hasTelephone],
  [`${VCARD}hasValue`, P.hasValue],
  [`${RDFS}label`, P.label],
  [`${RDFS}comment`, P.comment],
  [`${RDFNS}value`, P.value],
  [`${SKOS}prefLabel`, P.prefLabel],
  [`${LOCN}geometry`, P.geometry],
  [`${DCAT}bbox`, P.bbox],
  [`${DCAT}centroid`, P.centroid],
  [`${DCAT}startDate`, P.startDate],
  [`${DCAT}endDate`, P.endDate],
  [`${SCHEMA_HTTP}startDate`, P.startDate],
  [`${SCHEMA_HTTP}endDate`, P.endDate],
  [`${SCHEMA_HTTPS}startDate`, P.startDate],
  [`${SCHEMA_HTTPS}endDate`, P.endDate],
  [`${TIME}hasBeginning`, P.hasBeginning],
  [`${TIME}hasEnd`, P.hasEnd],
  [`${TIME}inXSDDate`, P.inXSDDate],
  [`${TIME}inXSDDateTime`, P.inXSDDateTime],
  [`${TIME}inXSDDateTimeStamp`, P.inXSDDateTime],
  [`${HYDRA}next`, P.hydraNext],
  [`${HYDRA}nextPage`, P.hydraNextPage],
  [`${DCAT}version`, P.version],
  [`${OWL}versionInfo`, P.versionInfo],
  [`${ADMS}versionNotes`, P.versionNotes],
  [`${DCT}abstract`, P.abstract],
  [`${DCT}conformsTo`, P.conformsTo],
  [`${DCT}relation`, P.relation],
  [`${DCAT}qualifiedRelation`, P.qualifiedRelation],
  [`${DCAT}hadRole`, P.hadRole],
  [`${DCT}provenance`, P.provenance],
  [`${DCT}creator`, P.creator],
  [`${ADMS}identifier`, P.admsIdentifier],
  [`${SKOS}notation`, P.notation],
  [`${ADMS}schemaAgency`, P.schemaAgency],
  [`${DCT}rights`, P.rights],
  [`${DCATDE}licenseAttributionByText`, P.attributionByText],
  [`${DCAT}inSeries`, P.inSeries],
  [`${SPDX}checksum`, P.checksum],
  [`${SPDX}algorithm`, P.algorithm],
  [`${SPDX}checksumValue`, P.checksumValue],
  [`${DCAT}accessService`, P.accessService],
  [`${DCAT}endpointURL`, P.endpointURL],
  [`${DCAT}endpointDescription`, P.endpointDescription],
  [`${DCAT}servesDataset`, P.servesDataset],
  [`${DCATAP}availability`, P.availability],
  [`${ADMS}status`, P.admsStatus],
  [`${GSP}asWKT`, P.asWKT],
  [`${GSP}asGML`, P.asGML],
  [`${GSP}asGeoJSON`, P.asGeoJSON],
  [`${GSP}hasGeometry`, P.hasGeometry],
  [`${LOCN}adminUnitL1`, P.adminUnitL1],
  [`${LOCN}adminUnitL2`, P.adminUnitL2],
  [`${LOCN}address`, P.address],
  [`${LOCN}geographicName`, P.geographicName],
  [`${SKOS}inScheme`, P.inScheme],
  [`${DCAT}hasVersion`, P.hasVersion],
  [`${DCAT}isVersionOf`, P.isVersionOf],
  [`${DCT}isReferencedBy`, P.isReferencedBy],
  [`${DCT}hasPart`, P.hasPart],
  [`${DCT}isPartOf`, P.isPartOf],
  [`${ADMS}sample`, P.sample],
  [`${PROV}wasGeneratedBy`, P.wasGeneratedBy],
  [`${DCATAP}applicableLegislation`, P.applicableLegislation],
  [`${DCATAP}hvdCategory`, P.hvdCategory],
  [`${DCAT}spatialResolutionInMeters`, P.spatialResolution],
  [`${DCAT}temporalResolution`, P.temporalResolution],
  [`${DCAT}compressFormat`, P.compressFormat],
  [`${DCAT}packageFormat`, P.packageFormat],
  [`${ODRL}hasPolicy`, P.hasPolicy],
  [`${FOAF}primaryTopic`, P.primaryTopic],
  [`${VCARD}organization-name`, P.orgName],
  [`${PROV}qualifiedAttribution`, P.qualifiedAttribution],
  [`${PROV}agent`, P.provAgent],
  [`${DCAT}first`, P.first],
  [`${DCAT}last`, P.last],
  [`${DCAT}prev`, P.prev],
  [`${DCT}source`, P.source],
  [`${ODRS}attributionText`, P.odrsAttributionText],
  [`${ODRS}attributionURL`, P.odrsAttributionURL],
  [`${ODRS}dataLicense`, P.odrsDataLicense],
]);

/** The IRI of every predicate the mapper reads (coverage test: which DCAT-AP properties reach the record). */
export const MAPPED_PREDICATES: ReadonlySet<string> = new Set(PREDICATES.keys());

const RDF_TYPE = `${RDFNS}type`;
const HYDRA_NEXT = `${HYDRA}next`;
const HYDRA_NEXT_PAGE = `${HYDRA}nextPage`;
/**
 * Quads a deferred read holds at most (PageGraph's `defer`): about 4,000 datasets of a typical
 * feed, tens of MB. A larger page builds its graph as it is read, as it did before deferral, so
 * that one unpaged file of 100,000 datasets does not hold millions of quad objects.
 */
export const MAX_DEFERRED_QUADS = 100_000;

/** Bit flags for the rdf:type values the mapper cares about; other types are not kept. */
export const T_DATASET = 1;
export const T_DATASET_SERIES = 2;
export const T_COLLECTION_VIEW = 4;
export const T_PAGED_COLLECTION = 8;

const TYPES = new Map<string, number>([
  [`${DCAT}Dataset`, T_DATASET],
  [`${DCAT}DatasetSeries`, T_DATASET_SERIES],
  [`${HYDRA}PartialCollectionView`, T_COLLECTION_VIEW],
  [`${HYDRA}PagedCollection`, T_PAGED_COLLECTION],
]);

const XSD_STRING = `${XSD}string`;
const RDF_LANG_STRING = `${RDFNS}langString`;

/** A literal object. `lang` is lower-cased, "" when untagged; `datatype` omitted for plain strings. */
export class Lit {
  constructor(
    readonly value: string,
    readonly lang: string,
    readonly datatype: string | undefined,
  ) {}
}

/**
 * An object as the mapper sees it: a literal, or a node key. Node keys are the IRI itself, or
 * `_:label` for blank nodes (no absolute IRI can start with `_:`, the scheme forbids `_`).
 */
export type Obj = Lit | string;

/** True when the key names a blank node. */
export function isBlank(key: string): boolean {
  return key.charCodeAt(0) === 95 /* _ */ && key.charCodeAt(1) === 58 /* : */;
}

/** Distinct (language, datatype) pairs per page at most; literals past it lose their datatype. */
const MAX_LITERAL_KINDS = 60_000;
/** Object IRIs shared per page at most; past it IRIs are still copied, just not shared. */
const MAX_INTERNED = 100_000;

// Objects are stored as one string each, its first character saying what it is. That avoids an
// object per literal, and building the string with join() yields a flat copy: parsers hand out
// substrings of their input chunks, which V8 keeps as views that would pin every chunk (the
// whole document) in memory as long as one short value from it is kept.
const TAG_IRI = 0;
const TAG_BLANK = 1;
const TAG_LITERAL = 2;

function encode(tag: number, value: string): string {
  return [String.fromCharCode(tag), value].join('');
}

/** A copy of `s` that is not a view on a parser's input chunk (see above). */
function copyOf(s: string): string {
  return encode(0, s).slice(1);
}

/** One page's kept triples, grouped by subject in first-seen order. */
export class PageGraph {
  /** Triples read (kept or not), for reports and throughput measurement. */
  tripleCount = 0;
  /** Every triple of the page, for each dataset's kept description and the page's triples hash (describe.ts). */
  readonly triples: PageTriples;
  private readonly ids = new Map<string, number>();
  private readonly keys: string[] = [];
  private types = new Uint8Array(1024);
  private subj = new Int32Array(4096);
  private pred = new Uint8Array(4096);
  private readonly obj: string[] = [];
  private kept = 0;
  private offsets: Int32Array | undefined;
  private order: Int32Array | undefined;
  private readonly literalKinds = new Map<string, number>([['\u0000', 0]]);
  private readonly literalKindList: { lang: string; datatype: string | undefined }[] = [{ lang: '', datatype: undefined }];
  private readonly interned = new Map<string, string>();

  /**
   * A deferred read's triples, as the parser gave them, until {@link undefer} says whether the
   * page changed (see the constructor's `defer`).
   */
  private deferred: RDF.Quad[] | undefined;

  /**
   * `keepTriples: false` (measurement only) keeps no copy of the triples for kept descriptions;
   * the page's triples are still hashed.
   *
   * `defer`: the page was read before and its triples hash is known. While it is read, its triples
   * are only hashed and held as the parser gave them; {@link undefer} then builds the graph and
   * the descriptions' rows from them if the page changed, and only what finds the next page if
   * it did not. An unchanged page so costs its parsing and its hash, not the graph it would never
   * map (the graph and the rows were about a seventh of reading one in a profile; with the hash's
   * cheaper lines, 150 → 88 µs a dataset, docs/benchmarks.md). A page that changed costs about 10 %
   * more than an ordinary read, for holding its quads until its end: up to
   * {@link MAX_DEFERRED_QUADS}; past that the graph is built as the triples come, as without `defer`.
   */
  constructor(opts: { keepTriples?: boolean; defer?: boolean } = {}) {
    this.triples = new PageTriples(opts.keepTriples !== false, opts.defer === true);
    if (opts.defer === true) this.deferred = [];
  }

  /**
   * Ends a deferred read (a no-op otherwise). `changed`: the graph and the descriptions' rows are
   * built from the held triples, in their order, as if they had been added one by one; else only
   * the paging triples (hydra:next, hydra:nextPage and the types of their subjects) are.
   */
  undefer(changed: boolean): void {
    const quads = this.deferred;
    if (quads === undefined) return;
    this.deferred = undefined;
    if (changed) {
      this.triples.keepDeferredRows(quads);
      for (const q of quads) this.addToGraph(q);
      return;
    }
    this.triples.dropDeferredRows();
    for (const q of quads) {
      const p = q.predicate.value;
      if (p === RDF_TYPE || p === HYDRA_NEXT || p === HYDRA_NEXT_PAGE) this.addToGraph(q);
    }
  }

  /** The hash of the page's triples in the parser's order (PageTriples.digest), read once the page is parsed. */
  triplesHash(): string {
    return this.triples.digest();
  }

  /** Adds one RDF/JS quad (the graph component is ignored: TriG and JSON-LD named graphs merge). */
  add(q: RDF.Quad): void {
    this.tripleCount++;
    this.triples.add(q);
    if (this.deferred !== undefined) {
      this.deferred.push(q);
      if (this.deferred.length > MAX_DEFERRED_QUADS) this.undefer(true);
      return;
    }
    this.addToGraph(q);
  }

  private addToGraph(q: RDF.Quad): void {
    const s = q.subject;
    if (s.termType !== 'NamedNode' && s.termType !== 'BlankNode') return;
    const predicate = q.predicate.value;
    if (predicate === RDF_TYPE) {
      const flag = TYPES.get(q.object.value);
      if (flag !== undefined) {
        const id = this.nodeId(s.termType === 'BlankNode' ? `_:${s.value}` : s.value);
        this.types[id] = (this.types[id] ?? 0) | flag;
      }
      return;
    }
    const code = PREDICATES.get(predicate);
    if (code === undefined) return;
    const o = q.object;
    let encoded: string;
    if (o.termType === 'Literal') {
      const dt = o.datatype.value;
      encoded = encode(TAG_LITERAL + this.literalKind(o.language, dt === XSD_STRING || dt === RDF_LANG_STRING ? undefined : dt), o.value);
    } else if (o.termType === 'NamedNode') {
      encoded = this.internIri(o.value);
    } else if (o.termType === 'BlankNode') {
      encoded = encode(TAG_BLANK, `_:${o.value}`);
    } else {
      return;
    }
    if (this.offsets !== undefined) throw new Error('PageGraph.add after the graph was read');
    const id = this.nodeId(s.termType === 'BlankNode' ? `_:${s.value}` : s.value);
    const t = this.kept++;
    if (t === this.subj.length) {
      this.subj = grow(this.subj, new Int32Array(t * 2));
      this.pred = grow(this.pred, new Uint8Array(t * 2));
    }
    this.subj[t] = id;
    this.pred[t] = code;
    this.obj.push(encoded);
  }

  private literalKind(language: string, datatype: string | undefined): number {
    const lang = language.toLowerCase();
    const k = `${lang}\u0000${datatype ?? ''}`;
    let kind = this.literalKinds.get(k);
    if (kind === undefined) {
      if (this.literalKindList.length >= MAX_LITERAL_KINDS) return this.literalKind(language, undefined);
      kind = this.literalKindList.length;
      this.literalKindList.push({ lang: copyOf(lang), datatype: datatype === undefined ? undefined : copyOf(datatype) });
      this.literalKinds.set(copyOf(k), kind);
    }
    return kind;
  }

  // Object IRIs repeat a lot (themes, licences, languages, publishers): share one copy.
  private internIri(iri: string): string {
    const hit = this.interned.get(iri);
    if (hit !== undefined) return hit;
    const encoded = encode(TAG_IRI, iri);
    if (this.interned.size < MAX_INTERNED) this.interned.set(encoded.slice(1), encoded);
    return encoded;
  }

  private nodeId(key: string): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.keys.length;
      const own = copyOf(key);
      this.ids.set(own, id);
      this.keys.push(own);
      if (id === this.types.length) this.types = grow(this.types, new Uint8Array(id * 2));
    }
    return id;
  }

  /** Groups triples by subject (counting sort); done once, on first read. */
  private index(): { offsets: Int32Array; order: Int32Array } {
    if (this.deferred !== undefined) throw new Error('PageGraph read before undefer()');
    if (this.offsets !== undefined && this.order !== undefined) return { offsets: this.offsets, order: this.order };
    const n = this.keys.length;
    const offsets = new Int32Array(n + 1);
    for (let t = 0; t < this.kept; t++) (offsets[(this.subj[t] as number) + 1] as number)++;
    for (let i = 0; i < n; i++) offsets[i + 1] = (offsets[i + 1] as number) + (offsets[i] as number);
    const fill = offsets.slice(0, n);
    const order = new Int32Array(this.kept);
    for (let t = 0; t < this.kept; t++) {
      const id = this.subj[t] as number;
      order[(fill[id] as number)++] = t;
    }
    this.offsets = offsets;
    this.order = order;
    return { offsets, order };
  }

  private decode(encoded: string): Obj {
    const tag = encoded.charCodeAt(0);
    if (tag === TAG_IRI || tag === TAG_BLANK) return encoded.slice(1);
    const kind = this.literalKindList[tag - TAG_LITERAL] ?? { lang: '', datatype: undefined };
    return new Lit(encoded.slice(1), kind.lang, kind.datatype);
  }

  /** Objects of (subject, predicate), in document order. */
  objects(key: string, pred: P): Obj[] {
    const id = this.ids.get(key);
    if (id === undefined) return [];
    const { offsets, order } = this.index();
    const out: Obj[] = [];
    for (let i = offsets[id] as number, end = offsets[id + 1] as number; i < end; i++) {
      const t = order[i] as number;
      if (this.pred[t] === pred) {
        const o = this.obj[t] as string;
        if (o !== '') out.push(this.decode(o));
      }
    }
    return out;
  }

  /** The rdf:type flags (T_*) of a subject. */
  typesOf(key: string): number {
    const id = this.ids.get(key);
    return id === undefined ? 0 : (this.types[id] ?? 0);
  }

  /** Subjects typed dcat:Dataset or dcat:DatasetSeries, in first-seen order. */
  datasetKeys(): string[] {
    const out: string[] = [];
    for (let id = 0; id < this.keys.length; id++) {
      if (((this.types[id] ?? 0) & (T_DATASET | T_DATASET_SERIES)) !== 0) out.push(this.keys[id] as string);
    }
    return out;
  }

  /** Every (subject, object) pair of a predicate, in document order. */
  triplesOf(pred: P): { subject: string; object: Obj }[] {
    const out: { subject: string; object: Obj }[] = [];
    for (let t = 0; t < this.kept; t++) {
      if (this.pred[t] !== pred) continue;
      const o = this.obj[t] as string;
      if (o !== '') out.push({ subject: this.keys[this.subj[t] as number] as string, object: this.decode(o) });
    }
    return out;
  }

  private readonly reverse = new Map<P, Map<string, string[]>>();

  /** Subjects whose `pred` points at `key` (built once, on first use): the catalogue record of a dataset (foaf:primaryTopic). */
  subjectsPointingTo(key: string, pred: P): string[] {
    let index = this.reverse.get(pred);
    if (index === undefined) {
      index = new Map();
      for (const { subject, object } of this.triplesOf(pred)) {
        if (object instanceof Lit) continue;
        const list = index.get(object);
        if (list) list.push(subject);
        else index.set(object, [subject]);
      }
      this.reverse.set(pred, index);
    }
    return index.get(key) ?? [];
  }

  /** Frees a subject's values once mapped, so a big page's memory shrinks as batches go out. */
  release(key: string): void {
    const id = this.ids.get(key);
    if (id === undefined) return;
    const { offsets, order } = this.index();
    for (let i = offsets[id] as number, end = offsets[id + 1] as number; i < end; i++) this.obj[order[i] as number] = '';
  }
}

function grow<T extends Int32Array | Uint8Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

import type * as RDF from '@rdfjs/types';

/**
 * A compact, subject-grouped view of one page's triples, holding only what the mapper reads.
 *
 * Why not an N3.Store: a page can be a whole 100 000-dataset catalogue (~1.8 M triples), and the
 * mapper only ever asks "objects of (subject, predicate)". Indexing all three positions would
 * triple the memory for lookups we never do; a Map from subject to parallel predicate/object
 * arrays answers that question and drops every predicate we do not map at parse time.
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
]);

const RDF_TYPE = `${RDFNS}type`;

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
 * An object of a kept triple: a literal, or a node key. Node keys are the IRI itself, or
 * `_:label` for blank nodes (no absolute IRI can start with `_:`, the scheme forbids `_`).
 */
export type Obj = Lit | string;

export interface GraphNode {
  types: number;
  preds: P[];
  objs: Obj[];
}

/** True when the key names a blank node. */
export function isBlank(key: string): boolean {
  return key.charCodeAt(0) === 95 /* _ */ && key.charCodeAt(1) === 58 /* : */;
}

/** One page's kept triples, grouped by subject in first-seen order. */
export class PageGraph {
  readonly nodes = new Map<string, GraphNode>();
  /** Triples read (kept or not), for reports and throughput measurement. */
  tripleCount = 0;
  // Datatype IRIs and language tags repeat on every literal: share one string per distinct value.
  private readonly interned = new Map<string, string>();

  private intern(s: string): string {
    const hit = this.interned.get(s);
    if (hit !== undefined) return hit;
    this.interned.set(s, s);
    return s;
  }

  /** Adds one RDF/JS quad (the graph component is ignored: TriG and JSON-LD named graphs merge). */
  add(q: RDF.Quad): void {
    this.tripleCount++;
    const s = q.subject;
    if (s.termType !== 'NamedNode' && s.termType !== 'BlankNode') return;
    const pred = q.predicate.value;
    if (pred === RDF_TYPE) {
      const flag = TYPES.get(q.object.value);
      if (flag === undefined) return;
      this.node(s.termType === 'BlankNode' ? `_:${s.value}` : s.value).types |= flag;
      return;
    }
    const code = PREDICATES.get(pred);
    if (code === undefined) return;
    const o = q.object;
    let obj: Obj;
    if (o.termType === 'Literal') {
      const dt = o.datatype.value;
      obj = new Lit(
        o.value,
        o.language === '' ? '' : this.intern(o.language.toLowerCase()),
        dt === XSD_STRING || dt === RDF_LANG_STRING ? undefined : this.intern(dt),
      );
    } else if (o.termType === 'NamedNode') {
      obj = o.value;
    } else if (o.termType === 'BlankNode') {
      obj = `_:${o.value}`;
    } else {
      return;
    }
    const n = this.node(s.termType === 'BlankNode' ? `_:${s.value}` : s.value);
    n.preds.push(code);
    n.objs.push(obj);
  }

  private node(key: string): GraphNode {
    let n = this.nodes.get(key);
    if (n === undefined) {
      n = { types: 0, preds: [], objs: [] };
      this.nodes.set(key, n);
    }
    return n;
  }

  /** Objects of (subject, predicate), in document order. */
  objects(key: string, pred: P): Obj[] {
    const n = this.nodes.get(key);
    if (n === undefined) return [];
    const out: Obj[] = [];
    const { preds, objs } = n;
    for (let i = 0; i < preds.length; i++) if (preds[i] === pred) out.push(objs[i] as Obj);
    return out;
  }

  /** Subjects typed dcat:Dataset or dcat:DatasetSeries, in first-seen order. */
  datasetKeys(): string[] {
    const out: string[] = [];
    for (const [key, n] of this.nodes) if ((n.types & (T_DATASET | T_DATASET_SERIES)) !== 0) out.push(key);
    return out;
  }

  /** Frees a node once it has been mapped (keeps a big page's memory shrinking as batches go out). */
  release(key: string): void {
    this.nodes.delete(key);
  }
}

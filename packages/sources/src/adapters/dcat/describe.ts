import { createHash } from 'node:crypto';
import type * as RDF from '@rdfjs/types';

/**
 * Every triple of a page, kept so that each dataset's own description (its concise bounded
 * description, CBD) can be cut out of it and kept losslessly beside the canonical record.
 *
 * Why a store of its own rather than PageGraph: PageGraph keeps only the predicates the mapper
 * reads (its memory budget is built on that), while a description must keep everything a feed
 * says, national extensions included. Why not an N3.Store: it indexes all three positions and
 * keeps a term object per triple; the description only ever asks "triples of this subject", and
 * keeping each object already written as N-Triples text makes the description a join of strings.
 */

const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';
const RDF_TYPE_NT = `<${RDF_TYPE}>`;
const XSD_STRING = 'http://www.w3.org/2001/XMLSchema#string';
const RDF_LANG_STRING = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#langString';
const DCAT = 'http://www.w3.org/ns/dcat#';

/**
 * Nodes a description never enters, even when the feed describes them: other datasets (a
 * series, a dataset it relates to), catalogues and catalogue records. Each is described on its
 * own; entering them would copy a whole catalogue into each of its datasets.
 */
const STOP_TYPES = new Set([`${DCAT}Dataset`, `${DCAT}DatasetSeries`, `${DCAT}Catalog`, `${DCAT}CatalogRecord`]);

/**
 * Named nodes are followed this many hops from the dataset (dataset → distribution → data
 * service → its contact point); blank nodes always, as the CBD requires. The bound keeps a feed
 * that describes its vocabularies (a concept scheme with every concept) from putting all of it
 * into every dataset that names one theme.
 */
const MAX_NAMED_HOPS = 3;
/** Triples per description at most; past it the description is cut and the record says so. */
export const MAX_DESCRIPTION_TRIPLES = 20_000;

/** N-Triples form of an IRI: characters IRIREF does not allow are written as \u escapes. */
export function ntIri(iri: string): string {
  // Fast path: nearly every IRI needs no escape.
  // join() makes a flat copy: a template string would keep a view on the parser's input chunk.
  if (!/[\u0000-\u0020<>"{}|^`\\]/.test(iri)) return ['<', iri, '>'].join('');
  return `<${iri.replace(/[\u0000-\u0020<>"{}|^`\\]/g, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`)}>`;
}

const LITERAL_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r' };

/** N-Triples form of a literal: quotes, backslashes, line ends and other controls escaped. */
export function ntLiteral(value: string, language: string, datatype: string): string {
  const text = /["\\\u0000-\u001f\u007f]/.test(value)
    ? value.replace(/["\\\u0000-\u001f\u007f]/g, (c) => LITERAL_ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`)
    : value;
  if (language !== '') return ['"', text, '"@', language].join('');
  if (datatype === XSD_STRING || datatype === RDF_LANG_STRING || datatype === '') return ['"', text, '"'].join('');
  return ['"', text, '"^^', ntIri(datatype)].join('');
}

/** What describing a dataset gives: N-Triples text (sorted lines, canonical blank labels). */
export interface Description {
  body: string;
  triples: number;
  /** True when the description was cut at MAX_DESCRIPTION_TRIPLES. */
  truncated: boolean;
}

/** A page's triples by subject. Subjects are node keys as PageGraph names them (IRI, or `_:label`). */
export class PageTriples {
  private readonly ids = new Map<string, number>();
  /**
   * Named subjects by their N-Triples form, the string `iri()` hands out for every occurrence of the
   * IRI: an object found here is that subject, looked up by the same string (its hash computed once)
   * instead of a slice of it made for each object of each description.
   */
  private readonly ntIds = new Map<string, number>();
  private readonly keys: string[] = [];
  /** Per subject: its (predicate, object) pairs, flat, each already in N-Triples form. */
  private readonly rows: string[][] = [];
  private readonly stop: boolean[] = [];
  // Predicates and IRIs repeat a lot: one copy of each N-Triples form.
  private readonly terms = new Map<string, string>();
  /** Every triple, in the order the parser gave them, hashed (see {@link digest}). */
  private readonly hash = createHash('sha1');
  /** Triples not yet handed to the hash: one update a 64 K characters, not one a triple. */
  private pending = '';
  /**
   * Blank nodes as the hash names them: by the order they first appear in (0, 1, …), not
   * by the parser's labels, which come from counters that run on over the process's pages (N3.js
   * names `[ … ]` nodes `n3-<n>` and prefixes a page's labels with `b<n>_`).
   */
  private readonly blankOrdinals = new Map<string, number>();

  /**
   * While the page may still prove unchanged (`deferRows`): triples are hashed, no rows kept;
   * {@link keepDeferredRows} builds them from the triples PageGraph held.
   */
  private deferring: boolean;

  /**
   * `keepRows: false` (measurement only, HarvestOptions.keepSourceDescription) hashes the page's
   * triples (the unchanged-page check needs it) but keeps none for descriptions: what a harvest
   * without kept descriptions would still do. `deferRows` (PageGraph's deferred read) keeps none
   * until the page's hash has been compared: {@link keepDeferredRows} then builds them.
   */
  constructor(
    private readonly keepRows = true,
    deferRows = false,
  ) {
    this.deferring = deferRows;
  }

  add(q: RDF.Quad): void {
    const s = q.subject;
    if (s.termType !== 'NamedNode' && s.termType !== 'BlankNode') return;
    const o = q.object;
    const kind = o.termType;
    if (kind !== 'NamedNode' && kind !== 'BlankNode' && kind !== 'Literal') return;
    const p = q.predicate.value;
    const blankSubject = s.termType === 'BlankNode';
    const sv = s.value;
    // A literal's parts read once (N3.js parses them out of its id on each read), for the hash's
    // line and for the row.
    const v = o.value;
    const language = kind === 'Literal' ? (o as RDF.Literal).language : '';
    const datatype = kind === 'Literal' && language === '' ? (o as RDF.Literal).datatype.value : '';
    // The hash's line, from the terms' values as the parser gave them (not their N-Triples forms,
    // which only descriptions need, nor their UTF-8: see digest()). Terms are tagged (`<` IRI, `_`
    // blank node by ordinal, `"` literal with its length, so that no text inside a literal can
    // pass for the end of one) and separated by NUL, which an IRI never holds.
    const subject = blankSubject ? `_${this.ordinal(sv)}` : `<${sv}`;
    this.pending +=
      kind === 'NamedNode'
        ? `${subject}\u0000${p}\u0000<${v}\n`
        : kind === 'BlankNode'
          ? `${subject}\u0000${p}\u0000_${this.ordinal(v)}\n`
          : language !== ''
            ? `${subject}\u0000${p}\u0000"${v.length} ${v}@${language}\n`
            : `${subject}\u0000${p}\u0000"${v.length} ${v}^${datatype}\n`;
    if (this.pending.length >= 65_536) {
      this.hash.update(this.pending, 'utf16le');
      this.pending = '';
    }
    if (this.keepRows && !this.deferring) this.row(blankSubject, sv, p, kind, v, language, datatype);
  }

  /** Keeps one triple ({@link add} hashed it) in its subject's row, in N-Triples forms. */
  private row(blankSubject: boolean, sv: string, p: string, kind: 'NamedNode' | 'BlankNode' | 'Literal', v: string, language: string, datatype: string): void {
    const obj = kind === 'NamedNode' ? this.iri(v) : kind === 'BlankNode' ? ['_:', v].join('') : ntLiteral(v, language, datatype);
    const id = this.id(blankSubject ? ['_:', sv].join('') : sv);
    if (kind === 'NamedNode' && p === RDF_TYPE && STOP_TYPES.has(v)) this.stop[id] = true;
    (this.rows[id] as string[]).push(this.iri(p), obj);
  }

  /**
   * The page changed after all: the rows of its triples (`quads`, every one given to {@link add}
   * while deferring, in their order), grouped by subject as {@link add} would have grouped them.
   */
  keepDeferredRows(quads: readonly RDF.Quad[]): void {
    if (!this.deferring) return;
    this.deferring = false;
    if (!this.keepRows) return;
    for (const q of quads) {
      const s = q.subject;
      const o = q.object;
      const kind = o.termType;
      if ((s.termType !== 'NamedNode' && s.termType !== 'BlankNode') || (kind !== 'NamedNode' && kind !== 'BlankNode' && kind !== 'Literal')) continue;
      const language = kind === 'Literal' ? (o as RDF.Literal).language : '';
      this.row(s.termType === 'BlankNode', s.value, q.predicate.value, kind, o.value, language, kind === 'Literal' && language === '' ? (o as RDF.Literal).datatype.value : '');
    }
  }

  /** The page is unchanged: no description will be cut from it. */
  dropDeferredRows(): void {
    this.deferring = false;
  }

  /** A blank node's number in the hash: the order it first appears in. */
  private ordinal(label: string): number {
    let o = this.blankOrdinals.get(label);
    if (o === undefined) {
      o = this.blankOrdinals.size;
      this.blankOrdinals.set(label, o);
    }
    return o;
  }

  /**
   * A hash of the page's triples in the order the parser gave them, blank nodes named by the order
   * they first appear in: the same for a page whose bytes differ only where no triple is (comments,
   * spaces, prefixes, blank node labels, a syntax that gives the triples in the same order), another
   * for anything else (a triple changed, added, removed or moved). Once, at the end of the page.
   *
   * The lines are hashed as UTF-16 (the strings' own code units), not UTF-8: a page with Arabic
   * text is held in two-byte strings, which Node encodes to UTF-8 at about 400 M characters a
   * second, against about 800 M as UTF-16 (measured on Node 24, 2026-12-07). With the lines built
   * from the terms' values rather than their N-Triples forms, hashing a 1,000-dataset page went
   * from 26 to 19 µs a dataset (docs/benchmarks.md). Hashes of the earlier form (N-Triples lines,
   * UTF-8) never equal these: the first harvest after the change maps each page once more, and
   * rewrites nothing (records' own hashes do not change).
   */
  digest(): string {
    this.hash.update(this.pending, 'utf16le');
    this.pending = '';
    return this.hash.digest('base64url');
  }

  private iri(v: string): string {
    let t = this.terms.get(v);
    if (t === undefined) {
      t = ntIri(v);
      if (this.terms.size < 200_000) this.terms.set(v, t);
    }
    return t;
  }

  private id(key: string): number {
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.rows.length;
      const own = ['', key].join('');
      this.ids.set(own, id);
      if (!own.startsWith('_:')) {
        const nt = this.iri(own);
        // An IRI written with \u escapes is not followed, as before (descriptions stay as they were).
        if (!nt.includes('\\u')) this.ntIds.set(nt, id);
      }
      this.keys.push(own);
      this.rows.push([]);
      this.stop.push(false);
    }
    return id;
  }

  /** The node key a N-Triples object names, when that node is a subject of this page. */
  private subjectOf(obj: string): number | undefined {
    const c = obj.charCodeAt(0);
    // A literal is never a subject: not looked up (hashing a long text only to miss).
    if (c === 34 /* " */) return undefined;
    return c === 95 /* _ */ ? this.ids.get(obj) : this.ntIds.get(obj);
  }

  /**
   * The description of one dataset: its triples, those of every blank node reached from it, and
   * those of the named nodes of this page it points to (not other datasets, catalogues or
   * records; at most MAX_NAMED_HOPS away). Blank nodes are relabelled `_:b0`, `_:b1`, … in an
   * order fixed by content alone, and the lines sorted, so the same description is the same text
   * whatever the syntax, triple order or parser labels of the page. A blank dataset is `_:b0`.
   */
  describe(key: string): Description | undefined {
    const root = this.ids.get(key);
    if (root === undefined) return undefined;
    // 1. Which subjects the description covers. Level by level (hops over named nodes), so that
    // each node gets its fewest hops: a blank node is on its parent's level, a named one on the
    // next, and a level is done, with the blank nodes it reaches, before the next one starts.
    const seen = new Set<number>([root]);
    const covered: number[] = [];
    let level = [root];
    let triples = 0;
    let truncated = false;
    for (let h = 0; level.length > 0 && !truncated; h++) {
      const next: number[] = [];
      for (let i = 0; i < level.length; i++) {
        const id = level[i] as number;
        const row = this.rows[id] as string[];
        if (triples + row.length / 2 > MAX_DESCRIPTION_TRIPLES) {
          truncated = true;
          break;
        }
        triples += row.length / 2;
        covered.push(id);
        for (let j = 0; j < row.length; j += 2) {
          if (row[j] === RDF_TYPE_NT) continue;
          const o = row[j + 1] as string;
          const child = this.subjectOf(o);
          if (child === undefined || seen.has(child) || this.stop[child]) continue;
          if (o.startsWith('_:')) {
            seen.add(child);
            level.push(child);
          } else if (h + 1 <= MAX_NAMED_HOPS) {
            seen.add(child);
            next.push(child);
          }
        }
      }
      level = next;
    }
    // 2. Canonical blank labels: each blank node's signature is its triples with nested blank
    // nodes replaced by their own signatures; labels follow the sorted signatures. Most datasets
    // name no blank node at all: nothing of this is built for them.
    const rootKey = this.keys[root] as string;
    let labels: Map<string, string> | undefined;
    if (rootKey.startsWith('_:') || covered.some((id) => this.namesBlank(id))) labels = this.blankLabels(root, covered);
    const term = (t: string) => (labels !== undefined && t.startsWith('_:') ? (labels.get(t) as string) : t);
    // 3. The lines, sorted. Sorted here by subject, then predicate, then object, which orders them
    // as sorting the whole lines would (no term is a proper prefix of another term that could
    // follow where a space does), without building and comparing each line as one string.
    const subjects = covered.map((id) => {
      const k = this.keys[id] as string;
      return { id, s: k.startsWith('_:') ? (labels?.get(k) as string) : this.iri(k) };
    });
    subjects.sort((a, b) => (a.s < b.s ? -1 : a.s > b.s ? 1 : 0));
    const parts: string[] = [];
    for (const { id, s } of subjects) {
      const row = this.rows[id] as string[];
      const n = row.length / 2;
      // Objects as written, or relabelled where the description has blank nodes.
      let objects = row;
      if (labels !== undefined) {
        objects = row.slice();
        for (let i = 1; i < objects.length; i += 2) objects[i] = term(objects[i] as string);
      }
      const order: number[] = new Array<number>(n);
      for (let i = 0; i < n; i++) order[i] = 2 * i;
      order.sort((a, b) => {
        const pa = row[a] as string;
        const pb = row[b] as string;
        if (pa !== pb) return pa < pb ? -1 : 1;
        const oa = objects[a + 1] as string;
        const ob = objects[b + 1] as string;
        return oa < ob ? -1 : oa > ob ? 1 : 0;
      });
      let lastP: string | undefined;
      let lastO: string | undefined;
      for (const i of order) {
        const p = row[i] as string;
        const o = objects[i + 1] as string;
        // Two triples can differ only by the labels of blank nodes of equal content: one line then.
        if (p === lastP && o === lastO) continue;
        lastP = p;
        lastO = o;
        parts.push(s, ' ', p, ' ', o, ' .\n');
      }
    }
    // (A description always has a line, the dataset's type; '\n' as before for one that had none.)
    return { body: parts.length > 0 ? parts.join('') : '\n', triples, truncated };
  }

  /** Whether a covered node's triples name a blank node (as object). */
  private namesBlank(id: number): boolean {
    const row = this.rows[id] as string[];
    for (let i = 1; i < row.length; i += 2) if ((row[i] as string).charCodeAt(0) === 95 /* _ */) return true;
    return (this.keys[id] as string).startsWith('_:');
  }

  /**
   * Canonical labels (`_:b0`, `_:b1`, …) for the blank nodes of a description: the root first when
   * it is one, then the others by their sorted signatures (each blank node's triples, nested blank
   * nodes replaced by their own signatures).
   */
  private blankLabels(root: number, covered: number[]): Map<string, string> {
    const coveredSet = new Set(covered);
    const signatures = new Map<string, string>();
    const signing = new Set<string>();
    const signature = (blank: string): string => {
      const known = signatures.get(blank);
      if (known !== undefined) return known;
      const id = this.ids.get(blank);
      // A cycle of blank nodes, or a blank node outside the description: no content to tell it by.
      if (id === undefined || signing.has(blank) || !coveredSet.has(id)) return '_';
      signing.add(blank);
      const row = this.rows[id] as string[];
      const parts: string[] = [];
      for (let i = 0; i < row.length; i += 2) {
        const o = row[i + 1] as string;
        parts.push(`${row[i]} ${o.startsWith('_:') ? `[${signature(o)}]` : o}`);
      }
      signing.delete(blank);
      const sig = parts.sort().join(';');
      signatures.set(blank, sig);
      return sig;
    };
    const blanks: { key: string; sig: string }[] = [];
    const rootKey = this.keys[root] as string;
    // Every blank node the lines name: subjects covered, and objects (described on the page or not).
    const named = new Set<string>();
    const addBlank = (k: string) => {
      if (k === rootKey || named.has(k)) return;
      named.add(k);
      blanks.push({ key: k, sig: signature(k) });
    };
    for (const id of covered) {
      const k = this.keys[id] as string;
      if (k.startsWith('_:')) addBlank(k);
      const row = this.rows[id] as string[];
      for (let i = 1; i < row.length; i += 2) if ((row[i] as string).startsWith('_:')) addBlank(row[i] as string);
    }
    blanks.sort((a, b) => (a.sig < b.sig ? -1 : a.sig > b.sig ? 1 : 0));
    const labels = new Map<string, string>();
    let n = 0;
    if (rootKey.startsWith('_:')) labels.set(rootKey, `_:b${n++}`);
    for (const b of blanks) labels.set(b.key, `_:b${n++}`);
    return labels;

  }

  /** Frees a dataset's own triples once described (nodes it shares with others stay). */
  release(key: string): void {
    const id = this.ids.get(key);
    if (id !== undefined) this.rows[id] = [];
  }
}

/**
 * IRI leniency (issue 12): an IRI with characters RDF forbids in IRIs (a space in
 * `tel:+49 40 4 28 40 - 3494`, two URLs joined by a space, a `"` from a mistyped namespace) is
 * read with those characters percent-encoded, and reported with where it was, instead of failing
 * the page. rdflib reads such IRIs with a warning; so does Hasad.
 */

/** Characters RDF 1.1 forbids in an IRI (Turtle's IRIREF production); percent-encoded when met. */
const FORBIDDEN = /[\u0000-\u0020<>"{}|^`\\]/g;

/** An IRI read after repair, and where. */
export interface IriRepair {
  /** The IRI as the document wrote it (resolved against the base). */
  original: string;
  /** What Hasad reads instead. */
  iri: string;
  line?: number;
  column?: number;
  /** JSON-LD: the JSON Pointer (RFC 6901) of the value that held it. */
  path?: string;
}

/** Repairs kept per page at most: enough to report, not a second copy of a broken page. */
export const MAX_REPAIRS = 1000;

/** True when `iri` holds a character RDF forbids in IRIs. */
export function needsRepair(iri: string): boolean {
  FORBIDDEN.lastIndex = 0;
  return FORBIDDEN.test(iri);
}

/** `iri` with every forbidden character percent-encoded (they are all ASCII: one byte each). */
export function repairIri(iri: string): string {
  return iri.replace(FORBIDDEN, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** Collects a page's repairs, up to MAX_REPAIRS (the count goes on). */
export class IriRepairs {
  readonly list: IriRepair[] = [];
  count = 0;
  private readonly seen = new Set<string>();

  /** True once MAX_REPAIRS are listed: further ones are only counted. */
  get full(): boolean {
    return this.list.length >= MAX_REPAIRS;
  }

  /** Repairs `original`, noting where (once per IRI and place); returns the IRI to read. */
  repair(original: string, position?: { line?: number; column?: number; path?: string }): string {
    const iri = repairIri(original);
    const key = `${position?.line}:${position?.column}:${position?.path}:${original}`;
    if (this.seen.has(key)) return iri;
    if (this.seen.size < MAX_REPAIRS) this.seen.add(key);
    this.count++;
    if (this.list.length < MAX_REPAIRS) this.list.push({ original, iri, ...position });
    return iri;
  }
}

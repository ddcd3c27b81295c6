import { DataFactory, Parser, type NamedNode, type Quad, type Term } from 'n3';
import type { SourceDescription } from '@hasad/core';
import { NS } from './dcat-graph.ts';

const { namedNode, blankNode, literal, quad } = DataFactory;

const ADMS = 'http://www.w3.org/ns/adms#';
const SKOS = 'http://www.w3.org/2004/02/skos/core#';

/**
 * A dataset's export: what its source said of it (the kept description), then Hasad's additions.
 *
 * The source's triples go out as they are, so a national profile's extensions (dcatde:*,
 * GeoDCAT-AP, DCAT-AP-NO …) reach the portal untouched. Hasad's canonical triples are added only
 * for the dataset's properties the source did not give (the publisher Hasad knows the dataset
 * by, dct:source, what a later mapping derives): for a property the source gave, its own values
 * are the faithful ones, and a second, canonical copy would show a portal two publishers or two
 * periods where the source had one.
 *
 * @param canonical the dataset's canonical triples (datasetQuads), subject `dataset`.
 * @param dataset the IRI the dataset is exported under.
 * @param sourceIri the dataset's IRI in the source (undefined: it was a blank node, `_:b0`).
 * @param blankPrefix makes the description's blank nodes distinct from every other dataset's.
 */
export function withKeptDescription(canonical: Quad[], dataset: NamedNode, kept: SourceDescription | undefined, sourceIri: string | undefined, blankPrefix: string): Quad[] {
  if (kept === undefined || kept.format !== 'application/n-triples') return canonical;
  let source: Quad[];
  try {
    source = new Parser({ format: 'N-Triples', blankNodePrefix: blankPrefix }).parse(kept.body);
  } catch {
    // Written by Hasad's own adapter, so this should not happen; the canonical record still goes out.
    return canonical;
  }
  const root: Term = sourceIri !== undefined ? namedNode(sourceIri) : blankNode(`${blankPrefix}b0`);
  const swap = (t: Term) => (t.equals(root) ? dataset : t);
  if (!root.equals(dataset)) source = source.map((q) => quad(swap(q.subject) as NamedNode, q.predicate, swap(q.object) as NamedNode));
  const given = new Set(source.filter((q) => q.subject.equals(dataset)).map((q) => q.predicate.value));
  // Canonical triples of the dataset for properties the source did not give, and whatever they reach.
  const bySubject = new Map<string, Quad[]>();
  for (const q of canonical) {
    const k = termKey(q.subject);
    const list = bySubject.get(k);
    if (list) list.push(q);
    else bySubject.set(k, [q]);
  }
  const added: Quad[] = [];
  const reached = new Set<string>();
  const visit = (k: string, top: boolean) => {
    if (reached.has(k)) return;
    reached.add(k);
    for (const q of bySubject.get(k) ?? []) {
      if (top && given.has(q.predicate.value)) continue;
      added.push(q);
      if (q.object.termType === 'BlankNode' || q.object.termType === 'NamedNode') visit(termKey(q.object), false);
    }
  };
  visit(termKey(dataset), true);
  // The catalogue record points at the dataset (foaf:primaryTopic) and is never in a kept description.
  for (const q of canonical) if (q.predicate.value === `${NS.foaf}primaryTopic` && q.object.equals(dataset)) visit(termKey(q.subject), false);
  return [...source, ...added];
}

/**
 * The triples that say a record's dataset IRI was left to another record: the IRI the source
 * gave, as an adms:Identifier of the dataset exported under Hasad's IRI.
 */
export function originalIdentifierQuads(dataset: NamedNode, originalIri: string): Quad[] {
  const id = blankNode();
  return [
    quad(dataset, namedNode(`${ADMS}identifier`), id),
    quad(id, namedNode(`${NS.rdf}type`), namedNode(`${ADMS}Identifier`)),
    quad(id, namedNode(`${SKOS}notation`), literal(originalIri, namedNode(`${NS.xsd}anyURI`))),
  ];
}

function termKey(t: Term): string {
  return t.termType === 'BlankNode' ? `_:${t.value}` : t.value;
}

/** The same triple once: nodes several datasets share (a publisher IRI) are in each description. */
export function uniqueQuads(quads: Quad[]): Quad[] {
  const seen = new Set<string>();
  return quads.filter((q) => {
    const o = q.object;
    const k = `${termKey(q.subject)} ${q.predicate.value} ${o.termType === 'Literal' ? `"${o.value}"@${o.language}^^${o.datatype.value}` : termKey(o)}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

import { Writer, type Quad, type Term } from 'n3';
import { RDF_MEDIA_TYPES, type RdfSyntax } from '@hasad/core';
import { NS } from './dcat-graph.ts';

/**
 * RDF serialisations of the export. Turtle and N-Triples come from n3's Writer. RDF/XML and
 * JSON-LD are written here: n3 writes neither, and the stack's other RDF packages
 * (rdfxml-streaming-parser, jsonld-streaming-parser) only parse. Both writers are small because
 * the graphs are: flat lists of subjects whose predicates all sit in {@link NS}, written as
 * `rdf:Description` elements and as a flattened JSON-LD `@graph` with an inline `@context`
 * (never a remote one, which Hasad's own harvester refuses).
 */
export type RdfFormat = RdfSyntax;

export { RDF_MEDIA_TYPES };

export const RDF_EXTENSIONS: Record<string, RdfFormat> = { ttl: 'turtle', nt: 'ntriples', rdf: 'rdfxml', jsonld: 'jsonld' };

export function serialize(quads: Quad[], format: RdfFormat): string {
  switch (format) {
    case 'turtle':
    case 'ntriples':
      return n3Write(quads, format);
    case 'rdfxml':
      return toRdfXml(quads);
    case 'jsonld':
      return toJsonLd(quads);
  }
}

function n3Write(quads: Quad[], format: 'turtle' | 'ntriples'): string {
  const writer = new Writer(format === 'turtle' ? { format: 'text/turtle', prefixes: { ...NS } } : { format: 'application/n-triples' });
  // Grouped by subject (in first-seen order), so that Turtle writes each subject once.
  for (const { quads: qs } of bySubject(quads).values()) writer.addQuads(qs);
  let out = '';
  writer.end((err, result) => {
    if (err) throw err;
    out = result;
  });
  return out;
}

function bySubject(quads: Quad[]): Map<string, { subject: Term; quads: Quad[] }> {
  const m = new Map<string, { subject: Term; quads: Quad[] }>();
  for (const q of quads) {
    const key = `${q.subject.termType}:${q.subject.value}`;
    let g = m.get(key);
    if (!g) m.set(key, (g = { subject: q.subject, quads: [] }));
    g.quads.push(q);
  }
  return m;
}

/**
 * QNames for RDF/XML, which can write a predicate only as an element name: Hasad's namespaces
 * (NS) by their usual prefixes, any other (a national profile's, say) under `ns1`, `ns2`, …
 * split before the longest suffix that is a valid XML local name.
 */
class QNames {
  readonly extra = new Map<string, string>();
  of(iri: string): string | undefined {
    for (const [prefix, ns] of Object.entries(NS)) {
      if (iri.startsWith(ns) && /^[A-Za-z_][\w.-]*$/.test(iri.slice(ns.length))) return `${prefix}:${iri.slice(ns.length)}`;
    }
    const local = /[A-Za-z_][\w.-]*$/.exec(iri)?.[0];
    if (local === undefined || local.length === iri.length) return undefined;
    const ns = iri.slice(0, iri.length - local.length);
    let prefix = this.extra.get(ns);
    if (prefix === undefined) this.extra.set(ns, (prefix = `ns${this.extra.size + 1}`));
    return `${prefix}:${local}`;
  }
}

/** XML 1.0 cannot carry C0 control characters (other than tab, LF, CR) even escaped. */
const xmlText = (v: string) =>
  v
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

function toRdfXml(quads: Quad[]): string {
  const qnames = new QNames();
  const out: string[] = [];
  for (const { subject, quads: qs } of bySubject(quads).values()) {
    out.push(subject.termType === 'BlankNode' ? `  <rdf:Description rdf:nodeID="${xmlText(subject.value)}">` : `  <rdf:Description rdf:about="${xmlText(subject.value)}">`);
    for (const q of qs) {
      const p = qnames.of(q.predicate.value);
      // A predicate IRI ending in no XML name character (`…/1`, `…#`) cannot be written in RDF/XML at all.
      if (p === undefined) continue;
      const o = q.object;
      if (o.termType === 'NamedNode') out.push(`    <${p} rdf:resource="${xmlText(o.value)}"/>`);
      else if (o.termType === 'BlankNode') out.push(`    <${p} rdf:nodeID="${xmlText(o.value)}"/>`);
      else if (o.termType === 'Literal') {
        const attr = o.language ? ` xml:lang="${xmlText(o.language)}"` : o.datatype.value !== `${NS.xsd}string` ? ` rdf:datatype="${xmlText(o.datatype.value)}"` : '';
        out.push(`    <${p}${attr}>${xmlText(o.value)}</${p}>`);
      }
    }
    out.push('  </rdf:Description>');
  }
  out.push('</rdf:RDF>', '');
  const namespaces = [...Object.entries(NS), ...[...qnames.extra].map(([ns, p]) => [p, ns] as const)];
  return ['<?xml version="1.0" encoding="utf-8"?>', `<rdf:RDF ${namespaces.map(([p, ns]) => `xmlns:${p}="${xmlText(ns)}"`).join(' ')}>`, ...out].join('\n');
}

function jsonLdValue(o: Term): Record<string, string> {
  if (o.termType === 'NamedNode') return { '@id': o.value };
  if (o.termType === 'BlankNode') return { '@id': `_:${o.value}` };
  if (o.termType === 'Literal') {
    if (o.language) return { '@value': o.value, '@language': o.language };
    if (o.datatype.value !== `${NS.xsd}string`) return { '@value': o.value, '@type': o.datatype.value };
    return { '@value': o.value };
  }
  throw new Error(`cannot write a ${o.termType} in JSON-LD`);
}

function toJsonLd(quads: Quad[]): string {
  const graph: Array<Record<string, unknown>> = [];
  for (const { subject, quads: qs } of bySubject(quads).values()) {
    const node: Record<string, unknown> = { '@id': subject.termType === 'BlankNode' ? `_:${subject.value}` : subject.value };
    const types: string[] = [];
    for (const q of qs) {
      if (q.predicate.value === `${NS.rdf}type` && q.object.termType === 'NamedNode') {
        types.push(q.object.value);
        continue;
      }
      const values = (node[q.predicate.value] ??= []) as unknown[];
      values.push(jsonLdValue(q.object));
    }
    if (types.length) node['@type'] = types;
    graph.push(node);
  }
  // Full IRIs throughout: the context only names the prefixes, for a reader's convenience.
  return `${JSON.stringify({ '@context': { ...NS }, '@graph': graph }, null, 1)}\n`;
}

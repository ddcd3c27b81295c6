import { describe, expect, it } from 'vitest';
import { ParseError } from '@hasad/core';
import { mapPage } from './map.ts';
import { charsetFromContentType, formatFromContentType, formatFromUrl, readRdf, sniffFormat } from './parse.ts';
import type { RdfFormat } from './parse.ts';

/** Yields the document `size` bytes at a time, so multi-byte characters straddle chunks. */
async function* chunked(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const TITLE_AR = 'جودة المياه';
const TITLE_FR = "Qualité de l'eau";

const DOCS: Record<'turtle' | 'rdfxml' | 'jsonld', string> = {
  turtle: `@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://x.ma/d/1> a dcat:Dataset ; dct:title "${TITLE_AR}"@ar, "${TITLE_FR}"@fr .`,
  rdfxml: `<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/">
<dcat:Dataset rdf:about="https://x.ma/d/1"><dct:title xml:lang="ar">${TITLE_AR}</dct:title><dct:title xml:lang="fr">${TITLE_FR}</dct:title></dcat:Dataset>
</rdf:RDF>`,
  jsonld: JSON.stringify({
    '@id': 'https://x.ma/d/1',
    '@type': 'http://www.w3.org/ns/dcat#Dataset',
    'http://purl.org/dc/terms/title': [
      { '@value': TITLE_AR, '@language': 'ar' },
      { '@value': TITLE_FR, '@language': 'fr' },
    ],
  }),
};

describe('readRdf', () => {
  it.each(['turtle', 'rdfxml', 'jsonld'] as const)('keeps multi-byte UTF-8 split across 1..3-byte chunks intact (%s)', async (format) => {
    for (const size of [1, 2, 3]) {
      const { graph } = await readRdf(chunked(DOCS[format], size), { url: 'https://x.ma/feed', format });
      const records = [...mapPage(graph, 10)].flatMap((b) => b.records);
      expect(records[0]?.title).toEqual({ ar: TITLE_AR, fr: TITLE_FR });
    }
  });

  it('names the line (and column) of RDF/XML and Turtle syntax errors', async () => {
    const badXml = '<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n<a:b\n</rdf:RDF>\n';
    const xmlErr = await readRdf(chunked(badXml, 1000), { url: 'https://x.ma/bad.rdf' }).catch((e: unknown) => e);
    expect(xmlErr).toBeInstanceOf(ParseError);
    expect((xmlErr as ParseError).message).toMatch(/could not parse RDF\/XML from https:\/\/x\.ma\/bad\.rdf at line 4, column \d+: /);
    const ttlErr = await readRdf(chunked('<a> <b> <c> .\n<d> <e> .\n', 1000), { url: 'https://x.ma/bad.ttl' }).catch((e: unknown) => e);
    expect((ttlErr as ParseError).message).toMatch(/could not parse Turtle from https:\/\/x\.ma\/bad\.ttl at line 2: /);
    expect((ttlErr as ParseError).context).toMatchObject({ line: 2, format: 'Turtle' });
  });

  it('reads TriG graphs served as Turtle (a superset of it)', async () => {
    const trig = '<urn:g> { <https://x.ma/d/1> a <http://www.w3.org/ns/dcat#Dataset> ; <http://purl.org/dc/terms/title> "T" . }';
    const { graph } = await readRdf(chunked(trig, 50), { url: 'https://x.ma/feed.ttl' });
    expect(graph.datasetKeys()).toEqual(['https://x.ma/d/1']);
  });

  it('reports an unknown charset as a ParseError', async () => {
    const err = await readRdf(chunked('<a> <b> <c> .', 100), { url: 'https://x.ma/f', contentType: 'text/turtle; charset=x-klingon' }).catch((e: unknown) => e);
    expect((err as ParseError).message).toMatch(/unsupported charset "x-klingon"/);
  });
});

describe('format negotiation helpers', () => {
  it('maps Content-Types to syntaxes and ignores uninformative ones', () => {
    const cases: [string | undefined, RdfFormat | undefined][] = [
      ['text/turtle; charset=utf-8', 'turtle'],
      ['application/rdf+xml', 'rdfxml'],
      ['Application/LD+JSON', 'jsonld'],
      ['application/json', 'jsonld'],
      ['application/n-triples', 'ntriples'],
      ['application/trig', 'trig'],
      ['text/n3', 'n3'],
      ['application/octet-stream', undefined],
      ['text/plain', undefined],
      ['text/html', undefined],
      [undefined, undefined],
    ];
    for (const [ct, format] of cases) expect([ct, formatFromContentType(ct)]).toEqual([ct, format]);
    expect(charsetFromContentType('text/turtle; Charset="ISO-8859-1"')).toBe('iso-8859-1');
  });

  it('maps file extensions, ignoring the query string', () => {
    expect(formatFromUrl('https://x.ma/catalog.ttl?page=2')).toBe('turtle');
    expect(formatFromUrl('https://x.ma/catalog.RDF')).toBe('rdfxml');
    expect(formatFromUrl('https://x.ma/vocab.owl')).toBe('rdfxml');
    expect(formatFromUrl('https://x.ma/catalog.jsonld')).toBe('jsonld');
    expect(formatFromUrl('https://x.ma/catalog.nt')).toBe('ntriples');
    expect(formatFromUrl('https://x.ma/catalog.n3')).toBe('n3');
    expect(formatFromUrl('https://x.ma/catalog.trig')).toBe('trig');
    expect(formatFromUrl('https://x.ma/catalog')).toBeUndefined();
    expect(formatFromUrl('https://x.ma/v1.2/catalog')).toBeUndefined();
  });

  it('sniffs the first bytes', () => {
    expect(sniffFormat('\uFEFF<?xml version="1.0"?>')).toBe('rdfxml');
    expect(sniffFormat('  <rdf:RDF xmlns:rdf="...">')).toBe('rdfxml');
    expect(sniffFormat('{"@context": {}}')).toBe('jsonld');
    expect(sniffFormat('[\n {"@id": "x"}]')).toBe('jsonld');
    expect(sniffFormat('[ a <http://www.w3.org/ns/dcat#Dataset> ] .')).toBe('turtle');
    expect(sniffFormat('@prefix dcat: <http://www.w3.org/ns/dcat#> .')).toBe('turtle');
    expect(sniffFormat('<https://x.ma/d> a <https://x.ma/T> .')).toBe('turtle');
  });
});

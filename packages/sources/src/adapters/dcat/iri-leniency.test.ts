import { describe, expect, it } from 'vitest';
import { ParseError, type CanonicalDataset, type RecordProblem } from '@hasad/core';
import { DEFAULT_PARSE_LIMITS } from '../../parse-guards.ts';
import { readDcatPage } from './read-page.ts';

/**
 * IRI leniency (issue 12): a malformed IRI is a problem of the dataset it belongs to, named with
 * its line (and column where the syntax gives it); the rest of the page is harvested. Only a
 * document that cannot be tokenised fails its page.
 */

/** Reads `doc` as one page, its bytes delivered in one piece or, with `chunkBytes`, in pieces of that size (as a slow network would). */
async function read(doc: string, contentType: string, chunkBytes?: number): Promise<{ records: CanonicalDataset[]; problems: RecordProblem[]; pageProblems: RecordProblem[] }> {
  const bytes = Buffer.from(doc, 'utf8');
  const it = readDcatPage({ url: 'https://geo.example.de/catalog', requestedUrl: 'https://geo.example.de/catalog', pageNo: 1, batchSize: 100, contentType }, (async function* () {
    const step = chunkBytes ?? bytes.length;
    for (let i = 0; i < bytes.length; i += step) yield bytes.subarray(i, i + step);
  })(), DEFAULT_PARSE_LIMITS);
  const records: CanonicalDataset[] = [];
  const problems: RecordProblem[] = [];
  for (;;) {
    const r = await it.next();
    if (r.done === true) return { records, problems, pageProblems: r.value.problems ?? [] };
    records.push(...r.value.records);
    problems.push(...r.value.problems);
  }
}

// Shaped on a Hamburg (transparenz.hamburg.de) DCAT-AP.de record: the phone number written as a tel: IRI with spaces.
const TURTLE = `@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix dcatde: <http://dcat-ap.de/def/dcatde/> .

<https://geo.example.de/dataset/baeume> a dcat:Dataset ;
    dct:identifier "baeume" ;
    dct:title "Straßenbaumkataster"@de ;
    dcat:contactPoint [ a vcard:Organization ; vcard:fn "Behörde für Umwelt" ;
        vcard:hasTelephone <tel:+49 40 4 28 40 - 3494> ] .

<https://geo.example.de/dataset/gruen https://geo.example.de/dataset/gruen-alt> a dcat:Dataset ;
    dct:identifier "gruen" ;
    dct:title "Grünflächen"@de .

<https://geo.example.de/dataset/laerm> a dcat:Dataset ;
    dct:identifier "laerm" ;
    dct:title "Lärmkarten"@de .
`;

// Shaped on a GeoNetwork GeoDCAT-AP export: rdf:about holding two URLs joined by a space.
const RDFXML = `<?xml version="1.0" encoding="UTF-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="http://www.w3.org/ns/dcat#"
         xmlns:dct="http://purl.org/dc/terms/" xmlns:vcard="http://www.w3.org/2006/vcard/ns#">
  <dcat:Catalog rdf:about="https://geo.example.de/catalog">
    <dcat:dataset>
      <dcat:Dataset rdf:about="https://geo.example.de/srv/api/records/7a1c https://geo.example.de/srv/api/records/7a1c/formatters/xml">
        <dct:identifier>7a1c</dct:identifier>
        <dct:title xml:lang="de">Bebauungspläne</dct:title>
        <dcat:contactPoint>
          <vcard:Organization>
            <vcard:fn>Landesbetrieb Geoinformation</vcard:fn>
            <vcard:hasTelephone rdf:resource="tel:+49 40 4 28 26 - 0"/>
          </vcard:Organization>
        </dcat:contactPoint>
      </dcat:Dataset>
    </dcat:dataset>
    <dcat:dataset>
      <dcat:Dataset rdf:about="https://geo.example.de/srv/api/records/8b2d">
        <dct:identifier>8b2d</dct:identifier>
        <dct:title xml:lang="de">Denkmalliste</dct:title>
      </dcat:Dataset>
    </dcat:dataset>
  </dcat:Catalog>
</rdf:RDF>
`;

const JSONLD = JSON.stringify(
  {
    '@context': { dcat: 'http://www.w3.org/ns/dcat#', dct: 'http://purl.org/dc/terms/', vcard: 'http://www.w3.org/2006/vcard/ns#' },
    '@graph': [
      {
        '@id': 'https://geo.example.de/dataset/wasser',
        '@type': 'dcat:Dataset',
        'dct:identifier': 'wasser',
        'dct:title': { '@value': 'Gewässer', '@language': 'de' },
        'dcat:contactPoint': { '@type': 'vcard:Organization', 'vcard:fn': 'Wasserwirtschaft', 'vcard:hasTelephone': { '@id': 'tel:+49 40 4 28 40 - 2000' } },
      },
      { '@id': 'https://geo.example.de/dataset/boden', '@type': 'dcat:Dataset', 'dct:identifier': 'boden', 'dct:title': { '@value': 'Böden', '@language': 'de' } },
    ],
  },
  null,
  2,
);

describe('IRI leniency: a malformed IRI is the problem of its dataset, never of the page', () => {
  it.each([
    ['in one piece', undefined],
    ['in 7-byte pieces (lines and IRIs cut across chunks)', 7],
  ])('Turtle %s: a tel: IRI with spaces and a subject of two IRIs joined by a space are read percent-encoded, with line and column', async (_, chunkBytes) => {
    const { records, problems } = await read(TURTLE, 'text/turtle', chunkBytes);
    expect(records.map((r) => r.identifier).sort()).toEqual(['baeume', 'gruen', 'laerm']);
    const baeume = records.find((r) => r.identifier === 'baeume');
    expect(baeume?.sourceDescription?.body).toContain('<tel:+49%2040%204%2028%2040%20-%203494>');
    expect(problems).toContainEqual({
      severity: 'warning',
      code: 'invalid_iri',
      identifier: 'baeume',
      message: 'the IRI "tel:+49 40 4 28 40 - 3494" at line 10, column 28 in dataset baeume holds characters IRIs may not contain (spaces, quotes, <>{}|^`\\); read as tel:+49%2040%204%2028%2040%20-%203494',
    });
    expect(problems).toContainEqual(expect.objectContaining({ code: 'invalid_iri', identifier: 'gruen', message: expect.stringContaining('"https://geo.example.de/dataset/gruen https://geo.example.de/dataset/gruen-alt" at line 12, column 1 in dataset gruen') }));
    expect(problems.filter((p) => p.identifier === 'laerm')).toEqual([]);
  });

  it('Turtle: the column counts from the last line break, also one inside a long literal that spans lines', async () => {
    const doc = `@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://x.ma/d/1> a dcat:Dataset ; dct:identifier "d1" ; dct:title "T"@fr ; dct:description """ligne un
ligne deux""" ; dcat:landingPage <https://x.ma/page un> .`;
    for (const chunkBytes of [undefined, 5]) {
      const { problems } = await read(doc, 'text/turtle', chunkBytes);
      expect(problems.map((p) => p.message)).toEqual([expect.stringContaining('"https://x.ma/page un" at line 3, column 34 in dataset d1')]);
    }
  });

  it('RDF/XML: rdf:about with two URLs and rdf:resource="tel:… …" are read, with line and column', async () => {
    const { records, problems } = await read(RDFXML, 'application/rdf+xml');
    expect(records.map((r) => r.identifier).sort()).toEqual(['7a1c', '8b2d']);
    expect(problems).toContainEqual(
      expect.objectContaining({ code: 'invalid_iri', identifier: '7a1c', message: expect.stringMatching(/^the IRI "https:\/\/geo\.example\.de\/srv\/api\/records\/7a1c https:\/\/geo\.example\.de\/srv\/api\/records\/7a1c\/formatters\/xml" at line 6, column \d+ in dataset 7a1c holds characters/) }),
    );
    expect(problems).toContainEqual(expect.objectContaining({ code: 'invalid_iri', identifier: '7a1c', message: expect.stringMatching(/^the IRI "tel:\+49 40 4 28 26 - 0" at line 12, column \d+ in dataset 7a1c .* read as tel:\+49%2040%204%2028%2026%20-%200$/) }));
  });

  it('JSON-LD: an @id with spaces, which the JSON-LD parser would drop silently, is kept percent-encoded and reported with its JSON Pointer', async () => {
    const { records, problems } = await read(JSONLD, 'application/ld+json');
    expect(records.map((r) => r.identifier).sort()).toEqual(['boden', 'wasser']);
    expect(records.find((r) => r.identifier === 'wasser')?.sourceDescription?.body).toContain('<tel:+49%2040%204%2028%2040%20-%202000>');
    expect(problems).toContainEqual({
      severity: 'warning',
      code: 'invalid_iri',
      identifier: 'wasser',
      message: 'the IRI "tel:+49 40 4 28 40 - 2000" at /@graph/0/dcat:contactPoint/vcard:hasTelephone/@id in dataset wasser holds characters IRIs may not contain (spaces, quotes, <>{}|^`\\); read as tel:+49%2040%204%2028%2040%20-%202000',
    });
  });

  it('JSON-LD: a dataset whose own @id holds a space is harvested, named by the pointer of its node; full-IRI keys are escaped as RFC 6901 says', async () => {
    const doc = JSON.stringify({
      '@graph': [
        { '@id': 'https://geo.example.de/dataset/boden', '@type': 'http://www.w3.org/ns/dcat#Dataset', 'http://purl.org/dc/terms/identifier': 'boden', 'http://purl.org/dc/terms/title': 'Böden' },
        {
          '@type': 'http://www.w3.org/ns/dcat#Dataset',
          'http://purl.org/dc/terms/identifier': 'luft',
          'http://purl.org/dc/terms/title': 'Luft',
          'http://purl.org/dc/terms/publisher': { '@id': 'https://geo.example.de/org/bue hamburg' },
          '@id': 'https://geo.example.de/dataset/luft https://geo.example.de/dataset/luft-alt',
        },
      ],
    });
    const { records, problems } = await read(doc, 'application/ld+json', 16);
    expect(records.map((r) => r.identifier).sort()).toEqual(['boden', 'luft']);
    const luft = problems.filter((p) => p.identifier === 'luft').map((p) => p.message);
    expect(luft).toContainEqual(expect.stringContaining('"https://geo.example.de/org/bue hamburg" at /@graph/1/http:~1~1purl.org~1dc~1terms~1publisher/@id in dataset luft'));
    expect(luft).toContainEqual(expect.stringContaining('"https://geo.example.de/dataset/luft https://geo.example.de/dataset/luft-alt" at /@graph/1/@id in dataset luft holds'));
    // Once per place: the IRI is met again when its node is flushed, and not reported twice.
    expect(luft).toHaveLength(2);
    expect(problems.filter((p) => p.identifier === 'boden')).toEqual([]);
  });

  it('an IRI no dataset holds is a page warning; a document that cannot be tokenised still fails its page', async () => {
    const catalogue = `@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://x.ma/catalog> a dcat:Catalog ; dct:publisher <https://x.ma/org/a b> .
<https://x.ma/d/1> a dcat:Dataset ; dct:identifier "d1" ; dct:title "T"@fr .`;
    const { records, problems, pageProblems } = await read(catalogue, 'text/turtle');
    expect(records).toHaveLength(1);
    expect(problems).toEqual([]);
    expect(pageProblems).toContainEqual(expect.objectContaining({ code: 'invalid_iri', message: expect.stringContaining('"https://x.ma/org/a b" at line 2, column 55 holds') }));
    await expect(read('<https://x.ma/d/1> <http://purl.org/dc/terms/title> "never closed\n.', 'text/turtle')).rejects.toThrow(ParseError);
    await expect(read('<https://x.ma/d/1> <http://purl.org/dc/terms/title> <a\nb> .', 'text/turtle')).rejects.toThrow(ParseError);
  });
});

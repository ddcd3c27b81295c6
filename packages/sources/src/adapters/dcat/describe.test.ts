import { DataFactory } from 'n3';
import { describe, expect, it } from 'vitest';
import { PageTriples } from './describe.ts';

const { namedNode, blankNode, literal, quad } = DataFactory;
const DCAT = 'http://www.w3.org/ns/dcat#';
const DCT = 'http://purl.org/dc/terms/';
const RDF_TYPE = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#type';

describe('PageTriples.describe', () => {
  it('gives the lines as sorting the whole lines would, where subjects, labels and literals are prefixes of one another', () => {
    const t = new PageTriples();
    const d = namedNode('http://x.test/d');
    t.add(quad(d, namedNode(RDF_TYPE), namedNode(`${DCAT}Dataset`)));
    t.add(quad(d, namedNode(`${DCT}title`), literal('a', 'en')));
    t.add(quad(d, namedNode(`${DCT}title`), literal('a')));
    t.add(quad(d, namedNode(`${DCT}title`), literal('a b')));
    t.add(quad(d, namedNode(`${DCT}title`), literal('a', namedNode('http://x.test/dt'))));
    // A distribution whose IRI the dataset's IRI is a prefix of.
    t.add(quad(d, namedNode(`${DCAT}distribution`), namedNode('http://x.test/d/csv')));
    t.add(quad(namedNode('http://x.test/d/csv'), namedNode(`${DCAT}accessURL`), namedNode('http://x.test/d/csv.csv')));
    // Twelve blank nodes: labels _:b1 … _:b12, whose order as text is not their numbers'.
    for (let i = 0; i < 12; i++) {
      const b = blankNode(`period${i}`);
      t.add(quad(d, namedNode(`${DCT}temporal`), b));
      t.add(quad(b, namedNode(`${DCAT}startDate`), literal(`20${String(10 + i)}-01-01`)));
    }
    const body = t.describe('http://x.test/d')!.body;
    const lines = body.trimEnd().split('\n');
    expect(lines).toHaveLength(1 + 4 + 2 + 12 * 2);
    expect(lines).toEqual([...lines].sort());
    // Labels follow the blank nodes' content (their start dates), not the parser's labels.
    expect(lines).toContain('_:b0 <http://www.w3.org/ns/dcat#startDate> "2010-01-01" .');
    expect(lines).toContain('_:b11 <http://www.w3.org/ns/dcat#startDate> "2021-01-01" .');
    expect(lines.indexOf('<http://x.test/d/csv> <http://www.w3.org/ns/dcat#accessURL> <http://x.test/d/csv.csv> .')).toBeLessThan(lines.indexOf('<http://x.test/d> <http://purl.org/dc/terms/title> "a" .'));
  });

  it('writes a triple given twice as one line; two blank nodes of the same content keep a label each', () => {
    const t = new PageTriples();
    const d = namedNode('http://x.test/d');
    t.add(quad(d, namedNode(RDF_TYPE), namedNode(`${DCAT}Dataset`)));
    t.add(quad(d, namedNode(RDF_TYPE), namedNode(`${DCAT}Dataset`)));
    for (const label of ['x', 'y']) {
      t.add(quad(d, namedNode(`${DCAT}contactPoint`), blankNode(label)));
      t.add(quad(blankNode(label), namedNode('http://www.w3.org/2006/vcard/ns#fn'), literal('Service')));
    }
    expect(t.describe('http://x.test/d')!.body).toBe(
      [
        '<http://x.test/d> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/dcat#Dataset> .',
        '<http://x.test/d> <http://www.w3.org/ns/dcat#contactPoint> _:b0 .',
        '<http://x.test/d> <http://www.w3.org/ns/dcat#contactPoint> _:b1 .',
        '_:b0 <http://www.w3.org/2006/vcard/ns#fn> "Service" .',
        '_:b1 <http://www.w3.org/2006/vcard/ns#fn> "Service" .',
        '',
      ].join('\n'),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { ParseError } from '@hasad/core';
import { mapPage } from './map.ts';
import { parseRdfString, readRdf, scanXmlProlog } from './parse.ts';

const NS = 'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/"';
const dataset = (title: string) => `<rdf:RDF ${NS}><dcat:Dataset rdf:about="https://x.ma/d/1"><dct:title>${title}</dct:title></dcat:Dataset></rdf:RDF>`;

const LAUGHS = `<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
${dataset('&lol3;')}`;
const XXE = `<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
${dataset('&xxe;')}`;

async function parseError(doc: string | Buffer, opts: { contentType?: string; chunk?: number } = {}): Promise<ParseError> {
  const bytes = Buffer.isBuffer(doc) ? doc : Buffer.from(doc, 'utf8');
  const size = opts.chunk ?? bytes.length;
  try {
    await readRdf(
      (async function* () {
        for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
      })(),
      { url: 'https://x.ma/feed', ...(opts.contentType !== undefined && { contentType: opts.contentType }) },
    );
  } catch (err) {
    expect(err).toBeInstanceOf(ParseError);
    return err as ParseError;
  }
  throw new Error('expected a ParseError');
}

describe('RDF/XML entity safety', () => {
  it.each([
    ['billion laughs', LAUGHS],
    ['XXE', XXE],
  ])('refuses a %s document before parsing, naming the DOCTYPE line', async (_name, doc) => {
    for (const chunk of [1, 7, 100_000]) {
      const err = await parseError(doc, { contentType: 'application/rdf+xml', chunk });
      expect(err.message).toBe(
        'could not parse RDF/XML from https://x.ma/feed at line 2, column 1: the document has a DOCTYPE with an internal subset (entity declarations); refused, because entity expansion enables XXE and billion-laughs attacks (only plain text entities are read: no external or parameter entity, none referring to another, values up to 1024 characters)',
      );
    }
  });

  it('sees the DOCTYPE behind comments and processing instructions, and is not fooled by "<!--" inside a PI', async () => {
    const sneaky = `<?xml version="1.0"?><?pi <!-- ?><!-- a comment --><!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "file:///etc/hostname">]>${dataset('&x;')}<!-- -->`;
    expect((await parseError(sneaky, { contentType: 'application/rdf+xml' })).message).toMatch(/DOCTYPE with an internal subset/);
  });

  it('is found by sniffing too (no Content-Type)', async () => {
    expect((await parseError(LAUGHS)).message).toMatch(/RDF\/XML .*DOCTYPE with an internal subset/);
  });

  it('reads plain text entities (namespaces shortened as DCAT-AP_IT files do) and refuses every other declaration', async () => {
    const plain = `<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [ <!ENTITY dct "http://purl.org/dc/terms/" >
  <!-- namespaces -->
  <!ENTITY odd "http://x.ma/onto#&quot;" > <!ENTITY t 'Qualit&#233; &amp; eau' > ]>
<rdf:RDF ${NS}><dcat:Dataset rdf:about="https://x.ma/d/1"><rdf:type rdf:resource="&dct;Standard"/><dct:title>&t;</dct:title></dcat:Dataset></rdf:RDF>`;
    const { graph } = await parseRdfString(plain, { url: 'https://x.ma/feed', contentType: 'application/rdf+xml' });
    expect([...mapPage(graph, 10)][0]?.records[0]?.title).toEqual({ '': 'Qualité & eau' });
    for (const subset of [
      '<!ENTITY a "x"><!ENTITY b "&a;&a;">',
      '<!ENTITY a SYSTEM "file:///etc/passwd">',
      '<!ENTITY a PUBLIC "-//x" "http://x/">',
      '<!ENTITY % p "x">',
      '<!ELEMENT a ANY>',
      `<!ENTITY a "${'x'.repeat(1025)}">`,
    ]) {
      const err = await parseError(`<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [${subset}]>\n${dataset('&a;')}`, { contentType: 'application/rdf+xml' });
      expect(err.message, subset).toMatch(/at line 2, column 1: the document has a DOCTYPE with an internal subset \(entity declarations\); refused/);
    }
  });

  it('lets a DOCTYPE without internal subset through (nothing is fetched), and "[" inside its quoted id', async () => {
    const doc = `<?xml version="1.0"?><!DOCTYPE rdf:RDF SYSTEM "http://example.org/a[1].dtd">${dataset('Qualité')}`;
    const { graph } = await parseRdfString(doc, { url: 'https://x.ma/feed', format: 'rdfxml' });
    expect([...mapPage(graph, 10)].flatMap((b) => b.records)[0]?.title).toEqual({ '': 'Qualité' });
  });

  it('scanXmlProlog asks for more text while a DOCTYPE or comment is cut', () => {
    expect(scanXmlProlog('<?xml version="1.0"?><!DOC', false)).toEqual({ kind: 'more' });
    expect(scanXmlProlog('<!-- not closed', false)).toEqual({ kind: 'more' });
    expect(scanXmlProlog('<!DOCTYPE rdf:RDF SYSTEM "x', false)).toEqual({ kind: 'more' });
    expect(scanXmlProlog('<!DOCTYPE rdf:RDF [', false)).toEqual({ kind: 'more' });
    expect(scanXmlProlog('<!DOCTYPE rdf:RDF [', true)).toMatchObject({ kind: 'refuse' });
    expect(scanXmlProlog('<!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "f">', false)).toEqual({ kind: 'more' });
    expect(scanXmlProlog('<!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "f">]>', false)).toMatchObject({ kind: 'refuse' });
    expect(scanXmlProlog('<!DOCTYPE rdf:RDF [<!ENTITY dct "http://purl.org/dc/terms/">]><rdf:RDF ', false)).toEqual({ kind: 'ok' });
    expect(scanXmlProlog('<rdf:RDF ', false)).toEqual({ kind: 'ok' });
  });
});

describe('not RDF at all', () => {
  it.each([
    ['an HTML5 page', '<!DOCTYPE html>\n<html lang="fr"><head><title>Portail</title></head><body>Bienvenue</body></html>'],
    ['an HTML page without doctype', '<html><body><p>Page introuvable</p></body></html>'],
    ['an XHTML page', '<?xml version="1.0" encoding="utf-8"?>\n<!-- portal --><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>'],
  ])('says the server answered %s', async (_name, doc) => {
    const err = await parseError(doc, { contentType: 'text/html; charset=utf-8' });
    expect(err.message).toMatch(/^could not parse RDF from https:\/\/x\.ma\/feed: the server answered an HTML page( \(Content-Type text\/html; charset=utf-8\))? where an RDF document was expected; check the feed URL$/);
  });

  it('refuses invalid UTF-8 with the offset of the first bad byte', async () => {
    const doc = Buffer.concat([Buffer.from('@prefix dct: <http://purl.org/dc/terms/> .\n<https://x.ma/d/1> dct:title "Qualit'), Buffer.from([0xe9]), Buffer.from(' de l\'eau" .\n')]);
    for (const chunk of [1, 5, 10_000]) {
      const err = await parseError(doc, { contentType: 'text/turtle', chunk });
      expect(err.message).toBe(
        'could not parse UTF-8 text from https://x.ma/feed: the document is not valid UTF-8: invalid byte sequence at byte 79 (0xE9); declare the real charset in the Content-Type (e.g. "; charset=windows-1252") or fix the file',
      );
    }
  });

  it('refuses a document cut inside a UTF-8 sequence', async () => {
    const doc = Buffer.concat([Buffer.from('<https://x.ma/d/1> <http://purl.org/dc/terms/title> "جود'), Buffer.from('ة').subarray(0, 1)]);
    expect((await parseError(doc, { contentType: 'text/turtle' })).message).toMatch(/the document ends inside a UTF-8 character sequence/);
  });
});

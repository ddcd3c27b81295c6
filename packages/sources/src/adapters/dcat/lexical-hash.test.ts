import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Parser, type Quad, type Term } from 'n3';
import { describe, expect, it } from 'vitest';
import { hashTurtleTokens, MAX_TOKEN_HASH_BYTES, MAX_TOKEN_HASH_LABELS, pageTokensHash } from './lexical-hash.ts';

/**
 * The tokens' hash of a Turtle page (lexical-hash.ts): pages hashed alike must parse alike, since
 * the pager then takes the page as not modified without parsing it.
 */

const tokens = (doc: string) => {
  const h = createHash('sha1');
  hashTurtleTokens(Buffer.from(doc, 'utf8'), h);
  return h.digest('hex');
};

const PREFIXES = '@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n@prefix ex: <https://x.ma/def#> .\n';
const DOC = `${PREFIXES}<https://x.ma/d/1> a dcat:Dataset ;
    dct:title "Qualité de l'eau # 2026"@fr, """جودة المياه
  # not a comment"""@ar ;
    dct:description 'deux  espaces' ;
    ex:code ex:a\\#b ;
    dcat:contactPoint _:c1 ;
    dcat:distribution _:d1, _:d2 .
_:c1 ex:fn "Service" .
_:d1 dcat:accessURL <https://x.ma/files/eau.csv#part 1> .
_:d2 dcat:accessURL <https://x.ma/files/eau.json> .
`;

describe('the tokens of a Turtle page, hashed', () => {
  it('ignores comments, the white space between tokens, and blank node labels renamed one for one', () => {
    const base = tokens(DOC);
    expect(tokens(`# régénéré le 7 décembre 2026\n${DOC}`)).toBe(base);
    expect(tokens(`${DOC}# fin\n`)).toBe(base);
    expect(tokens(DOC.replace('a dcat:Dataset ;', 'a dcat:Dataset ;   # le jeu\n'))).toBe(base);
    expect(tokens(DOC.replaceAll('\n    ', '\r\n\t'))).toBe(base);
    expect(tokens(DOC.replaceAll(' ;\n', '\n;\n\n'))).toBe(base);
    expect(tokens(DOC.replaceAll('_:c1', '_:N8f3a').replaceAll('_:d1', '_:b.x-1').replaceAll('_:d2', '_:é2'))).toBe(base);
  });

  it('sees every change inside strings and IRIs, where white space and # are content', () => {
    const base = tokens(DOC);
    expect(tokens(DOC.replace('# 2026', '# 2027'))).not.toBe(base);
    expect(tokens(DOC.replace('# not a comment', '# still not a comment'))).not.toBe(base);
    expect(tokens(DOC.replace('المياه\n', 'المياه \n'))).not.toBe(base);
    expect(tokens(DOC.replace('deux  espaces', 'deux espaces'))).not.toBe(base);
    expect(tokens(DOC.replace('#part 1>', '#part  1>'))).not.toBe(base);
    expect(tokens(DOC.replace('#part 1>', '#part 2>'))).not.toBe(base);
    // An escaped # in a prefixed name is the name's, not a comment.
    expect(tokens(DOC.replace('ex:a\\#b', 'ex:a\\#c'))).not.toBe(base);
  });

  it('keeps white space apart from none, and tells the labels by where they recur', () => {
    expect(tokens('<a> <b> <c>.')).not.toBe(tokens('<a> <b> <c> .'));
    // One node twice against two nodes.
    expect(tokens('_:x <p> _:x .')).not.toBe(tokens('_:x <p> _:y .'));
    expect(tokens('_:x <p> _:y .')).toBe(tokens('_:y <p> _:x .'));
    // The trailing dot ends the statement; it is not the label's.
    expect(tokens('_:x <p> _:x.\n_:x <q> "1" .')).not.toBe(tokens('_:x <p> _:y.\n_:x <q> "1" .'));
    // `_:` inside a prefixed name is part of the name: another name is another page.
    expect(tokens('ex:s ex:p ex:a_:b .')).not.toBe(tokens('ex:s ex:p ex:a_:c .'));
    // After `.`, a label could not be told from a name's end: kept as written.
    expect(tokens('<s> <p> <o>._:b <p> "1" .')).not.toBe(tokens('<s> <p> <o>._:c <p> "1" .'));
  });

  it('reads quotes as Turtle does: four quotes end a long string with one quote inside', () => {
    expect(tokens('<s> <p> """a""""# x\n .')).not.toBe(tokens('<s> <p> """a""""# y\n .'));
    expect(tokens(`<s> <p> '''it's''' .`)).not.toBe(tokens(`<s> <p> '''it''s''' .`));
    // One quote inside a long string: read as short strings, "# c" would seem a comment.
    expect(tokens('<s> <p> """a "b # c\n""" .')).not.toBe(tokens('<s> <p> """a "b # d\n""" .'));
    expect(tokens('<s> <p> "a\\"  # b" .')).not.toBe(tokens('<s> <p> "a\\" # b" .'));
    expect(tokens('<s> <p> "" . # x')).toBe(tokens('<s> <p> "" .'));
  });

  it('is used only where the page is read as Turtle, N-Triples, N-Quads or TriG in UTF-8', () => {
    const bytes = Buffer.from(DOC, 'utf8');
    const page = { url: 'https://x.ma/catalog?page=1', requestedUrl: 'https://x.ma/catalog?page=1' };
    const ttl = pageTokensHash(bytes, { ...page, contentType: 'text/turtle' }, 'v1');
    expect(ttl).toMatch(/^L[\w-]+$/);
    expect(pageTokensHash(Buffer.from(`# x\n${DOC}`, 'utf8'), { ...page, contentType: 'text/turtle; charset=utf-8' }, 'v1')).toBe(ttl);
    // The mapping's version, the syntax and the URL the relative IRIs resolve against are part of it.
    expect(pageTokensHash(bytes, { ...page, contentType: 'text/turtle' }, 'v2')).not.toBe(ttl);
    expect(pageTokensHash(bytes, { ...page, contentType: 'application/trig' }, 'v1')).not.toBe(ttl);
    expect(pageTokensHash(bytes, { ...page, url: 'https://y.ma/catalog?page=1', contentType: 'text/turtle' }, 'v1')).not.toBe(ttl);
    // Sniffed as readRdf sniffs: Turtle text without a Content-Type is, RDF/XML and JSON-LD are not.
    expect(pageTokensHash(bytes, page, 'v1')).toMatch(/^L/);
    const xml = Buffer.from('<?xml version="1.0"?>\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description><dct:title># x</dct:title></rdf:Description></rdf:RDF>');
    expect(pageTokensHash(xml, page, 'v1')).toBeUndefined();
    expect(pageTokensHash(Buffer.from(`${' '.repeat(5000)}<?xml version="1.0"?><rdf:RDF/>`), page, 'v1')).toBeUndefined();
    expect(pageTokensHash(Buffer.from('{"@id": "x"}'), page, 'v1')).toBeUndefined();
    expect(pageTokensHash(bytes, { ...page, contentType: 'text/turtle', format: 'rdfxml' }, 'v1')).toBeUndefined();
    expect(pageTokensHash(bytes, { ...page, url: 'https://x.ma/catalog.rdf' }, 'v1')).toBeUndefined();
    expect(pageTokensHash(bytes, { ...page, contentType: 'text/turtle; charset=iso-8859-1' }, 'v1')).toBeUndefined();
    expect(pageTokensHash(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(DOC, 'utf16le')]), page, 'v1')).toBeUndefined();
  });

  it('gives up, for the bytes\' own hash, on a page too large or with too many blank node labels for the fetcher\'s thread', () => {
    const page = { url: 'https://x.ma/catalog', requestedUrl: 'https://x.ma/catalog', contentType: 'text/turtle' };
    const line = '<https://x.ma/d/1> <http://purl.org/dc/terms/title> "Jeu"@fr .\n';
    const big = Buffer.from(line.repeat(Math.ceil((MAX_TOKEN_HASH_BYTES + 1) / line.length)), 'utf8');
    expect(pageTokensHash(big.subarray(0, MAX_TOKEN_HASH_BYTES - (MAX_TOKEN_HASH_BYTES % line.length)), page, 'v1')).toMatch(/^L/);
    expect(pageTokensHash(big, page, 'v1')).toBeUndefined();
    const labels = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => `_:b${i} <http://purl.org/dc/terms/title> "x" .\n`).join(''), 'utf8');
    expect(pageTokensHash(labels(MAX_TOKEN_HASH_LABELS), page, 'v1')).toMatch(/^L/);
    expect(pageTokensHash(labels(MAX_TOKEN_HASH_LABELS + 1), page, 'v1')).toBeUndefined();
  });
});

const CONFORMANCE = join(import.meta.dirname, '../../../../../../shared/conformance');
const HAVE = existsSync(CONFORMANCE);
if (!HAVE) console.warn(`lexical-hash.test.ts: ${CONFORMANCE} is absent, the conformance files' fuzzing is skipped`);

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

/** The triples as lines, blank nodes numbered in the order they first appear (what the page's triples hash compares). */
function triples(doc: string, format: string): string[] | undefined {
  let quads: Quad[];
  try {
    quads = new Parser({ format, baseIRI: 'https://x.ma/page' }).parse(doc);
  } catch {
    return undefined;
  }
  const blanks = new Map<string, number>();
  const term = (t: Term) => {
    if (t.termType !== 'BlankNode') return t.termType === 'Literal' ? `"${t.value}"@${t.language}^${t.datatype.value}` : `<${t.value}>`;
    if (!blanks.has(t.value)) blanks.set(t.value, blanks.size);
    return `_${blanks.get(t.value)}`;
  };
  return quads.map((q) => `${term(q.subject)} ${term(q.predicate)} ${term(q.object)} ${term(q.graph)}`);
}

describe.skipIf(!HAVE)('the tokens of the conformance files, hashed', () => {
  const files = HAVE ? listFiles(CONFORMANCE).filter((f) => /\.(ttl|nt)$/.test(f) && statSync(f).size < 200_000) : [];

  it('two pages hashed alike parse to the same triples (a thousand mutants of the Turtle and N-Triples files)', () => {
    // A small seeded generator: the same mutants every run.
    let seed = 20261207;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const edits = [' ', '\n', '\t', '# x\n', '"', "'", '<', '>', '#', '\\', '_:', ':', '.', ';', ',', 'a', '_:b9 ', '""'];
    let alike = 0;
    let told = 0;
    let compared = 0;
    for (let k = 0; k < 1200; k++) {
      const file = files[rnd(files.length)] as string;
      const format = file.endsWith('.nt') ? 'N-Triples' : 'Turtle';
      const doc = readFileSync(file, 'utf8');
      const before = triples(doc, format);
      if (before === undefined) continue;
      const at = rnd(doc.length);
      const edit = edits[rnd(edits.length)] as string;
      const op = rnd(3);
      const mutant = op === 0 ? doc.slice(0, at) + edit + doc.slice(at) : op === 1 ? doc.slice(0, at) + doc.slice(at + 1) : doc.slice(0, at) + edit + doc.slice(at + 1);
      const after = triples(mutant, format);
      if (after === undefined) continue;
      compared++;
      if (tokens(mutant) === tokens(doc)) {
        alike++;
        expect({ file, at, edit, op, triples: after }).toEqual({ file, at, edit, op, triples: before });
      } else if (JSON.stringify(after) !== JSON.stringify(before)) {
        told++;
      }
    }
    // The mutants exercised both sides: some only moved white space or comments, some changed triples.
    expect(compared).toBeGreaterThan(300);
    expect(alike).toBeGreaterThan(50);
    expect(told).toBeGreaterThan(50);
  });

  it('a file re-indented, commented and with its blank nodes relabelled hashes as itself', () => {
    let relabelled = 0;
    let same = 0;
    for (const file of files) {
      const doc = readFileSync(file, 'utf8');
      const format = file.endsWith('.nt') ? 'N-Triples' : 'Turtle';
      const before = triples(doc, format);
      // Long strings hold line ends, which are content there.
      if (before === undefined || doc.includes('"""') || doc.includes("'''")) continue;
      // Blank node labels at the start of a line or after a space, renamed one for one.
      let changed = doc.replace(/(^|[ \t])_:([A-Za-z0-9_]+)/gm, (_m, lead: string, label: string) => `${lead}_:renamed_${label}`);
      changed = `# harvested copy\n${changed.replaceAll('\n', '  \n')}`;
      // (A literal that held such a label, or a line end, is another page: not compared.)
      if (JSON.stringify(triples(changed, format)) !== JSON.stringify(before)) continue;
      if (changed.includes('_:renamed_')) relabelled++;
      same++;
      expect(tokens(changed), file).toBe(tokens(doc));
    }
    expect(same).toBeGreaterThan(50);
    expect(relabelled).toBeGreaterThan(0);
  });
});

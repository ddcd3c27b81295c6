import { describe, expect, it } from 'vitest';
import { LimitExceededError } from '@hasad/core';
import { P } from './adapters/dcat/graph.ts';
import { readRdf } from './adapters/dcat/parse.ts';
import { JsonShapeGuard } from './parse-guards.ts';

const URL = 'https://x.ma/feed';

/** The bytes of `doc` in chunks of `size`. */
function chunks(doc: string | Buffer, size = 64 * 1024): AsyncGenerator<Buffer> {
  const b = Buffer.isBuffer(doc) ? doc : Buffer.from(doc, 'utf8');
  return (async function* () {
    for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
  })();
}

async function limitError(body: AsyncIterable<Buffer>, contentType: string, limits = {}): Promise<{ err: LimitExceededError; ms: number }> {
  const t0 = Date.now();
  const err = await readRdf(body, { url: URL, contentType, limits }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected limit_exceeded').toBeInstanceOf(LimitExceededError);
  return { err: err as LimitExceededError, ms: Date.now() - t0 };
}

describe('JSON shape guard', () => {
  const feed = (doc: string, limits = { maxDepth: 100, maxTokenBytes: 1000 }) => () => {
    const g = new JsonShapeGuard(URL, limits);
    for (let i = 0; i < doc.length; i += 7) g.feed(doc.slice(i, i + 7));
  };

  it('refuses 600 nested arrays and 30,000 nested objects at the depth limit, naming where', () => {
    expect(feed('['.repeat(600) + ']'.repeat(600))).toThrow(
      'JSON from https://x.ma/feed exceeds HASAD_PARSE_MAX_DEPTH (100): JSON arrays and objects nested more than 100 deep at line 1, column 101',
    );
    expect(feed('{"a":'.repeat(30_000) + '1' + '}'.repeat(30_000))).toThrow(/nested more than 100 deep/);
  });

  it('counts nesting, not brackets inside strings (escaped quotes included), and depth that goes back down', () => {
    const inString = `{"s": "${'[{'.repeat(500)} \\" ${'[{'.repeat(500)}"}`;
    expect(feed(inString, { maxDepth: 100, maxTokenBytes: 10_000 })).not.toThrow();
    const wide = `[${Array.from({ length: 500 }, () => '[[[[{"a":[1]}]]]]').join(',')}]`;
    expect(feed(wide)).not.toThrow();
    expect(feed('['.repeat(100) + ']'.repeat(100))).not.toThrow();
    expect(feed('['.repeat(101) + ']'.repeat(101))).toThrow(LimitExceededError);
  });

  it('refuses a string longer than the token limit', () => {
    expect(feed(`{"a": "${'x'.repeat(1001)}"}`)).toThrow(/JSON from https:\/\/x\.ma\/feed exceeds HASAD_PARSE_MAX_TOKEN_BYTES \(1000\): a JSON string longer than 1000 characters at line 1, column 1008/);
    expect(feed(`{"a": "${'x'.repeat(1000)}", "b": "${'y'.repeat(1000)}"}`)).not.toThrow();
  });
});

describe('parsing limits while reading RDF', () => {
  it('JSON-LD 600 arrays deep fails at once with limit_exceeded (the parser took 50 s)', async () => {
    const { err, ms } = await limitError(chunks('['.repeat(600) + ']'.repeat(600)), 'application/ld+json');
    expect(err.code).toBe('limit_exceeded');
    expect(err.context).toMatchObject({ parseLimit: 'maxDepth', max: 100, limit: 'HASAD_PARSE_MAX_DEPTH', format: 'JSON-LD', line: 1, column: 101 });
    expect(ms).toBeLessThan(3000);
  });

  it('JSON-LD objects 30,000 deep fail at the depth limit (they ran the process out of memory)', async () => {
    const { err } = await limitError(chunks('{"@id":"https://x/a","https://x/p":'.repeat(30_000) + '1' + '}'.repeat(30_000)), 'application/ld+json', { maxDepth: 50 });
    expect(err.message).toMatch(/^JSON-LD from https:\/\/x\.ma\/feed exceeds HASAD_PARSE_MAX_DEPTH \(50\): JSON arrays and objects nested more than 50 deep at line 1, column \d+$/);
  });

  it('RDF/XML elements nested past the limit fail with their position', async () => {
    const doc = `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://e/">${'<e:A><e:p>'.repeat(300)}${'</e:p></e:A>'.repeat(300)}</rdf:RDF>`;
    const { err } = await limitError(chunks(doc, 1000), 'application/rdf+xml');
    expect(err.message).toMatch(/^RDF\/XML from https:\/\/x\.ma\/feed exceeds HASAD_PARSE_MAX_DEPTH \(100\): XML elements nested more than 100 deep at line 1, column \d+$/);
  });

  it('an unterminated Turtle literal fails at the token limit in linear time (it blocked 40 s after 37 MB)', async () => {
    for (const open of ['"""', '"']) {
      const body = (async function* () {
        yield Buffer.from(`@prefix dct: <http://purl.org/dc/terms/> .\n<https://x/a> dct:title ${open}`);
        const filler = Buffer.alloc(16 * 1024, 'a');
        for (let i = 0; i < 64 * 40; i++) yield filler; // 40 MB
      })();
      const { err, ms } = await limitError(body, 'text/turtle', { maxTokenBytes: 8 * 1024 * 1024 });
      expect(err.message).toMatch(/^Turtle from https:\/\/x\.ma\/feed exceeds HASAD_PARSE_MAX_TOKEN_BYTES \(8388608\): a token \(literal, IRI or comment\) longer than 8388608 characters, or never closed$/);
      expect(ms).toBeLessThan(10_000);
    }
  });

  it('a long Turtle literal under the limit still parses whole, whatever the chunking', async () => {
    const text = 'é'.repeat(1_500_000);
    const doc = `@prefix dct: <http://purl.org/dc/terms/> .\n<https://x/a> dct:description """${text}"""@fr ; dct:title "t"@fr .\n<https://x/b> dct:title "u" .\n`;
    for (const size of [997, 64 * 1024]) {
      const { graph } = await readRdf(chunks(doc, size), { url: URL, contentType: 'text/turtle', limits: { maxTokenBytes: 2_000_000 } });
      expect(graph.tripleCount).toBe(3);
      expect((graph.objects('https://x/a', P.description)[0] as { value: string }).value).toBe(text);
    }
    await expect(readRdf(chunks(doc), { url: URL, contentType: 'text/turtle', limits: { maxTokenBytes: 1_000_000 } })).rejects.toThrow(LimitExceededError);
  });

  it('32 MB of leading blanks fail at the token limit after one pass (sniffing took 90 s)', async () => {
    const body = (async function* () {
      const blanks = Buffer.alloc(64 * 1024, ' ');
      for (let i = 0; i < 512; i++) yield blanks;
      yield Buffer.from('<https://x/a> <https://x/b> "c" .\n');
    })();
    const { err, ms } = await limitError(body, 'application/octet-stream');
    expect(err.message).toBe(
      'RDF from https://x.ma/feed exceeds HASAD_PARSE_MAX_TOKEN_BYTES (16777216): the document starts with more than 16777216 characters of blank space',
    );
    expect(ms).toBeLessThan(5000);
  });

  it('leading blanks under the limit are read once and the document parses', async () => {
    const doc = `${' \n'.repeat(2 * 1024 * 1024)}<https://x/a> <http://purl.org/dc/terms/title> "c" .\n`;
    const { graph, format } = await readRdf(chunks(doc), { url: URL });
    expect(format).toBe('turtle');
    expect(graph.tripleCount).toBe(1);
  });
});

import { EventEmitter, once } from 'node:events';
import { TextDecoder } from 'node:util';
import type * as RDF from '@rdfjs/types';
import { JsonLdParser } from 'jsonld-streaming-parser';
import { DataFactory as N3DataFactory, Lexer as N3Lexer, Parser as N3Parser } from 'n3';
import { RdfXmlParser } from 'rdfxml-streaming-parser';
import { HasadError, ParseError, type ParseLimits } from '@hasad/core';
import { guardJson, parseLimitError, readToContent, resolveLimits } from '../../parse-guards.ts';
import { PageGraph } from './graph.ts';
import { IriRepairs, MAX_REPAIRS, needsRepair, repairIri, type IriRepair } from './iri.ts';

/** RDF syntaxes the DCAT adapter reads. */
export type RdfFormat = 'turtle' | 'ntriples' | 'nquads' | 'trig' | 'n3' | 'rdfxml' | 'jsonld';

/** Human names used in error messages and page events. */
export const FORMAT_LABELS: Record<RdfFormat, string> = {
  turtle: 'Turtle',
  ntriples: 'N-Triples',
  nquads: 'N-Quads',
  trig: 'TriG',
  n3: 'N3',
  rdfxml: 'RDF/XML',
  jsonld: 'JSON-LD',
};

/** Accept header for DCAT feeds: Turtle first because it parses fastest and most servers offer it. */
export const DCAT_ACCEPT =
  'text/turtle, application/rdf+xml;q=0.9, application/ld+json;q=0.8, application/n-triples;q=0.7, application/trig;q=0.5, text/n3;q=0.5, */*;q=0.1';

const MEDIA_TYPES: Record<string, RdfFormat> = {
  'text/turtle': 'turtle',
  'application/turtle': 'turtle',
  'application/x-turtle': 'turtle',
  'application/rdf+xml': 'rdfxml',
  'application/xml': 'rdfxml',
  'text/xml': 'rdfxml',
  'application/ld+json': 'jsonld',
  'application/json': 'jsonld',
  'application/n-triples': 'ntriples',
  'application/n-quads': 'nquads',
  'application/trig': 'trig',
  'text/n3': 'n3',
  'text/rdf+n3': 'n3',
};

const EXTENSIONS: Record<string, RdfFormat> = {
  ttl: 'turtle',
  rdf: 'rdfxml',
  xml: 'rdfxml',
  owl: 'rdfxml',
  jsonld: 'jsonld',
  json: 'jsonld',
  nt: 'ntriples',
  nq: 'nquads',
  n3: 'n3',
  trig: 'trig',
};

/**
 * The RDF syntax a Content-Type names, or undefined when it names none (text/plain,
 * application/octet-stream and text/html are common on misconfigured servers: fall back).
 */
export function formatFromContentType(contentType: string | undefined): RdfFormat | undefined {
  if (contentType === undefined) return undefined;
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return MEDIA_TYPES[type];
}

/** The RDF syntax a URL's file extension suggests (`.ttl`, `.rdf`, `.jsonld` ...), if any. */
export function formatFromUrl(url: string): RdfFormat | undefined {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return undefined;
  }
  const last = path.slice(path.lastIndexOf('/') + 1).toLowerCase();
  const dot = last.lastIndexOf('.');
  return dot < 0 ? undefined : EXTENSIONS[last.slice(dot + 1)];
}

/**
 * Guesses the syntax from the first characters of the document: XML declaration, doctype,
 * comment or `<rdf:RDF` means RDF/XML; a JSON object or array means JSON-LD; anything else is
 * read as Turtle (which also accepts N-Triples).
 */
export function sniffFormat(head: string): RdfFormat {
  const s = head.replace(/^\uFEFF/, '').trimStart();
  if (s.startsWith('<?xml') || s.startsWith('<!') || /^<rdf:RDF[\s>]/.test(s)) return 'rdfxml';
  if (s.startsWith('{')) return 'jsonld';
  // `[` also opens a Turtle blank node (`[ a dcat:Dataset ] .`); JSON arrays hold objects.
  if (/^\[\s*(\{|\]|$)/.test(s)) return 'jsonld';
  return 'turtle';
}

/** The charset parameter of a Content-Type, lower-cased. */
export function charsetFromContentType(contentType: string | undefined): string | undefined {
  const m = contentType === undefined ? null : /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return m?.[1]?.toLowerCase();
}

/** Options for {@link readRdf}. */
export interface ReadRdfOptions {
  /** The document's URL: base IRI for relative IRIs, and named in errors. */
  url: string;
  /** The response Content-Type, when known. */
  contentType?: string;
  /** Forced syntax (source config); skips negotiation and sniffing. */
  format?: RdfFormat;
  /** Another URL whose extension may name the syntax (the URL asked for, before redirects). */
  requestedUrl?: string;
  /**
   * JSON-LD documents for remote `@context` URLs, by URL. Anything else is refused: fetching
   * contexts would bypass the address policy and make parsing depend on third-party servers.
   */
  jsonLdContexts?: ReadonlyMap<string, unknown>;
  /** Nesting depth and token length allowed (docs/limits.md); defaults for the ones not given. */
  limits?: Partial<ParseLimits>;
  /** Measurement only: `false` keeps no copy of the triples for the datasets' kept descriptions. */
  keepTriples?: boolean;
  /**
   * The page's triples hash is known from an earlier run: the graph is built only once the caller
   * has compared it (PageGraph's `defer`; the caller must call `graph.undefer`).
   */
  deferGraph?: boolean;
}

/** A parsed page. */
export interface ReadRdfResult {
  graph: PageGraph;
  format: RdfFormat;
  /** IRIs read percent-encoded because they held forbidden characters (at most MAX_REPAIRS), and how many there were. */
  repairs: { list: IriRepair[]; count: number };
}

/**
 * Streams an RDF document into a {@link PageGraph}, choosing the syntax from the forced format,
 * then Content-Type, then the URL's extension, then the first bytes.
 *
 * The bytes are decoded to text before any parser sees them: rdfxml-streaming-parser corrupts
 * multi-byte UTF-8 characters split across Buffer chunks.
 *
 * @throws ParseError naming the URL, the syntax and, when the parser knows it, line and column;
 *   LimitExceededError past the nesting depth or token length. Errors from the byte stream itself (FetchRefusedError for maxBytes, FetchNetworkError) pass through.
 */
export async function readRdf(body: AsyncIterable<Buffer | Uint8Array>, opts: ReadRdfOptions): Promise<ReadRdfResult> {
  const bytes = body[Symbol.asyncIterator]();
  let text: AsyncGenerator<string> | undefined;
  let format: RdfFormat = opts.format ?? 'turtle';
  const limits = resolveLimits(opts.limits);
  try {
    const headBytes = await peek(bytes, (chunks) => chunks.reduce((n, c) => n + c.length, 0) >= 512);
    const charset = charsetFromContentType(opts.contentType) ?? sniffCharset(Buffer.concat(headBytes.head));
    let decoder: TextDecoder;
    try {
      // fatal: bytes that are not text in the charset fail the page, naming where, instead of
      // becoming U+FFFD in the catalogue.
      decoder = new TextDecoder(charset, { fatal: true });
    } catch {
      throw new ParseError(opts.url, 'text', `unsupported charset "${charset}"`);
    }
    const chars = decode(replay(headBytes.head, bytes), decoder, opts.url);
    const headJoined = (await readToContent(chars, opts.url, limits.maxTokenBytes)).join('');
    refuseHtml(headJoined, opts);
    format =
      opts.format ??
      formatFromContentType(opts.contentType) ??
      formatFromUrl(opts.url) ??
      (opts.requestedUrl === undefined ? undefined : formatFromUrl(opts.requestedUrl)) ??
      sniffFormat(headJoined);
    // XML forbids anything before `<?xml`, yet some servers emit a newline first: drop it (the
    // head holds everything up to the first non-space character). Error line numbers then count
    // from the declaration.
    const head = [format === 'rdfxml' && /^[\s\uFEFF]+<\?xml/.test(headJoined) ? headJoined.replace(/^[\s\uFEFF]+/, '') : headJoined];
    text = format === 'rdfxml' ? guardXmlProlog(replay(head, chars), opts.url) : replay(head, chars);
    const graph = new PageGraph({ keepTriples: opts.keepTriples !== false, defer: opts.deferGraph === true });
    const repairs = new IriRepairs();
    if (format === 'rdfxml') {
      await feedStream(new GuardedRdfXmlParser(opts.url, limits.maxDepth, repairs, { baseIRI: opts.url, trackPosition: true }), text, graph);
    } else if (format === 'jsonld') {
      const parser = lenientJsonLd(new JsonLdParser({ baseIRI: opts.url, documentLoader: contextLoader(opts.jsonLdContexts) }), repairs);
      await feedStream(parser, guardJson(text, opts.url, limits, 'JSON-LD'), graph);
    } else {
      await feedN3(format, opts.url, text, graph, limits.maxTokenBytes, repairs);
    }
    return { graph, format, repairs: { list: repairs.list, count: repairs.count } };
  } catch (err) {
    throw toParseError(err, opts.url, format);
  } finally {
    // Stop reading (and release the socket) if parsing stopped early.
    await text?.return(undefined);
    await bytes.return?.(undefined);
  }
}

/** Parses an in-memory document (tests, previews of pasted text). Same rules as {@link readRdf}. */
export function parseRdfString(text: string, opts: ReadRdfOptions): Promise<ReadRdfResult> {
  return readRdf(
    (async function* () {
      yield Buffer.from(text, 'utf8');
    })(),
    opts,
  );
}

function sniffCharset(head: Buffer): string {
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  // RDF/XML may declare its encoding (ISO-8859-1 feeds still exist); absent that, RDF is UTF-8.
  const decl = /^(?:\xEF\xBB\xBF)?<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head.toString('latin1'));
  return decl?.[1]?.toLowerCase() ?? 'utf-8';
}

async function peek<T>(it: AsyncIterator<T>, enough: (chunks: T[]) => boolean): Promise<{ head: T[] }> {
  const head: T[] = [];
  while (!enough(head)) {
    const r = await it.next();
    if (r.done === true) break;
    head.push(r.value);
  }
  return { head };
}

async function* replay<T>(head: T[], rest: AsyncIterator<T>): AsyncGenerator<T> {
  try {
    yield* head;
    for (;;) {
      const r = await rest.next();
      if (r.done === true) return;
      yield r.value;
    }
  } finally {
    await rest.return?.(undefined);
  }
}

async function* decode(bytes: AsyncIterable<Buffer | Uint8Array>, decoder: TextDecoder, url: string): AsyncGenerator<string> {
  let offset = 0;
  // The last bytes of the previous chunk: a sequence begun there fails in this one.
  let tail: Buffer = Buffer.alloc(0);
  let chunk: Buffer | Uint8Array | undefined;
  let s: string;
  try {
    for await (chunk of bytes) {
      s = decoder.decode(chunk, { stream: true });
      offset += chunk.length;
      tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - 3)));
      if (s !== '') yield s;
    }
    chunk = undefined;
    s = decoder.decode();
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    throw charsetError(url, decoder.encoding, chunk === undefined ? undefined : Buffer.concat([tail, chunk]), offset - tail.length);
  }
  if (s !== '') yield s;
}

/** A clear error for bytes that are not text in the document's charset, naming the first bad byte when it can. */
function charsetError(url: string, encoding: string, chunk: Buffer | Uint8Array | undefined, offset: number): ParseError {
  const label = encoding.toUpperCase();
  const hint = `declare the real charset in the Content-Type (e.g. "; charset=windows-1252") or fix the file`;
  if (chunk === undefined) return new ParseError(url, `${label} text`, `the document ends inside a ${label} character sequence; ${hint}`);
  const at = encoding === 'utf-8' ? firstInvalidUtf8(chunk) : undefined;
  const where = at === undefined ? `in bytes ${offset}–${offset + chunk.length - 1}` : `at byte ${offset + at} (0x${(chunk[at] ?? 0).toString(16).padStart(2, '0').toUpperCase()})`;
  return new ParseError(url, `${label} text`, `the document is not valid ${label}: invalid byte sequence ${where}; ${hint}`);
}

/**
 * Index of the first byte of `buf` that cannot be part of valid UTF-8 (a chunk may start inside
 * a sequence begun in the previous one: up to three leading continuation bytes are skipped; a
 * sequence cut at the end is not counted as invalid). Undefined when none is found.
 */
function firstInvalidUtf8(buf: Buffer | Uint8Array): number | undefined {
  let i = 0;
  while (i < 3 && i < buf.length && ((buf[i] as number) & 0xc0) === 0x80) i++;
  while (i < buf.length) {
    const b = buf[i] as number;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= buf.length) return undefined;
      const c = buf[i + k] as number;
      const lo = k === 1 && b === 0xe0 ? 0xa0 : k === 1 && b === 0xf0 ? 0x90 : 0x80;
      const hi = k === 1 && b === 0xed ? 0x9f : k === 1 && b === 0xf4 ? 0x8f : 0xbf;
      if (c < lo || c > hi) return i;
    }
    i += need + 1;
  }
  return undefined;
}

/**
 * Servers answer an HTML page with status 200 for a moved feed, a login wall or a portal's
 * home page. Said plainly instead of as an RDF syntax error at line 1.
 */
function refuseHtml(head: string, opts: ReadRdfOptions): void {
  const h = head.replace(/^\uFEFF/, '').trimStart();
  if (/^<!doctype\s+html[\s>]/i.test(h) || /^<html[\s>]/i.test(h)) throw htmlError(opts.url, opts.contentType);
}

function htmlError(url: string, contentType: string | undefined): ParseError {
  const ct = contentType === undefined ? '' : ` (Content-Type ${contentType})`;
  return new ParseError(url, 'RDF', `the server answered an HTML page${ct} where an RDF document was expected; check the feed URL`);
}

// ---------------------------------------------------------------------------------------------
// RDF/XML safety: no document type declaration with an internal subset reaches the parser.
// rdfxml-streaming-parser (saxes) reads `<!ENTITY name "value">` from a DOCTYPE's internal subset
// and expands those entities; saxes does not fetch external ones. A feed has no need for either,
// and refusing them before parsing rules out XXE and billion-laughs documents whatever the
// parser's version does with them.

/** The prolog (before the root element) may hold comments and processing instructions, not megabytes of them. */
const MAX_PROLOG_CHARS = 1024 * 1024;

/** What the prolog seen so far says: read more, let it through, or refuse with a reason. */
type PrologVerdict = { kind: 'more' } | { kind: 'ok' } | { kind: 'refuse'; detail: string; at: number };

/**
 * Scans an XML prolog: the XML declaration, comments and processing instructions are skipped; a
 * DOCTYPE with an internal subset (`[ … ]`) or naming `html`, or a root element `html`, is refused.
 * A DOCTYPE without an internal subset is harmless (nothing is fetched) and let through.
 */
export function scanXmlProlog(s: string, final: boolean): PrologVerdict {
  const more: PrologVerdict = final ? { kind: 'ok' } : { kind: 'more' };
  let i = 0;
  for (;;) {
    while (i < s.length && /[\s\uFEFF]/.test(s[i] as string)) i++;
    if (i >= s.length) return more;
    if (s[i] !== '<') return { kind: 'ok' }; // text before the root: the parser says what is wrong
    const rest = s.slice(i, i + 9);
    if (rest.length < 9 && !final && ('<!DOCTYPE'.startsWith(rest.toUpperCase()) || '<!--'.startsWith(rest) || rest === '<' || rest === '<?')) return more;
    if (rest.startsWith('<?')) {
      const end = s.indexOf('?>', i + 2);
      if (end < 0) return more;
      i = end + 2;
      continue;
    }
    if (rest.startsWith('<!--')) {
      const end = s.indexOf('-->', i + 4);
      if (end < 0) return more;
      i = end + 3;
      continue;
    }
    if (/^<!doctype/i.test(rest)) {
      const name = /^<!doctype\s+([^\s[>]+)/i.exec(s.slice(i, i + 300))?.[1];
      if (name?.toLowerCase() === 'html') return { kind: 'refuse', detail: 'html', at: i };
      let quote: string | undefined;
      let closed = false;
      for (let j = i + 9; j < s.length && !closed; j++) {
        const c = s[j] as string;
        if (quote !== undefined) {
          if (c === quote) quote = undefined;
        } else if (c === '"' || c === "'") {
          quote = c;
        } else if (c === '[') {
          const end = s.indexOf(']', j + 1);
          if (end < 0) return final ? { kind: 'refuse', at: i, detail: ENTITY_REFUSAL } : more;
          if (typeof plainEntities(s.slice(j + 1, end)) === 'string') return { kind: 'refuse', at: i, detail: ENTITY_REFUSAL };
          // Only plain text entities: read on to the DOCTYPE's end.
          j = end;
        } else if (c === '>') {
          i = j + 1;
          closed = true;
        }
      }
      if (!closed) return more;
      continue;
    }
    const tag = /^<([A-Za-z_][\w.:-]*)[\s/>]/.exec(s.slice(i, i + 256));
    if (tag === null) return s.length - i < 256 && !final ? more : { kind: 'ok' };
    return /^(?:[\w.-]+:)?html$/i.test(tag[1] as string) ? { kind: 'refuse', detail: 'html', at: i } : { kind: 'ok' };
  }
}

const ENTITY_REFUSAL =
  'the document has a DOCTYPE with an internal subset (entity declarations); refused, because entity expansion enables XXE and billion-laughs attacks (only plain text entities are read: no external or parameter entity, none referring to another, values up to 1024 characters)';

/** Longest value of an internal entity accepted, in characters: bounds what one reference expands to. */
const MAX_ENTITY_VALUE = 1024;
/** Internal entities accepted at most. */
const MAX_ENTITIES = 256;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * The entities of a DOCTYPE's internal subset when it declares nothing but plain text entities
 * (`<!ENTITY dct "http://purl.org/dc/terms/">`, as Protégé and Italian DCAT-AP_IT files use to
 * shorten namespaces), with predefined and character references in their values decoded; else a
 * reason to refuse. Refused: external entities (SYSTEM/PUBLIC: XXE), parameter entities, values
 * referring to other entities (billion laughs), and values over MAX_ENTITY_VALUE characters.
 * A reference then expands once, to at most MAX_ENTITY_VALUE characters; the parsing worker's
 * memory and CPU limits bound the rest. rdflib reads such files, so Hasad does too.
 */
export function plainEntities(subset: string): Map<string, string> | string {
  const entities = new Map<string, string>();
  const decl = /\s+|<!--[\s\S]*?-->|<!ENTITY\s+([A-Za-z_][\w.-]*)\s+(?:"([^"]*)"|'([^']*)')\s*>/y;
  let at = 0;
  while (at < subset.length) {
    decl.lastIndex = at;
    const m = decl.exec(subset);
    if (m === null) return `unexpected declaration at ${JSON.stringify(subset.slice(at, at + 40))}`;
    at = decl.lastIndex;
    if (m[1] === undefined) continue;
    const raw = m[2] ?? m[3] ?? '';
    if (raw.length > MAX_ENTITY_VALUE) return `entity ${m[1]} is longer than ${MAX_ENTITY_VALUE} characters`;
    let bad: string | undefined;
    const value = raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z_][\w.-]*);|[&%]/g, (ref, name: string | undefined) => {
      if (name === undefined) return (bad = ref);
      if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
      if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
      return PREDEFINED[name] ?? (bad = ref);
    });
    if (bad !== undefined) return `entity ${m[1]} refers to ${bad}`;
    entities.set(m[1], value);
    if (entities.size > MAX_ENTITIES) return `more than ${MAX_ENTITIES} entities`;
  }
  return entities;
}

/** Passes the text through once its prolog is known to be safe; see {@link scanXmlProlog}. */
async function* guardXmlProlog(text: AsyncIterable<string>, url: string): AsyncGenerator<string> {
  let buf = '';
  let decided = false;
  const check = (final: boolean) => {
    const v = scanXmlProlog(buf, final);
    if (v.kind === 'refuse') {
      if (v.detail === 'html') throw htmlError(url, undefined);
      const before = buf.slice(0, v.at);
      const line = before.split('\n').length;
      throw new ParseError(url, 'RDF/XML', v.detail, { line, column: v.at - before.lastIndexOf('\n') });
    }
    if (v.kind === 'more' && buf.length > MAX_PROLOG_CHARS) {
      throw new ParseError(url, 'RDF/XML', `no root element within the first ${MAX_PROLOG_CHARS} characters`);
    }
    return v.kind !== 'more';
  };
  // The prolog is scanned again from its start only once it has doubled since the last scan:
  // linear overall, however small the chunks the network delivers.
  let nextScan = 0;
  for await (const chunk of text) {
    if (decided) {
      yield chunk;
      continue;
    }
    buf += chunk;
    if (buf.length < nextScan && buf.length <= MAX_PROLOG_CHARS) continue;
    nextScan = buf.length * 2;
    if (check(false)) {
      decided = true;
      yield buf;
      buf = '';
    }
  }
  if (!decided && buf !== '') {
    check(true);
    yield buf;
  }
}

/**
 * The RDF/XML parser with DOCTYPE handling replaced: the stock one registers the internal
 * subset's entities for expansion. The prolog guard already refused such documents; this is the
 * second line, should a DOCTYPE ever reach the parser.
 */
class GuardedRdfXmlParser extends RdfXmlParser {
  private depth = 0;

  constructor(
    private readonly url: string,
    private readonly maxDepth: number,
    private readonly repairs: IriRepairs,
    args: ConstructorParameters<typeof RdfXmlParser>[0],
  ) {
    super(args);
  }

  /** Reads an IRI with forbidden characters (a space, a quote) percent-encoded, noting where, instead of failing the page. */
  override uriToNamedNode(uri: string): RDF.NamedNode {
    if (!needsRepair(uri)) return super.uriToNamedNode(uri);
    const sax = (this as unknown as { saxParser: { line: number; column: number } }).saxParser;
    return super.uriToNamedNode(this.repairs.repair(uri, { line: sax.line, column: sax.column }));
  }

  /** Refuses elements nested deeper than maxDepth before the parser keeps state for them (its cost grows superlinearly with depth). */
  protected override onTag(tag: Parameters<RdfXmlParser['onTag']>[0]): void {
    if (++this.depth > this.maxDepth) {
      // saxes' position is not part of the parser's typed surface.
      const sax = (this as unknown as { saxParser: { line: number; column: number } }).saxParser;
      throw parseLimitError(this.url, 'RDF/XML', 'maxDepth', this.maxDepth, `XML elements nested more than ${this.maxDepth} deep`, { line: sax.line, column: sax.column });
    }
    super.onTag(tag);
  }

  protected override onCloseTag(): void {
    this.depth--;
    super.onCloseTag();
  }

  protected override onDoctype(doctype: string): void {
    const open = doctype.indexOf('[');
    if (open < 0 || !doctype.replace(/"[^"]*"|'[^']*'/g, '').includes('[')) return;
    const entities = plainEntities(doctype.slice(open + 1, doctype.lastIndexOf(']')));
    if (typeof entities === 'string') throw new ParseError(this.url, 'RDF/XML', ENTITY_REFUSAL);
    // saxes inserts an entity's text as it is, without reading references in it again.
    const sax = (this as unknown as { saxParser: { ENTITIES: Record<string, string> } }).saxParser;
    for (const [name, value] of entities) sax.ENTITIES[name] = value;
  }
}

const N3_FORMATS: Record<string, string> = {
  // Turtle and N-Triples are read with the TriG grammar, a superset of both: servers label Turtle
  // as N-Triples, and some catalogues (piveau) serve TriG graphs in .ttl files.
  turtle: 'TriG',
  ntriples: 'TriG',
  nquads: 'N-Quads',
  trig: 'TriG',
  n3: 'N3',
};

/** Held text of the lexer below which chunks go to it as they come. */
const COALESCE_FROM = 64 * 1024;

/**
 * Drives n3's Parser directly with string chunks: its StreamParser would re-encode every string
 * to a Buffer and push each quad through a stream, which costs more than the parsing itself.
 *
 * n3's lexer keeps the text of a token it has not finished (a long literal, an IRI) and scans
 * it again from its start on every chunk: an unterminated literal made that quadratic (40 s after
 * 37 MB). Two things keep it linear and bounded: while the lexer holds more than COALESCE_FROM
 * characters, chunks are gathered and handed over only once they are as long as what it holds
 * (each rescan then covers at least as much new text as old), and a held token longer than
 * `maxTokenBytes` fails the page.
 */
async function feedN3(format: RdfFormat, baseIRI: string, text: AsyncIterable<string>, graph: PageGraph, maxTokenBytes: number, repairs: IriRepairs): Promise<void> {
  const n3Format = N3_FORMATS[format] ?? 'TriG';
  const lexer = n3Format === 'N3' ? undefined : lenientLexer(new N3Lexer({ lineMode: n3Format === 'N-Quads' }), repairs);
  const parser = new N3Parser({ baseIRI, format: n3Format, ...(lexer !== undefined && { lexer }) });
  // The lexer's unconsumed text is not part of n3's typed surface; it is a plain string field.
  const held = () => ((parser as unknown as { _lexer?: { _input?: unknown } })._lexer?._input as string | null | undefined)?.length ?? 0;
  const input = new EventEmitter();
  let error: Error | undefined;
  parser.parse(input, {
    onQuad: (err, quad) => {
      if (err) error ??= err;
      else if (quad) graph.add(quad);
    },
  });
  const tooLong = () =>
    parseLimitError(baseIRI, FORMAT_LABELS[format], 'maxTokenBytes', maxTokenBytes, `a token (literal, IRI or comment) longer than ${maxTokenBytes} characters, or never closed`);
  let gathered: string[] = [];
  let gatheredLength = 0;
  const emit = (chunk: string) => {
    input.emit('data', chunk);
    // The lexer tokenises each chunk synchronously inside emit(), so errors are known right after.
    if (error !== undefined) throw error;
    if (held() > maxTokenBytes) throw tooLong();
  };
  for await (const chunk of text) {
    const h = held();
    if (h < COALESCE_FROM && gatheredLength === 0) {
      emit(chunk);
      continue;
    }
    gathered.push(chunk);
    gatheredLength += chunk.length;
    // Handed over early when the token could pass the limit: the lexer then says whether it did.
    if (gatheredLength < h && h + gatheredLength <= maxTokenBytes) continue;
    const joined = gathered.join('');
    gathered = [];
    gatheredLength = 0;
    emit(joined);
  }
  if (gatheredLength > 0) emit(gathered.join(''));
  input.emit('end');
  if (error !== undefined) throw error;
}

/**
 * n3's lexer with IRI leniency: an `<…>` IRI with a space, a quote or another character Turtle
 * forbids (but no escape, no line break and no `<` or `>` inside) is read percent-encoded and
 * noted with its line and column, where n3 would fail the whole page. The lexer's IRI pattern,
 * its held text and its tokenising step are internal fields, not part of n3's typed surface:
 * they are replaced on this one instance.
 *
 * n3 counts lines but not columns (its tokens' `start` counts from the chunk, not the line), so
 * the column is derived here: the lexer is handed its unconsumed text (`_input`) at each chunk
 * and slices tokens off a local copy; the IRI pattern sees that copy, so how far the IRI is into
 * the chunk's text is the difference of their lengths, and `lineStart` carries how much of the
 * current line earlier chunks consumed.
 */
function lenientLexer(lexer: N3Lexer, repairs: IriRepairs): N3Lexer {
  const internals = lexer as unknown as {
    _unescapedIri: RegExp;
    _line: number;
    _input: string | null | undefined;
    _tokenizeToEnd(callback: unknown, inputFinished: boolean): unknown;
  };
  const strict = internals._unescapedIri;
  const lenient = /^<([^<>\\\n\r]*)>[ \t]*/;
  /** The text the lexer was handed for the chunk being tokenised. */
  let chunkText = '';
  /** Characters of the current line consumed before `chunkText` began. */
  let lineStart = 0;
  const tokenize = internals._tokenizeToEnd.bind(lexer);
  internals._tokenizeToEnd = (callback, inputFinished) => {
    chunkText = typeof internals._input === 'string' ? internals._input : '';
    const result = tokenize(callback, inputFinished);
    const rest = internals._input;
    if (typeof rest === 'string') {
      const consumed = chunkText.length - rest.length;
      const br = lastLineBreak(chunkText, consumed);
      lineStart = br < 0 ? lineStart + consumed : consumed - br - 1;
    }
    chunkText = '';
    return result;
  };
  internals._unescapedIri = {
    exec(input: string): RegExpExecArray | null {
      const m = strict.exec(input);
      if (m !== null) return m;
      const l = lenient.exec(input);
      if (l === null || !needsRepair(l[1] as string)) return null;
      // Past MAX_REPAIRS only the count goes on: no column is looked for (a long line, a long walk).
      let column: number | undefined;
      if (!repairs.full) {
        const at = chunkText.length - input.length;
        const br = lastLineBreak(chunkText, at);
        column = (br < 0 ? lineStart + at : at - br - 1) + 1;
      }
      l[1] = repairs.repair(l[1] as string, { line: internals._line, ...(column !== undefined && { column }) });
      return l;
    },
  } as RegExp;
  return lexer;
}

/**
 * Index of the last line break (\n or \r, as n3 counts them) in `text` before `end`, or -1.
 * Walks back from `end`: the cost is the length of the line, not of the text.
 */
function lastLineBreak(text: string, end: number): number {
  let i = end - 1;
  while (i >= 0) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) return i;
    i--;
  }
  return -1;
}

interface QuadTransform extends EventEmitter {
  write(chunk: string): boolean;
  end(): void;
  destroy(err?: Error): void;
}

/** Feeds a Transform-style RDF/JS parser (RDF/XML, JSON-LD) with backpressure; resolves at 'end'. */
async function feedStream(parser: QuadTransform, text: AsyncIterable<string>, graph: PageGraph): Promise<void> {
  let failure: { error: unknown } | undefined;
  const ended = new Promise<void>((resolve, reject) => {
    parser.on('data', (q: RDF.Quad) => graph.add(q));
    // These parsers may report several errors for one fault; the first is the useful one.
    parser.on('error', (e: unknown) => {
      if (failure === undefined) {
        failure = { error: e };
        reject(e);
      }
    });
    parser.on('end', () => resolve());
  });
  ended.catch(() => undefined);
  try {
    for await (const chunk of text) {
      if (failure !== undefined) break;
      if (!parser.write(chunk)) await Promise.race([once(parser, 'drain'), ended]);
    }
    if (failure === undefined) parser.end();
    await ended;
  } catch (err) {
    parser.destroy();
    throw failure?.error ?? err;
  }
}

/**
 * jsonld-streaming-parser with IRI leniency: a node IRI (`@id`, an `@id` value) that it would
 * silently drop for holding a space or another forbidden character is read percent-encoded and
 * noted instead. Its IRI-to-term step is an internal method, not part of the typed surface: it is
 * wrapped on this one instance.
 *
 * Where: the parser gives no line, and the byte offset its JSON tokeniser keeps drifts after every
 * escaped character (`\/` in PHP output), so the position named is the JSON Pointer (RFC 6901) of
 * the value being read, which is exact. The parser handles one value at a time (each value's job
 * is chained after the previous one) and flushes a finished node under that node's keys, so the
 * keys of the job or flush running are the value's (a flush's, its node's `@id`).
 */
function lenientJsonLd(parser: JsonLdParser, repairs: IriRepairs): JsonLdParser {
  type Context = { expandTerm(key: string, vocab: boolean, options: unknown): string | null };
  type Keys = readonly (string | number | undefined)[];
  const internals = parser as unknown as {
    util: { resourceToTerm(context: Context, key: string): RDF.Term | null; parsingContext: { getExpandOptions(): unknown } };
    newOnValueJob(keys: Keys, value: unknown, depth: number, lastDepthCheck: boolean): Promise<void>;
    flushBuffer(depth: number, keys: Keys): Promise<void>;
  };
  let current: Keys = [];
  const reported = new Set<string>();
  const job = internals.newOnValueJob.bind(parser);
  internals.newOnValueJob = (keys, value, depth, lastDepthCheck) => {
    current = keys.slice(0, depth + 1);
    return job(keys, value, depth, lastDepthCheck);
  };
  const flush = internals.flushBuffer.bind(parser);
  internals.flushBuffer = async (depth, keys) => {
    const outer = current;
    // A flush resolves the node's own IRI again: named by the node's `@id`, as when it was read.
    current = [...keys.slice(0, depth + 1), '@id'];
    try {
      await flush(depth, keys);
    } finally {
      current = outer;
    }
  };
  const util = internals.util;
  const strict = util.resourceToTerm.bind(util);
  util.resourceToTerm = (context, key) => {
    const term = strict(context, key);
    if (term !== null || key.startsWith('_:')) return term;
    const iri = context.expandTerm(key, false, util.parsingContext.getExpandOptions());
    if (iri === null || !/^[A-Za-z][\w+.-]*:/.test(iri) || !needsRepair(iri)) return null;
    // The parser resolves a node's IRI more than once (at its `@id`, again when the property
    // holding the node is read): reported once per node, at the first place it was met.
    const node = current[current.length - 1] === '@id' ? current.slice(0, -1) : current;
    const place = `${jsonPointer(node)} ${iri}`;
    if (reported.has(place)) return N3DataFactory.namedNode(repairIri(iri));
    if (reported.size < MAX_REPAIRS) reported.add(place);
    return N3DataFactory.namedNode(repairs.repair(iri, repairs.full ? {} : { path: jsonPointer(current) }));
  };
  return parser;
}

/** RFC 6901 JSON Pointer of a key stack (the first entry, the document root, has no key). */
function jsonPointer(keys: readonly (string | number | undefined)[]): string {
  return keys
    .slice(1)
    .map((k) => `/${String(k).replace(/~/g, '~0').replace(/\//g, '~1')}`)
    .join('');
}

function contextLoader(known: ReadonlyMap<string, unknown> | undefined): { load(url: string): Promise<never> } {
  return {
    load: async (url: string) => {
      const doc = known?.get(url);
      if (doc !== undefined) return structuredClone(doc) as never;
      throw new Error(
        `remote @context ${url} is not fetched (contexts are never loaded from the network; only known contexts configured locally are used)`,
      );
    },
  };
}

const XML_POSITION = /^(?:Line (\d+) column (\d+): |(\d+):(\d+): )/;

function toParseError(err: unknown, url: string, format: RdfFormat): unknown {
  // Byte-stream failures (size limit, network) and our own errors are not syntax errors.
  if (err instanceof HasadError) return err;
  const label = FORMAT_LABELS[format];
  const message = err instanceof Error ? err.message : String(err);
  if (format === 'rdfxml') {
    const m = XML_POSITION.exec(message);
    if (m !== null) {
      const line = Number(m[1] ?? m[3]);
      const column = Number(m[2] ?? m[4]);
      return new ParseError(url, label, message.slice(m[0].length), { line, column });
    }
    return new ParseError(url, label, message);
  }
  if (format === 'jsonld') return new ParseError(url, label, message);
  const line = (err as { context?: { line?: unknown } } | null)?.context?.line;
  if (typeof line === 'number') {
    return new ParseError(url, label, message.replace(/ on line \d+\.?$/, ''), { line });
  }
  return new ParseError(url, label, message);
}

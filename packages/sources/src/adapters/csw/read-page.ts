import { createHash } from 'node:crypto';
import { LimitExceededError, ParseError } from '@hasad/core';
import type { CanonicalDataset, ParseLimits, RecordProblem } from '@hasad/core';
import type { PageOutcome } from '../../pager.ts';
import { parseLimitError } from '../../parse-guards.ts';
import { mapPage } from '../dcat/map.ts';
import { parseRdfString } from '../dcat/parse.ts';
import { BatchCollector } from '../shared/batches.ts';
import type { MappedBatch, RecordMapResult } from '../shared/batches.ts';
import { DEFAULT_XML_LIMITS, readXmlDocument } from '../soap/stream.ts';
import type { DetachOptions, SpanOptions, XmlLimits } from '../soap/stream.ts';
import type { XNode } from '../soap/xml.ts';
import { DC_RECORD_NAMES, mapDcRecord } from './dc.ts';
import { mapIsoRecord } from './iso.ts';
import { readSearchResults, searchStatus, withNamespaces } from './protocol.ts';
import type { CswSearchResults } from './protocol.ts';

/**
 * Reading one CSW GetRecords page: its bytes in, its records' batches out. Pure (plain data in,
 * plain data out), so that the same code runs in the fetcher's parsing worker
 * (isolation/parse-pool.ts: the page is parsed on another core, under the worker's heap cap and
 * CPU watch) and, without a pool, in the caller's thread. What spans pages (the paging checks,
 * the read-ahead, identifiers already seen on earlier pages) stays with the harvest (client.ts).
 */

/** How the records of a page are read (CswPlan.format). */
export type CswFormat = 'iso19139' | 'dcat' | 'dc';

/** Hard limits on one CSW answer (settings `HASAD_CSW_MAX_*`, see docs/limits.md); its bytes are the source's `maxPageBytes`. */
export interface CswLimits extends XmlLimits {
  /** Elements of one answer, counted whether held or not (a new page's records are mapped and dropped as each closes; a page read before is held whole). */
  maxElements: number;
}

export const DEFAULT_CSW_LIMITS: CswLimits = {
  ...DEFAULT_XML_LIMITS,
  // About 150 bytes of heap each: 1,000,000 is some 150 MB, the size of a page of 1000 large ISO records.
  maxElements: 1_000_000,
};

/** The setting each limit is named by in errors. */
export const CSW_LIMIT_SETTINGS: Record<keyof CswLimits, string> = {
  maxDepth: 'HASAD_CSW_MAX_DEPTH',
  maxTextLength: 'HASAD_CSW_MAX_TEXT_LENGTH',
  maxElements: 'HASAD_CSW_MAX_ELEMENTS',
};

/**
 * Bump when the mapping of CSW records changes: the body hash includes it, so that pages are read
 * again with the new mapping instead of being skipped as unchanged, and so does each ISO 19139 and
 * Dublin Core record's content hash (recordFingerprint), so that its dataset is rewritten.
 */
const MAPPING_VERSION = 'csw-map-4';
const RDF_NS = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';

type Mapped = RecordMapResult & { record?: CanonicalDataset };

/**
 * An ISO 19139 or Dublin Core record's content hash (SourceDescription.fingerprint): its record
 * follows wholly from its text (cut from the page with the namespaces it inherits) and the
 * mapping, so the text and MAPPING_VERSION fingerprint it. Hashing its 4 KB of canonical JSON and
 * its 8 KB of XML as JSON instead was about an eighth of a parsing worker's CPU a page (9.8 ms of
 * 78 for 100 records, against 1.2 ms for this).
 */
export function recordFingerprint(format: CswFormat, text: string): string {
  return createHash('sha1').update(`${MAPPING_VERSION}\u0000${format}\u0000`).update(text).digest('hex');
}

/** The record elements the page's format maps one by one (DCAT records go through the RDF parser, from their text). */
function isRecordOf(format: CswFormat, r: XNode): boolean {
  return format === 'iso19139' ? /^(?:MD_Metadata|MI_Metadata)$/.test(r.name) : format === 'dc' && DC_RECORD_NAMES.has(r.name);
}

/**
 * Maps a GetRecords page's ISO or Dublin Core records as they close while the page is read (each
 * record's tree is then garbage, instead of some 20,000 elements a page living until its last byte
 * and surviving into the old generation), keeping in the page's tree an element without children
 * in its place. The records' XML texts are cut once the page is whole ({@link mapRecords}).
 */
function mapWhileReading(format: CswFormat, early: Map<XNode, Mapped>): DetachOptions | undefined {
  if (format === 'dcat') return undefined;
  return {
    depth: 2,
    parent: 'SearchResults',
    replace: (node) => {
      if (!isRecordOf(format, node)) return node;
      const stub: XNode = { ...node, children: [], text: '' };
      early.set(stub, format === 'iso19139' ? mapIsoRecord(node) : mapDcRecord(node));
      return stub;
    },
  };
}

/**
 * What one page's records map to, given each record's own XML text (`texts[i]` for `records[i]`,
 * undefined where it could not be cut); `early` holds those mapped while the page was read (without
 * their XML, added here).
 */
export async function mapRecords(format: CswFormat, texts: ReadonlyArray<string | undefined>, records: XNode[], url: string, batchSize: number, seen: Set<string>, problems: RecordProblem[], early?: ReadonlyMap<XNode, Mapped>): Promise<MappedBatch[]> {
  const out: MappedBatch[] = [];
  const batches = new BatchCollector(batchSize, seen);
  const duplicate = (id: string) => `another record of this harvest already has identifier ${JSON.stringify(id)}; this one was skipped`;
  const add = (res: RecordMapResult) => {
    const full = batches.add(res, duplicate);
    if (full !== undefined) out.push(full);
  };
  const mapped = (r: XNode, xml: string | undefined, map: (r: XNode, xml?: string) => Mapped): Mapped => {
    let res = early?.get(r);
    if (res === undefined) res = map(r, xml);
    // Where the mappers set it, last: the record's keys keep their order.
    else if (res.record !== undefined && xml !== undefined) res.record.sourceDescription = { format: 'application/xml', body: xml };
    const kept = res.record?.sourceDescription;
    if (kept !== undefined && xml !== undefined) kept.fingerprint = recordFingerprint(format, xml);
    return res;
  };
  for (const [i, r] of records.entries()) {
    if (format === 'iso19139') {
      if (!isRecordOf(format, r)) {
        batches.note({ severity: 'warning', code: 'csw_unexpected_record', message: `record ${i + 1} of the page is <${r.prefix ? `${r.prefix}:` : ''}${r.name}>, not ISO 19139 gmd:MD_Metadata; skipped (does the server honour outputSchema?)` });
        continue;
      }
      add(mapped(r, texts[i], mapIsoRecord));
      continue;
    }
    if (format === 'dc') {
      if (!isRecordOf(format, r)) {
        batches.note({ severity: 'warning', code: 'csw_unexpected_record', message: `record ${i + 1} of the page is <${r.prefix ? `${r.prefix}:` : ''}${r.name}>, not Dublin Core csw:Record; skipped (does the server honour outputSchema?)` });
        continue;
      }
      add(mapped(r, texts[i], mapDcRecord));
      continue;
    }
    // DCAT: each record's RDF/XML goes through the DCAT adapter's parser and mapper.
    const own = texts[i];
    if (own === undefined) {
      batches.note({ severity: 'warning', code: 'csw_unexpected_record', message: `record ${i + 1} of the page could not be cut from the answer; skipped` });
      continue;
    }
    const rdf = r.name === 'RDF' && r.uri === RDF_NS ? own : `<rdf:RDF xmlns:rdf="${RDF_NS}">${own}</rdf:RDF>`;
    try {
      const { graph } = await parseRdfString(rdf, { url, format: 'rdfxml' });
      for (const b of mapPage(graph, batchSize)) {
        for (const p of b.problems) batches.note(p);
        for (const rec of b.records) add({ record: rec, problems: [], identifier: rec.identifier });
        for (const id of b.invalidIdentifiers) add({ problems: [], identifier: id });
      }
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      batches.note({ severity: 'error', code: 'invalid_record', message: `record ${i + 1} of the page is not valid RDF/XML: ${err.message}` });
    }
  }
  const rest = batches.flush();
  if (rest !== undefined) out.push(rest);
  if (out.length === 0 && problems.length === 0 && records.length > 0) problems.push({ severity: 'warning', code: 'no_datasets', message: `none of the ${records.length} records of ${url} gave a dataset` });
  return out;
}

const SEARCH_RESULTS = /<(?:[\w.-]+:)?SearchResults[\s>]/;
/** Characters of one piece kept to find a SearchResults tag split between two pieces (a prefix longer than this is not looked for). */
const TAG_CARRY = 256;

/**
 * Hash of the search results (the answer minus its SearchStatus timestamp, new on every answer) and
 * the mapping version, over the answer's text in the pieces it was decoded in: the same hash as
 * over their concatenation, without joining them (about 1.5 MB of UTF-16 a page of 100 ISO records).
 */
export function bodyHash(pieces: readonly string[]): string {
  const h = createHash('sha1').update(MAPPING_VERSION);
  // Where SearchResults starts (an offset in the whole text): found in the first piece that holds
  // it with the end of those before it; the whole answer when it has none.
  let start = 0;
  let offset = 0;
  let carry = '';
  for (const piece of pieces) {
    const m = (carry + piece).search(SEARCH_RESULTS);
    if (m >= 0) {
      start = offset - carry.length + m;
      break;
    }
    carry = (carry + piece).slice(-TAG_CARRY);
    offset += piece.length;
  }
  // The piece it starts in, and where in it.
  let from = 0;
  let at = start;
  while (from < pieces.length - 1 && at >= pieces[from]!.length) at -= pieces[from++]!.length;
  // A piece ending in half a surrogate pair (a decoder that split one) gives it to the next: UTF-8
  // of the pair, as the joined text would give, not two replacement characters.
  let held = '';
  for (let k = from; k < pieces.length; k++) {
    let piece = held + (k === from ? pieces[k]!.slice(at) : pieces[k]!);
    held = '';
    const last = piece.charCodeAt(piece.length - 1);
    if (last >= 0xd800 && last <= 0xdbff && k < pieces.length - 1) {
      held = piece.slice(-1);
      piece = piece.slice(0, -1);
    }
    h.update(piece);
  }
  return h.digest('base64url');
}

/**
 * An answer's text in the pieces it was decoded in, cut without joining them (one copy of 1.5 MB
 * a page less, about 4 ms of the parsing worker's time a page of 100 ISO records).
 */
class PieceText {
  /** The offset just past each piece. */
  private readonly ends: number[] = [];

  constructor(private readonly pieces: readonly string[]) {
    let n = 0;
    for (const p of pieces) this.ends.push((n += p.length));
  }

  /** The text from `start` to `end` (offsets in the whole text). */
  slice(start: number, end: number): string {
    const ends = this.ends;
    // The piece holding `start`: the first whose end is past it.
    let lo = 0;
    let hi = ends.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ends[mid]! > start) hi = mid;
      else lo = mid + 1;
    }
    let base = lo === 0 ? 0 : ends[lo - 1]!;
    if (end <= ends[lo]!) return this.pieces[lo]!.slice(start - base, end - base);
    let out = this.pieces[lo]!.slice(start - base);
    for (let k = lo + 1; k < ends.length; k++) {
      base = ends[k - 1]!;
      if (end <= ends[k]!) return out + this.pieces[k]!.slice(0, end - base);
      out += this.pieces[k]!;
    }
    return out;
  }
}

/** Each record's own XML, cut where the parser saw it, with the namespaces it inherits declared on it (exported for its tests). */
export function spanTexts(pieces: readonly string[], records: readonly XNode[], found: ReadonlyMap<XNode, [number, number]>): Array<string | undefined> {
  const text = new PieceText(pieces);
  return records.map((r) => {
    const span = found.get(r);
    return span === undefined ? undefined : withNamespaces(text.slice(span[0], span[1]), r);
  });
}

/** What reading one GetRecords page needs besides its bytes: plain data, so that it can cross to a parsing worker. */
export interface CswPageInput {
  format: CswFormat;
  /** The answer's URL (named in errors). */
  url: string;
  /** Its HTTP status (below 400: an error status is read by the harvest itself). */
  status: number;
  contentType?: string;
  pageNo: number;
  batchSize: number;
  /** The source's `maxPageBytes`. */
  maxPageBytes: number;
  /** The source's CSW limits (HttpOptions.cswLimits); defaults for the ones not given. */
  cswLimits?: Partial<CswLimits>;
  /** The body hash of the last complete run's page at this URL: a page with the same hash is not mapped. */
  knownHash?: string;
}

/** What SearchResults says about the paging (its attributes) and what the page held. */
export interface CswPageSearch extends Pick<CswSearchResults, 'matched' | 'returned' | 'nextRecord'> {
  /** Records the page holds. */
  count: number;
}

/** A page read: the pager's outcome (no next page yet: the harvest decides it) and the page's paging values. */
export interface CswPageOutcome extends PageOutcome {
  bodyHash: string;
  search: CswPageSearch;
}

/**
 * Told SearchResults' paging values as soon as the element opens, before the page's records are
 * read (the harvest asks the next page then); a promise returned holds the reading until it settles.
 */
export type SearchOpened = (search: Pick<CswSearchResults, 'matched' | 'returned' | 'nextRecord'>) => Promise<void> | undefined;

const WHAT = 'CSW GetRecords response';

/**
 * Reads one GetRecords page: parses its bytes as they arrive under the CSW limits, maps a new
 * page's records as each closes, hashes the page, and yields its batches unless the page is the
 * one of the last complete run (`knownHash`). Duplicates are dropped within the page only.
 *
 * @throws CswExceptionError for an ExceptionReport, LimitExceededError (depth, text, elements,
 *   bytes, records per page), ParseError for XML that is not a GetRecords answer.
 */
export async function* readCswPage(
  input: CswPageInput,
  body: AsyncIterable<Uint8Array>,
  limits: ParseLimits,
  opened?: SearchOpened,
): AsyncGenerator<MappedBatch, CswPageOutcome> {
  // A page read before is most likely unchanged (its hash, known once it is read, tells): mapped
  // after reading, only if it changed. A new page is mapped while it is read.
  const early = new Map<XNode, Mapped>();
  const detach = input.knownHash === undefined ? mapWhileReading(input.format, early) : undefined;
  const xml = { ...DEFAULT_CSW_LIMITS, ...input.cswLimits };
  const parts: string[] = [];
  // Where each record lies in the text (records are children of SearchResults, at depth 2).
  const spans: SpanOptions = { depth: 2, parent: 'SearchResults', found: new Map(), pieces: parts };
  const root = await readXmlDocument(buffers(body), {
    source: input.url,
    contentType: input.contentType,
    // Pages asked by POST share one URL: the page's number tells an operator which one failed.
    format: `${WHAT} (page ${input.pageNo})`,
    limits: { maxDepth: xml.maxDepth, maxTextLength: xml.maxTextLength, maxNodes: xml.maxElements },
    settings: { maxDepth: CSW_LIMIT_SETTINGS.maxDepth, maxTextLength: CSW_LIMIT_SETTINGS.maxTextLength, maxNodes: CSW_LIMIT_SETTINGS.maxElements },
    maxBytes: input.maxPageBytes,
    tooLarge: () => new LimitExceededError(input.url, WHAT, 'maxPageBytes', input.maxPageBytes, `the answer runs past ${input.maxPageBytes} bytes; lower the source's pageSize`),
    text: parts,
    spans,
    ...(detach !== undefined && { detach }),
    ...(opened !== undefined && { opened: { depth: 1, name: 'SearchResults', call: (node: XNode) => opened(searchStatus(node)) } }),
  });
  const results = readSearchResults(root, input.url, input.status, input.pageNo);
  // The page's list is in hand: a page listing too many fails whole, before any record is handed on.
  if (results.records.length > limits.maxRecordsPerPage) {
    throw parseLimitError(input.url, `page ${input.pageNo}`, 'maxRecordsPerPage', limits.maxRecordsPerPage, `it lists more than ${limits.maxRecordsPerPage} records (${results.records.length})`);
  }
  const hash = bodyHash(parts);
  // The same records as the last complete run: nothing to map (pycsw and GeoNetwork send no ETag).
  const unchanged = input.knownHash === hash;
  const problems: RecordProblem[] = [];
  if (!unchanged) yield* await mapRecords(input.format, spanTexts(parts, results.records, spans.found), results.records, input.url, input.batchSize, new Set(), problems, early);
  const { matched, returned, nextRecord } = results;
  return {
    problems,
    bodyHash: hash,
    ...(unchanged && { unchanged }),
    search: { count: results.records.length, ...(matched !== undefined && { matched }), ...(returned !== undefined && { returned }), ...(nextRecord !== undefined && { nextRecord }) },
  };
}

/** The body's chunks as Buffers (a parsing worker gets plain Uint8Arrays; the decoders want Buffers): views, not copies. */
async function* buffers(body: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  for await (const c of body) yield Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
}

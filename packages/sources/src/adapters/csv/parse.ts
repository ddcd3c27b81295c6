import { Readable, pipeline } from 'node:stream';
import { TextDecoder } from 'node:util';
import { parse } from 'csv-parse';
import type { Options as CsvParseOptions } from 'csv-parse';
import iconv from 'iconv-lite';
import { HasadError, ParseError } from '@hasad/core';
import type { RecordProblem } from '@hasad/core';
import { CSV_DELIMITERS, canonicalEncoding } from './config.ts';
import type { CsvDelimiter } from './config.ts';

/**
 * Reading a CSV file as it streams in: encoding and delimiter detection from the first bytes,
 * refusal of what is not CSV at all, then records one at a time (csv-parse's streaming API over
 * iconv-lite's streaming decoder). Nothing here holds more than the first chunk and one record.
 */

/** Accept header for CSV sources: CSV first, but many servers label CSV as text/plain or a spreadsheet type. */
export const CSV_ACCEPT = 'text/csv, application/csv;q=0.9, text/plain;q=0.8, application/vnd.ms-excel;q=0.5, */*;q=0.1';

/** Bytes read before deciding encoding, delimiter and "is this CSV at all". */
export const SNIFF_BYTES = 64 * 1024;

/** Largest record accepted, in characters: a quote that is never closed must not swallow the whole file into memory. */
const MAX_RECORD_CHARS = 4 * 1024 * 1024;

/** How the encoding was chosen, strongest first. */
export type EncodingSource = 'config' | 'bom' | 'charset' | 'detected';

export interface EncodingChoice {
  /** iconv-lite encoding name. */
  encoding: string;
  source: EncodingSource;
  /** Length of the byte-order mark to skip. */
  bomLength: number;
  /** Why, for the run report (e.g. the detection's evidence). */
  reason: string;
}

const BOMS: Array<{ bytes: number[]; encoding: string }> = [
  { bytes: [0xef, 0xbb, 0xbf], encoding: 'utf-8' },
  { bytes: [0xff, 0xfe], encoding: 'utf-16le' },
  { bytes: [0xfe, 0xff], encoding: 'utf-16be' },
];

/** The charset parameter of a Content-Type header, when present. */
export function charsetOf(contentType: string | undefined): string | undefined {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  return m?.[1];
}

/**
 * Chooses the encoding of a CSV file from its first bytes.
 *
 * Order: the config (`forced`); a byte-order mark (it is in the bytes themselves, so, as in the
 * WHATWG Encoding standard, it beats a server-wide default charset); the HTTP charset parameter;
 * detection: BOM-less UTF-16 from where the NUL bytes sit, valid UTF-8 (ASCII included) as UTF-8,
 * else windows-1252 or windows-1256 by {@link guessSingleByte}.
 */
export function detectEncoding(head: Buffer, opts: { forced?: string; charset?: string } = {}): EncodingChoice {
  const bom = BOMS.find((b) => b.bytes.every((x, i) => head[i] === x));
  const bomLength = bom?.bytes.length ?? 0;
  if (opts.forced !== undefined) {
    // The BOM is skipped even when it contradicts the config: decoded, it would only glue "ï»¿" to the first column name.
    return { encoding: canonicalEncoding(opts.forced), source: 'config', bomLength, reason: 'set in the source config' };
  }
  if (bom !== undefined) return { encoding: bom.encoding, source: 'bom', bomLength, reason: `byte-order mark` };
  if (opts.charset !== undefined) {
    const enc = canonicalEncoding(opts.charset);
    if (iconv.encodingExists(enc)) return { encoding: enc, source: 'charset', bomLength: 0, reason: `HTTP charset=${opts.charset}` };
  }
  const utf16 = sniffUtf16(head);
  if (utf16 !== undefined) return { encoding: utf16, source: 'detected', bomLength: 0, reason: 'NUL bytes at every other position (UTF-16 without a byte-order mark)' };
  if (isValidUtf8(head)) return { encoding: 'utf-8', source: 'detected', bomLength: 0, reason: 'valid UTF-8' };
  const guess = guessSingleByte(head);
  return {
    encoding: guess.encoding,
    source: 'detected',
    bomLength: 0,
    reason: `not UTF-8; ${guess.arabicWords} word(s) read as Arabic in windows-1256, ${guess.latinWords} as accented Latin only in windows-1252`,
  };
}

/** True when `head` is valid UTF-8, allowing a multi-byte character cut off at the end of the chunk. */
export function isValidUtf8(head: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** UTF-16 without BOM: ASCII text then has a NUL in every other byte (high byte of each unit). */
function sniffUtf16(head: Buffer): 'utf-16le' | 'utf-16be' | undefined {
  const n = Math.min(head.length, 4096) & ~1;
  if (n < 4) return undefined;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < n; i += 2) {
    if (head[i] === 0) evenNul++;
    if (head[i + 1] === 0) oddNul++;
  }
  const units = n / 2;
  if (oddNul > 0.4 * units && evenNul < 0.05 * units) return 'utf-16le';
  if (evenNul > 0.4 * units && oddNul < 0.05 * units) return 'utf-16be';
  return undefined;
}

/**
 * Bytes 0xE0-0xFC that windows-1256 maps to the same French letters as windows-1252
 * (à â ç è é ê ë î ï ô ù û ü): 1256 kept them so that French and Arabic share one code page.
 * Every other byte from 0xC0 up is an Arabic letter in 1256 and an accented Latin letter in 1252
 * (0xD7 × and 0xF7 ÷ are symbols in both).
 */
const SHARED_FRENCH = new Set([0xe0, 0xe2, 0xe7, 0xe8, 0xe9, 0xea, 0xeb, 0xee, 0xef, 0xf4, 0xf9, 0xfb, 0xfc]);

const isAsciiLetter = (b: number) => (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
const isHighLetter = (b: number) => b >= 0xc0 && b !== 0xd7 && b !== 0xf7;

/**
 * Decides between windows-1252 (French-language offices' exports) and windows-1256 (Arabic)
 * for bytes that are not UTF-8, by which reading gives more plausible words.
 *
 * A word is a run of ASCII letters and bytes 0xC0-0xFF. Arabic words never contain ASCII
 * letters, and in 1256 they are runs of bytes that are Arabic letters; a French word almost
 * always has an ASCII letter next to its accents ("Qualité", "ÉTÉ"). So:
 * - a word of two or more high bytes with no ASCII letter, not all of them shared French letters,
 *   counts for windows-1256 (in 1252 it would read as "ÌæÏÉ");
 * - a word mixing ASCII letters with a high byte that 1256 would turn into an Arabic letter
 *   (capitals É, À, Ç, È, Ô …) counts for windows-1252;
 * - words whose high bytes are all shared French letters ("Données") read the same in both and
 *   count for neither.
 * Ties, including files with no evidence at all, go to windows-1252: the common case, and its
 * reading of the shared letters is identical anyway.
 */
export function guessSingleByte(head: Buffer): { encoding: 'windows-1252' | 'windows-1256'; arabicWords: number; latinWords: number } {
  let arabicWords = 0;
  let latinWords = 0;
  let ascii = 0;
  let high = 0;
  let highNotShared = 0;
  const endWord = () => {
    if (high > 0 && highNotShared > 0) {
      if (ascii === 0 && high >= 2) arabicWords++;
      else if (ascii > 0) latinWords++;
    }
    ascii = high = highNotShared = 0;
  };
  for (const b of head) {
    if (isAsciiLetter(b)) ascii++;
    else if (isHighLetter(b)) {
      high++;
      if (!SHARED_FRENCH.has(b)) highNotShared++;
    } else endWord();
  }
  endWord();
  return { encoding: arabicWords > latinWords ? 'windows-1256' : 'windows-1252', arabicWords, latinWords };
}

/**
 * Detects the delimiter from the first records of decoded text: the candidate (`,` `;` tab `|`)
 * that the header has and that most following records have exactly as often, quotes respected.
 * Ties go to the one the header has most often, then to the order `,` `;` tab `|`.
 *
 * @param complete whether `text` is the whole file (else its last, maybe cut, record is ignored).
 * @returns undefined when the header contains none of them (a one-column file, or not CSV).
 */
export function detectDelimiter(text: string, complete = true): CsvDelimiter | undefined {
  const counts = countPerRecord(text, complete, 50);
  const header = counts[0];
  if (header === undefined) return undefined;
  let best: { d: CsvDelimiter; consistency: number; n: number } | undefined;
  CSV_DELIMITERS.forEach((d, k) => {
    const n = header[k] ?? 0;
    if (n === 0) return;
    const rest = counts.slice(1);
    const consistency = rest.length === 0 ? 1 : rest.filter((c) => c[k] === n).length / rest.length;
    if (best === undefined || consistency > best.consistency || (consistency === best.consistency && n > best.n)) best = { d, consistency, n };
  });
  return best?.d;
}

/** Delimiter counts (in CSV_DELIMITERS order) per record, outside quotes, for up to `max` records. */
function countPerRecord(text: string, complete: boolean, max: number): number[][] {
  const out: number[][] = [];
  let cur = [0, 0, 0, 0];
  let inQuotes = false;
  let blank = true;
  for (let i = 0; i < text.length && out.length < max; i++) {
    const ch = text[i];
    if (ch === '"') {
      inQuotes = !inQuotes;
      blank = false;
    } else if (!inQuotes && (ch === '\n' || ch === '\r')) {
      if (!blank) out.push(cur);
      cur = [0, 0, 0, 0];
      blank = true;
    } else {
      if (!inQuotes) {
        const k = CSV_DELIMITERS.indexOf(ch as CsvDelimiter);
        if (k >= 0) cur[k] = (cur[k] ?? 0) + 1;
      }
      if (ch !== ' ') blank = false;
    }
  }
  if (complete && !blank && out.length < max) out.push(cur);
  return out;
}

const MAGIC: Array<{ bytes: number[]; what: string }> = [
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'a ZIP archive (an .xlsx or .ods workbook is one)' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0], what: 'an old Microsoft Office file (.xls)' },
  { bytes: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document' },
  { bytes: [0x1f, 0x8b], what: 'gzip-compressed data' },
  { bytes: [0x89, 0x50, 0x4e, 0x47], what: 'a PNG image' },
  { bytes: [0xff, 0xd8, 0xff], what: 'a JPEG image' },
];

/**
 * Says what binary data `head` looks like, or undefined for text. Text files never hold NUL or
 * most other C0 control bytes; UTF-16 (which does hold NULs) is recognised before this is asked.
 */
export function binaryKind(head: Buffer): string | undefined {
  const magic = MAGIC.find((m) => m.bytes.every((x, i) => head[i] === x));
  if (magic !== undefined) return magic.what;
  const n = Math.min(head.length, 8192);
  let controls = 0;
  for (let i = 0; i < n; i++) {
    const b = head[i] as number;
    if (b === 0) return 'binary data (NUL bytes)';
    // Tab, LF, VT, FF, CR and the DOS end-of-file mark 0x1A appear in real text exports.
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0b && b !== 0x0c && b !== 0x0d && b !== 0x1a) controls++;
  }
  return controls > Math.max(2, n * 0.01) ? 'binary data (control bytes)' : undefined;
}

const HTML_START = /^\s*(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*)*(?:<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>])/i;
const MARKUP_LINE = /^\s*<\/?[a-z!?][^>]*>/i;

/** The page's `<title>`, or its first characters, to show a user what was received. */
function excerpt(text: string): string {
  const title = /<title[^>]*>([^<]{1,120})/i.exec(text)?.[1];
  if (title !== undefined && title.trim() !== '') return `titled "${title.replace(/\s+/g, ' ').trim()}"`;
  return `starting ${JSON.stringify(text.replace(/\s+/g, ' ').trim().slice(0, 80))}`;
}

/**
 * Says why decoded text is not a CSV file, or undefined when it may be one. HTML (error pages
 * served with status 200, login pages), other markup and JSON are refused; so is anything served
 * as text/html that has no delimiter.
 */
export function notCsvReason(text: string, opts: { contentType?: string; delimiter?: CsvDelimiter }): string | undefined {
  const type = (opts.contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const served = opts.contentType === undefined ? '' : ` (Content-Type ${type})`;
  const head = text.slice(0, 4096);
  if (HTML_START.test(head)) return `received an HTML page${served}, not CSV: ${excerpt(head)}`;
  if (/^\s*(?:<\?xml|<!doctype)/i.test(head)) return `received XML${served}, not CSV: ${excerpt(head)}`;
  const html = type === 'text/html' || type === 'application/xhtml+xml';
  const trimmed = head.trimStart();
  if (html && (trimmed.startsWith('<') || /<(?:html|body|head|div|table|p)[\s>]/i.test(head))) return `received an HTML page${served}, not CSV: ${excerpt(head)}`;
  if (html && opts.delimiter === undefined) return `received a page served as text/html with no CSV delimiter in its first lines: ${excerpt(head)}`;
  if (opts.delimiter === undefined) {
    const lines = head.split(/\r\n|\n|\r/).filter((l) => l.trim() !== '');
    const markup = lines.filter((l) => MARKUP_LINE.test(l)).length;
    if (trimmed.startsWith('<') || (lines.length > 1 && markup * 2 >= lines.length)) {
      return `received markup (XML or HTML)${served}, not CSV: no delimiter found and ${excerpt(head)}`;
    }
  }
  const json = /[/+]json$/.test(type);
  if (/^[[{]/.test(trimmed) && (json || opts.delimiter === undefined || /^\[\s*[{"[]|^\{\s*"/.test(trimmed))) {
    return `received JSON${served}, not CSV: ${excerpt(head)}`;
  }
  return undefined;
}

/** One record of the file. */
export interface CsvRow {
  cells: string[];
  /** 1-based line where the record starts. */
  line: number;
}

/** An open CSV file: its dialect and header, then its records. */
export interface CsvFile {
  encoding: EncodingChoice;
  delimiter: CsvDelimiter;
  delimiterSource: 'config' | 'detected' | 'default';
  /** The header record's cells, untrimmed as given (empty when the file is empty). */
  header: string[];
  /** Page-level notes from opening (encoding doubts, an odd Content-Type). */
  problems: RecordProblem[];
  /** The records after the header, in chunks as they were parsed. Errors with ParseError (line given) on broken quoting. */
  rows: AsyncIterable<CsvRow[]>;
  /** Stops reading and releases the connection (also when `rows` was not iterated to the end). */
  close(): void;
}

export interface OpenCsvOptions {
  /** The URL, for error messages. */
  url: string;
  contentType?: string;
  encoding?: string;
  delimiter?: CsvDelimiter;
}

/**
 * Opens a CSV body: reads the first {@link SNIFF_BYTES}, decides encoding and delimiter, refuses
 * what is not CSV, then streams records through csv-parse. Reads the header before returning.
 *
 * @throws ParseError when the body is HTML, other markup, JSON or binary (before any record is
 *   read, so a caller that throws it on has emitted nothing); fetch errors from the body stream.
 */
export async function openCsv(body: Readable, opts: OpenCsvOptions): Promise<CsvFile> {
  const source = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const chunks: Buffer[] = [];
  let size = 0;
  let ended = false;
  while (size < SNIFF_BYTES) {
    const next = await source.next();
    if (next.done === true) {
      ended = true;
      break;
    }
    chunks.push(next.value);
    size += next.value.length;
  }
  const head = Buffer.concat(chunks);
  const problems: RecordProblem[] = [];
  const charset = charsetOf(opts.contentType);

  const encoding = detectEncoding(head, {
    ...(opts.encoding !== undefined && { forced: opts.encoding }),
    ...(charset !== undefined && { charset }),
  });
  const bom = BOMS.find((b) => b.bytes.every((x, i) => head[i] === x));
  if (encoding.source === 'config' && bom !== undefined && bom.encoding !== encoding.encoding) {
    problems.push({
      severity: 'warning',
      code: 'csv_encoding',
      message: `the file starts with a ${bom.encoding} byte-order mark, but the source config forces ${encoding.encoding}; characters may be misread`,
    });
  }
  if (charset !== undefined && encoding.source === 'charset' && encoding.encoding === 'utf-8' && !isValidUtf8(head)) {
    problems.push({
      severity: 'warning',
      code: 'csv_encoding',
      message: `the server declares charset=${charset} but the file is not valid UTF-8; some characters will read as "\uFFFD". Set "encoding" in the source config (e.g. "windows-1252")`,
    });
  } else if (encoding.source === 'charset' && !encoding.encoding.startsWith('utf') && /[\x80-\xff]/.test(head.toString('latin1')) && isValidUtf8(head)) {
    // Every byte is valid in a single-byte charset, so the label cannot be proved wrong; but
    // non-ASCII text that is valid UTF-8 is almost never anything else (servers often send a default charset).
    problems.push({
      severity: 'warning',
      code: 'csv_encoding',
      message: `the server declares charset=${charset}, but the file reads as valid UTF-8; if accented or Arabic letters look like "Ã©", set "encoding": "utf-8" in the source config`,
    });
  } else if (charset !== undefined && !iconv.encodingExists(canonicalEncoding(charset)) && encoding.source === 'detected') {
    problems.push({ severity: 'warning', code: 'csv_encoding', message: `unknown charset "${charset}" from the server; the encoding was detected instead (${encoding.encoding})` });
  }
  if (!encoding.encoding.startsWith('utf-16')) {
    const binary = binaryKind(head.subarray(encoding.bomLength));
    if (binary !== undefined) {
      const type = opts.contentType === undefined ? '' : ` (Content-Type ${opts.contentType.split(';')[0]})`;
      const first = [...head.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
      body.destroy();
      throw new ParseError(opts.url, 'csv', `received ${binary}${type}, not a CSV text file; first bytes ${first}`);
    }
  }

  const decoder = iconv.getDecoder(encoding.encoding, { stripBOM: false });
  const headText = decoder.write(head.subarray(encoding.bomLength));
  const detected = opts.delimiter ?? detectDelimiter(headText, ended);
  const reason = notCsvReason(headText, {
    ...(opts.contentType !== undefined && { contentType: opts.contentType }),
    ...(detected !== undefined && { delimiter: detected }),
  });
  if (reason !== undefined) {
    body.destroy();
    throw new ParseError(opts.url, 'csv', reason);
  }
  const type = (opts.contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'text/html') {
    problems.push({ severity: 'warning', code: 'csv_content_type', message: 'the server labels this file text/html, but it reads as CSV' });
  }
  const delimiter = detected ?? ',';

  async function* decoded(): AsyncGenerator<string> {
    if (headText !== '') yield headText;
    for (;;) {
      const next = await source.next();
      if (next.done === true) break;
      const s = decoder.write(next.value);
      if (s !== '') yield s;
    }
    const tail = decoder.end();
    if (tail !== undefined && tail !== '') yield tail;
  }

  const options: CsvParseOptions & { readableHighWaterMark: number } = {
    delimiter,
    // Rows with missing or extra fields are reported per row by the mapper, not fatal.
    relax_column_count: true,
    // A quote inside an unquoted field (l"eau) is data; only a field that starts with a quote is quoted.
    relax_quotes: true,
    skip_empty_lines: true,
    // Spreadsheet exports end with lines of bare delimiters (";;;;").
    skip_records_with_empty_values: true,
    max_record_size: MAX_RECORD_CHARS,
    info: true,
    // Lets a chunk of records wait in the parser's buffer, so they are taken out in bulk.
    readableHighWaterMark: 1024,
  };
  const parser = parse(options);
  const input = Readable.from(decoded());
  pipeline(input, parser, () => undefined);
  const close = () => {
    parser.destroy();
    input.destroy();
    body.destroy();
  };

  // Records are drained from the parser's buffer in bulk: one await per chunk of records, not one
  // per record (a per-record promise chain costs more than the parsing itself on large files).
  let finished = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  parser.on('readable', signal);
  parser.on('end', () => {
    finished = true;
    signal();
  });
  parser.on('error', (err: unknown) => {
    failure ??= err;
    signal();
  });
  parser.on('close', () => {
    finished = true;
    signal();
  });

  type Parsed = { record: string[]; info: { lines: number } };
  async function nextChunk(max: number): Promise<Parsed[] | undefined> {
    for (;;) {
      const out: Parsed[] = [];
      let r: Parsed | null;
      while (out.length < max && (r = parser.read() as Parsed | null) !== null) out.push(r);
      if (out.length > 0) return out;
      if (failure !== undefined) throw toParseError(opts.url, failure);
      if (finished) return undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  }

  let first: Parsed[] | undefined;
  try {
    first = await nextChunk(1);
  } catch (err) {
    close();
    throw err;
  }
  const header = first?.[0]?.record ?? [];

  // csv-parse counts the line a record ends on, and counts a CRLF inside a quoted cell as two lines.
  let drift = 0;
  async function* rows(): AsyncGenerator<CsvRow[]> {
    try {
      for (;;) {
        const chunk = await nextChunk(1024);
        if (chunk === undefined) return;
        yield chunk.map(({ record, info }) => {
          const { breaks, crlf } = lineBreaksIn(record);
          const end = info.lines - drift - crlf;
          drift += crlf;
          return { cells: record, line: end - breaks };
        });
      }
    } finally {
      close();
    }
  }

  return {
    encoding,
    delimiter,
    delimiterSource: opts.delimiter !== undefined ? 'config' : detected !== undefined ? 'detected' : 'default',
    header,
    problems,
    rows: rows(),
    close,
  };
}

/** Line breaks inside a record's cells (CRLF, LF or CR each one), and how many of them are CRLF. */
function lineBreaksIn(cells: string[]): { breaks: number; crlf: number } {
  let breaks = 0;
  let crlf = 0;
  for (const c of cells) {
    if (c.length === 0 || (!c.includes('\n') && !c.includes('\r'))) continue;
    for (let i = 0; i < c.length; i++) {
      const ch = c.charCodeAt(i);
      if (ch === 13 && c.charCodeAt(i + 1) === 10) {
        crlf++;
        breaks++;
        i++;
      } else if (ch === 10 || ch === 13) breaks++;
    }
  }
  return { breaks, crlf };
}

/** csv-parse errors become ParseError naming the line; fetch errors (Hasad errors) pass unchanged. */
function toParseError(url: string, err: unknown): unknown {
  if (err instanceof HasadError) return err;
  const e = err as { code?: string; message?: string; lines?: number };
  if (typeof e.code === 'string' && e.code.startsWith('CSV_')) {
    const detail =
      e.code === 'CSV_QUOTE_NOT_CLOSED'
        ? 'a quoted field is never closed, so the rest of the file cannot be split into rows'
        : e.code === 'CSV_MAX_RECORD_SIZE'
          ? `a record is longer than ${MAX_RECORD_CHARS} characters (most likely a quote that is never closed)`
          : (e.message ?? e.code);
    return new ParseError(url, 'csv', detail, e.lines === undefined ? undefined : { line: e.lines });
  }
  return err;
}

import { LimitExceededError, PARSE_LIMIT_SETTINGS, type ParseLimits } from '@hasad/core';

/**
 * Cheap, linear guards run on a page's decoded text before (or beside) the real parser, so that
 * a document shaped to make a parser super-linear (JSON-LD nested hundreds deep, a literal that
 * never ends) fails its page with `limit_exceeded` after a bounded amount of work. The worker
 * thread a page is parsed in (parse-pool.ts) bounds memory and CPU time as the last line.
 */

/** The limits used when a caller sets none (the defaults of the HASAD_PARSE_* settings). */
export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  maxDepth: 100,
  maxTokenBytes: 16 * 1024 * 1024,
  maxRecordsPerPage: 200_000,
  heapMb: 2048,
  cpuSeconds: 300,
};

/**
 * The `limit_exceeded` error of a parsing limit: names the setting that raises it and its value,
 * what went past it and, when known, where.
 */
export function parseLimitError(url: string, format: string, limit: keyof ParseLimits, value: number, detail: string, position?: { line?: number; column?: number }): LimitExceededError {
  const where = position?.line !== undefined ? ` at line ${position.line}${position.column !== undefined ? `, column ${position.column}` : ''}` : '';
  const err = new LimitExceededError(url, format, PARSE_LIMIT_SETTINGS[limit], value, `${detail}${where}`);
  Object.assign(err.context, { parseLimit: limit, ...position });
  return err;
}

/** The defaults with the caller's limits over them. */
export function resolveLimits(limits: Partial<ParseLimits> | undefined): ParseLimits {
  return { ...DEFAULT_PARSE_LIMITS, ...limits };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LF = 0x0a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * Follows JSON text chunk by chunk, counting the nesting of arrays and objects and the length of
 * the string being read, and throws LimitExceededError past `maxDepth` or `maxTokenBytes`. It
 * checks shape only; syntax errors are the parser's to report. Linear in the input, constant memory.
 *
 * Why not the parser's own depth: jsonld-streaming-parser keeps per-depth state whose cost grows
 * like the fourth power of the depth (600 nested arrays, 1.2 KB, took 50 s), so the depth must be
 * refused before the parser sees it.
 */
export class JsonShapeGuard {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private stringLength = 0;
  private line = 1;
  private column = 0;

  constructor(
    private readonly url: string,
    private readonly limits: Pick<ParseLimits, 'maxDepth' | 'maxTokenBytes'>,
    private readonly format = 'JSON',
  ) {}

  /** Reads the next chunk of the document. @throws LimitExceededError */
  feed(chunk: string): void {
    const { maxDepth, maxTokenBytes } = this.limits;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === LF) {
        this.line++;
        this.column = 0;
      } else this.column++;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) this.inString = false;
        if (this.inString && ++this.stringLength > maxTokenBytes) {
          throw parseLimitError(this.url, this.format, 'maxTokenBytes', maxTokenBytes, `a JSON string longer than ${maxTokenBytes} characters`, { line: this.line, column: this.column });
        }
        continue;
      }
      if (c === QUOTE) {
        this.inString = true;
        this.stringLength = 0;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (++this.depth > maxDepth) {
          throw parseLimitError(this.url, this.format, 'maxDepth', maxDepth, `JSON arrays and objects nested more than ${maxDepth} deep`, { line: this.line, column: this.column });
        }
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (this.depth > 0) this.depth--;
      }
    }
  }
}

/** Passes JSON text through a {@link JsonShapeGuard}, chunk by chunk. */
export async function* guardJson(text: AsyncIterable<string>, url: string, limits: Pick<ParseLimits, 'maxDepth' | 'maxTokenBytes'>, format = 'JSON'): AsyncGenerator<string> {
  const guard = new JsonShapeGuard(url, limits, format);
  for await (const chunk of text) {
    guard.feed(chunk);
    yield chunk;
  }
}

/** True when `s` holds a character other than blanks (and a byte-order mark). */
export function hasContent(s: string): boolean {
  return /[^\s\uFEFF]/.test(s);
}

/**
 * Reads chunks until one holds something other than blanks, testing each chunk once (the
 * earlier code re-joined every chunk read so far on each new one: 32 MB of leading blanks froze
 * the process for 90 s). Leading blanks longer than `maxTokenBytes` fail the page: no feed starts so.
 *
 * @returns the chunks read, the last one holding the first non-blank character (or the whole
 *   document when it is blank).
 * @throws LimitExceededError
 */
export async function readToContent(chars: AsyncIterator<string>, url: string, maxTokenBytes: number): Promise<string[]> {
  const head: string[] = [];
  let blank = 0;
  for (;;) {
    const r = await chars.next();
    if (r.done === true) return head;
    head.push(r.value);
    if (hasContent(r.value)) return head;
    blank += r.value.length;
    if (blank > maxTokenBytes) {
      throw parseLimitError(url, 'RDF', 'maxTokenBytes', maxTokenBytes, `the document starts with more than ${maxTokenBytes} characters of blank space`);
    }
  }
}

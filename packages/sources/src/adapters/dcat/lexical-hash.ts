import { createHash, type Hash } from 'node:crypto';
import { charsetFromContentType, formatFromContentType, formatFromUrl, sniffFormat, type RdfFormat } from './parse.ts';

/**
 * A page's bytes hashed as Turtle's tokens see them: the same hash for pages that differ only in
 * comments, in the white space between tokens, or in their blank nodes' labels (renamed one for
 * one, in the same places), and another for any other difference. Such pages hold the very same
 * triples, so the pager takes a page whose hash is the last complete run's as not modified,
 * without parsing it, as it does for the very same bytes. A feed regenerated with a timestamp in
 * a comment, re-indented, or written by a serialiser whose blank node labels come from a counter
 * or a random source (rdflib's `_:N…`) costs a hash of its bytes, not a parse. The triples hash
 * (PageTriples.digest) still catches what this one cannot tell: other prefixes, other syntax, a
 * literal written another way.
 *
 * Written by hand rather than with N3.js's lexer: the lexer builds a token object and its strings
 * for every token, about 40 µs a dataset on the bench's pages, where this pass reads the bytes
 * once and builds nothing but the label map (a few µs a dataset). Its one rule: whatever it drops
 * or renames must be what Turtle's grammar ignores, so that two pages hashed alike parse alike.
 * - Strings (`"…"`, `'…'`, and their triple-quoted forms, with `\` escapes) and IRIs (`<…>`) are
 *   hashed byte for byte: white space or a `#` inside them is content.
 * - Outside them, a run of white space becomes one space (never none: `a .` and `a.` stay apart;
 *   none at the page's start or end), and a comment (`#` to the end of its line) counts as white
 *   space.
 * - A `\` outside them (an escape in a prefixed name, `ex:a\#b`) keeps the byte after it as is.
 * - A blank node label (`_:` at the start of a token: after white space, a comment, `(`, `[`, `{`,
 *   `,` or `;`) becomes its number in the order labels first appear. `_:` inside a prefixed name
 *   (`ex:a_:b` is one name) is not a label and is hashed as is, and so is a label right after `.`,
 *   `]` or `)`, where it could not be told from one: conservative, it can only make a page look
 *   changed. The label is the longest run of its characters, without the trailing dots (`_:b1.`
 *   ends a statement), exactly as the parser reads it: a label counted longer or shorter than the
 *   parser's could hash two different pages alike.
 * Bytes from 0x80 up are never syntax in UTF-8 (every byte of a multi-byte character is), so the
 * pass reads bytes, not characters.
 */
export function hashTurtleTokens(bytes: Uint8Array, hash: Hash): boolean {
  const n = bytes.length;
  // The normalised bytes are gathered here and hashed a block at a time.
  const out = Buffer.allocUnsafe(Math.min(Math.max(n, 16), 1 << 16));
  let o = 0;
  const text = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, n);
  // Copies without a view of the input for each piece (subarray() allocates one: measured at a
  // fifth of the pass's time in the fetcher), short pieces byte by byte.
  const put = (start: number, end: number) => {
    const len = end - start;
    if (len > out.length - o) {
      hash.update(out.subarray(0, o));
      o = 0;
      if (len > out.length) {
        hash.update(text.subarray(start, end));
        return;
      }
    }
    if (len <= 32) {
      for (let k = start; k < end; k++) out[o++] = bytes[k] as number;
    } else {
      text.copy(out, o, start, end);
      o += len;
    }
  };
  const putByte = (b: number) => {
    if (o === out.length) {
      hash.update(out);
      o = 0;
    }
    out[o++] = b;
  };
  const labels = new Map<string, number>();
  // The next backslash at or after where strings are looked into (n: none): a string without one
  // is found whole by indexOf, not byte by byte.
  let backslash = -1;
  const nextBackslash = (from: number) => {
    if (backslash < from) {
      backslash = text.indexOf(BACKSLASH, from);
      if (backslash < 0) backslash = n;
    }
    return backslash;
  };
  let i = 0;
  // White space pending before the next token (none at the page's start: nothing to part).
  let space = false;
  let started = false;
  let tokenStart = true;
  while (i < n) {
    const b = bytes[i] as number;
    if (PLAIN[b] === 1) {
      // Most of a page: names, numbers, punctuation without a rule of its own.
      let j = i + 1;
      while (j < n && PLAIN[bytes[j] as number] === 1) j++;
      if (space && started) putByte(SP);
      space = false;
      started = true;
      put(i, j);
      i = j;
      tokenStart = false;
      continue;
    }
    if (b === SP || b === LF || b === CR || b === TAB) {
      space = true;
      tokenStart = true;
      i++;
      continue;
    }
    if (b === HASH) {
      while (i < n && bytes[i] !== LF && bytes[i] !== CR) i++;
      space = true;
      tokenStart = true;
      continue;
    }
    if (space && started) putByte(SP);
    space = false;
    started = true;
    if (b === LT) {
      // An IRI: up to its `>` (IRIREF holds none), or to the end of a page that never closes it.
      const end = text.indexOf(GT, i + 1);
      const stop = end < 0 ? n : end + 1;
      put(i, stop);
      i = stop;
      tokenStart = false;
      continue;
    }
    if (b === DQ || b === SQ) {
      const start = i;
      const long = bytes[i + 1] === b && bytes[i + 2] === b;
      // Where it ends when no backslash comes first: the next quote, or the next three quotes (a
      // quote followed by two more closes a long string, as N3.js's lexer and Turtle's grammar read `""""`).
      const close = long ? text.indexOf(b === DQ ? '"""' : "'''", i + 3, 'latin1') : text.indexOf(b, i + 1);
      if (close >= 0 && nextBackslash(i + 1) > close) {
        i = close + (long ? 3 : 1);
      } else if (long) {
        i += 3;
        while (i < n) {
          const c = bytes[i] as number;
          if (c === BACKSLASH) i += 2;
          else if (c === b && bytes[i + 1] === b && bytes[i + 2] === b) {
            i += 3;
            break;
          } else i++;
        }
      } else {
        i++;
        while (i < n) {
          const c = bytes[i] as number;
          if (c === BACKSLASH) i += 2;
          else {
            i++;
            if (c === b) break;
          }
        }
      }
      i = Math.min(i, n);
      put(start, i);
      tokenStart = false;
      continue;
    }
    if (b === BACKSLASH) {
      put(i, Math.min(i + 2, n));
      i += 2;
      tokenStart = false;
      continue;
    }
    if (b === UNDERSCORE && tokenStart && bytes[i + 1] === COLON && i + 2 < n && isLabelStart(bytes[i + 2] as number)) {
      let end = i + 3;
      while (end < n && isLabelByte(bytes[end] as number)) end++;
      while (bytes[end - 1] === DOT) end--;
      const label = text.toString('latin1', i + 2, end);
      let ordinal = labels.get(label);
      if (ordinal === undefined) {
        if (labels.size === MAX_TOKEN_HASH_LABELS) return false;
        ordinal = labels.size;
        labels.set(label, ordinal);
      }
      hash.update(out.subarray(0, o));
      o = 0;
      hash.update(`_:${ordinal}`, 'latin1');
      i = end;
      tokenStart = false;
      continue;
    }
    // `(`, `[`, `{`, `,` or `;` (a label may follow), or `_` that starts no label.
    putByte(b);
    tokenStart = b === LPAREN || b === LBRACKET || b === LBRACE || b === COMMA || b === SEMICOLON;
    i++;
  }
  hash.update(out.subarray(0, o));
  return true;
}

/**
 * Past this many bytes a page's tokens are not hashed (its bytes are): the pass runs on the
 * fetcher's own thread, where 8 MiB take about 35 ms (4 ns a byte on the bench's machine), and a
 * page is bounded by BODY_HASH_LIMIT (32 MiB) alone otherwise. Paged feeds' pages are far smaller
 * (the bench's 1,000-dataset pages: 1.35 MB).
 */
export const MAX_TOKEN_HASH_BYTES = 8 * 1024 * 1024;
/**
 * Distinct blank node labels a page's tokens hash counts at most; past it the pass gives up and
 * the page's bytes are hashed (a page of millions of labels would grow the map on the fetcher's
 * thread).
 */
export const MAX_TOKEN_HASH_LABELS = 100_000;

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const DQ = 0x22;
const HASH = 0x23;
const SQ = 0x27;
const LPAREN = 0x28;
const COMMA = 0x2c;
const DOT = 0x2e;
const COLON = 0x3a;
const SEMICOLON = 0x3b;
const LT = 0x3c;
const GT = 0x3e;
const LBRACKET = 0x5b;
const BACKSLASH = 0x5c;
const UNDERSCORE = 0x5f;
const LBRACE = 0x7b;

/**
 * Bytes with no rule of their own: not white space, `#`, `<`, a quote, `\`, `_` (a label may
 * start there) or a byte after which a label may start (`(`, `[`, `{`, `,`, `;`).
 */
const PLAIN = (() => {
  const t = new Uint8Array(256).fill(1);
  for (const b of [TAB, LF, CR, SP, HASH, LT, DQ, SQ, BACKSLASH, UNDERSCORE, LPAREN, LBRACKET, LBRACE, COMMA, SEMICOLON]) t[b] = 0;
  return t;
})();

/** A label's first character: a letter, digit or `_` (PN_CHARS_U | [0-9]); non-ASCII bytes too. */
function isLabelStart(b: number): boolean {
  return b >= 0x80 || (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === UNDERSCORE;
}

/** A label's later characters: those, `-` and `.` (PN_CHARS | '.'). */
function isLabelByte(b: number): boolean {
  return isLabelStart(b) || b === 0x2d || b === DOT;
}

/** Syntaxes whose tokens {@link hashTurtleTokens} knows: Turtle and the syntaxes that are its subsets or share its lexer. */
const TOKEN_HASHED: ReadonlySet<RdfFormat> = new Set(['turtle', 'ntriples', 'nquads', 'trig']);

/** What decides how a page is read, as readRdf decides it. */
export interface PageSyntaxHints {
  /** The page's URL after redirects: the base of its relative IRIs. */
  url: string;
  /** The URL asked for. */
  requestedUrl: string;
  contentType?: string;
  /** The source's forced syntax. */
  format?: RdfFormat;
}

/**
 * The hash of a DCAT page's bytes the pager compares with the last complete run's: its tokens'
 * hash ({@link hashTurtleTokens}) when the page is read as Turtle, N-Triples, N-Quads or TriG in
 * UTF-8 (and no larger than MAX_TOKEN_HASH_BYTES, with at most MAX_TOKEN_HASH_LABELS blank node
 * labels), else undefined (the pager then hashes the bytes as they are). The syntax is chosen as
 * readRdf chooses it (forced format, Content-Type, extensions, first bytes): tokens must only be
 * hashed where the parser reads them as Turtle's, since an RDF/XML page's text holds spaces and
 * `#` that are content. The hash covers the mapping's version, the syntax and the URL after
 * redirects (the same bytes at another URL resolve their relative IRIs elsewhere); it starts with
 * `L`, which no bytes' hash of before does, so a stored hash of the bytes never matches it.
 */
export function pageTokensHash(bytes: Buffer, hints: PageSyntaxHints, version: string): string | undefined {
  let format = hints.format ?? formatFromContentType(hints.contentType) ?? formatFromUrl(hints.url) ?? formatFromUrl(hints.requestedUrl);
  if (format === undefined) {
    const head = firstContent(bytes);
    if (head === undefined) return undefined;
    format = sniffFormat(head);
  }
  if (!TOKEN_HASHED.has(format) || bytes.length > MAX_TOKEN_HASH_BYTES) return undefined;
  const charset = charsetFromContentType(hints.contentType);
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') return undefined;
  // A UTF-16 byte order mark: readRdf decodes it as UTF-16, whose bytes this pass cannot read.
  if ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe)) return undefined;
  const h = createHash('sha1').update(version).update('\u0000tokens\u0000').update(format).update('\u0000').update(hints.url).update('\u0000');
  return hashTurtleTokens(bytes, h) ? `L${h.digest('base64url')}` : undefined;
}

/**
 * The page's first characters for sniffFormat, which skips leading white space of any kind itself;
 * undefined when they are all white space (a page that starts with that much of it is hashed as
 * bytes rather than risk reading an RDF/XML page's syntax as Turtle's).
 */
function firstContent(bytes: Buffer): string | undefined {
  const head = bytes.toString('utf8', 0, Math.min(bytes.length, 4096));
  if (head.replace(/^\uFEFF/, '').trimStart().length < 32 && bytes.length > 4096) return undefined;
  return head;
}

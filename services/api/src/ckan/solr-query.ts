import type { FieldQuery } from '@hasad/db';
import { CkanValidationError } from './solr.ts';

/**
 * The Solr (Lucene) query syntax CKAN clients put in `package_search`'s `q` and `fq`, read by a
 * small recursive-descent parser into a {@link FieldQuery} that @hasad/db compiles to
 * parameterised SQL. Hand-written rather than a Lucene grammar package: only this subset maps
 * onto Hasad's columns, and every refusal has to name the token and the field it concerns.
 *
 *   query    := or EOF
 *   or       := and ( (OR | "||") and )*
 *   and      := unary ( [AND | "&&"] unary )*          a space is AND, as CKAN's default operator
 *   unary    := (NOT | "!" | "-") unary | "+" unary | primary
 *   primary  := "(" or ")" | "*:*" | FIELD ":" value | PHRASE | TERM
 *   value    := PHRASE | TERM | RANGE | "(" or ")"       (the group's bare terms are on FIELD)
 *   RANGE    := ("[" | "{") bound TO bound ("]" | "}")    bound: * | ISO date | NOW, with date math
 */

/** Longest `q` or `fq` read, in characters; Solr has no such limit, Hasad's SQL does. */
export const MAX_QUERY_CHARS = 4000;
/** Deepest nesting of parentheses and operators. */
export const MAX_QUERY_DEPTH = 32;
/** Most field clauses in one parameter. */
export const MAX_QUERY_CLAUSES = 200;

/** A `q` or `fq` that does not parse: CKAN's 400 Search Query Error. */
export class CkanSearchQueryError extends Error {
  override readonly name = 'CkanSearchQueryError';
  readonly code = 'ckan_search_query';
  constructor(
    readonly param: string,
    detail: string,
  ) {
    super(`Search Query is invalid: ${param}: ${detail}`);
  }
}

type TokenKind = 'lparen' | 'rparen' | 'and' | 'or' | 'not' | 'plus' | 'minus' | 'field' | 'phrase' | 'term' | 'range' | 'matchall';
interface Token {
  kind: TokenKind;
  /** The token as written. */
  text: string;
  /** Its value: unescaped term or phrase, field name, range body. */
  value: string;
  /** 1-based character position, for the error messages. */
  at: number;
  /** A range's opening bracket, bounds and closing bracket. */
  range?: [string, string, string, string];
}

const FIELD = /([A-Za-z_][A-Za-z0-9_.]*):(?!\/\/)/y;
const PHRASE = /"((?:[^"\\]|\\.)*)"/y;
const RANGE = /([[{])\s*(\S+?)\s+TO\s+(\S+?)\s*([\]}])/y;
// A term runs to a space, a parenthesis or a quote; a backslash escapes any character.
const TERM = /(?:[^\s()"\\]|\\.)+/y;

function tokenize(s: string, param: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const at = (re: RegExp) => {
    re.lastIndex = i;
    return re.exec(s);
  };
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i + 1;
    const push = (kind: TokenKind, text: string, value = text, range?: Token['range']) => {
      out.push({ kind, text, value, at: start, ...(range && { range }) });
      i += text.length;
    };
    if (c === '(') push('lparen', c);
    else if (c === ')') push('rparen', c);
    else if (s.startsWith('&&', i)) push('and', '&&');
    else if (s.startsWith('||', i)) push('or', '||');
    else if (s.startsWith('*:*', i)) push('matchall', '*:*');
    else if ((c === '+' || c === '-' || c === '!') && i + 1 < s.length && !/\s/.test(s[i + 1]!)) push(c === '+' ? 'plus' : 'minus', c);
    else if (c === '"') {
      const m = at(PHRASE);
      if (!m) throw new CkanSearchQueryError(param, `the quote at character ${start} is never closed`);
      push('phrase', m[0], m[1]!.replace(/\\(.)/g, '$1'));
    } else if (c === '[' || c === '{') {
      const m = at(RANGE);
      if (!m) throw new CkanSearchQueryError(param, `cannot read the range at character ${start} (${JSON.stringify(s.slice(i, i + 40))}); write [from TO to], with * for an open end`);
      push('range', m[0], m[0], [m[1]!, m[2]!, m[3]!, m[4]!]);
    } else {
      const f = at(FIELD);
      if (f) {
        push('field', f[0], f[1]!);
        continue;
      }
      const m = at(TERM);
      if (!m) throw new CkanSearchQueryError(param, `unexpected ${JSON.stringify(c)} at character ${start}`);
      const word = m[0];
      if (word === 'AND' || word === 'OR' || word === 'NOT') push(word.toLowerCase() as TokenKind, word);
      else push('term', word, word.replace(/\\(.)/g, '$1'));
    }
  }
  return out;
}

/** CKAN field → what it is in Hasad. */
type FieldKind =
  | { kind: 'text'; field: 'any' | 'title' | 'description' }
  | { kind: 'term'; field: 'organization' | 'theme' | 'keyword' | 'format' | 'license' | 'id' }
  | { kind: 'date'; field: 'updated' | 'created' }
  | { kind: 'neutral'; values: string[] };

const FIELDS: Record<string, FieldKind> = {
  text: { kind: 'text', field: 'any' },
  title: { kind: 'text', field: 'title' },
  notes: { kind: 'text', field: 'description' },
  tags: { kind: 'term', field: 'keyword' },
  organization: { kind: 'term', field: 'organization' },
  owner_org: { kind: 'term', field: 'organization' },
  groups: { kind: 'term', field: 'theme' },
  res_format: { kind: 'term', field: 'format' },
  license_id: { kind: 'term', field: 'license' },
  id: { kind: 'term', field: 'id' },
  // When Hasad last changed / first had the dataset, as the package dict's own fields.
  metadata_modified: { kind: 'date', field: 'updated' },
  metadata_created: { kind: 'date', field: 'created' },
  // Always these values in Hasad (every package is a public, active dataset).
  dataset_type: { kind: 'neutral', values: ['dataset'] },
  type: { kind: 'neutral', values: ['dataset'] },
  state: { kind: 'neutral', values: ['active'] },
  private: { kind: 'neutral', values: ['false'] },
  capacity: { kind: 'neutral', values: ['public'] },
};

/** Names of the fields `q` and `fq` accept (for documentation and error messages). */
export const QUERY_FIELDS = Object.keys(FIELDS);

const UNIT_MS: Record<string, number> = { SECOND: 1000, MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000, DATE: 86_400_000, MILLI: 1, MILLISECOND: 1 };
const ISO = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?/;

/** Adds `n` of a unit to an instant (calendar months and years in UTC, as Solr). */
function addUnit(d: Date, unit: string, n: number): Date {
  const x = new Date(d);
  if (unit === 'YEAR') x.setUTCFullYear(x.getUTCFullYear() + n);
  else if (unit === 'MONTH') x.setUTCMonth(x.getUTCMonth() + n);
  else x.setTime(x.getTime() + n * UNIT_MS[unit]!);
  return x;
}

/** Rounds an instant down to the start of its unit, in UTC (Solr's `/DAY`). */
function roundDown(d: Date, unit: string): Date {
  const parts = [d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()];
  const keep = { YEAR: 1, MONTH: 2, DAY: 3, DATE: 3, HOUR: 4, MINUTE: 5, SECOND: 6, MILLI: 7, MILLISECOND: 7 }[unit] ?? 7;
  const p = parts.map((v, i) => (i < keep ? v : i === 2 ? 1 : 0));
  return new Date(Date.UTC(p[0]!, p[1]!, p[2]!, p[3]!, p[4]!, p[5]!, p[6]!));
}

/**
 * A range bound: `*` (open), an ISO 8601 date or date-time, or `NOW`, each optionally followed
 * by Solr date math (`NOW-1YEAR`, `NOW/DAY-7DAYS`, `2024-01-01T00:00:00Z+1MONTH`).
 * Hand-written: Solr's DateMathParser has no JavaScript counterpart worth a dependency.
 */
export function solrDate(bound: string, now: Date, param: string, field: string): string | undefined {
  if (bound === '*') return undefined;
  let base: Date;
  let rest: string;
  if (bound.startsWith('NOW')) {
    base = now;
    rest = bound.slice(3);
  } else {
    const m = ISO.exec(bound);
    const d = m ? new Date(/T/.test(m[0]) && !/(Z|[+-]\d{2}:\d{2})$/.test(m[0]) ? `${m[0]}Z` : m[0]) : undefined;
    if (!m || !d || Number.isNaN(d.getTime())) {
      throw new CkanSearchQueryError(param, `${field}: ${JSON.stringify(bound)} is not a date; use an ISO 8601 date (2024-01-01 or 2024-01-01T00:00:00Z), NOW, NOW-1YEAR or *`);
    }
    base = d;
    rest = bound.slice(m[0].length);
  }
  const step = /([+-])(\d{1,9})([A-Z]+?)S?(?=[+\-/]|$)|\/([A-Z]+?)S?(?=[+\-/]|$)/y;
  let i = 0;
  while (i < rest.length) {
    step.lastIndex = i;
    const m = step.exec(rest);
    const unit = m ? (m[3] ?? m[4])! : '';
    if (!m || !(unit in UNIT_MS || unit === 'YEAR' || unit === 'MONTH')) {
      throw new CkanSearchQueryError(param, `${field}: cannot read the date math ${JSON.stringify(rest.slice(i))} in ${JSON.stringify(bound)}; units: YEAR, MONTH, DAY, HOUR, MINUTE, SECOND (as in NOW-7DAYS or NOW/DAY)`);
    }
    base = m[4] ? roundDown(base, unit) : addUnit(base, unit, (m[1] === '-' ? -1 : 1) * Number(m[2]));
    i = step.lastIndex;
  }
  if (Number.isNaN(base.getTime())) throw new CkanSearchQueryError(param, `${field}: ${JSON.stringify(bound)} is out of range`);
  return base.toISOString();
}

class Parser {
  private i = 0;
  private clauses = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly param: string,
    private readonly now: Date,
  ) {}

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private fail(detail: string): never {
    throw new CkanSearchQueryError(this.param, detail);
  }

  private describe(t: Token | undefined): string {
    return t ? `${JSON.stringify(t.text)} at character ${t.at}` : 'the end of the query';
  }

  parse(): FieldQuery {
    if (this.tokens.length === 0) return { op: 'all' };
    const q = this.or(0, undefined);
    const t = this.peek();
    if (t) this.fail(`unexpected ${this.describe(t)}${t.kind === 'rparen' ? ' (no "(" opens it)' : ''}`);
    return q;
  }

  private enter(depth: number): number {
    if (depth >= MAX_QUERY_DEPTH) this.fail(`nested deeper than ${MAX_QUERY_DEPTH} levels at ${this.describe(this.peek())}`);
    return depth + 1;
  }

  private or(depth: number, field: string | undefined): FieldQuery {
    const d = this.enter(depth);
    const args = [this.and(d, field)];
    while (this.peek()?.kind === 'or') {
      this.i++;
      args.push(this.and(d, field));
    }
    return args.length === 1 ? args[0]! : { op: 'or', args };
  }

  private and(depth: number, field: string | undefined): FieldQuery {
    const d = this.enter(depth);
    const args = [this.unary(d, field)];
    for (;;) {
      const t = this.peek();
      if (!t || t.kind === 'or' || t.kind === 'rparen') break;
      if (t.kind === 'and') {
        this.i++;
        if (!this.peek() || ['and', 'or', 'rparen'].includes(this.peek()!.kind)) this.fail(`AND at character ${t.at} has nothing after it`);
      }
      args.push(this.unary(d, field));
    }
    return args.length === 1 ? args[0]! : { op: 'and', args };
  }

  private unary(depth: number, field: string | undefined): FieldQuery {
    const d = this.enter(depth);
    const t = this.peek();
    if (t && (t.kind === 'not' || t.kind === 'minus')) {
      this.i++;
      if (!this.peek()) this.fail(`${t.text} at character ${t.at} has nothing after it`);
      return { op: 'not', arg: this.unary(d, field) };
    }
    if (t?.kind === 'plus') {
      this.i++;
      return this.unary(d, field);
    }
    return this.primary(d, field);
  }

  private primary(depth: number, field: string | undefined): FieldQuery {
    const t = this.peek();
    if (!t) return this.fail(`the query ends where a term was expected`);
    this.i++;
    switch (t.kind) {
      case 'lparen': {
        const inner = this.or(depth, field);
        const close = this.peek();
        if (close?.kind !== 'rparen') this.fail(`the "(" at character ${t.at} is never closed (found ${this.describe(close)})`);
        this.i++;
        return inner;
      }
      case 'matchall':
        return { op: 'all' };
      case 'field': {
        if (field !== undefined) this.fail(`field ${JSON.stringify(t.value)} at character ${t.at} inside the group of field ${JSON.stringify(field)}`);
        const v = this.peek();
        if (!v || v.kind === 'rparen' || v.kind === 'and' || v.kind === 'or') this.fail(`field ${JSON.stringify(t.value)} at character ${t.at} has no value`);
        if (v.kind === 'lparen') return this.primary(depth, t.value);
        if (v.kind !== 'term' && v.kind !== 'phrase' && v.kind !== 'range') this.fail(`field ${JSON.stringify(t.value)} at character ${t.at} is followed by ${this.describe(v)}, not a value`);
        this.i++;
        return this.clause(t.value, v);
      }
      case 'term':
      case 'phrase':
      case 'range':
        return this.clause(field ?? 'text', t);
      default:
        return this.fail(`unexpected ${this.describe(t)}`);
    }
  }

  /** One `field:value` (or a bare value on the default field). */
  private clause(name: string, v: Token): FieldQuery {
    if (++this.clauses > MAX_QUERY_CLAUSES) this.fail(`more than ${MAX_QUERY_CLAUSES} clauses (at ${this.describe(v)})`);
    const f = Object.hasOwn(FIELDS, name) ? FIELDS[name]! : undefined;
    if (!f) {
      throw new CkanValidationError(this.param, `${this.param}: field ${JSON.stringify(name)} is not supported; supported: ${QUERY_FIELDS.join(', ')}`);
    }
    const value = v.value;
    if (f.kind === 'date') {
      if (v.kind !== 'range') this.fail(`${name} takes a range such as [2024-01-01T00:00:00Z TO *], not ${this.describe(v)}`);
      const m = v.range!;
      return {
        op: 'range',
        field: f.field,
        ...optional('from', solrDate(m[1], this.now, this.param, name)),
        ...optional('to', solrDate(m[2], this.now, this.param, name)),
        fromInclusive: m[0] === '[',
        toInclusive: m[3] === ']',
      };
    }
    if (v.kind === 'range') this.fail(`${name} does not take a range (${this.describe(v)}); ranges are for metadata_modified and metadata_created`);
    const wildcard = v.kind === 'term' && /(?<!\\)[*?]/.test(v.text);
    switch (f.kind) {
      case 'neutral':
        if (wildcard && value === '*') return { op: 'all' };
        return f.values.includes(value.toLowerCase()) ? { op: 'all' } : { op: 'none' };
      case 'text': {
        if (v.kind === 'phrase') return { op: 'text', field: f.field, value, phrase: true };
        // Every dataset has a title; `notes:*` or `text:*` are "anything" too.
        if (value === '*') return { op: 'all' };
        if (wildcard) {
          if (!/^[^*?]+\*$/.test(v.text)) this.fail(`${this.describe(v)}: a wildcard may only end a word (eau*)`);
          return { op: 'text', field: f.field, value: value.slice(0, -1), prefix: true };
        }
        return { op: 'text', field: f.field, value };
      }
      case 'term':
        if (wildcard) {
          if (value !== '*') this.fail(`${this.describe(v)}: ${name} takes an exact value or * (any), not a pattern`);
          return f.field === 'organization' || f.field === 'id' ? { op: 'all' } : { op: 'exists', field: f.field };
        }
        return { op: 'term', field: f.field, value };
    }
  }
}

const optional = <K extends string>(k: K, v: string | undefined) => (v === undefined ? {} : ({ [k]: v } as Record<K, string>));

/**
 * Parses a `q` or `fq` in the Solr syntax CKAN clients send.
 * @param param `q` or `fq`, named in errors.
 * @throws CkanSearchQueryError (400) for what does not parse or exceeds the limits;
 *   CkanValidationError (409) for a field Hasad does not have.
 */
export function parseSolrQuery(s: string, param: string, now = new Date()): FieldQuery {
  if (s.length > MAX_QUERY_CHARS) throw new CkanSearchQueryError(param, `${s.length} characters; at most ${MAX_QUERY_CHARS}`);
  return new Parser(tokenize(s, param), param, now).parse();
}

/**
 * Whether a `q` is plain words for the full-text search (relevance-ranked, websearch syntax as
 * /api/v1's `q`: words, "phrases", -word): no field, parenthesis, range or upper-case operator.
 */
export function isPlainText(s: string, param = 'q'): boolean {
  if (s.length > MAX_QUERY_CHARS) return false;
  return tokenize(s, param).every((t) => t.kind === 'term' || t.kind === 'phrase' || t.kind === 'minus');
}

/** `package_search`'s `q` and `fq` as Hasad's search takes them. */
export interface SearchParams {
  /** Plain words for the relevance-ranked full-text search. */
  text?: string;
  /** Field queries of `q` (when not plain words) and `fq`, all of which must hold. */
  where?: FieldQuery;
}

/**
 * Reads `q` and `fq`. CKAN's match-all forms (`*:*`, `*`, empty) mean no query; a `q` of plain
 * words keeps the ranked full-text search; anything else in `q`, and all of `fq`, is a field query.
 */
export function parseSearchParams(q: string | undefined, fq: string | undefined, now = new Date()): SearchParams {
  const out: SearchParams = {};
  const where: FieldQuery[] = [];
  const qs = (q ?? '').trim();
  if (qs !== '' && qs !== '*:*' && qs !== '*') {
    if (isPlainText(qs)) out.text = qs;
    else where.push(parseSolrQuery(qs, 'q', now));
  }
  const fqs = (fq ?? '').trim();
  if (fqs !== '') where.push(parseSolrQuery(fqs, 'fq', now));
  if (where.length > 0) out.where = where.length === 1 ? where[0]! : { op: 'and', args: where };
  return out;
}

/**
 * Error classes shared by every service. Each has a `code` a user can search for and a
 * `context` with the values that explain it. `permanent` says whether retrying can help:
 * the queue layer turns permanent errors into BullMQ's UnrecoverableError.
 */
export class HasadError extends Error {
  readonly code: string;
  readonly context: Record<string, unknown>;
  readonly permanent: boolean;
  constructor(code: string, message: string, opts: { context?: Record<string, unknown>; permanent?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.context = opts.context ?? {};
    this.permanent = opts.permanent ?? false;
  }
}

/** Bad configuration or bad input from a user: never retried. */
export class ConfigError extends HasadError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('config_invalid', message, { context, permanent: true });
  }
}

/** The remote server answered, but with a status we cannot use. 4xx is permanent, 5xx and 429 are not. */
export class FetchStatusError extends HasadError {
  constructor(url: string, status: number, opts: { retryAfterMs?: number; bodyExcerpt?: string; method?: string } = {}) {
    const permanent = status >= 400 && status < 500 && status !== 408 && status !== 429;
    super('fetch_status', `${opts.method ?? 'GET'} ${url} answered HTTP ${status}`, { context: { url, status, ...opts }, permanent });
  }
}

/** Network-level failure: DNS, connection refused or reset, timeout. Transient. */
export class FetchNetworkError extends HasadError {
  constructor(url: string, cause: unknown, method = 'GET') {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super('fetch_network', `${method} ${url} failed: ${reason}`, { context: { url, method }, cause });
  }
}

/** The fetcher refused a URL (scheme, private address, too large). Permanent. */
export class FetchRefusedError extends HasadError {
  constructor(url: string, reason: string) {
    super('fetch_refused', `refused to fetch ${url}: ${reason}`, { context: { url, reason }, permanent: true });
  }
}

/** The document could not be parsed. `position` names where (line/column or byte offset). Permanent. */
export class ParseError extends HasadError {
  constructor(url: string, format: string, detail: string, position?: { line?: number; column?: number }) {
    const where = position?.line !== undefined ? ` at line ${position.line}${position.column !== undefined ? `, column ${position.column}` : ''}` : '';
    super('parse_error', `could not parse ${format} from ${url}${where}: ${detail}`, {
      context: { url, format, ...position },
      permanent: true,
    });
  }
}

/** The parsing limits a page is read under (see docs/limits.md), by name. */
export interface ParseLimits {
  /** Nesting of JSON arrays and objects, or XML elements, at most. */
  maxDepth: number;
  /** Longest single token (a literal, an IRI, a JSON string, a run of leading blanks), in characters of the decoded text. */
  maxTokenBytes: number;
  /** Records one page may yield at most. */
  maxRecordsPerPage: number;
  /** Heap of the worker thread a page is parsed in, in MB. */
  heapMb: number;
  /** CPU time one page's parsing may take, in seconds. */
  cpuSeconds: number;
}

/** The environment variable that sets each parsing limit: named in every `limit_exceeded` error ({@link LimitExceededError}). */
export const PARSE_LIMIT_SETTINGS: Record<keyof ParseLimits, string> = {
  maxDepth: 'HASAD_PARSE_MAX_DEPTH',
  maxTokenBytes: 'HASAD_PARSE_MAX_TOKEN_BYTES',
  maxRecordsPerPage: 'HASAD_PARSE_MAX_RECORDS_PER_PAGE',
  heapMb: 'HASAD_PARSE_HEAP_MB',
  cpuSeconds: 'HASAD_PARSE_CPU_SECONDS',
};

/**
 * Paging went wrong: a loop, a page URL that is not one, or more pages than allowed (code
 * `page_limit_exceeded`, one of the limits of a source: see {@link SourceLimitError}). Permanent.
 */
export class PagingError extends HasadError {
  constructor(message: string, context: Record<string, unknown>, code: 'paging_error' | 'page_limit_exceeded' = 'paging_error') {
    super(code, message, { context, permanent: true });
  }
}

/**
 * A document went past one of the hard limits that keep a parser from taking the process down
 * (element depth, token or text length, records on a page, body bytes, elements held in memory).
 * Permanent: the same page would go past it again. `limit` names the setting (e.g.
 * `HASAD_SOAP_MAX_DEPTH`), `max` its value.
 */
export class LimitExceededError extends HasadError {
  constructor(url: string, format: string, limit: string, max: number, detail: string) {
    super('limit_exceeded', `${format} from ${url} exceeds ${limit} (${max}): ${detail}`, { context: { url, format, limit, max }, permanent: true });
  }
}

export function isPermanent(err: unknown): boolean {
  return err instanceof HasadError && err.permanent;
}

/** A short, safe one-line description of any thrown value, for run reports. */
export function describeError(err: unknown): { code: string; message: string } {
  if (err instanceof HasadError) return { code: err.code, message: err.message };
  if (err instanceof Error) return { code: 'internal', message: err.message };
  return { code: 'internal', message: String(err) };
}

/**
 * A host asked not to be contacted for a while (429 or 503 with Retry-After), and that wait is
 * still running: the request was not sent. Transient: the harvest is delayed until then.
 */
export class FetchBackoffError extends HasadError {
  constructor(url: string, host: string, retryAfterMs: number) {
    super('fetch_backoff', `${host} asked not to be contacted for another ${Math.ceil(retryAfterMs / 1000)} s (Retry-After); ${url} was not requested`, {
      context: { url, host, retryAfterMs },
    });
  }
}

/**
 * How long the server asked to be left alone, for an error that says so: a 429 or 503 answer
 * with Retry-After, or a request held back because of an earlier one ({@link FetchBackoffError}).
 * Undefined for every other error (including 429/503 without Retry-After).
 */
export function retryAfterMsOf(err: unknown): number | undefined {
  if (err instanceof FetchBackoffError) return err.context['retryAfterMs'] as number;
  if (err instanceof FetchStatusError) {
    const status = err.context['status'];
    const ms = err.context['retryAfterMs'];
    if ((status === 429 || status === 503) && typeof ms === 'number') return ms;
  }
  return undefined;
}

/**
 * A source broke one of the limits that keep one source from holding a fetcher slot: a body read
 * slower than the rate floor (`too_slow`), a run past its time budget (`run_budget_exceeded`);
 * the third, more pages than the page limit, is a PagingError `page_limit_exceeded`. Permanent: retrying would hold the slot
 * again for as long, so the run fails at once (never retried like a network error).
 */
export class SourceLimitError extends HasadError {
  constructor(code: 'too_slow' | 'run_budget_exceeded', message: string, context: Record<string, unknown> = {}) {
    super(code, message, { context, permanent: true });
  }
}

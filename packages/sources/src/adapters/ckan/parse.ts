import type { Readable } from 'node:stream';
import { FetchStatusError, HasadError, ParseError, type ParseLimits } from '@hasad/core';
import { JsonShapeGuard } from '../../parse-guards.ts';
import { isObject, text } from './values.ts';

/**
 * The CKAN Action API answered `success: false` (or a 4xx carrying such an envelope): the
 * request itself is wrong (bad `fq`, unknown sort field, action not allowed), so retrying cannot
 * help. The message is CKAN's own `error.message`.
 */
export class CkanApiError extends HasadError {
  constructor(url: string, ckanMessage: string, context: Record<string, unknown> = {}, cause?: unknown) {
    super('ckan_api_error', `the CKAN API refused ${url}: ${ckanMessage}`, {
      context: { url, ckanMessage, ...context },
      permanent: true,
      ...(cause !== undefined && { cause }),
    });
  }
}

/** The syntax `limit_exceeded` errors name for a CKAN page. */
export const CKAN_FORMAT = 'CKAN JSON';

/** One page of `package_search` (or a list-shaped DKAN answer). */
export interface CkanPage {
  /** The page's entries as given; the mapper checks each one. */
  results: unknown[];
  /** The total number of matches, when the portal said (`result.count`); undefined for list-shaped results. */
  count?: number;
  /** `search`: `{count, results}` as CKAN gives it; `list`: `result` is the list itself (DKAN). */
  shape: 'search' | 'list';
}

/** CKAN's `error` object as one line: its `message`, else its fields (validation errors name them). */
function describeCkanError(error: unknown): string {
  if (!isObject(error)) return text(error) ?? 'no error message given';
  const message = text(error['message']);
  const type = text(error['__type']);
  if (message !== undefined) return type === undefined ? message : `${type}: ${message}`;
  const fields = Object.entries(error)
    .filter(([k]) => k !== '__type')
    .map(([k, v]) => `${k}: ${Array.isArray(v) ? v.map((x) => String(x)).join(' ') : String(v)}`);
  return [type, ...fields].filter((s) => s !== undefined).join('; ') || 'no error message given';
}

/**
 * Reads an Action API envelope (`{help, success, result}`) from response text.
 * @throws ParseError when the text is not JSON or not a CKAN envelope (a portal's HTML home
 *   page, say); CkanApiError for `success: false`.
 */
export function parseCkanEnvelope(body: string, url: string): CkanPage {
  let doc: unknown;
  try {
    doc = JSON.parse(body.charCodeAt(0) === 0xfeff ? body.slice(1) : body);
  } catch (err) {
    const start = body.trimStart().slice(0, 1);
    const hint = start === '<' ? ' (the answer looks like HTML: is this the portal\'s base URL or its package_search API?)' : '';
    throw new ParseError(url, 'json', `${(err as Error).message}${hint}`);
  }
  if (!isObject(doc)) throw new ParseError(url, 'json', 'the answer is not a CKAN API envelope ({"success": ..., "result": ...})');
  if (doc['success'] === false) throw new CkanApiError(url, describeCkanError(doc['error']), { error: doc['error'] });
  const result = doc['result'];
  if (Array.isArray(result)) return { results: result, shape: 'list' };
  if (isObject(result) && Array.isArray(result['results'])) {
    const count = result['count'];
    return {
      results: result['results'],
      shape: 'search',
      ...(typeof count === 'number' && Number.isSafeInteger(count) && count >= 0 && { count }),
    };
  }
  throw new ParseError(url, 'json', 'the answer has no result list (expected result.results from package_search, or a list)');
}

/**
 * Collects a response body (the fetcher's size limit applies while reading) and parses the
 * envelope. A page of 1000 packages is a few megabytes: held whole, like the JSON it is. The text
 * goes through the JSON shape guard as it arrives, so a page nested deeper than `maxDepth` or
 * holding a string longer than `maxTokenBytes` fails with `limit_exceeded` before it is parsed
 * (and, for a huge string, before it is all read).
 * @throws LimitExceededError, and as {@link parseCkanEnvelope}.
 */
export async function readCkanPage(body: Readable, url: string, limits: Pick<ParseLimits, 'maxDepth' | 'maxTokenBytes'>): Promise<CkanPage> {
  const guard = new JsonShapeGuard(url, limits, CKAN_FORMAT);
  const decoder = new TextDecoder('utf-8');
  const parts: string[] = [];
  try {
    for await (const chunk of body) {
      const text = decoder.decode(chunk as Buffer, { stream: true });
      guard.feed(text);
      parts.push(text);
    }
    const rest = decoder.decode();
    guard.feed(rest);
    parts.push(rest);
  } finally {
    body.destroy();
  }
  return parseCkanEnvelope(parts.join(''), url);
}

/**
 * A 4xx whose body is a CKAN `success: false` envelope becomes a CkanApiError carrying CKAN's
 * message (what a user needs to fix the `fq` or sort); anything else is returned unchanged. The
 * fetcher keeps only an excerpt of error bodies, so the message is read leniently.
 */
export function explainStatusError(err: unknown): unknown {
  if (!(err instanceof FetchStatusError) || !err.permanent) return err;
  const excerpt = err.context['bodyExcerpt'];
  if (typeof excerpt !== 'string' || !/"success"\s*:\s*false/.test(excerpt)) return err;
  const message = /"message"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(excerpt)?.[1];
  let decoded = message;
  if (message !== undefined) {
    try {
      decoded = JSON.parse(`"${message}"`) as string;
    } catch {
      // Cut off mid-escape by the excerpt: the raw text still reads well.
    }
  }
  const url = String(err.context['url']);
  return new CkanApiError(url, `HTTP ${String(err.context['status'])}${decoded === undefined ? '' : `: ${decoded}`}`, { status: err.context['status'] }, err);
}

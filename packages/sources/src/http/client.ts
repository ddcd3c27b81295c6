import { Readable, pipeline } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Agent, request } from 'undici';
import type { Dispatcher } from 'undici';
import { FetchNetworkError, FetchRefusedError, FetchStatusError, HasadError } from '@hasad/core';
import type { HttpOptions, PageValidators } from '../types.ts';
import { vetUrl, vettingLookup } from './address-policy.ts';

/** Settings used when a caller gives none (preview, CLI). Services pass their own from config. */
export const defaultHttpOptions: HttpOptions = {
  allowPrivateHosts: false,
  userAgent: 'Hasad/0.1 (open-data harvester)',
  timeoutMs: 30_000,
  maxBytes: 512 * 1024 * 1024,
  maxRedirects: 5,
};

/** One request: a GET by default; a POST for services that want a request body (SOAP). */
export interface FetchRequest {
  url: string;
  http: HttpOptions;
  /** Default `GET`. A POST follows only 307/308 redirects (which keep the method and body). */
  method?: 'GET' | 'POST';
  /** The request body (POST only), sent as given; set its Content-Type in `headers`. */
  body?: string;
  /** Extra request headers (names case-insensitive); they override the defaults of the same name. */
  headers?: Record<string, string>;
  /** Accept header; default `*\/*`. */
  accept?: string;
  /** Sent as If-None-Match / If-Modified-Since. */
  validators?: Pick<PageValidators, 'etag' | 'lastModified'>;
  /**
   * Non-2xx statuses to return (with their body) instead of throwing FetchStatusError, for
   * protocols that put the explanation in the body: a SOAP Fault comes with HTTP 500.
   */
  acceptStatuses?: readonly number[];
  signal?: AbortSignal;
}

/**
 * A successful (2xx) or not-modified (304) answer, or one of the request's `acceptStatuses`.
 * Other errors are thrown, never returned.
 */
export interface FetchResponse {
  /** The URL finally answered, after redirects. */
  url: string;
  status: number;
  notModified: boolean;
  etag?: string;
  lastModified?: string;
  /** The raw Content-Type header (with parameters), when sent. */
  contentType?: string;
  /**
   * The body bytes, streamed (content-encoding already undone). Empty for a 304. It errors with
   * FetchRefusedError past `maxBytes` and with FetchNetworkError on a body timeout or reset.
   * The caller must consume or destroy it.
   */
  body: Readable;
  /** Bytes of body delivered so far (after content decoding). */
  bytesRead(): number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

// Connections are reused across pages of a feed (keep-alive). Two pools, because the connect-time
// address check differs: the vetting pool re-resolves and re-checks every new connection's address.
let vettingAgent: Agent | undefined;
let openAgent: Agent | undefined;

function agentFor(allowPrivateHosts: boolean): Agent {
  if (allowPrivateHosts) {
    openAgent ??= new Agent({ keepAliveTimeout: 10_000, keepAliveMaxTimeout: 60_000 });
    return openAgent;
  }
  vettingAgent ??= new Agent({
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    connect: { lookup: vettingLookup as never },
  });
  return vettingAgent;
}

/** Closes the shared connection pools (graceful shutdown). Later fetches open new pools. */
export async function closeHttpAgents(): Promise<void> {
  const agents = [vettingAgent, openAgent];
  vettingAgent = undefined;
  openAgent = undefined;
  await Promise.all(agents.map((a) => a?.close()));
}

/**
 * Parses a Retry-After header (delay in seconds or an HTTP date) into milliseconds.
 * @returns undefined when absent or unreadable; 0 for a date in the past.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Fetches `req.url` with GET (or POST with `req.body`), following redirects by hand (each hop is
 * re-checked against the address policy), sending conditional headers, and streaming the body
 * under `maxBytes`. A POST follows 307 and 308 (method and body kept) and refuses 301, 302 and
 * 303, which would turn it into a GET without its body.
 *
 * @returns the response for 2xx, 304 and the statuses listed in `req.acceptStatuses`.
 * @throws FetchRefusedError (scheme, private address, too many redirects, a POST redirected by
 *   301/302/303, body too large),
 *   FetchStatusError (other statuses; 429/5xx carry `retryAfterMs`), FetchNetworkError
 *   (DNS, connect, reset, timeouts). An abort through `req.signal` rethrows the abort error.
 */
export async function fetchPage(req: FetchRequest): Promise<FetchResponse> {
  const { http } = req;
  const dispatcher = agentFor(http.allowPrivateHosts);
  const headers: Record<string, string> = {
    accept: req.accept ?? '*/*',
    'user-agent': http.userAgent,
    'accept-encoding': 'gzip, deflate, br',
  };
  if (req.validators?.etag) headers['if-none-match'] = req.validators.etag;
  if (req.validators?.lastModified) headers['if-modified-since'] = req.validators.lastModified;
  for (const [name, value] of Object.entries(req.headers ?? {})) headers[name.toLowerCase()] = value;
  const method = req.method ?? 'GET';
  if (method === 'GET' && req.body !== undefined) throw new TypeError(`fetchPage: a GET request has no body (${req.url})`);

  let url = req.url;
  for (let hop = 0; ; hop++) {
    try {
      await vetUrl(url, http.allowPrivateHosts);
    } catch (err) {
      throw toFetchError(url, err, req.signal, method);
    }
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method,
        headers,
        ...(req.body !== undefined && { body: req.body }),
        dispatcher,
        headersTimeout: http.timeoutMs,
        bodyTimeout: http.timeoutMs,
        signal: req.signal,
      });
    } catch (err) {
      throw toFetchError(url, err, req.signal, method);
    }
    const status = res.statusCode;

    if (REDIRECT_STATUSES.has(status)) {
      const location = header(res.headers, 'location');
      await res.body.dump().catch(() => undefined);
      if (location === undefined) throw new FetchStatusError(url, status, { bodyExcerpt: 'redirect without a Location header' });
      if (hop >= http.maxRedirects) {
        throw new FetchRefusedError(req.url, `more than ${http.maxRedirects} redirects (maxRedirects), last to ${location}`);
      }
      let target: string;
      try {
        target = new URL(location, url).href;
      } catch {
        throw new FetchRefusedError(url, `redirect to an invalid URL: ${location}`);
      }
      // 301/302/303 turn a POST into a GET without its body (what clients do): repeating it
      // there would not be the request the source asked for. Only 307/308 keep method and body.
      if (method === 'POST' && status !== 307 && status !== 308) {
        throw new FetchRefusedError(
          url,
          `a POST answered HTTP ${status} (redirect to ${target}); only 307 and 308 redirects keep the method and body, so it was not followed: use the new address`,
        );
      }
      url = target;
      continue;
    }

    const etag = header(res.headers, 'etag');
    const lastModified = header(res.headers, 'last-modified');
    const contentType = header(res.headers, 'content-type');
    const common = {
      url,
      status,
      ...(etag !== undefined && { etag }),
      ...(lastModified !== undefined && { lastModified }),
      ...(contentType !== undefined && { contentType }),
    };

    if (status === 304) {
      await res.body.dump().catch(() => undefined);
      return { ...common, notModified: true, body: Readable.from([]), bytesRead: () => 0 };
    }
    if ((status < 200 || status >= 300) && !(req.acceptStatuses?.includes(status) ?? false)) {
      const bodyExcerpt = await readExcerpt(res.body, 300);
      const retryAfterMs = status === 429 || status >= 500 ? parseRetryAfter(header(res.headers, 'retry-after')) : undefined;
      throw new FetchStatusError(url, status, {
        method,
        ...(retryAfterMs !== undefined && { retryAfterMs }),
        ...(bodyExcerpt !== '' && { bodyExcerpt }),
      });
    }

    const declared = Number(header(res.headers, 'content-length'));
    const encoding = (header(res.headers, 'content-encoding') ?? 'identity').trim().toLowerCase();
    // Content-Length counts encoded bytes, so it only allows an early refusal for identity bodies.
    if (encoding === 'identity' && Number.isFinite(declared) && declared > http.maxBytes) {
      discard(res.body);
      throw tooLarge(url, http.maxBytes, `Content-Length is ${declared} bytes`);
    }
    let counted = 0;
    const body = limitedBody(url, res.body, encoding, http.maxBytes, (n) => {
      counted = n;
    });
    return { ...common, notModified: false, body, bytesRead: () => counted };
  }
}

/** Drops a body we will not read. undici reports an unread body's destruction as an 'error'. */
function discard(body: Readable): void {
  body.on('error', () => undefined);
  body.destroy();
}

function tooLarge(url: string, maxBytes: number, detail: string): FetchRefusedError {
  return new FetchRefusedError(url, `response body exceeds the limit of ${maxBytes} bytes (maxBytes); ${detail}`);
}

async function readExcerpt(body: Readable, max: number): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  try {
    for await (const chunk of body) {
      parts.push(chunk as Buffer);
      n += (chunk as Buffer).length;
      if (n >= max) break;
    }
  } catch {
    // An excerpt is a courtesy: the status is the error.
  } finally {
    discard(body);
  }
  return Buffer.concat(parts).subarray(0, max).toString('utf8').replace(/\s+/g, ' ').trim();
}

function decoderFor(url: string, encoding: string): NodeJS.ReadWriteStream | undefined {
  switch (encoding) {
    case 'identity':
    case '':
      return undefined;
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      throw new FetchRefusedError(url, `unsupported Content-Encoding "${encoding}"`);
  }
}

/**
 * Wraps the response body: undoes the content-encoding, counts decoded bytes (the limit guards
 * memory, so it applies after decompression: a small gzip can expand enormously) and maps
 * stream errors to Hasad errors.
 */
function limitedBody(url: string, raw: Readable, encoding: string, maxBytes: number, onBytes: (n: number) => void): Readable {
  let decoder: NodeJS.ReadWriteStream | undefined;
  try {
    decoder = decoderFor(url, encoding);
  } catch (err) {
    discard(raw);
    throw err;
  }
  const source: AsyncIterable<Buffer> = decoder === undefined ? raw : (pipeline(raw, decoder, () => undefined) as unknown as AsyncIterable<Buffer>);
  async function* limited(): AsyncGenerator<Buffer> {
    let total = 0;
    try {
      for await (const chunk of source) {
        total += chunk.length;
        onBytes(total);
        if (total > maxBytes) throw tooLarge(url, maxBytes, `stopped after reading ${total} bytes`);
        yield chunk;
      }
    } catch (err) {
      throw toFetchError(url, err, undefined);
    } finally {
      // Early exit (consumer stopped, or limit hit): release the socket instead of draining it.
      if (!raw.readableEnded) discard(raw);
    }
  }
  return Readable.from(limited(), { objectMode: false });
}

function toFetchError(url: string, err: unknown, signal: AbortSignal | undefined, method = 'GET'): unknown {
  if (signal?.aborted) return err;
  // The connect-time address check (DNS rebinding guard) fails the socket with our own error,
  // which only knew the host name: name the URL being fetched instead.
  const own = err instanceof HasadError ? err : (err as { cause?: unknown } | null)?.cause;
  if (own instanceof FetchRefusedError && own.context['url'] !== url && typeof own.context['reason'] === 'string') {
    return new FetchRefusedError(url, own.context['reason']);
  }
  if (own instanceof HasadError) return own;
  // DNS failures (HostLookupError) included: a name that does not resolve today may tomorrow.
  return new FetchNetworkError(url, err, method);
}

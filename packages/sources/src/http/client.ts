import { Readable, pipeline } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Agent, buildConnector, request } from 'undici';
import type { Dispatcher } from 'undici';
import { FetchBackoffError, FetchNetworkError, FetchRefusedError, FetchStatusError, HasadError, SourceLimitError } from '@hasad/core';
import type { HostLimiter, HttpOptions, PageValidators } from '../types.ts';
import { compilePolicy, vetUrl, vettingLookupFor, type CompiledPolicy } from './address-policy.ts';
import { createLocalHostLimiter, hostKey } from './host-limiter.ts';

/** Settings used when a caller gives none (preview, CLI). Services pass their own from config. */
export const defaultHttpOptions: HttpOptions = {
  allowPrivateHosts: false,
  userAgent: 'Hasad/0.1 (open-data harvester)',
  timeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  deadlineMs: 600_000,
  minBytesPerSecond: 1024,
  rateWindowMs: 30_000,
  maxBytes: 200 * 1024 * 1024,
  maxRedirects: 5,
  hostConcurrency: 2,
  hostRequestsPerSecond: 5,
};

/** One request: a GET by default; a POST for services that want a request body (SOAP). */
export interface FetchRequest {
  url: string;
  http: HttpOptions;
  /**
   * Default `GET`. A POST follows only 307/308 redirects (which keep the method and body). HEAD
   * (the link check) is followed like a GET; its body is empty.
   */
  method?: 'GET' | 'POST' | 'HEAD';
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
/** One answer can keep a host off limits to every worker for this long at most, in ms: Retry-After is the server's to give. */
const MAX_HOST_BACKOFF_MS = 3_600_000;

// Connections are reused across pages of a feed (keep-alive). One pool per address policy and
// connect timeout, because the connect-time check differs: a vetting pool re-resolves and
// re-checks the address of every new connection.
const agents = new Map<string, Agent>();

function agentFor(policy: CompiledPolicy, connectTimeoutMs: number): Agent {
  const key = `${policy.key}|${connectTimeoutMs}`;
  let agent = agents.get(key);
  if (agent === undefined) {
    agent = new Agent({
      keepAliveTimeout: 10_000,
      keepAliveMaxTimeout: 60_000,
      connect: policy.allowPrivateHosts ? { timeout: connectTimeoutMs } : vettingConnector(policy, connectTimeoutMs),
    });
    agents.set(key, agent);
  }
  return agent;
}

/**
 * A connector that resolves each new connection's host through the address policy at connect
 * time (DNS rebinding between `vetUrl` and the connection gains nothing). The port matters for
 * allow-list entries such as `127.0.0.1:8080`, and a lookup function is not told the port: hence
 * one underlying connector per port.
 */
function vettingConnector(policy: CompiledPolicy, timeout: number): buildConnector.connector {
  const byPort = new Map<number, buildConnector.connector>();
  return (opts, callback) => {
    const port = opts.port ? Number(opts.port) : opts.protocol === 'https:' ? 443 : 80;
    let connect = byPort.get(port);
    if (connect === undefined) {
      if (byPort.size >= 64) byPort.clear();
      connect = buildConnector({ timeout, lookup: vettingLookupFor(policy, port) as never });
      byPort.set(port, connect);
    }
    connect(opts, callback);
  };
}

const localLimiters = new Map<string, HostLimiter>();

/** The process-wide limiter used when the caller passes none (CLI, previews, tests). */
function defaultLimiter(maxConcurrent: number, perSecond: number): HostLimiter {
  const key = `${maxConcurrent}/${perSecond}`;
  let l = localLimiters.get(key);
  if (l === undefined) {
    l = createLocalHostLimiter({ maxConcurrent, perSecond });
    localLimiters.set(key, l);
  }
  return l;
}

/** HttpOptions with every default filled in. */
interface Settings {
  policy: CompiledPolicy;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  deadlineMs: number;
  minBytesPerSecond: number;
  rateWindowMs: number;
  limiter: HostLimiter;
}

function settingsOf(http: HttpOptions): Settings {
  return {
    policy: compilePolicy({ allowPrivateHosts: http.allowPrivateHosts, ...(http.allowHosts !== undefined && { allowHosts: http.allowHosts }) }),
    connectTimeoutMs: http.connectTimeoutMs ?? 10_000,
    headersTimeoutMs: http.headersTimeoutMs ?? http.timeoutMs,
    bodyTimeoutMs: http.bodyTimeoutMs ?? http.timeoutMs,
    deadlineMs: http.deadlineMs ?? 600_000,
    minBytesPerSecond: http.minBytesPerSecond ?? 0,
    rateWindowMs: http.rateWindowMs ?? 30_000,
    limiter: http.hostLimiter ?? defaultLimiter(http.hostConcurrency ?? 2, http.hostRequestsPerSecond ?? 5),
  };
}

/**
 * The overall deadline of one page: started at its first request, it aborts the request (and the
 * body being read) when it passes, so a server trickling a byte a second cannot hold a worker.
 */
class Deadline {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  expired = false;
  readonly signal: AbortSignal;

  constructor(
    readonly ms: number,
    callerSignal: AbortSignal | undefined,
  ) {
    this.signal = callerSignal === undefined ? this.controller.signal : AbortSignal.any([callerSignal, this.controller.signal]);
  }

  start(): void {
    if (this.timer !== undefined || this.expired) return;
    this.timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort(new Error(`no complete answer within the deadline of ${this.ms} ms per page (deadlineMs)`));
    }, this.ms);
    this.timer.unref();
  }

  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}

/** What error mapping needs to know about the request in hand. */
interface ErrorContext {
  method: string;
  callerSignal: AbortSignal | undefined;
  deadline: Deadline;
  settings: Settings;
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
 * Every request waits for a slot of its host in the host limiter and holds it until its body is
 * read or dropped. The page's deadline runs from the first request to the body's last byte.
 *
 * @returns the response for 2xx, 304 and the statuses listed in `req.acceptStatuses`.
 * @throws FetchRefusedError (scheme, refused address, too many redirects, a POST redirected by
 *   301/302/303, body too large, more than one Content-Encoding),
 *   FetchStatusError (other statuses; 429/5xx carry `retryAfterMs`), FetchBackoffError (the host
 *   asked to be left alone for a while and that wait is not over), FetchNetworkError
 *   (DNS, connect, reset, timeouts, deadline). An abort through `req.signal` rethrows the abort error.
 */
export async function fetchPage(req: FetchRequest): Promise<FetchResponse> {
  const { http } = req;
  const settings = settingsOf(http);
  const dispatcher = agentFor(settings.policy, settings.connectTimeoutMs);
  const headers: Record<string, string> = {
    accept: req.accept ?? '*/*',
    'user-agent': http.userAgent,
    'accept-encoding': 'gzip, deflate, br',
  };
  if (req.validators?.etag) headers['if-none-match'] = req.validators.etag;
  if (req.validators?.lastModified) headers['if-modified-since'] = req.validators.lastModified;
  for (const [name, value] of Object.entries(req.headers ?? {})) headers[name.toLowerCase()] = value;
  const method = req.method ?? 'GET';
  if (method !== 'POST' && req.body !== undefined) throw new TypeError(`fetchPage: a ${method} request has no body (${req.url})`);
  const deadline = new Deadline(settings.deadlineMs, req.signal);
  const ctx: ErrorContext = { method, callerSignal: req.signal, deadline, settings };

  let url = req.url;
  try {
    for (let hop = 0; ; hop++) {
      try {
        await vetUrl(url, settings.policy);
      } catch (err) {
        throw toFetchError(url, err, ctx);
      }
      const host = hostKey(url);
      // Waiting for a slot is not part of the page's deadline (a busy host is not a slow one);
      // only a redirect hop's wait is, as its deadline already runs.
      const permit = await settings.limiter.acquire(host, hop === 0 ? req.signal : deadline.signal).catch((err: unknown) => {
        throw toFetchError(url, err, ctx);
      });
      if (!permit.ok) throw new FetchBackoffError(url, host, permit.retryAfterMs);
      const release = permit.release;
      deadline.start();
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, {
          method,
          headers,
          ...(req.body !== undefined && { body: req.body }),
          dispatcher,
          headersTimeout: settings.headersTimeoutMs,
          bodyTimeout: settings.bodyTimeoutMs,
          signal: deadline.signal,
        });
      } catch (err) {
        release();
        throw toFetchError(url, err, ctx);
      }
      const status = res.statusCode;

      if (REDIRECT_STATUSES.has(status)) {
        const location = header(res.headers, 'location');
        await res.body.dump().catch(() => undefined);
        release();
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
        release();
        deadline.clear();
        return { ...common, notModified: true, body: Readable.from([]), bytesRead: () => 0 };
      }
      if ((status < 200 || status >= 300) && !(req.acceptStatuses?.includes(status) ?? false)) {
        // 4 KiB: enough for an operator to see what the server said (the dashboard's run page shows it).
        const bodyExcerpt = await readExcerpt(res.body, 4096);
        release();
        const retryAfterMs = status === 429 || status >= 500 ? parseRetryAfter(header(res.headers, 'retry-after')) : undefined;
        // The host said when to come back: nobody sharing the limiter asks it before then.
        if (retryAfterMs !== undefined && (status === 429 || status === 503)) {
          await settings.limiter.backOff(host, Math.min(retryAfterMs, MAX_HOST_BACKOFF_MS)).catch(() => undefined);
        }
        throw new FetchStatusError(url, status, {
          method,
          ...(retryAfterMs !== undefined && { retryAfterMs }),
          ...(bodyExcerpt !== '' && { bodyExcerpt }),
        });
      }

      let encoding: string;
      try {
        encoding = contentEncoding(url, res.headers['content-encoding']);
      } catch (err) {
        discard(res.body);
        release();
        throw err;
      }
      const declared = Number(header(res.headers, 'content-length'));
      // Content-Length counts encoded bytes, so it only allows an early refusal for identity bodies.
      if (encoding === 'identity' && Number.isFinite(declared) && declared > http.maxBytes) {
        discard(res.body);
        release();
        throw tooLarge(url, http.maxBytes, `Content-Length is ${declared} bytes`);
      }
      let counted = 0;
      const body = limitedBody(url, res.body, encoding, http.maxBytes, ctx, (n) => {
        counted = n;
      });
      // However the body ends (read, refused, timed out, dropped by the caller): free the host's
      // slot and stop the deadline.
      const expire = () => body.destroy(toFetchError(url, deadline.signal.reason, ctx) as Error);
      deadline.signal.addEventListener('abort', expire, { once: true });
      body.once('close', () => {
        deadline.signal.removeEventListener('abort', expire);
        release();
        deadline.clear();
      });
      return { ...common, notModified: false, body, bytesRead: () => counted };
    }
  } catch (err) {
    deadline.clear();
    throw err;
  }
}

/**
 * The one content coding of a response, lower case (`identity` when none).
 * @throws FetchRefusedError for stacked codings (`gzip, gzip`): each layer multiplies what a
 *   small body can expand to, and no feed needs more than one.
 */
function contentEncoding(url: string, raw: string | string[] | undefined): string {
  const all = (Array.isArray(raw) ? raw.join(',') : (raw ?? ''))
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  if (all.length > 1) {
    throw new FetchRefusedError(url, `the body has ${all.length} Content-Encoding layers (${all.join(', ')}); at most one is accepted`);
  }
  return all[0] ?? 'identity';
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
function limitedBody(url: string, raw: Readable, encoding: string, maxBytes: number, ctx: ErrorContext, onBytes: (n: number) => void): Readable {
  let decoder: NodeJS.ReadWriteStream | undefined;
  try {
    decoder = decoderFor(url, encoding);
  } catch (err) {
    discard(raw);
    throw err;
  }
  const source: AsyncIterable<Buffer> = decoder === undefined ? raw : (pipeline(raw, decoder, () => undefined) as unknown as AsyncIterable<Buffer>);
  const { minBytesPerSecond, rateWindowMs } = ctx.settings;
  async function* limited(): AsyncGenerator<Buffer> {
    let total = 0;
    try {
      for await (const chunk of minBytesPerSecond > 0 ? rateFloor(source, url, minBytesPerSecond, rateWindowMs) : source) {
        total += chunk.length;
        onBytes(total);
        if (total > maxBytes) throw tooLarge(url, maxBytes, `stopped after reading ${total} bytes`);
        yield chunk;
      }
    } catch (err) {
      throw toFetchError(url, err, ctx);
    } finally {
      // Early exit (consumer stopped, or limit hit): release the socket instead of draining it.
      if (!raw.readableEnded) discard(raw);
      if (decoder !== undefined) (decoder as unknown as Readable).destroy();
    }
  }
  return Readable.from(limited(), { objectMode: false });
}

/**
 * Passes `source` through, failing with `too_slow` when, over a window of `windowMs` spent
 * waiting for the next chunk, fewer than `minBytesPerSecond × windowMs / 1000` bytes came. Only
 * the time a chunk is awaited counts: a reader that stops asking (a parser busy, a fetcher
 * waiting for the loaders) holds the body back itself and is not the server's slowness. A timer
 * ends a window without waiting for the next chunk, so a drip of one line now and then fails
 * at the window's end, not at the page deadline. (undici offers only an idle timeout, which a
 * drip resets with every byte.)
 */
async function* rateFloor(source: AsyncIterable<Buffer>, url: string, minBytesPerSecond: number, windowMs: number): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  const needed = (minBytesPerSecond * windowMs) / 1000;
  let waited = 0;
  let bytes = 0;
  const judge = () => {
    if (waited < windowMs) return;
    if (bytes < needed) {
      const rate = Math.round((bytes * 1000) / waited);
      throw new SourceLimitError(
        'too_slow',
        `${url} sent its body at ${rate} bytes/s over ${Math.round(waited / 1000)} s, below the floor of ${minBytesPerSecond} bytes/s (HASAD_FETCH_MIN_BYTES_PER_SECOND, or the source's limits.minBytesPerSecond)`,
        { url, bytesPerSecond: rate, minBytesPerSecond, windowMs },
      );
    }
    waited = 0;
    bytes = 0;
  };
  try {
    for (;;) {
      const next = it.next();
      let r: IteratorResult<Buffer> | undefined;
      while (r === undefined) {
        const t0 = performance.now();
        let timer: NodeJS.Timeout | undefined;
        const windowEnd = new Promise<undefined>((resolve) => {
          timer = setTimeout(resolve, Math.max(1, windowMs - waited), undefined);
        });
        try {
          r = await Promise.race([next, windowEnd]);
        } finally {
          clearTimeout(timer);
        }
        waited += performance.now() - t0;
        if (r === undefined) waited = Math.max(waited, windowMs);
        if (r !== undefined && r.done !== true) bytes += r.value.length;
        judge();
      }
      if (r.done === true) return;
      yield r.value;
    }
  } finally {
    // Failing mid-wait leaves a read pending (its rejection is handled by the race): ending the
    // iterator destroys the source stream. Not awaited: the pending read need not settle first.
    void Promise.resolve(it.return?.()).catch(() => undefined);
  }
}

const TIMEOUTS: Record<string, (s: Settings) => string> = {
  UND_ERR_CONNECT_TIMEOUT: (s) => `could not connect within ${s.connectTimeoutMs} ms (connect timeout)`,
  UND_ERR_HEADERS_TIMEOUT: (s) => `no response headers within ${s.headersTimeoutMs} ms (headers timeout)`,
  UND_ERR_BODY_TIMEOUT: (s) => `the body stalled for more than ${s.bodyTimeoutMs} ms (body idle timeout)`,
};

function toFetchError(url: string, err: unknown, ctx: ErrorContext): unknown {
  if (ctx.callerSignal?.aborted) return err;
  const { method } = ctx;
  if (ctx.deadline.expired) return new FetchNetworkError(url, ctx.deadline.signal.reason, method);
  // The connect-time address check (DNS rebinding guard) fails the socket with our own error,
  // which only knew the host name: name the URL being fetched instead.
  const own = err instanceof HasadError ? err : (err as { cause?: unknown } | null)?.cause;
  if (own instanceof FetchRefusedError && own.context['url'] !== url && typeof own.context['reason'] === 'string') {
    return new FetchRefusedError(url, own.context['reason']);
  }
  if (own instanceof HasadError) return own;
  const timeout = TIMEOUTS[(err as { code?: string } | null)?.code ?? ''];
  if (timeout !== undefined) return new FetchNetworkError(url, new Error(timeout(ctx.settings), { cause: err }), method);
  // DNS failures (HostLookupError) included: a name that does not resolve today may tomorrow.
  return new FetchNetworkError(url, err, method);
}

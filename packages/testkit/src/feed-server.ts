import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { etagOf, generatePage, MEDIA_TYPES, pageCount, type FeedFormat, type GenerateOptions } from './catalog-generator.ts';

export interface FeedResponse {
  status?: number;
  body?: string | Buffer;
  contentType?: string;
  headers?: Record<string, string>;
  /** Destroy the socket after sending this many bytes of the body (a connection reset mid-body). */
  resetAfterBytes?: number;
  /**
   * Send the body slowly: `chunkBytes` at a time, `delayMs` apart (with a Content-Length), so a
   * harvest of one file lasts long enough to be interrupted mid-body. Stops when the client leaves.
   */
  trickle?: { chunkBytes: number; delayMs: number };
}
export type Responder = (req: IncomingMessage) => FeedResponse | Promise<FeedResponse>;

export interface RequestLogEntry {
  path: string;
  status: number;
  ifNoneMatch?: string;
  accept?: string;
  /** Set once the client went away before the whole body was sent (a killed harvester, a reset). */
  aborted?: true;
}

/**
 * A real HTTP server on loopback standing in for an institution's feed. Routes are keyed by
 * path plus query string. Every request is logged so tests can assert what Hasad asked for.
 */
export class FeedServer {
  readonly requests: RequestLogEntry[] = [];
  private readonly routes = new Map<string, Responder>();
  private server: Server;
  url = '';

  private constructor() {
    this.server = createServer((req, res) => {
      void (async () => {
        const path = req.url ?? '/';
        const responder = this.routes.get(path);
        const r: FeedResponse = responder ? await responder(req) : { status: 404, body: 'not found', contentType: 'text/plain' };
        const status = r.status ?? 200;
        const entry: RequestLogEntry = { path, status, ...(req.headers['if-none-match'] ? { ifNoneMatch: String(req.headers['if-none-match']) } : {}), ...(req.headers.accept ? { accept: req.headers.accept } : {}) };
        this.requests.push(entry);
        res.on('close', () => {
          if (!res.writableFinished) entry.aborted = true;
        });
        const headers: Record<string, string> = { ...(r.contentType ? { 'content-type': r.contentType } : {}), ...r.headers };
        if (r.trickle !== undefined && r.body) {
          const buf = Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body);
          res.writeHead(status, { ...headers, 'content-length': String(buf.length) });
          await trickle(res, buf, r.trickle);
          return;
        }
        if (r.resetAfterBytes !== undefined && r.body) {
          const buf = Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body);
          res.writeHead(status, { ...headers, 'content-length': String(buf.length) });
          res.write(buf.subarray(0, r.resetAfterBytes), () => res.destroy());
          return;
        }
        res.writeHead(status, headers);
        res.end(r.body ?? '');
      })().catch((err) => {
        res.writeHead(500);
        res.end(String(err));
      });
    });
    this.server.keepAliveTimeout = 1000;
  }

  static async start(): Promise<FeedServer> {
    const s = new FeedServer();
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    s.url = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
    return s;
  }

  route(path: string, responder: Responder | FeedResponse): void {
    this.routes.set(path, typeof responder === 'function' ? responder : () => responder);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Writes `body` in chunks `delayMs` apart, honouring back-pressure; gives up when the client leaves. */
async function trickle(res: ServerResponse, body: Buffer, opts: { chunkBytes: number; delayMs: number }): Promise<void> {
  const step = Math.max(1, Math.floor(opts.chunkBytes));
  const gone = new Promise<void>((resolve) => res.once('close', resolve));
  for (let at = 0; at < body.length; at += step) {
    if (at > 0 && opts.delayMs > 0) await Promise.race([new Promise((r) => setTimeout(r, opts.delayMs)), gone]);
    if (res.destroyed) return;
    if (!res.write(body.subarray(at, at + step))) await Promise.race([new Promise((r) => res.once('drain', r)), gone]);
  }
  if (!res.destroyed) res.end();
}

export interface CatalogControl {
  /** URL of page 1: what a source is registered with. */
  url: string;
  options: GenerateOptions;
  format: FeedFormat;
  /** Answer 304 to a matching If-None-Match (default true). */
  conditional: boolean;
  /** Pages (1-based) that answer with this status instead of content. */
  failPages: Map<number, number>;
  /** Appended to every Turtle/N-Triples page as a comment: other bytes, same triples. */
  comment?: string;
  pages(): number;
}

/**
 * Serves a generated, paged DCAT catalogue under `prefix` on the server. Pages are built on
 * demand and cached until the options change; the ETag is a hash of the body, so an unchanged
 * page answers 304 to a conditional request.
 */
export function mountCatalog(server: FeedServer, prefix: string, options: Omit<GenerateOptions, 'baseUrl'>, format: FeedFormat = 'turtle'): CatalogControl {
  const base = `${server.url}${prefix}`;
  const ctl: CatalogControl = {
    url: `${base}/catalog?page=1`,
    options: { ...options, baseUrl: base },
    format,
    conditional: true,
    failPages: new Map(),
    pages: () => pageCount(ctl.options),
  };
  const cache = new Map<string, { body: string; etag: string }>();
  // Enough routes for the largest catalogue this control will be given; unknown pages 404.
  const maxPages = 100_000;
  const render = (n: number) => {
    const key = `${n}|${ctl.format}|${ctl.comment ?? ''}|${JSON.stringify({ ...ctl.options, revised: [...(ctl.options.revised ?? [])], omit: [...(ctl.options.omit ?? [])] })}`;
    let hit = cache.get(key);
    if (!hit) {
      const page = generatePage(ctl.options, n, ctl.format);
      const body = ctl.comment && (ctl.format === 'turtle' || ctl.format === 'ntriples') ? `${page}# ${ctl.comment}\n` : page;
      hit = { body, etag: etagOf(body) };
      cache.clear();
      cache.set(key, hit);
    }
    return hit;
  };
  for (let n = 1; n <= Math.min(maxPages, Math.max(pageCount(ctl.options), 1) * 4); n++) {
    server.route(`${prefix}/catalog?page=${n}`, (req) => {
      if (n > ctl.pages()) return { status: 404, body: 'no such page', contentType: 'text/plain' };
      const fail = ctl.failPages.get(n);
      if (fail) return { status: fail, body: `<html><body>error ${fail}</body></html>`, contentType: 'text/html' };
      const page = render(n);
      // Like many servers, the 304 repeats no validator.
      if (ctl.conditional && req.headers['if-none-match'] === page.etag) return { status: 304 };
      return { status: 200, body: page.body, contentType: MEDIA_TYPES[ctl.format], headers: { etag: page.etag } };
    });
  }
  return ctl;
}

/**
 * Test helpers of @hasad/sources (its `./testing` export), for its own tests: a loopback HTTP
 * server standing in for an institution, a path router for it, and HTTP options that allow it.
 * Not imported by the package itself.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpOptions } from './types.ts';

/** A request as the loopback server saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** When it arrived (ms since the epoch). */
  at: number;
}

/** A real HTTP server on 127.0.0.1 and a random port, standing in for an institution's server. */
export interface Loopback {
  /** `http://127.0.0.1:<port>` */
  base: string;
  port: number;
  requests: SeenRequest[];
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, base: string) => void | Promise<void>;

/** Starts a loopback server; every request is recorded, then handed to `handler`. */
export async function startLoopback(handler: Handler): Promise<Loopback> {
  const requests: SeenRequest[] = [];
  let base = '';
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, at: Date.now() });
    Promise.resolve(handler(req, res, base)).catch((err: unknown) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  return {
    base,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Routes by path: a fixed answer per path, 404 otherwise. */
export function routes(table: Record<string, { status?: number; headers?: Record<string, string>; body?: string | Buffer }>): Handler {
  return (req, res) => {
    const path = req.url ?? '/';
    const route = table[path];
    if (route === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`no route for ${path}`);
      return;
    }
    res.writeHead(route.status ?? 200, route.headers ?? {});
    res.end(route.body ?? '');
  };
}

/** HTTP options for talking to loopback servers in tests. */
export const loopbackHttp: HttpOptions = {
  allowPrivateHosts: true,
  userAgent: 'hasad-tests',
  timeoutMs: 5_000,
  maxBytes: 10 * 1024 * 1024,
  maxRedirects: 3,
  // Tests hammer one loopback server on purpose; politeness has its own tests.
  hostConcurrency: 64,
  hostRequestsPerSecond: 100_000,
};

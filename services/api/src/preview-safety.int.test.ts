import type { ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken, createOrganization } from '@hasad/db';
import { startLoopback, type Loopback } from '@hasad/sources/testing';
import { generatePage, MEDIA_TYPES } from '@hasad/testkit';
import { httpCall, startApiHarness, type ApiHarness, type HttpAnswer } from './test-harness.ts';

// POST /api/v1/preview against hostile targets, with real HTTP requests to a listening API on
// real PostgreSQL and Redis. The address rules are ON: the allow-list names only the port of
// one loopback server (the feed); every other loopback, link-local or IPv6 loopback address is
// reached only through the rules. The API runs in this process, so its memory is this
// process's resident set.

const MAX_BYTES = 5 * 1024 * 1024;
/** How far the resident set may grow over the whole file: far below a 2 GB body or a bomb's output. */
const RSS_BUDGET = 200 * 1024 * 1024;
/** Requests per second to one host, across the workers and the previews. */
const HOST_RATE = 2;

/** Gzip of `bytes` zero bytes, compressed as a stream: the inflated body never exists here. */
async function gzipBomb(bytes: number): Promise<Buffer> {
  const chunk = Buffer.alloc(1024 * 1024);
  const zeros = Readable.from(
    (function* () {
      for (let sent = 0; sent < bytes; sent += chunk.length) yield chunk;
    })(),
  );
  const parts: Buffer[] = [];
  for await (const part of zeros.pipe(createGzip({ level: 9 }))) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** Streams `bytes` of Turtle comment lines without a Content-Length, honouring back-pressure; stops when the client leaves. */
function streamHuge(res: ServerResponse, bytes: number): void {
  const line = Buffer.from(`# ${'x'.repeat(1021)}\n`);
  let sent = 0;
  res.writeHead(200, { 'content-type': MEDIA_TYPES.turtle });
  const pump = () => {
    while (sent < bytes && !res.destroyed) {
      sent += line.length;
      if (!res.write(line)) {
        res.once('drain', pump);
        return;
      }
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

let h: ApiHarness;
let base: string;
let token: string;
/** The allow-listed loopback server: feeds and hostile answers. */
let target: Loopback;
/** A loopback server outside the allow-list: nothing may ever reach it. */
let canary: Loopback;
let bomb: Buffer;
let rssBaseline = 0;
let rssPeak = 0;

const call = (method: string, path: string, body?: unknown, auth = token): Promise<HttpAnswer> => httpCall(base, method, path, { token: auth, body });

const preview = (url: string, extra: Record<string, unknown> = {}) => call('POST', '/api/v1/preview', { kind: 'dcat', url, ...extra });

/** The API still answers, and its memory stayed within budget of where it started. */
async function stillHealthy(label: string): Promise<void> {
  const health = await fetch(`${base}/healthz`);
  expect(health.status, `${label}: /healthz`).toBe(200);
  const rss = process.memoryUsage().rss;
  rssPeak = Math.max(rssPeak, rss);
  expect(rss - rssBaseline, `${label}: resident set grew by ${Math.round((rss - rssBaseline) / 1048576)} MB`).toBeLessThan(RSS_BUDGET);
}

beforeAll(async () => {
  bomb = await gzipBomb(256 * 1024 * 1024);
  canary = await startLoopback((_req, res) => {
    res.writeHead(200, { 'content-type': MEDIA_TYPES.turtle }).end('');
  });
  target = await startLoopback((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const feed = (datasets: number) => generatePage({ datasets, pageSize: 0, baseUrl: `${target.base}/feed` }, 1, 'turtle');
    switch (path) {
      case '/feed30.ttl':
      case '/paced.ttl':
        res.writeHead(200, { 'content-type': MEDIA_TYPES.turtle }).end(feed(path === '/feed30.ttl' ? 30 : 2));
        return;
      case '/to-ipv6-loopback':
        res.writeHead(302, { location: `http://[::1]:${canary.port}/catalog.ttl` }).end();
        return;
      case '/to-metadata':
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' }).end();
        return;
      case '/to-loopback':
        res.writeHead(301, { location: `http://127.0.0.1:${canary.port}/catalog.ttl` }).end();
        return;
      case '/bomb.ttl':
        res.writeHead(200, { 'content-type': MEDIA_TYPES.turtle, 'content-encoding': 'gzip', 'content-length': String(bomb.length) }).end(bomb);
        return;
      case '/huge.ttl':
        // Ten times the limit, with no Content-Length: only counting while streaming stops it.
        streamHuge(res, 10 * MAX_BYTES);
        return;
      case '/huge-declared.ttl':
        // A declared 2 GB body: refused from its header, before anything is read.
        res.writeHead(200, { 'content-type': MEDIA_TYPES.turtle, 'content-length': String(2 * 1024 ** 3) });
        res.write('# the rest never comes\n');
        return;
      default:
        res.writeHead(404, { 'content-type': 'text/plain' }).end('no such path');
    }
  });

  h = await startApiHarness({
    env: {
      // The address rules stay on; only the target server's port is allow-listed.
      HASAD_ALLOW_HOSTS: `127.0.0.1:${target.port}`,
      HASAD_FETCH_MAX_BYTES: String(MAX_BYTES),
      HASAD_HOST_RATE_PER_SECOND: String(HOST_RATE),
      HASAD_HOST_CONCURRENCY: '2',
    },
  });
  expect(h.config.HASAD_ALLOW_PRIVATE_HOSTS).toBe(false);
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  const org = await createOrganization(h.deps.db, { slug: 'min-sante', name: 'Ministère de la Santé' });
  token = (await createApiToken(h.deps.db, { role: 'organization', organizationId: org.id })).token;

  // Warm up (parsers, connection pools) before measuring where memory starts.
  expect((await preview(`${target.base}/feed30.ttl`)).status).toBe(200);
  rssBaseline = process.memoryUsage().rss;
});

afterAll(async () => {
  if (rssBaseline > 0) console.info(`preview-safety: resident set ${Math.round(rssBaseline / 1048576)} MB after warm-up, peak ${Math.round(rssPeak / 1048576)} MB`);
  await h?.close();
  await target?.close();
  await canary?.close();
});

describe('POST /api/v1/preview refuses addresses of the platform’s own network', () => {
  it.each([
    ['a loopback IP literal', () => `http://127.0.0.1:${canary.port}/catalog.ttl`, /address 127\.0\.0\.1 is loopback/],
    ['a name resolving to loopback', () => `http://localhost:${canary.port}/catalog.ttl`, /address 127\.0\.0\.1 is loopback .*\(localhost resolves to 127\.0\.0\.1\)/],
    ['the IPv6 loopback', () => `http://[::1]:${canary.port}/catalog.ttl`, /address ::1 is loopback/],
    ['an IPv4-mapped IPv6 loopback', () => `http://[::ffff:127.0.0.1]:${canary.port}/catalog.ttl`, /loopback/],
    ['the cloud metadata address (link-local)', () => 'http://169.254.169.254/latest/meta-data/', /address 169\.254\.169\.254 is link-local/],
    ['a private address', () => 'http://10.0.0.1/catalog.ttl', /address 10\.0\.0\.1 is private/],
  ])('%s: 422 fetch_refused naming the rule; nothing is requested', async (label, url, rule) => {
    const res = await preview(url());
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.body.error.code).toBe('fetch_refused');
    expect(res.body.error.message).toMatch(rule);
    expect(res.body.error.message).toContain('private and loopback hosts are not allowed');
    expect(canary.requests).toEqual([]);
    await stillHealthy(label);
  });

  it.each([
    ['to the IPv6 loopback', '/to-ipv6-loopback', /address ::1 is loopback/],
    ['to the cloud metadata address', '/to-metadata', /address 169\.254\.169\.254 is link-local/],
    ['to another loopback port', '/to-loopback', /address 127\.0\.0\.1 is loopback.*the allow-list covers it only on port/],
  ])('an allow-listed server redirecting %s: refused at the hop', async (label, path, rule) => {
    const before = target.requests.length;
    const res = await preview(`${target.base}${path}`);
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.body.error.code).toBe('fetch_refused');
    expect(res.body.error.message).toMatch(rule);
    // The first hop was made (it is allow-listed); the second never left.
    expect(target.requests.slice(before).map((x) => x.path)).toEqual([path]);
    expect(canary.requests).toEqual([]);
    await stillHealthy(`redirect ${label}`);
  });
});

describe('POST /api/v1/preview stops oversized bodies while streaming', () => {
  it('a gzip bomb (256 MB of zeros in a few hundred kB) is refused at the size limit counted after decompression', async () => {
    expect(bomb.length).toBeLessThan(MAX_BYTES);
    const res = await preview(`${target.base}/bomb.ttl`);
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.body.error.code).toBe('fetch_refused');
    expect(res.body.error.message).toContain(`exceeds the limit of ${MAX_BYTES} bytes (maxBytes)`);
    await stillHealthy('gzip bomb');
  });

  it('a body ten times the limit without a Content-Length is refused once the limit is passed', async () => {
    const res = await preview(`${target.base}/huge.ttl`);
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.body.error.code).toBe('fetch_refused');
    expect(res.body.error.message).toContain(`exceeds the limit of ${MAX_BYTES} bytes (maxBytes)`);
    await stillHealthy('oversized body');
  });

  it('a declared 2 GB body is refused from its Content-Length', async () => {
    const res = await preview(`${target.base}/huge-declared.ttl`);
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(res.body.error.code).toBe('fetch_refused');
    expect(res.body.error.message).toContain(`exceeds the limit of ${MAX_BYTES} bytes (maxBytes)`);
    await stillHealthy('declared 2 GB body');
  });

  it('a normal feed still previews after all of that, and memory stayed bounded throughout', async () => {
    const res = await preview(`${target.base}/feed30.ttl`, { limit: 3 });
    expect(res.status).toBe(200);
    expect(res.body.records).toHaveLength(3);
    await stillHealthy('after the hostile cases');
    expect(rssPeak - rssBaseline).toBeLessThan(RSS_BUDGET);
  });
});

describe('POST /api/v1/preview shares the per-host limits of the workers (Redis)', () => {
  it('previews to one host are spaced by its request rate, counted on the server', async () => {
    const n = 6;
    const before = target.requests.length;
    const answers = await Promise.all(Array.from({ length: n }, () => preview(`${target.base}/paced.ttl`)));
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(200);
    const starts = target.requests
      .slice(before)
      .filter((x) => x.path === '/paced.ttl')
      .map((x) => x.at)
      .sort((a, b) => a - b);
    expect(starts).toHaveLength(n);
    // At most HOST_RATE starts in any second: request i and i + HOST_RATE are a second apart
    // (less a margin for the Redis clock and the server's being read at different moments).
    for (let i = 0; i + HOST_RATE < n; i++) expect(starts[i + HOST_RATE]! - starts[i]!, `starts ${i} and ${i + HOST_RATE}`).toBeGreaterThanOrEqual(900);
    expect(starts[n - 1]! - starts[0]!).toBeGreaterThanOrEqual(((n - 1) / HOST_RATE - 1) * 1000 - 100);
  });

  it('a host paused by a worker (Retry-After) is not asked by a preview before the pause ends', async () => {
    // What a fetcher does when the host answers 429 with Retry-After: 1.5 s.
    const worker = h.deps.queues.hostLimiter({ maxConcurrent: 2, perSecond: HOST_RATE });
    await worker.backOff(`127.0.0.1:${target.port}`, 1500);
    const asked = Date.now();
    const before = target.requests.length;
    const res = await preview(`${target.base}/paced.ttl`);
    expect(res.status).toBe(200);
    const hit = target.requests.slice(before).find((x) => x.path === '/paced.ttl');
    expect(hit!.at - asked).toBeGreaterThanOrEqual(1300);
  });

  it('slots held by workers make a preview wait for one to be released', async () => {
    const worker = h.deps.queues.hostLimiter({ maxConcurrent: 2, perSecond: HOST_RATE });
    const host = `127.0.0.1:${target.port}`;
    const permits = [await worker.acquire(host), await worker.acquire(host)];
    const before = target.requests.length;
    const pending = preview(`${target.base}/paced.ttl`);
    await new Promise((r) => setTimeout(r, 1200));
    expect(target.requests.slice(before)).toEqual([]);
    const released = Date.now();
    for (const p of permits) if (p.ok) p.release();
    expect((await pending).status).toBe(200);
    expect(target.requests.slice(before)[0]!.at).toBeGreaterThanOrEqual(released);
  });
});

describe('POST /api/v1/preview defaults', () => {
  it('without a limit, a feed of 30 records gives exactly the first 20', async () => {
    const res = await preview(`${target.base}/feed30.ttl`);
    expect(res.status).toBe(200);
    expect(res.body.records).toHaveLength(20);
    expect(res.body.pages).toBe(1);
  });
});

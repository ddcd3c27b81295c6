import { text } from 'node:stream/consumers';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { FetchNetworkError, FetchRefusedError, FetchStatusError } from '@hasad/core';
import { loopbackHttp, routes, startLoopback } from '../../test/support/loopback.ts';
import type { Loopback } from '../../test/support/loopback.ts';
import { fetchPage, parseRetryAfter } from './client.ts';

let server: Loopback | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('fetchPage', () => {
  it('streams the body and returns the validators and content type', async () => {
    server = await startLoopback(
      routes({
        '/catalog.ttl': {
          headers: { 'content-type': 'text/turtle; charset=utf-8', etag: '"v1"', 'last-modified': 'Wed, 01 May 2024 10:00:00 GMT' },
          body: '<a> <b> "جودة المياه" .',
        },
      }),
    );
    const res = await fetchPage({ url: `${server.base}/catalog.ttl`, http: loopbackHttp, accept: 'text/turtle' });
    expect(res.status).toBe(200);
    expect(res.notModified).toBe(false);
    expect(res.etag).toBe('"v1"');
    expect(res.lastModified).toBe('Wed, 01 May 2024 10:00:00 GMT');
    expect(res.contentType).toBe('text/turtle; charset=utf-8');
    expect(await text(res.body)).toBe('<a> <b> "جودة المياه" .');
    expect(res.bytesRead()).toBe(Buffer.byteLength('<a> <b> "جودة المياه" .'));
    expect(server.requests[0]?.headers['accept']).toBe('text/turtle');
    expect(server.requests[0]?.headers['user-agent']).toBe('hasad-tests');
  });

  it('sends If-None-Match and If-Modified-Since, and reports 304 as notModified', async () => {
    server = await startLoopback((req, res) => {
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304, { etag: '"v1"' });
        res.end();
      } else {
        res.writeHead(200, { etag: '"v1"' });
        res.end('body');
      }
    });
    const res = await fetchPage({
      url: `${server.base}/p`,
      http: loopbackHttp,
      validators: { etag: '"v1"', lastModified: 'Wed, 01 May 2024 10:00:00 GMT' },
    });
    expect(res.notModified).toBe(true);
    expect(res.status).toBe(304);
    expect(server.requests[0]?.headers['if-modified-since']).toBe('Wed, 01 May 2024 10:00:00 GMT');
  });

  it('follows redirects and reports the final URL', async () => {
    server = await startLoopback(
      routes({
        '/old': { status: 301, headers: { location: '/mid' } },
        '/mid': { status: 302, headers: { location: '/new.ttl' } },
        '/new.ttl': { body: 'ok' },
      }),
    );
    const res = await fetchPage({ url: `${server.base}/old`, http: loopbackHttp });
    expect(res.url).toBe(`${server.base}/new.ttl`);
    expect(await text(res.body)).toBe('ok');
  });

  it('stops after maxRedirects', async () => {
    server = await startLoopback((req, res) => {
      res.writeHead(302, { location: `/r${Number((req.url ?? '/r0').slice(2)) + 1}` });
      res.end();
    });
    const err = await caught(fetchPage({ url: `${server.base}/r0`, http: { ...loopbackHttp, maxRedirects: 2 } }));
    expect(err).toBeInstanceOf(FetchRefusedError);
    expect((err as Error).message).toMatch(/more than 2 redirects/);
    expect(server.requests).toHaveLength(3);
  });

  it('re-checks every redirect hop against the policy', async () => {
    server = await startLoopback(routes({ '/go': { status: 307, headers: { location: 'file:///etc/passwd' } } }));
    const err = await caught(fetchPage({ url: `${server.base}/go`, http: loopbackHttp }));
    expect(err).toBeInstanceOf(FetchRefusedError);
    expect((err as Error).message).toMatch(/scheme "file" is not allowed/);
  });

  it('refuses a loopback address unless private hosts are allowed, without connecting', async () => {
    server = await startLoopback(routes({ '/': { body: 'secret' } }));
    const err = await caught(fetchPage({ url: `${server.base}/`, http: { ...loopbackHttp, allowPrivateHosts: false } }));
    expect(err).toBeInstanceOf(FetchRefusedError);
    expect((err as FetchRefusedError).permanent).toBe(true);
    expect((err as Error).message).toMatch(/127\.0\.0\.1 is loopback.*private and loopback hosts are not allowed/);
    expect(server.requests).toHaveLength(0);
  });

  it('turns 500 into a transient FetchStatusError', async () => {
    server = await startLoopback(routes({ '/': { status: 500, body: 'database is down' } }));
    const err = await caught(fetchPage({ url: `${server.base}/`, http: loopbackHttp }));
    expect(err).toBeInstanceOf(FetchStatusError);
    expect((err as FetchStatusError).permanent).toBe(false);
    expect((err as FetchStatusError).context).toMatchObject({ status: 500, bodyExcerpt: 'database is down' });
  });

  it('turns 404 into a permanent FetchStatusError', async () => {
    server = await startLoopback(routes({}));
    const err = await caught(fetchPage({ url: `${server.base}/missing.ttl`, http: loopbackHttp }));
    expect(err).toBeInstanceOf(FetchStatusError);
    expect((err as FetchStatusError).permanent).toBe(true);
    expect((err as Error).message).toMatch(/HTTP 404/);
  });

  it('reads Retry-After on 429 (seconds) and 503 (HTTP date)', async () => {
    const later = new Date(Date.now() + 120_000).toUTCString();
    server = await startLoopback(
      routes({
        '/busy': { status: 429, headers: { 'retry-after': '7' } },
        '/down': { status: 503, headers: { 'retry-after': later } },
      }),
    );
    const busy = await caught(fetchPage({ url: `${server.base}/busy`, http: loopbackHttp }));
    expect(busy).toBeInstanceOf(FetchStatusError);
    expect((busy as FetchStatusError).permanent).toBe(false);
    expect((busy as FetchStatusError).context['retryAfterMs']).toBe(7000);
    const down = await caught(fetchPage({ url: `${server.base}/down`, http: loopbackHttp }));
    const ms = (down as FetchStatusError).context['retryAfterMs'] as number;
    expect(ms).toBeGreaterThan(100_000);
    expect(ms).toBeLessThanOrEqual(120_000);
  });

  it('refuses a body whose Content-Length exceeds maxBytes before reading it', async () => {
    server = await startLoopback(routes({ '/big': { headers: { 'content-length': '2000' }, body: 'x'.repeat(2000) } }));
    const err = await caught(fetchPage({ url: `${server.base}/big`, http: { ...loopbackHttp, maxBytes: 1000 } }));
    expect(err).toBeInstanceOf(FetchRefusedError);
    expect((err as Error).message).toMatch(/exceeds the limit of 1000 bytes \(maxBytes\); Content-Length is 2000 bytes/);
  });

  it('stops a streamed body at maxBytes with a clear error', async () => {
    server = await startLoopback((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/turtle' }); // chunked: no Content-Length
      res.write('x'.repeat(800));
      res.end('y'.repeat(800));
    });
    const res = await fetchPage({ url: `${server.base}/`, http: { ...loopbackHttp, maxBytes: 1000 } });
    const err = await caught(text(res.body));
    expect(err).toBeInstanceOf(FetchRefusedError);
    expect((err as Error).message).toMatch(/exceeds the limit of 1000 bytes \(maxBytes\)/);
  });

  it('decodes gzip and applies maxBytes to the decoded size', async () => {
    const doc = 'z'.repeat(50_000);
    server = await startLoopback((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(gzipSync(doc));
    });
    const ok = await fetchPage({ url: `${server.base}/`, http: loopbackHttp });
    expect(await text(ok.body)).toBe(doc);
    expect(server.requests[0]?.headers['accept-encoding']).toMatch(/gzip/);
    const small = await fetchPage({ url: `${server.base}/`, http: { ...loopbackHttp, maxBytes: 10_000 } });
    await expect(text(small.body)).rejects.toThrow(/limit of 10000 bytes/);
  });

  it('reports a refused connection as a transient FetchNetworkError', async () => {
    const gone = await startLoopback(routes({}));
    await gone.close();
    const err = await caught(fetchPage({ url: `${gone.base}/`, http: loopbackHttp }));
    expect(err).toBeInstanceOf(FetchNetworkError);
    expect((err as FetchNetworkError).permanent).toBe(false);
  });

  it('times out when headers do not come within timeoutMs', async () => {
    server = await startLoopback(() => undefined); // never answers
    const err = await caught(fetchPage({ url: `${server.base}/`, http: { ...loopbackHttp, timeoutMs: 200 } }));
    expect(err).toBeInstanceOf(FetchNetworkError);
    expect((err as Error).message).toMatch(/timeout/i);
  });

  it('times out when the body stalls for longer than timeoutMs', async () => {
    server = await startLoopback((_req, res) => {
      res.writeHead(200);
      res.write('partial');
    });
    const res = await fetchPage({ url: `${server.base}/`, http: { ...loopbackHttp, timeoutMs: 200 } });
    const err = await caught(text(res.body));
    expect(err).toBeInstanceOf(FetchNetworkError);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('Wed, 01 May 2024 10:00:00 GMT');
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 01 May 2024 10:01:30 GMT', now)).toBe(90_000);
    expect(parseRetryAfter('Wed, 01 May 2024 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('fetchPage with POST (SOAP)', () => {
  /** Records every request's method, path and body, then answers with `answer`. */
  async function postServer(answer: (path: string, res: import('node:http').ServerResponse) => void) {
    const bodies: Array<{ method: string; path: string; body: string; contentType: string | undefined; soapAction: string | undefined }> = [];
    server = await startLoopback(async (req, res) => {
      const body = await text(req);
      bodies.push({ method: req.method ?? '', path: req.url ?? '', body, contentType: req.headers['content-type'], soapAction: req.headers['soapaction'] as string | undefined });
      answer(req.url ?? '/', res);
    });
    return bodies;
  }
  const envelope = '<Envelope><Body><Get>é ع</Get></Body></Envelope>';
  const soapHeaders = { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '"urn:Get"' };

  it('sends the method, body and headers given, and keeps GET the default', async () => {
    const seen = await postServer((_path, res) => res.end('<ok/>'));
    const res = await fetchPage({ url: `${server!.base}/svc`, http: loopbackHttp, method: 'POST', body: envelope, headers: soapHeaders });
    expect(await text(res.body)).toBe('<ok/>');
    await text((await fetchPage({ url: `${server!.base}/plain`, http: loopbackHttp })).body);
    expect(seen).toEqual([
      { method: 'POST', path: '/svc', body: envelope, contentType: 'text/xml; charset=utf-8', soapAction: '"urn:Get"' },
      { method: 'GET', path: '/plain', body: '', contentType: undefined, soapAction: undefined },
    ]);
  });

  it('follows 307 and 308 for a POST, repeating the method and body', async () => {
    const seen = await postServer((path, res) => {
      if (path === '/old') res.writeHead(307, { location: '/mid' }).end();
      else if (path === '/mid') res.writeHead(308, { location: '/new' }).end();
      else res.end('<ok/>');
    });
    const res = await fetchPage({ url: `${server!.base}/old`, http: loopbackHttp, method: 'POST', body: envelope, headers: soapHeaders });
    expect(res.url).toBe(`${server!.base}/new`);
    expect(await text(res.body)).toBe('<ok/>');
    expect(seen.map((s) => [s.method, s.path, s.body])).toEqual([
      ['POST', '/old', envelope],
      ['POST', '/mid', envelope],
      ['POST', '/new', envelope],
    ]);
  });

  it.each([301, 302, 303])('refuses a %i redirect for a POST with an error naming the new address', async (status) => {
    const seen = await postServer((path, res) => {
      if (path === '/old') res.writeHead(status, { location: '/moved' }).end();
      else res.end('<ok/>');
    });
    const err = await caught(fetchPage({ url: `${server!.base}/old`, http: loopbackHttp, method: 'POST', body: envelope }));
    expect(err).toBeInstanceOf(FetchRefusedError);
    expect((err as FetchRefusedError).permanent).toBe(true);
    expect((err as Error).message).toContain(`a POST answered HTTP ${status} (redirect to ${server!.base}/moved)`);
    expect(seen.map((s) => s.path)).toEqual(['/old']);
  });

  it('still follows 301 for a GET', async () => {
    await postServer((path, res) => {
      if (path === '/old') res.writeHead(301, { location: '/new' }).end();
      else res.end('ok');
    });
    expect(await text((await fetchPage({ url: `${server!.base}/old`, http: loopbackHttp })).body)).toBe('ok');
  });

  it('returns a status listed in acceptStatuses with its body, and throws the others', async () => {
    await postServer((path, res) => {
      res.writeHead(path === '/fault' ? 500 : 503, { 'content-type': 'text/xml' });
      res.end('<Fault>boom</Fault>');
    });
    const res = await fetchPage({ url: `${server!.base}/fault`, http: loopbackHttp, method: 'POST', body: envelope, acceptStatuses: [500] });
    expect(res.status).toBe(500);
    expect(res.contentType).toBe('text/xml');
    expect(await text(res.body)).toBe('<Fault>boom</Fault>');
    const err = await caught(fetchPage({ url: `${server!.base}/busy`, http: loopbackHttp, method: 'POST', body: envelope, acceptStatuses: [500] }));
    expect(err).toBeInstanceOf(FetchStatusError);
    expect((err as FetchStatusError).context).toMatchObject({ status: 503 });
  });
});

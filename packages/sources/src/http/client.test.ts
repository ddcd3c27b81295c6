import { text } from 'node:stream/consumers';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { FetchBackoffError, FetchNetworkError, FetchRefusedError, FetchStatusError, SourceLimitError, retryAfterMsOf } from '@hasad/core';
import { loopbackHttp, routes, startLoopback } from '@hasad/sources/testing';
import type { Loopback } from '@hasad/sources/testing';
import { fetchPage, parseRetryAfter } from './client.ts';
import { createLocalHostLimiter } from './host-limiter.ts';

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
    // Each request with its own limiter: a shared one would hold the second back (next test).
    const fresh = () => ({ ...loopbackHttp, hostLimiter: createLocalHostLimiter({ maxConcurrent: 2, perSecond: 5 }) });
    const busy = await caught(fetchPage({ url: `${server.base}/busy`, http: fresh() }));
    expect(busy).toBeInstanceOf(FetchStatusError);
    expect((busy as FetchStatusError).permanent).toBe(false);
    expect((busy as FetchStatusError).context['retryAfterMs']).toBe(7000);
    const down = await caught(fetchPage({ url: `${server.base}/down`, http: fresh() }));
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

describe('fetchPage limits', () => {
  it('refuses stacked content codings (gzip, gzip), in one header or two', async () => {
    const twice = gzipSync(gzipSync('<a> <b> <c> .'));
    server = await startLoopback((req, res) => {
      if (req.url === '/one') res.writeHead(200, { 'content-encoding': 'gzip, gzip' });
      else res.writeHead(200, [['content-encoding', 'gzip'], ['content-encoding', 'gzip']] as unknown as Record<string, string>);
      res.end(twice);
    });
    for (const path of ['/one', '/two']) {
      const err = await caught(fetchPage({ url: `${server.base}${path}`, http: loopbackHttp }));
      expect(err).toBeInstanceOf(FetchRefusedError);
      expect((err as Error).message).toContain('the body has 2 Content-Encoding layers (gzip, gzip); at most one is accepted');
    }
  });

  it('cuts a body that trickles under the idle timeout at the page deadline', async () => {
    server = await startLoopback((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/turtle' });
      const timer = setInterval(() => res.write('x'), 100);
      res.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    const res = await fetchPage({ url: `${server.base}/`, http: { ...loopbackHttp, timeoutMs: 5_000, deadlineMs: 1_000 } });
    const err = await caught(text(res.body));
    expect(err).toBeInstanceOf(FetchNetworkError);
    expect((err as Error).message).toContain('no complete answer within the deadline of 1000 ms per page (deadlineMs)');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('fails a body read below the rate floor with too_slow, at the end of the window, not at the deadline', async () => {
    // One line a second: every chunk resets the idle timeout, and the deadline is far away.
    server = await startLoopback((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/turtle' });
      const timer = setInterval(() => res.write('<a> <b> <c> .\n'), 200);
      res.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    const res = await fetchPage({ url: `${server.base}/`, http: { ...loopbackHttp, timeoutMs: 5_000, deadlineMs: 60_000, minBytesPerSecond: 1024, rateWindowMs: 1_000 } });
    const err = await caught(text(res.body));
    expect(err).toBeInstanceOf(SourceLimitError);
    expect((err as SourceLimitError).code).toBe('too_slow');
    expect((err as SourceLimitError).permanent).toBe(true);
    expect((err as Error).message).toMatch(/sent its body at \d+ bytes\/s over 1 s, below the floor of 1024 bytes\/s \(HASAD_FETCH_MIN_BYTES_PER_SECOND/);
    // Generous: the window is 1 s, the deadline 60 s.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('fails a body that stops sending altogether at the end of the rate window', async () => {
    server = await startLoopback((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/turtle' });
      res.write('<a> <b> <c> .\n');
    });
    const res = await fetchPage({ url: `${server.base}/`, http: { ...loopbackHttp, timeoutMs: 30_000, deadlineMs: 60_000, minBytesPerSecond: 100, rateWindowMs: 800 } });
    const err = await caught(text(res.body));
    expect((err as SourceLimitError).code).toBe('too_slow');
  });

  it('does not count the time the reader is not asking for bytes against the rate floor', async () => {
    const big = 'x'.repeat(256 * 1024);
    server = await startLoopback((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(big);
    });
    const res = await fetchPage({ url: `${server.base}/`, http: { ...loopbackHttp, minBytesPerSecond: 1024 * 1024, rateWindowMs: 300 } });
    let got = 0;
    for await (const chunk of res.body) {
      got += (chunk as Buffer).length;
      // A reader busy elsewhere for longer than the window, several times over.
      await new Promise((r) => setTimeout(r, 400));
    }
    expect(got).toBe(big.length);
  });

  it('names the timeout that fired', async () => {
    server = await startLoopback((req, res) => {
      if (req.url === '/stall') {
        res.writeHead(200);
        res.write('partial');
      }
    });
    const headers = await caught(fetchPage({ url: `${server.base}/silent`, http: { ...loopbackHttp, headersTimeoutMs: 200 } }));
    expect((headers as Error).message).toContain('no response headers within 200 ms (headers timeout)');
    const res = await fetchPage({ url: `${server.base}/stall`, http: { ...loopbackHttp, bodyTimeoutMs: 200 } });
    const body = await caught(text(res.body));
    expect((body as Error).message).toContain('the body stalled for more than 200 ms (body idle timeout)');
  });

  it('lets through only the allow-listed address and port; every other loopback target is refused before connecting', async () => {
    const other = await startLoopback(routes({ '/secret': { body: 'secret' } }));
    try {
      server = await startLoopback((req, res, base) => {
        const to: Record<string, string> = {
          '/other-port': `${other.base}/secret`,
          '/v6': `http://[::1]:${new URL(base).port}/ok`,
          '/name': `http://localhost:${new URL(other.base).port}/secret`,
          '/metadata': 'http://169.254.169.254/latest/meta-data/',
        };
        const target = to[req.url ?? ''];
        if (target !== undefined) res.writeHead(302, { location: target }).end();
        else res.end('ok');
      });
      const http = { ...loopbackHttp, allowPrivateHosts: false, allowHosts: [new URL(server.base).host] };
      expect(await text((await fetchPage({ url: `${server.base}/ok`, http })).body)).toBe('ok');
      const reasons: Record<string, RegExp> = {
        '/other-port': /address 127\.0\.0\.1 is loopback \(127\.0\.0\.0\/8\); private and loopback hosts are not allowed; the allow-list covers it only on port \d+/,
        '/v6': /address ::1 is loopback \(::1\)/,
        '/name': /address 127\.0\.0\.1 is loopback .*\(localhost resolves to 127\.0\.0\.1\)/,
        '/metadata': /address 169\.254\.169\.254 is link-local \(169\.254\.0\.0\/16\), which covers cloud metadata endpoints/,
      };
      for (const [path, reason] of Object.entries(reasons)) {
        const err = await caught(fetchPage({ url: `${server.base}${path}`, http }));
        expect(err, path).toBeInstanceOf(FetchRefusedError);
        expect((err as Error).message, path).toMatch(reason);
      }
      expect(other.requests).toHaveLength(0);
    } finally {
      await other.close();
    }
  });
});

describe('fetchPage connect-time check', () => {
  it('connects to a name resolving to an allow-listed address and port: the connect-time re-check knows the port', async () => {
    server = await startLoopback(routes({ '/': { body: 'via localhost' } }));
    const port = new URL(server.base).port;
    const http = { ...loopbackHttp, allowPrivateHosts: false, allowHosts: [`127.0.0.1:${port}`] };
    expect(await text((await fetchPage({ url: `http://localhost:${port}/`, http })).body)).toBe('via localhost');
  });
});

describe('fetchPage politeness (host limiter)', () => {
  it('sends at most maxConcurrent requests to one host at once, holding each slot until the body is read', async () => {
    let inFlight = 0;
    let most = 0;
    server = await startLoopback((_req, res) => {
      inFlight++;
      most = Math.max(most, inFlight);
      res.writeHead(200);
      res.write('a');
      setTimeout(() => {
        inFlight--;
        res.end('b');
      }, 100);
    });
    const http = { ...loopbackHttp, hostLimiter: createLocalHostLimiter({ maxConcurrent: 2, perSecond: 100 }) };
    const bodies = await Promise.all(Array.from({ length: 6 }, async () => text((await fetchPage({ url: `${server!.base}/`, http })).body)));
    expect(bodies).toEqual(Array(6).fill('ab'));
    expect(most).toBe(2);
  });

  it('starts at most perSecond requests to one host per second', async () => {
    server = await startLoopback((_req, res) => void res.end('ok'));
    const http = { ...loopbackHttp, hostLimiter: createLocalHostLimiter({ maxConcurrent: 10, perSecond: 3 }) };
    const started = Date.now();
    for (let i = 0; i < 7; i++) await text((await fetchPage({ url: `${server.base}/`, http })).body);
    // 3 at once, 3 a second later, the 7th two seconds after the first.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
  });

  it('frees the slot when the caller drops the body unread', async () => {
    server = await startLoopback((_req, res) => void res.end('x'.repeat(100_000)));
    const http = { ...loopbackHttp, hostLimiter: createLocalHostLimiter({ maxConcurrent: 1, perSecond: 100 }) };
    for (let i = 0; i < 3; i++) (await fetchPage({ url: `${server.base}/`, http })).body.destroy();
    expect(await text((await fetchPage({ url: `${server.base}/`, http })).body)).toHaveLength(100_000);
  });

  it('after a 429 with Retry-After, holds back every request to that host until then, and only that host', async () => {
    const elsewhere = await startLoopback((_req, res) => void res.end('ok'));
    try {
      server = await startLoopback(routes({ '/busy': { status: 429, headers: { 'retry-after': '30' } }, '/page2': { body: 'never asked' } }));
      const http = { ...loopbackHttp, hostLimiter: createLocalHostLimiter({ maxConcurrent: 2, perSecond: 5 }) };
      expect(retryAfterMsOf(await caught(fetchPage({ url: `${server.base}/busy`, http })))).toBe(30_000);
      const held = await caught(fetchPage({ url: `${server.base}/page2`, http }));
      expect(held).toBeInstanceOf(FetchBackoffError);
      expect((held as Error).message).toMatch(/^127\.0\.0\.1:\d+ asked not to be contacted for another 30 s \(Retry-After\); .*\/page2 was not requested$/);
      expect(retryAfterMsOf(held)).toBeGreaterThan(28_000);
      expect(server.requests.map((r) => r.path)).toEqual(['/busy']);
      expect(await text((await fetchPage({ url: `${elsewhere.base}/`, http })).body)).toBe('ok');
    } finally {
      await elsewhere.close();
    }
  });

  it('waits inline for a short Retry-After (503) instead of failing', async () => {
    let calls = 0;
    server = await startLoopback((_req, res) => {
      if (calls++ === 0) res.writeHead(503, { 'retry-after': '1' }).end('maintenance');
      else res.end('back');
      return undefined;
    });
    const http = { ...loopbackHttp, hostLimiter: createLocalHostLimiter({ maxConcurrent: 2, perSecond: 5 }) };
    expect(await caught(fetchPage({ url: `${server.base}/`, http }))).toBeInstanceOf(FetchStatusError);
    const started = Date.now();
    expect(await text((await fetchPage({ url: `${server.base}/`, http })).body)).toBe('back');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
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

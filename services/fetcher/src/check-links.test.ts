import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultHttpOptions } from '@hasad/sources';
import { FeedServer } from '@hasad/testkit';
import { checkLink } from './processors/check-links.processor.ts';

// The link check against real HTTP servers on loopback: HEAD, the ranged GET when HEAD is
// refused, no answer at all, and the address rules of the harvest's client.
describe('checkLink', () => {
  let server: FeedServer;
  const http = { ...defaultHttpOptions, allowPrivateHosts: true, timeoutMs: 5_000 };
  const ranges: Array<string | undefined> = [];

  beforeAll(async () => {
    server = await FeedServer.start();
    server.route('/head-ok.csv', { body: 'a,b\n1,2\n', contentType: 'text/csv' });
    // A server that refuses HEAD (405) but serves a ranged GET (206).
    server.route('/no-head.csv', (req) => {
      if (req.method === 'HEAD') return { status: 405, body: '' };
      ranges.push(req.headers.range);
      return { status: 206, body: 'a', contentType: 'text/csv', headers: { 'content-range': 'bytes 0-0/8' } };
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('takes a 2xx answer to HEAD', async () => {
    const r = await checkLink({ url: `${server.url}/head-ok.csv`, datasetId: 'd1' }, http);
    expect(r).toMatchObject({ url: `${server.url}/head-ok.csv`, datasetId: 'd1', ok: true, httpStatus: 200, method: 'HEAD', error: null });
  });

  it('asks for one byte with GET when HEAD is refused', async () => {
    const r = await checkLink({ url: `${server.url}/no-head.csv`, datasetId: 'd2' }, http);
    expect(r).toMatchObject({ ok: true, httpStatus: 206, method: 'GET' });
    expect(ranges).toEqual(['bytes=0-0']);
  });

  it('records a URL nobody answers as broken, without a status', async () => {
    // A port the OS gave us, then closed: connection refused.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const r = await checkLink({ url: `http://127.0.0.1:${port}/x.csv`, datasetId: 'd3' }, http);
    expect(r).toMatchObject({ ok: false, httpStatus: null, method: 'HEAD' });
    expect(r?.error).toMatch(/127\.0\.0\.1/);
  });

  it('refuses a private address like the harvest does', async () => {
    const r = await checkLink({ url: `${server.url}/head-ok.csv`, datasetId: 'd4' }, { ...http, allowPrivateHosts: false });
    expect(r).toMatchObject({ ok: false, httpStatus: null });
    expect(r?.error).toMatch(/refused to fetch .*loopback/);
  });
});

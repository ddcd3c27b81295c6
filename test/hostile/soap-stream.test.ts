import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Run } from '@hasad/db';
import { startTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { catalogue, printTable, probeHealth, startHostileServer, watchMemory, type Handler, type HostileServer, HEALTH_MAX_MS } from './support.ts';

/**
 * A SOAP service answers 40 MB of tiny elements (issue 11). Read whole and turned into an xml2js
 * tree, that took the fetcher from 182 MB to 1.77 GB and out of memory. Parsed as a stream, the
 * page stops at the record limit with `limit_exceeded`, while the API in the same process keeps
 * answering /healthz, nothing in the catalogue changes and another source still harvests.
 */

const MiB = 1024 * 1024;
const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const head = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP_ENV}"><soap:Body><GetResponse>`;
const foot = '</GetResponse></soap:Body></soap:Envelope>';
const item = (id: string, title: string) => `<item><id>${id}</id><title>${title}</title></item>`;
const CONFIG = { envelope: '<Get xmlns="urn:test"/>', paging: { mode: 'none' }, recordPath: 'Body/GetResponse/item', fields: { identifier: 'id', 'title.fr': 'title' } };

/** Writes `total` bytes of tiny records between a head and a foot, with backpressure, never holding more than one block. */
function tinyElements(res: ServerResponse, total: number): Promise<void> {
  const block = Buffer.from(item('x', 't').repeat(1700)); // ~64 KiB
  return new Promise((resolve) => {
    let sent = 0;
    let closed = false;
    res.on('close', () => {
      closed = true;
      resolve();
    });
    res.write(head);
    const pump = () => {
      while (!closed && sent < total) {
        sent += block.length;
        if (!res.write(block)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!closed) res.end(foot, resolve);
    };
    pump();
  });
}

let server: HostileServer;
let p: TestPipeline;

beforeAll(async () => {
  server = await startHostileServer();
  p = await startTestPipeline(['api', 'fetcher', 'loader'], {
    PORT: '0',
    HOST: '127.0.0.1',
    HASAD_ALLOW_PRIVATE_HOSTS: '0',
    HASAD_ALLOW_HOSTS: `127.0.0.1:${server.port}`,
    HASAD_HARVEST_ATTEMPTS: '1',
  });
});

afterAll(async () => {
  await p?.close();
  await server?.close();
});

describe('a SOAP answer of 40 MB of tiny elements', () => {
  it('fails its page with limit_exceeded; the API answers throughout, nothing changes, another source harvests', async () => {
    const healthyId = await p.addSource(server.route('/dcat', catalogue(`${server.url}/dcat`, 5)));
    expect(await p.harvest(healthyId)).toMatchObject({ status: 'succeeded', created: 5 });

    const hostile: Handler = async (req, res) => {
      for await (const _ of req); // the request envelope
      res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
      await tinyElements(res, 40 * MiB);
    };
    const healthy: Handler = async (req, res) => {
      for await (const _ of req);
      res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(head + item('s-1', 'Qualité de l’eau') + item('s-2', 'Barrages') + foot);
    };
    const route = server.phased('/soap', healthy, hostile);
    const soapId = await p.addSource(route.url, { kind: 'soap', config: CONFIG });
    expect(await p.harvest(soapId)).toMatchObject({ status: 'succeeded', created: 2 });
    const before = (await p.rt.db.pool.query('SELECT id, content_hash, status, updated_at FROM datasets ORDER BY id')).rows;
    route.flip();

    const started = Date.now();
    const memory = watchMemory();
    const probe = probeHealth(`${p.rt.apiUrl}/healthz`);
    let run: Run;
    let health: Awaited<ReturnType<typeof probe.stop>>;
    let growth: number;
    try {
      run = await p.harvest(soapId, 240_000);
    } finally {
      health = await probe.stop();
      growth = memory.stop();
    }
    printTable('SOAP as a stream', [{ case: '40 MB SOAP answer of tiny elements', outcome: `run ${run.status} (${run.errorCode ?? '-'}); healthz ≤ ${health.maxMs} ms`, error: run.error ?? '', rssGrowthMb: growth, seconds: (Date.now() - started) / 1000 }]);
    console.log(`peak RSS growth during the hostile SOAP harvest: ${growth.toFixed(0)} MB; /healthz answered ${health.answered} times, slowest ${health.maxMs} ms`);

    expect(health.failures, 'GET /healthz during the hostile harvest').toEqual([]);
    expect(health.answered).toBeGreaterThan(0);
    expect(health.maxMs, '/healthz answer time, ms').toBeLessThanOrEqual(HEALTH_MAX_MS);
    expect(run.status, run.error ?? '').toBe('failed');
    expect(run.errorCode).toBe('limit_exceeded');
    expect(run.error).toMatch(/HASAD_SOAP_MAX_RECORDS \(100000\)/);
    // The tree xml2js built cost 1.7 GB here; the stream holds one record at a time.
    expect(growth, 'resident memory growth, MB').toBeLessThan(300);
    // Nothing withdrawn, nothing rewritten.
    expect((await p.rt.db.pool.query('SELECT id, content_hash, status, updated_at FROM datasets ORDER BY id')).rows).toEqual(before);
    // The worker is still up: the other source harvests.
    expect(await p.harvest(healthyId)).toMatchObject({ status: 'unchanged', seen: 5 });
    expect((await fetch(`${p.rt.apiUrl}/healthz`)).status).toBe(200);
  }, 400_000);
});

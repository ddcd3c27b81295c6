import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, FetchStatusError, HasadError, PagingError, ParseError } from '@hasad/core';
import type { CanonicalDataset } from '@hasad/core';
import { loopbackHttp, routes, startLoopback } from '@hasad/sources/testing';
import type { Loopback } from '@hasad/sources/testing';
import { harvestWithConfig } from '../index.ts';
import type { BatchEvent, ConfiguredHarvestOptions, HarvestEvent, HarvestOptions, PageEvent } from '../../types.ts';
import {
  soapDatasetId as datasetId,
  soapDatasetServiceConfig as datasetServiceConfig,
  SOAP_SERVICE_NS as SERVICE_NS,
  startSoapDatasetService as startDatasetService,
  soapTitleAr as titleAr,
  soapTitleFr as titleFr,
} from '@hasad/testkit';
import type { SoapDatasetService as DatasetService, SoapDatasetServiceOptions as DatasetServiceOptions } from '@hasad/testkit';
import { spawn } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createInterface } from 'node:readline';
import { createLocalHostLimiter } from '../../http/host-limiter.ts';
import { SOAP_PARSE_CHANNEL } from './client.ts';
import { soapAdapter } from './index.ts';

let service: DatasetService | undefined;
let extraServer: Loopback | undefined;
afterEach(async () => {
  await service?.close();
  await extraServer?.close();
  service = undefined;
  extraServer = undefined;
});

/** Resolves once `done()` holds, polling every 10 ms; fails after `timeoutMs`. */
async function until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not so after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function serve(options: DatasetServiceOptions): Promise<DatasetService> {
  service = await startDatasetService(options);
  return service;
}

async function collect(opts: Partial<ConfiguredHarvestOptions> & { url: string; config: unknown }): Promise<{ events: HarvestEvent[]; error?: unknown }> {
  const events: HarvestEvent[] = [];
  try {
    for await (const ev of harvestWithConfig(soapAdapter, { http: loopbackHttp, ...opts })) events.push(ev);
  } catch (error) {
    return { events, error };
  }
  return { events };
}

const pages = (events: HarvestEvent[]) => events.filter((e): e is PageEvent => e.type === 'page');
const records = (events: HarvestEvent[]) => events.filter((e): e is BatchEvent => e.type === 'batch').flatMap((b) => b.records);
const byId = (rs: CanonicalDataset[]) => new Map(rs.map((r) => [r.identifier, r]));

describe('soap harvest of a paged dataset service', () => {
  it('pages by total: 45 records in pages of 20, French and Arabic intact, mapped field by field', async () => {
    const svc = await serve({ count: 45 });
    const { events, error } = await collect({ url: svc.url, config: datasetServiceConfig() });
    expect(error).toBeUndefined();
    expect(pages(events).map((p) => [p.pageNo, p.url, p.nextUrl, p.recordCount])).toEqual([
      [1, `${svc.url}#page=1`, `${svc.url}#page=2`, 20],
      [2, `${svc.url}#page=2`, `${svc.url}#page=3`, 20],
      [3, `${svc.url}#page=3`, undefined, 5],
    ]);
    expect(pages(events).every((p) => p.format === 'soap-1.1' && !p.notModified && p.bytes > 0 && p.problems === undefined)).toBe(true);
    const all = byId(records(events));
    expect(all.size).toBe(45);
    expect(all.get(datasetId(7))).toEqual({
      identifier: 'ds-007',
      title: { fr: titleFr(7), ar: titleAr(7) },
      description: { fr: 'Relevés <mensuels> du bassin 7' },
      keywords: { fr: ['bassin 2', 'eau'] },
      themes: ['environnement', 'santé'],
      spatial: [],
      temporal: [],
      language: ['ar', 'fr'],
      modified: '2024-03-08',
      publisher: { name: { fr: "Ministère de l'Équipement et de l'Eau" } },
      distributions: [
        { accessUrl: 'https://data.example.ma/ds/7.csv', format: 'CSV' },
        { accessUrl: 'https://data.example.ma/ds/7.json', format: 'JSON' },
      ],
    });
    // No record problem: the nil licence is simply absent.
    expect(events.filter((e): e is BatchEvent => e.type === 'batch').flatMap((b) => b.problems)).toEqual([]);
  });

  it('a date field without dateFormat: page 1 proves day first (13/03/2024), said in a soap_mapping note; every page is read in that order', async () => {
    const svc = await serve({ count: 45 });
    const fields = datasetServiceConfig()['fields'] as Record<string, unknown>;
    const { events, error } = await collect({ url: svc.url, config: datasetServiceConfig({ fields: { ...fields, modified: 'dateMaj' } }) });
    expect(error).toBeUndefined();
    const all = byId(records(events));
    expect(all.size).toBe(45);
    // Day (i % 28) + 1 of March: record 7 is 08/03/2024, record 40 (page 3) 13/03/2024.
    expect([7, 12, 40].map((i) => all.get(datasetId(i))?.modified)).toEqual(['2024-03-08', '2024-03-13', '2024-03-13']);
    expect(pages(events).map((p) => p.problems)).toEqual([
      [{ severity: 'info', code: 'soap_mapping', message: 'dates in modified (dateMaj) read day first (D/M/YYYY): "13/03/2024" in record ds-012 shows it; a "dateFormat" on the field overrides it' }],
      undefined,
      undefined,
    ]);
    expect(events.filter((e): e is BatchEvent => e.type === 'batch').flatMap((b) => b.problems)).toEqual([]);
  });

  it('sends the SOAPAction header, the SOAP 1.1 content type, escaped parameters and the page asked', async () => {
    const svc = await serve({ count: 45 });
    await collect({ url: svc.url, config: datasetServiceConfig() });
    expect(svc.requests.map((r) => [r.page, r.pageSize])).toEqual([
      [1, 20],
      [2, 20],
      [3, 20],
    ]);
    const first = svc.requests[0]!;
    expect(first.headers['soapaction']).toBe(`"${SERVICE_NS}#GetDatasets"`);
    expect(first.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(first.body).toContain('<cat:ministere>Équipement &amp; &quot;Eau&quot; &lt;Maroc&gt;</cat:ministere>');
    expect(first.body).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?><soap:Envelope xmlns:soap="http:\/\/schemas.xmlsoap.org\/soap\/envelope\/"><soap:Body><cat:GetDatasets/);
  });

  it('pages by offset until an empty page, with firstPage 0', async () => {
    const svc = await serve({ count: 45, pagingBy: 'offset' });
    const config = datasetServiceConfig({
      envelope: `<cat:GetDatasets xmlns:cat="${SERVICE_NS}"><cat:offset>{{offset}}</cat:offset><cat:pageSize>{{pageSize}}</cat:pageSize><cat:p>{{page}}</cat:p></cat:GetDatasets>`,
      params: {},
      firstPage: 0,
      paging: { mode: 'emptyPage' },
    });
    const { events, error } = await collect({ url: svc.url, config });
    expect(error).toBeUndefined();
    expect(svc.requests.map((r) => r.offset)).toEqual([0, 20, 40, 60]);
    expect(svc.requests.map((r) => /<cat:p>(\d+)</.exec(r.body)?.[1])).toEqual(['0', '1', '2', '3']);
    expect(pages(events).map((p) => p.recordCount)).toEqual([20, 20, 5, 0]);
    expect(pages(events).at(-1)?.nextUrl).toBeUndefined();
    // The final empty page is how this service ends, not a problem.
    expect(pages(events).flatMap((p) => p.problems ?? [])).toEqual([]);
    expect(records(events)).toHaveLength(45);
  });

  it('pages while hasMore says true', async () => {
    const svc = await serve({ count: 45 });
    const { events } = await collect({ url: svc.url, config: datasetServiceConfig({ paging: { mode: 'hasMore', hasMorePath: 'Body/GetDatasetsResponse/hasMore' } }) });
    expect(pages(events).map((p) => p.recordCount)).toEqual([20, 20, 5]);
    expect(records(events)).toHaveLength(45);
  });

  it('asks once with paging none', async () => {
    const svc = await serve({ count: 45 });
    const { events } = await collect({ url: svc.url, config: datasetServiceConfig({ paging: { mode: 'none' }, pageSize: 100 }) });
    expect(svc.requests).toHaveLength(1);
    expect(pages(events)).toHaveLength(1);
    expect(records(events)).toHaveLength(45);
  });

  it('speaks SOAP 1.2: the action goes in the content type, no SOAPAction header', async () => {
    const svc = await serve({ count: 5 });
    const { events } = await collect({ url: svc.url, config: datasetServiceConfig({ soapVersion: '1.2' }) });
    expect(svc.requests[0]!.headers['content-type']).toBe(`application/soap+xml; charset=utf-8; action="${SERVICE_NS}#GetDatasets"`);
    expect(svc.requests[0]!.headers['soapaction']).toBeUndefined();
    expect(svc.requests[0]!.body).toContain('<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">');
    expect(pages(events)[0]!.format).toBe('soap-1.2');
    expect(records(events)).toHaveLength(5);
  });

  it('resumes at the page the checkpoint URL names', async () => {
    const svc = await serve({ count: 45 });
    const { events } = await collect({ url: svc.url, config: datasetServiceConfig(), start: { pageNo: 2, url: `${svc.url}#page=2` }, visited: [`${svc.url}#page=1`] });
    expect(svc.requests.map((r) => r.page)).toEqual([2, 3]);
    expect(pages(events).map((p) => [p.pageNo, p.url])).toEqual([
      [2, `${svc.url}#page=2`],
      [3, `${svc.url}#page=3`],
    ]);
  });

  it('posts to the configured endpoint and names pages after it', async () => {
    const svc = await serve({ count: 3 });
    const { events } = await collect({ url: 'https://portail.example.ma/catalogue', config: datasetServiceConfig({ endpoint: svc.url }) });
    expect(pages(events).map((p) => p.url)).toEqual([`${svc.url}#page=1`]);
  });

  it('splits a big page into batches of batchSize', async () => {
    const svc = await serve({ count: 45 });
    const { events } = await collect({ url: svc.url, config: datasetServiceConfig({ pageSize: 45 }), batchSize: 20 });
    const batches = events.filter((e): e is BatchEvent => e.type === 'batch');
    expect(batches.map((b) => [b.batchNo, b.records.length])).toEqual([
      [0, 20],
      [1, 20],
      [2, 5],
    ]);
    expect(pages(events)[0]!.batchCount).toBe(3);
  });
});

describe('soap read-ahead', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** The default per-host limit of 2 in flight: the read-ahead must fit in it. */
  const politeHttp = { ...loopbackHttp, hostConcurrency: 2 };

  it('asks for page N+1 while page N is still being consumed, and yields pages in order', async () => {
    // A service that takes 100 ms a page, and a consumer that takes 150 ms over each batch.
    const svc = await serve({ count: 60, delayMs: 100 });
    const consumed: Array<{ pageNo: number; at: number }> = [];
    const events: HarvestEvent[] = [];
    for await (const ev of harvestWithConfig(soapAdapter, { http: politeHttp, url: svc.url, config: datasetServiceConfig() })) {
      events.push(ev);
      if (ev.type !== 'batch') continue;
      await sleep(150);
      consumed.push({ pageNo: ev.pageNo, at: performance.now() });
    }
    expect(pages(events).map((p) => [p.pageNo, p.nextUrl])).toEqual([
      [1, `${svc.url}#page=2`],
      [2, `${svc.url}#page=3`],
      [3, undefined],
    ]);
    expect(records(events)).toHaveLength(60);
    // Each page asked once, in order: no page is read twice and none is skipped.
    expect(svc.ordinals()).toEqual([1, 2, 3]);
    // The request for page 2 reached the service before page 1's batch was consumed, and page 3's before page 2's.
    const [, second, third] = svc.requests;
    expect(second!.receivedAt).toBeLessThan(consumed.find((c) => c.pageNo === 1)!.at);
    expect(third!.receivedAt).toBeLessThan(consumed.find((c) => c.pageNo === 2)!.at);
    // The last page announces no next one: nothing is asked after it.
    expect(svc.requests).toHaveLength(3);
  });

  it('a Fault on the read-ahead page fails the run with its text, after the page before it', async () => {
    const svc = await serve({ count: 60, delayMs: 50, faults: new Map([[2, { status: 500, text: 'Délai dépassé côté base' }]]) });
    let faultAskedBeforeConsumed = false;
    const { events, error } = await (async () => {
      const seen: HarvestEvent[] = [];
      try {
        for await (const ev of harvestWithConfig(soapAdapter, { http: politeHttp, url: svc.url, config: datasetServiceConfig() })) {
          seen.push(ev);
          if (ev.type === 'batch') {
            await sleep(120);
            faultAskedBeforeConsumed = svc.requests.some((r) => r.ordinal === 2);
          }
        }
      } catch (err) {
        return { events: seen, error: err };
      }
      return { events: seen, error: undefined };
    })();
    expect(faultAskedBeforeConsumed).toBe(true);
    expect(pages(events).map((p) => p.pageNo)).toEqual([1]);
    expect((error as HasadError).code).toBe('soap_fault');
    expect((error as Error).message).toBe(`SOAP Fault from ${svc.url} (page 2, HTTP 500): soap:Server: Délai dépassé côté base`);
  });

  it('a Fault on a page asked on speculation fails the run with its text, after the page before it', async () => {
    // Page 3 is asked when page 2 arrives (page 1's total says it exists), before page 2 is parsed.
    const svc = await serve({ count: 60, delayMs: 20, faults: new Map([[3, { status: 500, text: 'Curseur expiré' }]]) });
    const { events, error } = await collect({ url: svc.url, http: politeHttp, config: datasetServiceConfig() });
    expect(pages(events).map((p) => p.pageNo)).toEqual([1, 2]);
    expect(records(events)).toHaveLength(40);
    expect((error as HasadError).code).toBe('soap_fault');
    expect((error as Error).message).toBe(`SOAP Fault from ${svc.url} (page 3, HTTP 500): soap:Server: Curseur expiré`);
  });

  it('hasMore mode: a page asked on speculation past the last one is dropped, its Fault with it', async () => {
    // Page 2 says hasMore false; page 3, asked when page 2 arrived, answers with a Fault that must not matter.
    const svc = await serve({ count: 40, delayMs: 20, faults: new Map([[3, { status: 500, text: 'Page hors limites' }]]) });
    const { events, error } = await collect({ url: svc.url, http: politeHttp, config: datasetServiceConfig({ paging: { mode: 'hasMore', hasMorePath: 'Body/GetDatasetsResponse/hasMore' } }) });
    expect(error).toBeUndefined();
    expect(pages(events).map((p) => [p.pageNo, p.recordCount, p.nextUrl])).toEqual([
      [1, 20, `${svc.url}#page=2`],
      [2, 20, undefined],
    ]);
    expect(records(events)).toHaveLength(40);
  });

  it('the read-ahead page is not done: a consumer that stops after page 1 resumes at page 2, which is asked again', async () => {
    const svc = await serve({ count: 60, delayMs: 20 });
    const first: HarvestEvent[] = [];
    for await (const ev of harvestWithConfig(soapAdapter, { http: politeHttp, url: svc.url, config: datasetServiceConfig() })) {
      first.push(ev);
      if (ev.type === 'page') {
        // Page 2 is already on its way (read-ahead) when page 1's checkpoint event arrives: waited
        // for until the service has it (a loaded machine may take longer than a fixed pause), then
        // a pause for a request that should not come.
        await until(() => svc.ordinals().length >= 2);
        await sleep(60);
        break; // a worker killed right after checkpointing page 1
      }
    }
    expect(pages(first).map((p) => p.pageNo)).toEqual([1]);
    expect(svc.ordinals()).toEqual([1, 2]);
    const checkpoint = pages(first)[0]!;
    const { events, error } = await collect({ url: svc.url, config: datasetServiceConfig(), http: politeHttp, start: { pageNo: 2, url: checkpoint.nextUrl! }, visited: [checkpoint.url] });
    expect(error).toBeUndefined();
    expect(pages(events).map((p) => p.pageNo)).toEqual([2, 3]);
    expect(records(events).map((r) => r.identifier)).toEqual(Array.from({ length: 40 }, (_, i) => datasetId(i + 21)));
    expect(svc.ordinals()).toEqual([1, 2, 2, 3]);
  });
});

/** What the service in its own process saw of a request; times in ms since the epoch (`performance.timeOrigin + performance.now()`). */
interface SeenElsewhere {
  ordinal: number;
  receivedAt: number;
  finishedAt: number | null;
}

/**
 * The paged dataset service in a process of its own, so that it receives requests while this
 * process is busy parsing. `shrinkTo` sets the catalogue's size when a page (ordinal) is asked.
 */
async function serveInProcess(options: DatasetServiceOptions, shrinkTo?: { atOrdinal: number; count: number }) {
  const code = `
import { startSoapDatasetService } from '@hasad/testkit';
const [options, shrink] = JSON.parse(process.argv[1]);
const svc = await startSoapDatasetService(options);
const push = svc.requests.push.bind(svc.requests);
svc.requests.push = (...seen) => {
  if (shrink && seen.some((r) => r.ordinal === shrink.atOrdinal)) svc.options.count = shrink.count;
  return push(...seen);
};
const at = (t) => (t === undefined ? null : performance.timeOrigin + t);
process.stdout.write(svc.url + '\\n');
process.stdin.on('data', () => process.stdout.write(JSON.stringify(svc.requests.map((r) => ({ ordinal: r.ordinal, receivedAt: at(r.receivedAt), finishedAt: at(r.finishedAt) }))) + '\\n'));
process.stdin.on('end', () => void svc.close().then(() => process.exit(0)));
`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, JSON.stringify([options, shrinkTo ?? null])], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const url = (await lines.next()).value as string;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    url,
    async requests(): Promise<SeenElsewhere[]> {
      child.stdin.write('?\n');
      return JSON.parse((await lines.next()).value as string) as SeenElsewhere[];
    },
    async close() {
      child.stdin.end();
      await exited;
    },
  };
}

/** Now, in ms since the epoch: comparable with the times of another process on this machine. */
const epochNow = () => performance.timeOrigin + performance.now();

/** Records each page's parse (start and end) and makes it last at least `parseMs[pageNo]` (busy: it holds the thread as a real parse does). */
function slowParse(parseMs: (pageNo: number) => number, onStart?: (pageNo: number) => void) {
  const parses = new Map<number, { start: number; end: number }>();
  const listener = (message: unknown) => {
    const { pageNo, phase } = message as { pageNo: number; phase: 'start' | 'end' };
    if (phase === 'start') {
      const start = epochNow();
      parses.set(pageNo, { start, end: Number.NaN });
      onStart?.(pageNo);
      while (epochNow() - start < parseMs(pageNo));
    } else {
      parses.get(pageNo)!.end = epochNow();
    }
  };
  subscribe(SOAP_PARSE_CHANNEL, listener);
  return {
    parses,
    stop: () => {
      unsubscribe(SOAP_PARSE_CHANNEL, listener);
    },
  };
}

describe('soap speculative read-ahead (service in its own process)', () => {
  const closers: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('total mode: once a total is known, page N+1 reaches the service while page N is still being parsed', async () => {
    // The parse (400 ms a page) is the slow part, the service (40 ms a page) the fast one. At
    // 150 ms a page, CI on a slow, loaded machine once saw page 4's request reach the service's
    // process 2.7 ms after page 3's parse had ended (2026-12-07): the margin is for that.
    const svc = await serveInProcess({ count: 100, delayMs: 40 });
    closers.push(() => svc.close());
    const probe = slowParse(() => 400);
    closers.push(probe.stop);
    const batchAt = new Map<number, number>();
    const events: HarvestEvent[] = [];
    for await (const ev of harvestWithConfig(soapAdapter, { http: { ...loopbackHttp, hostConcurrency: 2 }, url: svc.url, config: datasetServiceConfig() })) {
      events.push(ev);
      if (ev.type === 'batch' && !batchAt.has(ev.pageNo)) batchAt.set(ev.pageNo, epochNow());
    }
    expect(pages(events).map((p) => [p.pageNo, p.recordCount])).toEqual([
      [1, 20],
      [2, 20],
      [3, 20],
      [4, 20],
      [5, 20],
    ]);
    expect(new Set(records(events).map((r) => r.identifier)).size).toBe(100);
    const seen = await svc.requests();
    // Each page asked once, in order.
    expect(seen.map((r) => r.ordinal)).toEqual([1, 2, 3, 4, 5]);
    const received = (ordinal: number) => seen.find((r) => r.ordinal === ordinal)!.receivedAt;
    const { parses } = probe;
    // Page 1 gives the first total: page 2 is asked only once page 1 has been parsed.
    expect(received(2)).toBeGreaterThan(parses.get(1)!.start + 100);
    // From page 2 on, the total is known: page N+1 arrives while page N is parsed, before its batch is handed on.
    for (const n of [2, 3, 4]) {
      expect(received(n + 1), `page ${n + 1} asked during the parse of page ${n}`).toBeLessThan(parses.get(n)!.end);
      expect(received(n + 1)).toBeLessThan(batchAt.get(n)!);
    }
    // Nothing is asked after the last page: the total said page 5 ends the listing.
  });

  it('emptyPage mode: the page asked on speculation after the last one is aborted, and nothing of it is yielded', async () => {
    // 40 records in pages of 20: pages 1 and 2 are full, page 3 is empty. Page 4 is asked on
    // speculation when page 3 arrives (page 2 was full), and dropped once page 3 is read empty.
    const svc = await serveInProcess({ count: 40, delayMs: 400 });
    closers.push(() => svc.close());
    // Page 3's parse lasts long enough for the other process to receive the speculation.
    const probe = slowParse((pageNo) => (pageNo === 3 ? 150 : 0));
    closers.push(probe.stop);
    const limiter = createLocalHostLimiter({ maxConcurrent: 2, perSecond: 1000 });
    const { events, error } = await collect({ url: svc.url, http: { ...loopbackHttp, hostLimiter: limiter }, config: datasetServiceConfig({ paging: { mode: 'emptyPage' } }) });
    const ended = epochNow();
    expect(error).toBeUndefined();
    expect(pages(events).map((p) => [p.pageNo, p.recordCount, p.nextUrl])).toEqual([
      [1, 20, `${svc.url}#page=2`],
      [2, 20, `${svc.url}#page=3`],
      [3, 0, undefined],
    ]);
    expect(pages(events).flatMap((p) => p.problems ?? [])).toEqual([]);
    expect(records(events)).toHaveLength(40);
    const seen = await svc.requests();
    expect(seen.map((r) => r.ordinal)).toEqual([1, 2, 3, 4]);
    // The harvest ended without waiting for page 4's answer (400 ms after it was received).
    const speculated = seen[3]!;
    expect(ended).toBeLessThan(speculated.receivedAt + 400);
    // Both slots of the host are free again: the aborted request gave its slot back.
    const host = new URL(svc.url).host;
    const permits = await Promise.all([limiter.acquire(host, AbortSignal.timeout(2000)), limiter.acquire(host, AbortSignal.timeout(2000))]);
    expect(permits.map((p) => p.ok)).toEqual([true, true]);
    for (const p of permits) if (p.ok) p.release();
  });

  it('total mode: a total that shrinks mid-harvest yields no phantom page', async () => {
    // Pages 1 and 2 say 100 records; by page 3 the catalogue has 50, so page 3 (10 records) is
    // the last. Page 4 is asked on speculation (the total known then said 100) and dropped.
    const svc = await serveInProcess({ count: 100, delayMs: 30 }, { atOrdinal: 3, count: 50 });
    closers.push(() => svc.close());
    const probe = slowParse((pageNo) => (pageNo === 3 ? 150 : 0));
    closers.push(probe.stop);
    const { events, error } = await collect({ url: svc.url, http: { ...loopbackHttp, hostConcurrency: 2 }, config: datasetServiceConfig() });
    expect(error).toBeUndefined();
    expect(pages(events).map((p) => [p.pageNo, p.recordCount, p.nextUrl])).toEqual([
      [1, 20, `${svc.url}#page=2`],
      [2, 20, `${svc.url}#page=3`],
      [3, 10, undefined],
    ]);
    expect(records(events).map((r) => r.identifier)).toEqual(Array.from({ length: 50 }, (_, i) => datasetId(i + 1)));
    expect((await svc.requests()).map((r) => r.ordinal)).toEqual([1, 2, 3, 4]);
  });
});

describe('soap harvest failures', () => {
  it('a Fault with HTTP 500 on page 2 fails with the fault text after page 1', async () => {
    const svc = await serve({ count: 45, faults: new Map([[2, { status: 500, text: 'Base de données indisponible' }]]) });
    const { events, error } = await collect({ url: svc.url, config: datasetServiceConfig() });
    expect(pages(events).map((p) => p.pageNo)).toEqual([1]);
    expect(error).toBeInstanceOf(HasadError);
    expect((error as HasadError).code).toBe('soap_fault');
    expect((error as HasadError).permanent).toBe(true);
    expect((error as Error).message).toBe(`SOAP Fault from ${svc.url} (page 2, HTTP 500): soap:Server: Base de données indisponible`);
  });

  it('a Fault with HTTP 200 fails the same way', async () => {
    const svc = await serve({ count: 5, faults: new Map([[1, { status: 200, text: 'Accès refusé' }]]) });
    const { error } = await collect({ url: svc.url, config: datasetServiceConfig() });
    expect((error as HasadError).code).toBe('soap_fault');
    expect((error as Error).message).toContain('(page 1, HTTP 200): soap:Server: Accès refusé');
  });

  it('a SOAP 1.2 Fault with HTTP 400 gives its Code and Reason', async () => {
    const svc = await serve({ count: 5, faults: new Map([[1, { status: 400, version: '1.2', text: 'Paramètre inconnu' }]]) });
    const { error } = await collect({ url: svc.url, config: datasetServiceConfig({ soapVersion: '1.2' }) });
    expect((error as HasadError).code).toBe('soap_fault');
    expect((error as Error).message).toContain('(page 1, HTTP 400): env:Receiver: Paramètre inconnu');
  });

  it('an HTTP 500 that is not a Fault stays a transient HTTP error', async () => {
    const svc = await serve({ count: 45, errors: new Map([[2, { status: 500, body: '<html><body>Proxy Error</body></html>' }]]) });
    const { events, error } = await collect({ url: svc.url, config: datasetServiceConfig() });
    expect(pages(events)).toHaveLength(1);
    expect(error).toBeInstanceOf(FetchStatusError);
    expect((error as FetchStatusError).permanent).toBe(false);
    expect((error as FetchStatusError).context).toMatchObject({ status: 500, bodyExcerpt: '<html><body>Proxy Error</body></html>' });
  });

  it('an HTML page instead of an envelope fails with a ParseError that says so', async () => {
    extraServer = await startLoopback(routes({ '/soap': { headers: { 'content-type': 'text/html; charset=utf-8' }, body: '<html><body><p>Veuillez vous connecter<br></p></body></html>' } }));
    const { error } = await collect({ url: `${extraServer.base}/soap`, config: datasetServiceConfig() });
    expect(error).toBeInstanceOf(ParseError);
    expect((error as Error).message).toBe(
      `could not parse SOAP envelope from ${extraServer.base}/soap: the service answered text/html; charset=utf-8, not a SOAP envelope: <html><body><p>Veuillez vous connecter<br></p></body></html>`,
    );
  });

  it('a service that ignores the page parameter fails instead of looping', async () => {
    const svc = await serve({ count: 45, ignorePaging: true });
    const { events, error } = await collect({ url: svc.url, config: datasetServiceConfig({ paging: { mode: 'emptyPage' } }) });
    expect(error).toBeInstanceOf(PagingError);
    expect((error as Error).message).toContain('page 2');
    expect((error as Error).message).toContain('lists the same records as the page before');
    expect(pages(events)).toHaveLength(1);
  });

  it('a service that caps its page size fails instead of skipping records', async () => {
    const svc = await serve({ count: 45, capPageSize: 10 });
    const { error } = await collect({ url: svc.url, config: datasetServiceConfig() });
    expect(error).toBeInstanceOf(PagingError);
    expect((error as Error).message).toContain('holds 10 records, fewer than pageSize 20, although the total is 45');
  });

  it('a response without the total fails: the run cannot know it is complete', async () => {
    const svc = await serve({ count: 45 });
    const { error } = await collect({ url: svc.url, config: datasetServiceConfig({ paging: { mode: 'total', totalPath: 'Body/GetDatasetsResponse/nombreTotal' } }) });
    expect(error).toBeInstanceOf(PagingError);
    expect((error as Error).message).toContain('gives no record total at Body/GetDatasetsResponse/nombreTotal');
  });

  it('stops at maxPages', async () => {
    const svc = await serve({ count: 45 });
    const { events, error } = await collect({ url: svc.url, config: datasetServiceConfig({ pageSize: 5 }), maxPages: 3 });
    expect(pages(events)).toHaveLength(3);
    expect(error).toBeInstanceOf(PagingError);
    expect((error as Error).message).toContain('more than 3 pages (maxPages)');
  });

  it('refuses a bad config before any request, naming every problem', async () => {
    const svc = await serve({ count: 5 });
    const { error } = await collect({ url: svc.url, config: datasetServiceConfig({ colour: 'blue', fields: { 'title.fr': 'titre', tittle: 'x' } }) });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('unknown key(s): colour');
    expect(svc.requests).toHaveLength(0);
  });

  it('records a record without identifier or title as a problem, and goes on', async () => {
    const svc = await serve({ count: 3 });
    const { events, error } = await collect({ url: svc.url, config: datasetServiceConfig({ fields: { identifier: 'id', 'title.fr': 'intitule', 'distributions[].accessUrl': 'ressources/ressource/url' } }) });
    expect(error).toBeUndefined();
    const batch = events.find((e): e is BatchEvent => e.type === 'batch')!;
    expect(batch.records).toEqual([]);
    expect(batch.invalidIdentifiers).toEqual(['ds-001', 'ds-002', 'ds-003']);
    expect(batch.problems.map((p) => [p.severity, p.code, p.identifier])).toEqual([
      ['error', 'missing_title', 'ds-001'],
      ['error', 'missing_title', 'ds-002'],
      ['error', 'missing_title', 'ds-003'],
    ]);
  });
});

describe('soap harvest with a WSDL', () => {
  const wsdl = (address: string) => `<?xml version="1.0"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/" xmlns:tns="${SERVICE_NS}" targetNamespace="${SERVICE_NS}">
  <binding name="CatalogueSoap" type="tns:CataloguePort">
    <soap:binding transport="http://schemas.xmlsoap.org/soap/http" style="document"/>
    <operation name="GetDatasets"><soap:operation soapAction="urn:wsdl:GetDatasets11"/></operation>
  </binding>
  <binding name="CatalogueSoap12" type="tns:CataloguePort">
    <soap12:binding transport="http://schemas.xmlsoap.org/soap/http" style="document"/>
    <operation name="GetDatasets"><soap12:operation soapAction="urn:wsdl:GetDatasets12"/></operation>
  </binding>
  <service name="Catalogue">
    <port name="CatalogueSoap" binding="tns:CatalogueSoap"><soap:address location="${address}"/></port>
    <port name="CatalogueSoap12" binding="tns:CatalogueSoap12"><soap12:address location="${address}"/></port>
  </service>
</definitions>`;

  it('takes the SOAPAction from the WSDL, SOAP 1.1 unless 1.2 is asked', async () => {
    const svc = await serve({ count: 3 });
    extraServer = await startLoopback(routes({ '/catalogue?wsdl': { headers: { 'content-type': 'text/xml' }, body: wsdl('http://internal.example:8080/soap') } }));
    const base = { wsdl: `${extraServer.base}/catalogue?wsdl`, operation: 'GetDatasets', soapAction: undefined };
    const { soapAction: _drop, ...noAction } = datasetServiceConfig();
    const { events, error } = await collect({ url: svc.url, config: { ...noAction, ...base, soapVersion: undefined } });
    expect(error).toBeUndefined();
    expect(records(events)).toHaveLength(3);
    expect(svc.requests[0]!.headers['soapaction']).toBe('"urn:wsdl:GetDatasets11"');
    await collect({ url: svc.url, config: { ...noAction, ...base, soapVersion: '1.2' } });
    expect(svc.requests[1]!.headers['content-type']).toBe('application/soap+xml; charset=utf-8; action="urn:wsdl:GetDatasets12"');
  });

  it('fails with the operations the WSDL offers when the operation is not there', async () => {
    const svc = await serve({ count: 3 });
    extraServer = await startLoopback(routes({ '/catalogue?wsdl': { body: wsdl(svc.url) } }));
    const { error } = await collect({ url: svc.url, config: { ...datasetServiceConfig(), wsdl: `${extraServer.base}/catalogue?wsdl`, operation: 'ListDatasets' } });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('has no SOAP operation "ListDatasets"; it offers: GetDatasets');
    expect(svc.requests).toHaveLength(0);
  });
});

import { harvestWithConfig } from '../src/adapters/index.ts';
/**
 * The CSW adapter over HTTP: a CSW 2.0.2 service on loopback (@hasad/testkit) answering from
 * generated records and from the records of ../shared/conformance (ISO 19139 from pycsw,
 * ckanext-spatial, OWSLib, GeoNetwork and SEMIC; DCAT as GeoNetwork's Sextant serves it).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, PagingError, ParseError } from '@hasad/core';
import { cswTitleAr, cswTitleFr, generatedCswRecords, startCswService } from '@hasad/testkit';
import type { CswService, CswServiceOptions, CswServiceRecord } from '@hasad/testkit';
import { cswAdapter, CswExceptionError, fetchCswCapabilities, fetchCswRecord, parseCswConfig } from '../src/adapters/csw/index.ts';
import { cswPageUrl } from '../src/adapters/csw/client.ts';
import type { IsoDataset } from '../src/adapters/csw/index.ts';
import { readSearchResults, recordTexts } from '../src/adapters/csw/protocol.ts';
import { previewSource } from '../src/preview.ts';
import { decodeXml, parseXml } from '../src/adapters/soap/xml.ts';
import type { BatchEvent, ConfiguredHarvestOptions, HarvestEvent, HarvestOptions, PageEvent } from '../src/types.ts';
import { loopbackHttp, startLoopback } from '@hasad/sources/testing';
import { createLocalHostLimiter } from '../src/http/host-limiter.ts';
import { ParsePool } from '../src/isolation/parse-pool.ts';

/** The parsing pool the harvests of the current `read …` block use (none: read in this thread). */
let pool: ParsePool | undefined;

/** The CSW adapter's harvest, through {@link pool} when there is one. */
function harvestCsw(opts: ConfiguredHarvestOptions): AsyncGenerator<HarvestEvent> {
  return harvestWithConfig(cswAdapter, pool === undefined ? opts : { parsePool: pool, ...opts });
}

let service: CswService | undefined;
afterEach(async () => {
  await service?.close();
  service = undefined;
});

/** Resolves once `done()` holds, polling every 10 ms; fails after `timeoutMs`. */
async function until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`not so after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function serve(options: CswServiceOptions): Promise<CswService> {
  service = await startCswService(options);
  return service;
}

async function harvest(url: string, config: unknown, more: Partial<HarvestOptions> = {}): Promise<{ events: HarvestEvent[]; records: IsoDataset[]; pages: PageEvent[]; batches: BatchEvent[] }> {
  const events: HarvestEvent[] = [];
  for await (const ev of harvestCsw({ url, config, http: loopbackHttp, ...more })) events.push(ev);
  const batches = events.filter((e): e is BatchEvent => e.type === 'batch');
  return { events, batches, records: batches.flatMap((b) => b.records) as IsoDataset[], pages: events.filter((e): e is PageEvent => e.type === 'page') };
}

/**
 * Every harvest below runs twice: read in this thread (preview, the CLI) and in a parsing worker
 * (ParsePool, as the fetcher reads CSW pages), which must give the same records, problems,
 * paging and errors; what crosses threads is the page's bytes, its batches, the paging values
 * SearchResults announces (for the read-ahead) and the errors as their codes.
 */
describe.each(['in this thread', 'in a parsing worker'] as const)('read %s', (where) => {
  beforeAll(() => {
    pool = where === 'in a parsing worker' ? new ParsePool({ size: 2 }) : undefined;
  });
  afterAll(async () => {
    await pool?.close();
    pool = undefined;
  });

  describe('CSW harvest of a paged ISO 19139 service', () => {
    it.each(['post', 'get'] as const)('reads every record over %s, in pages, bilingual, with each record’s XML', async (method) => {
      const svc = await serve({ records: generatedCswRecords(23) });
      const { records, pages } = await harvest(svc.url, { pageSize: 10, method });
      expect(records.map((r) => r.identifier)).toEqual(generatedCswRecords(23).map((r) => r.id));
      expect(svc.starts()).toEqual([1, 11, 21]);
      expect(svc.requests.filter((r) => r.request === 'GetRecords').every((r) => r.method === method.toUpperCase())).toBe(true);
      expect(pages.map((p) => p.listing)).toEqual([undefined, undefined, undefined]);
      expect(pages[2]!.nextUrl).toBeUndefined();
      const first = records[0]!;
      expect(first.title).toEqual({ fr: cswTitleFr(1), ar: cswTitleAr(1) });
      expect(first.themes).toContain('http://inspire.ec.europa.eu/theme/lu');
      expect(first.license).toBe('https://creativecommons.org/licenses/by/4.0/');
      expect(first.distributions.map((d) => d.format)).toEqual(['WMS', 'GeoPackage']);
      expect(first.geo.provenance).toEqual({ fr: 'Numérisé à partir d’images satellitaires.', ar: 'رقمنة من صور الأقمار الصناعية' });
      expect(first.sourceDescription?.body).toContain('<gco:CharacterString>geo-00001</gco:CharacterString>');
      expect(first.sourceDescription?.format).toBe('application/xml');
    });

    it('reads the DCAT output schema through the DCAT mapper', async () => {
      const svc = await serve({ records: generatedCswRecords(12) });
      const { records, pages } = await harvest(svc.url, { pageSize: 5, outputSchema: 'dcat' });
      expect(records).toHaveLength(12);
      expect(records[0]!.uri).toBe('https://geo.example.ma/id/geo-00001');
      expect(records[0]!.title).toEqual({ fr: cswTitleFr(1), ar: cswTitleAr(1) });
      expect(pages[0]!.format).toBe('csw-dcat');
      expect(svc.requests.find((r) => r.request === 'GetRecords')?.outputSchema).toBe('http://www.w3.org/ns/dcat#');
    });

    it.each(['post', 'get'] as const)('harvests Dublin Core (csw:Record) over %s from a server that offers neither ISO nor DCAT, warning that it is thinner', async (method) => {
      const svc = await serve({ records: generatedCswRecords(7), schemas: [] });
      const { records, pages, batches } = await harvest(svc.url, { pageSize: 5, method });
      expect(records.map((r) => r.identifier)).toEqual(generatedCswRecords(7).map((r) => r.id));
      expect(svc.requests.filter((r) => r.request === 'GetRecords').map((r) => r.outputSchema)).toEqual(['http://www.opengis.net/cat/csw/2.0.2', 'http://www.opengis.net/cat/csw/2.0.2']);
      expect(pages.map((p) => p.format)).toEqual(['csw-dc', 'csw-dc']);
      const thin = batches[0]!.problems.find((p) => p.code === 'csw_dublin_core');
      expect(thin).toMatchObject({ severity: 'warning' });
      expect(thin!.message).toMatch(/neither ISO 19139 nor DCAT.*thinner than ISO 19139/);
      const first = records[0]!;
      expect(first).toMatchObject({
        title: { fr: cswTitleFr(1), ar: cswTitleAr(1) },
        description: { '': 'Occupation des sols de la zone 1 & environs, relevée par télédétection.' },
        keywords: { '': ['agriculture', 'zone 1'] },
        type: 'dataset',
        modified: '2024-02-02',
        language: ['http://publications.europa.eu/resource/authority/language/FRA'],
        rights: [{ label: { '': 'CC BY 4.0' } }],
        // EPSG:4326 corners are latitude first: the WKT is longitude first.
        spatial: ['POLYGON((-8 30, -7 30, -7 31.5, -8 31.5, -8 30))'],
      });
      expect(first.distributions).toEqual([
        { accessUrl: 'https://geo.example.ma/wms?SERVICE=WMS&REQUEST=GetCapabilities', format: 'WMS', accessService: [{ endpointUrl: ['https://geo.example.ma/wms?SERVICE=WMS&REQUEST=GetCapabilities'], conformsTo: [{ uri: 'http://www.opengeospatial.org/standards/wms' }] }] },
        { accessUrl: 'https://geo.example.ma/files/geo-00001.gpkg', downloadUrl: 'https://geo.example.ma/files/geo-00001.gpkg', format: 'GeoPackage' },
      ]);
      expect(first.sourceDescription).toMatchObject({ format: 'application/xml' });
      expect(first.sourceDescription!.body).toMatch(/^<csw:Record [^>]*xmlns:dc=/);
    });

    it('harvests Dublin Core when the config asks for it, from a server that also offers ISO', async () => {
      const svc = await serve({ records: generatedCswRecords(3) });
      const { records, batches } = await harvest(svc.url, { outputSchema: 'dc' });
      expect(records).toHaveLength(3);
      expect(svc.requests.find((r) => r.request === 'GetRecords')?.outputSchema).toBe('http://www.opengis.net/cat/csw/2.0.2');
      expect(batches[0]!.problems.find((p) => p.code === 'csw_dublin_core')?.message).toMatch(/as the config asks/);
      expect((records[0] as { geo?: unknown }).geo).toBeUndefined();
    });

    it('follows a server that caps its page size, without calling the listing partial', async () => {
      const svc = await serve({ records: generatedCswRecords(12), capPageSize: 4 });
      const { records, pages } = await harvest(svc.url, { pageSize: 10 });
      expect(records).toHaveLength(12);
      expect(svc.starts()).toEqual([1, 5, 9]);
      expect(pages.some((p) => p.listing === 'partial')).toBe(false);
    });

    it('resumes at the checkpointed start position', async () => {
      const svc = await serve({ records: generatedCswRecords(23) });
      const all = await harvest(svc.url, { pageSize: 10 });
      const checkpoint = all.pages[0]!.nextUrl!;
      svc.requests.length = 0;
      const { records, pages } = await harvest(svc.url, { pageSize: 10 }, { start: { pageNo: 2, url: checkpoint } });
      expect(svc.starts()).toEqual([11, 21]);
      expect(records.map((r) => r.identifier)[0]).toBe('geo-00011');
      expect(pages.map((p) => p.pageNo)).toEqual([2, 3]);
    });

    it('a record repeated on a later page is skipped with duplicate_identifier, the first kept', async () => {
      const records = generatedCswRecords(12);
      // Page 2 (records 11-13) holds geo-00002 again, under other content.
      const svc = await serve({ records: [...records, { ...records[1]!, iso: records[1]!.iso!.replace(cswTitleFr(2), 'Un autre titre') }] });
      const { records: got, batches } = await harvest(svc.url, { pageSize: 10 });
      expect(got.map((r) => r.identifier)).toEqual(records.map((r) => r.id));
      expect(got[1]!.title['fr']).toBe(cswTitleFr(2));
      const dup = batches.flatMap((b) => b.problems).filter((p) => p.code === 'duplicate_identifier');
      expect(dup).toEqual([expect.objectContaining({ identifier: 'geo-00002', severity: 'warning', message: expect.stringMatching(/already has identifier "geo-00002"/) })]);
    });

    it('a page past a CSW limit fails with limit_exceeded naming the setting', async () => {
      const svc = await serve({ records: generatedCswRecords(5) });
      const err = await harvest(svc.url, { pageSize: 5 }, { http: { ...loopbackHttp, cswLimits: { maxElements: 200 } } }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'limit_exceeded', message: expect.stringMatching(/CSW GetRecords response.*HASAD_CSW_MAX_ELEMENTS/s) });
    });

    it('skips the mapping of a page whose records did not change', async () => {
      const svc = await serve({ records: generatedCswRecords(15) });
      const first = await harvest(svc.url, { pageSize: 10 });
      const stored = new Map(first.pages.map((p) => [p.url, { bodyHash: p.bodyHash ?? null, nextUrl: p.nextUrl ?? null }]));
      const again = await harvest(svc.url, { pageSize: 10 }, { validators: async (url) => stored.get(url) });
      expect(again.pages.map((p) => p.notModified)).toEqual([true, true]);
      expect(again.records).toHaveLength(0);
    });

    it.each([['iso19139', ['iso']], ['dc', []]] as const)('maps a new %s page while reading it exactly as a page read before and changed since', async (format, schemas) => {
      const svc = await serve({ records: generatedCswRecords(12), schemas: [...schemas] });
      // No validators: each page is new, its records are mapped as they close.
      const streamed = await harvest(svc.url, { pageSize: 5 });
      // A hash of an earlier run that differs: each page is read whole, then mapped.
      const changed = await harvest(svc.url, { pageSize: 5 }, { validators: async () => ({ bodyHash: 'an earlier answer', nextUrl: null }) });
      expect(changed.pages.map((p) => p.notModified)).toEqual([false, false, false]);
      expect(streamed.pages.map((p) => p.format)).toEqual(Array(3).fill(format === 'dc' ? 'csw-dc' : 'csw-iso19139'));
      expect(streamed.records).toHaveLength(12);
      expect(streamed.records.every((r) => r.sourceDescription?.body.includes(`>${r.identifier}<`))).toBe(true);
      // Key order too: the loader compares records by their JSON.
      expect(JSON.stringify(streamed.batches)).toBe(JSON.stringify(changed.batches));
    });
  });

  describe('CSW paging that goes wrong withdraws nothing', () => {
    it('a count that shrinks mid-harvest marks the listing partial', async () => {
      const svc = await serve({ records: generatedCswRecords(30) });
      // Ten records are deleted on the server just before it answers page 2 (asked ahead, while page 1 is read).
      svc.options.onGetRecords = (startPosition) => {
        if (startPosition === 11) svc.options.hidden = new Set(generatedCswRecords(10).map((r) => r.id));
      };
      const { pages } = await harvest(svc.url, { pageSize: 10 });
      expect(pages[1]!.listing).toBe('partial');
      expect(pages[1]!.problems?.map((p) => p.code)).toContain('csw_count_changed');
    });

    it('a nextRecord that goes back stops paging, partial', async () => {
      const svc = await serve({ records: generatedCswRecords(30), nextRecord: new Map([[11, 1]]) });
      const { pages, records } = await harvest(svc.url, { pageSize: 10 });
      expect(records).toHaveLength(20);
      expect(pages.at(-1)!.listing).toBe('partial');
      expect(pages.at(-1)!.problems?.map((p) => p.code)).toContain('paging_loop');
      expect(svc.starts()).toEqual([1, 11]);
    });

    it('a short page while more are announced (records skipped) is partial', async () => {
      const svc = await serve({ records: generatedCswRecords(30), nextRecord: new Map([[1, 15]]) });
      const { pages } = await harvest(svc.url, { pageSize: 10 });
      expect(pages[0]!.listing).toBe('partial');
      expect(pages[0]!.problems?.map((p) => p.code)).toContain('csw_short_page');
    });

    it('an empty page while more are announced stops, partial', async () => {
      const svc = await serve({ records: generatedCswRecords(10), matched: 25 });
      const { pages } = await harvest(svc.url, { pageSize: 10 });
      expect(svc.starts()).toEqual([1, 11]);
      expect(pages.at(-1)!.listing).toBe('partial');
    });
  });

  describe('CSW paging through the shared pager', () => {
    it('a listing longer than maxPages fails with page_limit_exceeded after the pages it may read, asking nothing past them', async () => {
      const svc = await serve({ records: generatedCswRecords(50), delayMs: 20 });
      const events: HarvestEvent[] = [];
      const run = (async () => {
        for await (const ev of harvestCsw({ url: svc.url, config: { pageSize: 10 }, http: loopbackHttp, maxPages: 2 })) events.push(ev);
      })();
      await expect(run).rejects.toThrow(PagingError);
      await expect(run).rejects.toThrow(/the CSW listing has more than 2 pages \(maxPages\); page 3 would be \S+#start=21&matched=50/);
      expect(events.filter((e) => e.type === 'page').map((e) => e.pageNo)).toEqual([1, 2]);
      // Page 3 was not asked ahead while page 2 was read.
      expect(svc.starts()).toEqual([1, 11]);
    });

    it('a service that gives no count and pages until an empty page: that page ends the listing, which is whole', async () => {
      // nextRecord 11 after the last full page, then an empty page with nextRecord 0.
      const svc = await serve({ records: generatedCswRecords(10), omit: ['numberOfRecordsMatched'], nextRecord: new Map([[6, 11]]) });
      const { pages, records } = await harvest(svc.url, { pageSize: 5 });
      expect(svc.starts()).toEqual([1, 6, 11]);
      expect(records).toHaveLength(10);
      expect(pages.map((p) => [p.pageNo, p.recordCount, p.listing])).toEqual([
        [1, 5, undefined],
        [2, 5, undefined],
        [3, 0, undefined],
      ]);
      expect(pages.flatMap((p) => p.problems ?? []).map((p) => p.code)).not.toContain('empty_page');
    });

    it('a page whose records give no dataset in a listing of several pages is an empty_page: the listing is partial', async () => {
      // Page 2 answers records of another schema than asked (a server ignoring outputSchema for a while).
      const records = generatedCswRecords(20).map((r, i) => (i < 10 ? r : { ...r, iso: r.dc }));
      const svc = await serve({ records });
      const { pages, batches } = await harvest(svc.url, { pageSize: 10 });
      expect(pages.map((p) => [p.pageNo, p.recordCount, p.listing])).toEqual([
        [1, 10, undefined],
        [2, 0, 'partial'],
      ]);
      expect(batches.filter((b) => b.pageNo === 2).flatMap((b) => b.problems.map((p) => p.code))).toEqual(Array(10).fill('csw_unexpected_record'));
      expect(pages[1]!.problems?.map((p) => p.code)).toEqual(['empty_page']);
    });

    it('resumes from a checkpoint written before the pager (the same #start=N&matched=M), comparing the count against it', async () => {
      const svc = await serve({ records: generatedCswRecords(25) });
      const { pages } = await harvest(svc.url, { pageSize: 10 }, { start: { pageNo: 2, url: `${svc.url}#start=11&matched=30` } });
      expect(svc.starts()).toEqual([11, 21]);
      expect(pages.map((p) => p.url)).toEqual([cswPageUrl(svc.url, 11, 30), cswPageUrl(svc.url, 21, 25)]);
      expect(pages[0]!.problems?.map((p) => p.code)).toContain('csw_count_changed');
      expect(pages.map((p) => p.listing)).toEqual(['partial', 'partial']);
    });
  });

  describe('CSW read-ahead', () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    /** The default per-host limit of 2 in flight: the read-ahead must fit in it. */
    const politeHttp = { ...loopbackHttp, hostConcurrency: 2 };
    const getRecords = (svc: CswService) => svc.requests.filter((r) => r.request === 'GetRecords');
    const receivedAt = (svc: CswService, start: number) => getRecords(svc).find((r) => r.startPosition === start)?.receivedAt;

    it('asks for page N+1 while page N is read and consumed, and yields pages in order', async () => {
      // A service that takes 100 ms a page, and a consumer that takes 150 ms over each batch. By GET,
      // so that the request each page's startPosition is written in can be told apart on the wire.
      if (where === 'in a parsing worker') {
        // Both workers started (each loads its code once, about 1.5 s): what is timed below is the harvest.
        const warm = await startCswService({ records: generatedCswRecords(25) });
        await harvest(warm.url, { pageSize: 10 }, { http: politeHttp }).finally(() => warm.close());
      }
      const svc = await serve({ records: generatedCswRecords(25), delayMs: 100 });
      const writtenAt = new Map<number, number>();
      const onWritten = (message: unknown) => {
        const path = (message as { request: { path: string } }).request.path;
        const start = /[?&]startPosition=(\d+)/.exec(path)?.[1];
        if (start !== undefined) writtenAt.set(Number(start), performance.now());
      };
      subscribe('undici:client:sendHeaders', onWritten);
      const pageAt = new Map<number, number>();
      const consumedAt = new Map<number, number>();
      const events: HarvestEvent[] = [];
      try {
        for await (const ev of harvestCsw({ url: svc.url, config: { pageSize: 10, method: 'get' }, http: politeHttp })) {
          events.push(ev);
          if (ev.type === 'page') pageAt.set(ev.pageNo, performance.now());
          if (ev.type !== 'batch') continue;
          // Longer with a pool: page 3 is asked once page 2 has come (100 ms) and its worker has read
          // its SearchResults, which a loaded machine may delay.
          await sleep(where === 'in a parsing worker' ? 400 : 150);
          consumedAt.set(ev.pageNo, performance.now());
        }
      } finally {
        unsubscribe('undici:client:sendHeaders', onWritten);
      }
      const pages = events.filter((e): e is PageEvent => e.type === 'page');
      expect(pages.map((p) => [p.pageNo, p.recordCount, p.nextUrl])).toEqual([
        [1, 10, cswPageUrl(svc.url, 11, 25)],
        [2, 10, cswPageUrl(svc.url, 21, 25)],
        [3, 5, undefined],
      ]);
      expect(events.filter((e): e is BatchEvent => e.type === 'batch').flatMap((b) => b.records.map((r) => r.identifier))).toEqual(generatedCswRecords(25).map((r) => r.id));
      // Each page asked once, in order, and nothing after the last one.
      expect(svc.starts()).toEqual([1, 11, 21]);
      // Page 2's request left before page 1's checkpoint event (without read-ahead it leaves after it),
      // page 3's before page 2's ...
      expect(writtenAt.get(11)).toBeLessThan(pageAt.get(1)!);
      expect(writtenAt.get(21)).toBeLessThan(pageAt.get(2)!);
      // ... and the service was working on page 2 while the consumer was busy with page 1.
      expect(receivedAt(svc, 11)).toBeLessThan(consumedAt.get(1)!);
      expect(receivedAt(svc, 21)).toBeLessThan(consumedAt.get(2)!);
      if (where === 'in a parsing worker') {
        // Two pages ahead, each read in a worker as it comes: page 3 was asked, from page 2's answer,
        // while the consumer was still busy with page 1 (in this thread, only once page 2 is read).
        expect(writtenAt.get(21)).toBeLessThan(consumedAt.get(1)!);
      } else expect(writtenAt.get(21)).toBeGreaterThan(pageAt.get(1)!);
    });

    it('a page that holds fewer records than predicted: the page asked ahead is dropped and the right one asked, the listing as without read-ahead', async () => {
      // The server caps its pages at 4 records and says neither nextRecord nor numberOfRecordsReturned:
      // page 1 predicts a page at 11 (a full page of 10); its 4 records say 5.
      // Page 1's records are held until the page asked ahead from its start (its SearchResults tag,
      // under 512 bytes here) has reached the service: the drop cannot beat the request there.
      let askedAheadOfRecords = false;
      const silent: CswService = await serve({
        records: generatedCswRecords(12),
        capPageSize: 4,
        omit: ['nextRecord', 'numberOfRecordsReturned'],
        delayMs: 20,
        beforeRecords: async (start) => {
          if (start === 1) askedAheadOfRecords = await until(() => silent.starts().includes(11), 5000).then(() => true, () => false);
        },
      });
      const got = await harvest(silent.url, { pageSize: 10 }, { http: politeHttp });
      const silentStarts = silent.starts();
      await silent.close();
      // The same catalogue from a server that announces where each page starts: nothing to drop.
      const told = await serve({ records: generatedCswRecords(12), capPageSize: 4, delayMs: 20 });
      const reference = await harvest(told.url, { pageSize: 10 }, { http: politeHttp });
      expect(told.starts()).toEqual([1, 5, 9]);
      // Page 11 was asked ahead and dropped; the pages read are those of the reference run.
      expect(askedAheadOfRecords).toBe(true);
      expect(silentStarts).toEqual([1, 11, 5, 9]);
      const port = (u: string) => u.replace(new URL(silent.url).origin, new URL(told.url).origin);
      const view = (ps: PageEvent[]) => ps.map((p) => ({ pageNo: p.pageNo, url: port(p.url), nextUrl: p.nextUrl && port(p.nextUrl), recordCount: p.recordCount, listing: p.listing, problems: p.problems }));
      expect(view(got.pages)).toEqual(view(reference.pages));
      expect(got.pages.map((p) => p.listing)).toEqual([undefined, undefined, undefined]);
      expect(JSON.stringify(got.records)).toBe(JSON.stringify(reference.records).replaceAll(new URL(told.url).origin, new URL(silent.url).origin));
      expect(got.records.map((r) => r.identifier)).toEqual(generatedCswRecords(12).map((r) => r.id));
    });

    it('an ExceptionReport on the page asked ahead fails the run with its text, after the page before it', async () => {
      const svc = await serve({ records: generatedCswRecords(30), delayMs: 30, exceptions: new Map([[11, { status: 400, text: 'Curseur expiré côté base' }]]) });
      const events: HarvestEvent[] = [];
      let askedBeforeConsumed = false;
      const run = (async () => {
        for await (const ev of harvestCsw({ url: svc.url, config: { pageSize: 10 }, http: politeHttp })) {
          events.push(ev);
          if (ev.type === 'batch') {
            await sleep(100);
            askedBeforeConsumed = receivedAt(svc, 11) !== undefined;
          }
        }
      })();
      await expect(run).rejects.toThrow(CswExceptionError);
      await expect(run).rejects.toThrow(/page 2, HTTP 400\): NoApplicableCode: Curseur expiré côté base/);
      expect(askedBeforeConsumed).toBe(true);
      // Page 1 whole (its batch and its checkpoint), nothing of page 2.
      expect(events.map((e) => [e.type, e.pageNo])).toEqual([
        ['batch', 1],
        ['page', 1],
      ]);
      expect(svc.starts()).toEqual([1, 11]);
    });

    it.each([
      [
        'cut off in the middle of a record',
        (res: ServerResponse) => {
          res.writeHead(200, { 'content-type': 'application/xml; charset=utf-8' });
          res.write(`<?xml version="1.0" encoding="UTF-8"?>\n<csw:GetRecordsResponse xmlns:csw="http://www.opengis.net/cat/csw/2.0.2" xmlns:gmd="http://www.isotc211.org/2005/gmd"><csw:SearchResults numberOfRecordsMatched="30" numberOfRecordsReturned="10" nextRecord="21"><gmd:MD_Metadata><gmd:fileIdentifier>`);
          setTimeout(() => res.socket?.destroy(), 50);
        },
        // The network's error, not the parser's on a truncated document: the reader got it as it came.
        /^FetchNetworkError: POST \S+ failed: other side closed$/,
      ],
      [
        'an HTML page with status 200',
        (res: ServerResponse) => void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!DOCTYPE html><html><body><h1>Maintenance</h1></body></html>'),
        /^ParseError: could not parse CSW GetRecords response \(page 2\) from \S+: the service answered an HTML page \(text\/html; charset=utf-8\), not XML: a maintenance, login or error page\?$/,
      ],
      ['empty', (res: ServerResponse) => void res.writeHead(200, { 'content-type': 'application/xml' }).end(), /^ParseError: could not parse CSW GetRecords response \(page 2\) from \S+ at line 1, column 0: document must contain a root element$/],
    ])('a broken page asked ahead (%s) fails the run with its error, after the page before it', async (_name, answer, error) => {
      const svc = await serve({ records: generatedCswRecords(30), delayMs: 10, brokenPages: new Map([[11, answer]]) });
      const events: HarvestEvent[] = [];
      const err = await (async () => {
        for await (const ev of harvestCsw({ url: svc.url, config: { pageSize: 10 }, http: politeHttp })) events.push(ev);
      })().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(String(err)).toMatch(error);
      expect(events.map((e) => [e.type, e.pageNo])).toEqual([
        ['batch', 1],
        ['page', 1],
      ]);
    });

    it('NUL bytes in a record\'s title reach the record as they came (the loader strips them), every page read', async () => {
      const records = generatedCswRecords(30);
      records[11] = { ...records[11]!, iso: records[11]!.iso!.replace(cswTitleAr(12), `${cswTitleAr(12)}\u0000\u0000`) };
      const svc = await serve({ records, delayMs: 10 });
      const { records: got } = await harvest(svc.url, { pageSize: 10 }, { http: politeHttp });
      expect(got.map((r) => r.identifier)).toEqual(records.map((r) => r.id));
      expect(got[11]?.title).toEqual({ fr: cswTitleFr(12), ar: `${cswTitleAr(12)}\u0000\u0000` });
    });

    it('the page asked ahead is not done: a consumer that stops after page 1 resumes at page 2, which is asked again', async () => {
      const svc = await serve({ records: generatedCswRecords(25), delayMs: 20 });
      const first: HarvestEvent[] = [];
      // With a parsing pool two pages are asked ahead, page 3 from page 2's answer as the worker reads it.
      const askedAhead = where === 'in a parsing worker' ? [11, 21] : [11];
      for await (const ev of harvestCsw({ url: svc.url, config: { pageSize: 10 }, http: politeHttp })) {
        first.push(ev);
        if (ev.type === 'page') {
          // The pages asked ahead are on their way when page 1's checkpoint event arrives: waited for
          // until the service has them (a loaded machine may take longer than a fixed pause), then a
          // pause for a request that should not come.
          await until(() => svc.starts().length >= 1 + askedAhead.length);
          await sleep(60);
          break; // a worker killed right after checkpointing page 1
        }
      }
      expect(svc.starts()).toEqual([1, ...askedAhead]);
      const checkpoint = first.find((e): e is PageEvent => e.type === 'page')!;
      expect(checkpoint.nextUrl).toBe(cswPageUrl(svc.url, 11, 25));
      const { records, pages } = await harvest(svc.url, { pageSize: 10 }, { http: politeHttp, start: { pageNo: 2, url: checkpoint.nextUrl! } });
      expect(pages.map((p) => p.pageNo)).toEqual([2, 3]);
      expect(records.map((r) => r.identifier)).toEqual(generatedCswRecords(25).slice(10).map((r) => r.id));
      expect(svc.starts()).toEqual([1, ...askedAhead, 11, 21]);
    });

    it('a consumer that stops in the middle of a page frees what the harvest held: the next harvest reads every page', async () => {
      const svc = await serve({ records: generatedCswRecords(25), delayMs: 20 });
      for (let i = 0; i < 3; i++) {
        for await (const ev of harvestCsw({ url: svc.url, config: { pageSize: 10 }, batchSize: 4, http: politeHttp })) {
          if (ev.type === 'batch') {
            // A preview with its records: the pages asked ahead are on their way, page 1 half read.
            await sleep(60);
            break;
          }
        }
      }
      const { records } = await harvest(svc.url, { pageSize: 10 }, { http: politeHttp });
      expect(records).toHaveLength(25);
    }, 20_000);

    it('harvests of one pool at once each read every page, their pages asked ahead waiting for a worker', async () => {
      const svc = await serve({ records: generatedCswRecords(45), delayMs: 5 });
      // One worker for three harvests (the API's previews share two; a fetcher has one per harvest):
      // a page asked ahead holds nothing while it waits, and each harvest's current page ends.
      const one = where === 'in a parsing worker' ? new ParsePool({ size: 1 }) : undefined;
      try {
        const runs = await Promise.all(
          [0, 1, 2].map(() => harvest(svc.url, { pageSize: 10 }, { http: politeHttp, ...(one !== undefined && { parsePool: one }) })),
        );
        for (const r of runs) expect(r.records.map((x) => x.identifier)).toEqual(generatedCswRecords(45).map((x) => x.id));
      } finally {
        await one?.close();
      }
    }, 30_000);

    it('a cancelled run aborts the page asked ahead: both slots of the host are free again', async () => {
      // Page 2 takes 2 s to answer: it is still in flight, holding a slot, when the run is cancelled.
      const svc = await serve({ records: generatedCswRecords(30), delayMs: 20 });
      svc.options.onGetRecords = (startPosition) => {
        if (startPosition === 11) svc.options.delayMs = 2000;
      };
      const limiter = createLocalHostLimiter({ maxConcurrent: 2, perSecond: 1000 });
      const cancel = new AbortController();
      const events: HarvestEvent[] = [];
      const run = (async () => {
        for await (const ev of harvestCsw({ url: svc.url, config: { pageSize: 10 }, http: { ...loopbackHttp, hostLimiter: limiter }, signal: cancel.signal })) {
          events.push(ev);
          if (ev.type === 'page') {
            await sleep(50);
            cancel.abort(new Error('cancelled by the operator'));
          }
        }
      })();
      await expect(run).rejects.toThrow('cancelled by the operator');
      expect(svc.starts()).toEqual([1, 11]);
      expect(events.filter((e) => e.type === 'page').map((e) => e.pageNo)).toEqual([1]);
      const host = new URL(svc.url).host;
      const permits = await Promise.all([limiter.acquire(host, AbortSignal.timeout(500)), limiter.acquire(host, AbortSignal.timeout(500))]);
      expect(permits.map((p) => p.ok)).toEqual([true, true]);
      for (const p of permits) if (p.ok) p.release();
    });

    it('with one request in flight per host, the page asked ahead waits for the slot and every page comes once, in order', async () => {
      const svc = await serve({ records: generatedCswRecords(25), delayMs: 10 });
      const { records, pages } = await harvest(svc.url, { pageSize: 10 }, { http: { ...loopbackHttp, hostConcurrency: 1 } });
      expect(pages.map((p) => [p.pageNo, p.recordCount])).toEqual([
        [1, 10],
        [2, 10],
        [3, 5],
      ]);
      expect(records.map((r) => r.identifier)).toEqual(generatedCswRecords(25).map((r) => r.id));
      expect(svc.starts()).toEqual([1, 11, 21]);
    });
  });

  describe('CSW errors', () => {
    it('an ows:ExceptionReport fails the run with its text', async () => {
      const svc = await serve({ records: generatedCswRecords(30), exceptions: new Map([[11, { status: 400, text: 'Le paramètre startPosition est invalide' }]]) });
      const events: HarvestEvent[] = [];
      const run = (async () => {
        for await (const ev of harvestCsw({ url: svc.url, config: { pageSize: 10 }, http: loopbackHttp })) events.push(ev);
      })();
      await expect(run).rejects.toThrow(CswExceptionError);
      await expect(run).rejects.toThrow(/page 2, HTTP 400\): NoApplicableCode: Le paramètre startPosition est invalide/);
      expect(events.filter((e) => e.type === 'batch')).toHaveLength(1);
    });

    it('refuses a DTD in an answer', async () => {
      const lb = await startLoopback((req, res) => {
        res.writeHead(200, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><csw:Capabilities xmlns:csw="http://www.opengis.net/cat/csw/2.0.2">&e;</csw:Capabilities>');
      });
      try {
        await expect(fetchCswCapabilities(`${lb.base}/csw`, loopbackHttp)).rejects.toThrow(/DOCTYPE.*refused/);
      } finally {
        await lb.close();
      }
    });

    it('a URL that is not a CSW says so', async () => {
      const lb = await startLoopback((req, res) => {
        res.writeHead(200, { 'content-type': 'application/xml' });
        res.end('<rss version="2.0"><channel/></rss>');
      });
      try {
        await expect(fetchCswCapabilities(`${lb.base}/feed`, loopbackHttp)).rejects.toThrow(/root element is <rss>, not csw:Capabilities/);
        await expect(fetchCswCapabilities(`${lb.base}/feed`, loopbackHttp)).rejects.toThrow(ParseError);
      } finally {
        await lb.close();
      }
    });

    it('validates the config, naming every bad field', () => {
      expect(() => parseCswConfig({ pageSize: 0, colour: 'red' })).toThrow(ConfigError);
      expect(() => parseCswConfig({ pageSize: 0, colour: 'red' })).toThrow(/unknown key\(s\): colour.*pageSize|pageSize.*unknown key\(s\): colour/);
      expect(() => parseCswConfig({ filter: { cql: "dc:type = 'dataset'", types: ['dataset'] } })).toThrow(/give one of cql, ogc or types\/keywords/);
      expect(() => parseCswConfig({ filter: { ogc: '<ogc:Filter xmlns:ogc="http://www.opengis.net/ogc">' } })).toThrow(/filter\.ogc/);
      expect(parseCswConfig(undefined)).toMatchObject({ outputSchema: 'auto', method: 'auto', pageSize: 50 });
    });

    it('asks for a schema the server does not offer: a config error naming what it offers', async () => {
      const svc = await serve({ records: generatedCswRecords(3), schemas: ['iso'] });
      await expect(harvest(svc.url, { outputSchema: 'dcat' })).rejects.toThrow(/does not offer outputSchema http:\/\/www\.w3\.org\/ns\/dcat#; it offers: .*gmd/);
    });

    it('sends the filter built from types and keywords', async () => {
      const svc = await serve({ records: generatedCswRecords(3) });
      await harvest(svc.url, { filter: { types: ['dataset', 'series'], keywords: ['eau'] } });
      const body = svc.requests.find((r) => r.request === 'GetRecords')!.body;
      expect(body).toContain('<csw:Constraint version="1.1.0"><ogc:Filter');
      expect(body).toContain('<ogc:PropertyName>dc:type</ogc:PropertyName><ogc:Literal>series</ogc:Literal>');
      expect(body).toContain('<ogc:PropertyName>dc:subject</ogc:PropertyName><ogc:Literal>eau</ogc:Literal>');
    });
  });
});

describe('CSW read-ahead with a parsing pool (the fetcher)', () => {
  it('the page after next is asked from the next page\'s head even while the only worker is busy, that page read off the wire meanwhile', async () => {
    // One worker, held by page 1, whose records the service sends only once page 21 is asked. Page
    // 21 is announced by page 11's SearchResults, which no worker is free to parse: it is read in
    // this thread as the answer comes, and page 11's answer is read to its end then too, freeing
    // its slot of the host's two (page 1 holds the other).
    let askedWhileHeld = false;
    const svc: CswService = await serve({
      records: generatedCswRecords(30),
      delayMs: 5,
      beforeRecords: async (start) => {
        if (start === 1) askedWhileHeld = await until(() => svc.starts().includes(21), 10_000).then(() => true, () => false);
      },
    });
    const one = new ParsePool({ size: 1 });
    try {
      const { records } = await harvest(svc.url, { pageSize: 10 }, { http: { ...loopbackHttp, hostConcurrency: 2 }, parsePool: one });
      expect(askedWhileHeld).toBe(true);
      expect(svc.starts()).toEqual([1, 11, 21]);
      expect(records.map((r) => r.identifier)).toEqual(generatedCswRecords(30).map((r) => r.id));
    } finally {
      await one.close();
    }
  }, 20_000);
});

// ---------------------------------------------------------------------------------------------
// The conformance records, served by the loopback CSW

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const conformance = path.resolve(repoRoot, '..', 'shared', 'conformance');
const present = existsSync(path.join(conformance, 'csw'));
if (!present) console.warn(`SKIPPED: ../shared/conformance/csw not found (looked in ${conformance}); CSW conformance harvest did not run`);

/** The records of a conformance file as a server would hold them: their own XML, no declaration. */
export function conformanceRecords(files: string[], key: 'iso' | 'dcat'): CswServiceRecord[] {
  const out: CswServiceRecord[] = [];
  for (const file of files) {
    const p = path.join(conformance, file);
    const xml = decodeXml(readFileSync(p), undefined, p, 'XML');
    const root = parseXml(xml, p).root;
    const texts = /Response$/.test(root.name) ? recordTexts(xml, readSearchResults(root, p).records) : [xml.replace(/^\s*<\?xml[^>]*\?>/, '')];
    texts.forEach((t, i) => out.push({ id: `${file}#${i}`, [key]: t }));
  }
  return out;
}

export const CONFORMANCE_ISO = [
  'csw/ckanext-spatial/iso19139/dataset.xml',
  'csw/ckanext-spatial/gemini2.1/validation/08_Series_Valid.xml',
  'csw/ckanext-spatial/gemini2.1/service1.xml',
  'csw/ckanext-spatial/iso19139/dataset-invalid.xml',
  'csw/owslib/9250AA67-F3AC-6C12-0CB9-0662231AA181_iso.xml',
  'csw/owslib/iso_keywords_anchor.xml',
  'csw/geonetwork/owslib-csw_dov_getrecordbyid.xml',
  'csw/pycsw/apiso/expected/post_GetRecords-all.xml',
  'geodcat-ap/semic-iso-19139-to-dcat-ap/test-cases/multilingual-metadata/input.xml',
];
export const CONFORMANCE_DCAT = ['csw/geonetwork/sextant.dcat.bathymetry.xml', 'csw/geonetwork/sextant.dcat.seadatanet.xml'];

describe.skipIf(!present)('CSW harvest of the conformance records', () => {
  it('harvests every valid ISO record and names the invalid one', async () => {
    const svc = await serve({ records: conformanceRecords(CONFORMANCE_ISO, 'iso') });
    const { records, batches } = await harvest(svc.url, { pageSize: 4 });
    // 13 records served: 1 invalid (gmd:nosuchelement).
    expect(records).toHaveLength(12);
    expect(records.map((r) => r.identifier)).toContain('CZ-CUZK-ATOM-DATA50');
    const errors = batches.flatMap((b) => b.problems).filter((p) => p.severity === 'error');
    expect(errors.map((p) => p.identifier)).toEqual(['test-dataset']);
    expect(batches.flatMap((b) => b.invalidIdentifiers)).toEqual(['test-dataset']);
  });

  it('harvests the DCAT records of GeoNetwork (Sextant) through the DCAT mapper', async () => {
    const svc = await serve({ records: conformanceRecords(CONFORMANCE_DCAT, 'dcat'), schemas: ['dcat'] });
    const { records } = await harvest(svc.url, {});
    expect(records).toHaveLength(2);
    expect(records.map((r) => Object.values(r.title)[0])).toContain('MNT de Bathymétrie de la zone du Golo - Campagne Sigolo (réalisé en 2008, résolution 25m)');
  });

  it('preview shows the capabilities, the plan and the record count before the first records', async () => {
    const svc = await serve({ records: generatedCswRecords(30) });
    const res = await previewSource('csw', svc.url, { pageSize: 10 }, { limit: 3, http: loopbackHttp });
    expect(res.records.map((r) => r.identifier)).toEqual(['geo-00001', 'geo-00002', 'geo-00003']);
    const codes = res.problems.map((p) => p.code);
    expect(codes.slice(0, 4)).toEqual(['csw_mapping', 'csw_capabilities', 'csw_plan', 'csw_count']);
    expect(res.problems.find((p) => p.code === 'csw_capabilities')?.message).toMatch(/versions 2\.0\.2; output schemas .*http:\/\/www\.isotc211\.org\/2005\/gmd/);
    expect(res.problems.find((p) => p.code === 'csw_count')?.message).toBe('the service holds 30 matching records');
  });

  it.each(['in this thread', 'in a parsing worker'] as const)('a preview read %s asks no page ahead that its record limit will not reach; one that needs page 2 asks it', async (where) => {
    const svc = await serve({ records: generatedCswRecords(30) });
    const own = where === 'in a parsing worker' ? new ParsePool({ size: 2 }) : undefined;
    try {
      const withPool = own === undefined ? {} : { parsePool: own };
      const first = await previewSource('csw', svc.url, { pageSize: 10 }, { limit: 10, http: loopbackHttp, ...withPool });
      expect(first.records).toHaveLength(10);
      // A page asked ahead reaches the service after the preview returned: give it time to show.
      await new Promise((r) => setTimeout(r, 300));
      // Only page 1 was asked: without the limit, page 2 (and with a pool page 3) is asked ahead as page 1 opens.
      expect(svc.starts()).toEqual([1]);
      svc.requests.length = 0;
      const more = await previewSource('csw', svc.url, { pageSize: 10 }, { limit: 15, http: loopbackHttp, ...withPool });
      expect(more.records.map((r) => r.identifier)).toEqual(generatedCswRecords(15).map((r) => r.id));
      await new Promise((r) => setTimeout(r, 300));
      expect(svc.starts()).toEqual([1, 11]);
    } finally {
      await own?.close();
    }
  });

  it('previews one record by identifier (GetRecordById)', async () => {
    const svc = await serve({ records: generatedCswRecords(3) });
    const { record } = await fetchCswRecord(svc.url, 'geo-00002', parseCswConfig({}), loopbackHttp);
    expect(record?.title.fr).toBe(cswTitleFr(2));
  });
});

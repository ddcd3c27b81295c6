import { afterAll, describe, expect, it } from 'vitest';
import { FetchRefusedError, decompressDescription, LimitExceededError, type CanonicalDataset, type RecordProblem } from '@hasad/core';
import { contentHash } from '../content-hash.ts';
import type { MappedBatch, PackedRecord } from '../adapters/shared/batches.ts';
import type { PageOutcome } from '../pager.ts';
import { readDcatPage, type DcatPageInput } from '../adapters/dcat/read-page.ts';
import { readCswPage, type CswPageInput } from '../adapters/csw/read-page.ts';
import { CSW_NS, GMD_SCHEMA, isoRecord } from '@hasad/testkit';
import { DEFAULT_PARSE_LIMITS } from '../parse-guards.ts';
import { ParsePool } from './parse-pool.ts';

const input = (contentType: string, batchSize = 1000): DcatPageInput => ({ url: 'https://x.ma/feed', requestedUrl: 'https://x.ma/feed', pageNo: 1, batchSize, contentType });

function chunks(doc: string, size = 64 * 1024): AsyncGenerator<Buffer> {
  const b = Buffer.from(doc, 'utf8');
  return (async function* () {
    for (let i = 0; i < b.length; i += size) yield b.subarray(i, i + size);
  })();
}

const turtle = (n: number) =>
  '@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .\n' +
  Array.from({ length: n }, (_, i) => `<https://x.ma/d/${i}> a dcat:Dataset ; dct:identifier "d${i}" ; dct:title "Titre ${i}"@fr ; dct:description "Description ${i}"@fr .`).join('\n');

async function readAll(it: AsyncGenerator<{ records: CanonicalDataset[] }, unknown>): Promise<{ records: CanonicalDataset[]; outcome: unknown }> {
  const records: CanonicalDataset[] = [];
  for (;;) {
    const r = await it.next();
    if (r.done === true) return { records, outcome: r.value };
    records.push(...r.value.records);
  }
}

/** Largest delay of this thread's timers while `work` runs, in ms: what a health endpoint would wait. */
async function maxLag<T>(work: Promise<T>): Promise<{ lag: number; result: PromiseSettledResult<T> }> {
  let lag = 0;
  let last = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    lag = Math.max(lag, now - last - 50);
    last = now;
  }, 50);
  const [result] = await Promise.allSettled([work]);
  clearInterval(timer);
  return { lag, result: result as PromiseSettledResult<T> };
}

const pools: ParsePool[] = [];
const pool = (limits = {}, size = 1) => {
  const p = new ParsePool({ size, limits });
  pools.push(p);
  return p;
};
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

describe('parsing pages in worker threads', () => {
  it('runs its workers with the young generation asked for (HASAD_PARSE_YOUNG_MB), or V8\'s default', async () => {
    const young = new ParsePool({ size: 1, youngGenerationMb: 24 });
    const plain = new ParsePool({ size: 1 });
    pools.push(young, plain);
    const doc = turtle(3);
    expect((await readAll(young.readPage('dcat', input('text/turtle', 10), chunks(doc)))).records).toHaveLength(3);
    await readAll(plain.readPage('dcat', input('text/turtle', 10), chunks(doc)));
    // The limits each worker runs under, as Node reports them.
    const limitsOf = (p: ParsePool) => [...(p as unknown as { workers: Set<{ worker: { resourceLimits?: { maxYoungGenerationSizeMb?: number } } }> }).workers][0]?.worker.resourceLimits;
    expect(limitsOf(young)?.maxYoungGenerationSizeMb).toBe(24);
    expect(limitsOf(plain)?.maxYoungGenerationSizeMb).not.toBe(24);
  });

  it('measurement only: keepSourceDescription false reaches the worker, and the records are the same but for their kept description', async () => {
    const p = pool();
    const doc = turtle(5);
    const kept = await readAll(p.readPage('dcat', input('text/turtle'), chunks(doc)));
    const bare = await readAll(p.readPage('dcat', { ...input('text/turtle'), keepSourceDescription: false }, chunks(doc)));
    expect(kept.records.every((r) => r.sourceDescription?.body.includes('"Titre') === true)).toBe(true);
    expect(bare.records.map((r) => r.sourceDescription)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(bare.records).toEqual(kept.records.map(({ sourceDescription: _, ...r }) => r));
  });

  it('the fetcher\'s pool packs each record for the queue: the hash of the whole record, its description compressed and out of it', async () => {
    const packing = new ParsePool({ size: 1, packForQueue: true });
    pools.push(packing);
    const doc = turtle(12);
    const batches: MappedBatch[] = [];
    const it = packing.readPage('dcat', input('text/turtle', 5), chunks(doc));
    for (let r = await it.next(); r.done !== true; r = await it.next()) batches.push(r.value);
    const local = await readAll(readDcatPage(input('text/turtle', 5), chunks(doc), DEFAULT_PARSE_LIMITS));
    expect(batches.map((b) => b.records.length)).toEqual([5, 5, 2]);
    const records = batches.flatMap((b) => b.records);
    const packed = batches.flatMap((b) => b.packed ?? []);
    expect(packed).toHaveLength(12);
    for (const [i, whole] of local.records.entries()) {
      expect(records[i]!.sourceDescription).toBeUndefined();
      expect(records[i]).toEqual({ ...whole, sourceDescription: undefined });
      expect(packed[i]!.hash).toBe(contentHash(whole));
      expect(packed[i]!.description!.format).toBe('application/n-triples');
      expect(decompressDescription(Buffer.from(packed[i]!.description!.deflated, 'base64'))).toBe(whole.sourceDescription!.body);
    }
    // Preview's pool (no packing) gives the records whole.
    const whole = await readAll(pool().readPage('dcat', input('text/turtle', 5), chunks(doc)));
    expect(whole.records).toEqual(local.records);
  });

  it('packing each record as it is mapped keeps the warnings that read its description (a repaired IRI named in its dataset)', async () => {
    const packing = new ParsePool({ size: 1, packForQueue: true });
    pools.push(packing);
    // Two datasets on one page, the second's contact phone an IRI with spaces (read percent-encoded).
    const doc = `@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> . @prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
<https://example.org/d/1> a dcat:Dataset ; dct:identifier "d1" ; dct:title "Un"@fr .
<https://example.org/d/2> a dcat:Dataset ; dct:identifier "d2" ; dct:title "Deux"@fr ;
  dcat:contactPoint [ vcard:fn "Service" ; vcard:hasTelephone <tel:+212 5 37 00 00 00> ] .
`;
    const problems: RecordProblem[] = [];
    const packed: PackedRecord[] = [];
    const it = packing.readPage('dcat', input('text/turtle', 1), chunks(doc));
    let r = await it.next();
    for (; r.done !== true; r = await it.next()) {
      problems.push(...r.value.problems);
      packed.push(...(r.value.packed ?? []));
    }
    expect(packed).toHaveLength(2);
    const iri = problems.filter((p) => p.code === 'invalid_iri');
    expect(iri.map((p) => p.identifier)).toEqual(['d2']);
    expect(iri[0]!.message).toContain('tel:+212%205%2037%2000%2000%2000');
    // Not also reported as a page problem (unclaimed by any dataset).
    expect(((r.value as PageOutcome).problems ?? []).filter((p) => p.code === 'invalid_iri')).toEqual([]);
    expect(decompressDescription(Buffer.from(packed[1]!.description!.deflated, 'base64'))).toContain('<tel:+212%205%2037%2000%2000%2000>');
  });

  it('gives the records the same page gives in this thread', async () => {
    const p = pool();
    const doc = turtle(25);
    const isolated = await readAll(p.readPage('dcat', input('text/turtle', 10), chunks(doc, 500)));
    const local = await readAll(readDcatPage(input('text/turtle', 10), chunks(doc), DEFAULT_PARSE_LIMITS));
    expect(isolated.records).toHaveLength(25);
    expect(isolated.records).toEqual(local.records);
    expect(isolated.outcome).toEqual(local.outcome);
  });

  it('fails a page past the depth limit with limit_exceeded, and the same worker reads the next page', async () => {
    const p = pool({ maxDepth: 20 });
    const err = await readAll(p.readPage('dcat', input('application/ld+json'), chunks('['.repeat(600) + ']'.repeat(600)))).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'limit_exceeded', context: { parseLimit: 'maxDepth', limit: 'HASAD_PARSE_MAX_DEPTH', max: 20 } });
    expect((err as Error).message).toMatch(/JSON-LD from https:\/\/x\.ma\/feed exceeds HASAD_PARSE_MAX_DEPTH \(20\): JSON arrays and objects nested more than 20 deep/);
    expect((await readAll(p.readPage('dcat', input('text/turtle'), chunks(turtle(3))))).records).toHaveLength(3);
  });

  it('stops a page past its CPU budget without stalling this thread, and starts a new worker for the next page', async () => {
    const p = pool({ cpuSeconds: 1 });
    const { lag, result } = await maxLag(readAll(p.readPage('dcat', input('text/turtle'), chunks(turtle(300_000)))));
    expect(result.status).toBe('rejected');
    const err = (result as PromiseRejectedResult).reason as LimitExceededError;
    expect(err.message).toMatch(/RDF from https:\/\/x\.ma\/feed exceeds HASAD_PARSE_CPU_SECONDS \(1\): parsing the page took more than 1 s of CPU time; it was stopped/);
    expect(err.code).toBe('limit_exceeded');
    expect(lag, 'timer delay of this thread, ms').toBeLessThan(3000);
    expect((await readAll(p.readPage('dcat', input('text/turtle'), chunks(turtle(2))))).records).toHaveLength(2);
  });

  it('stops a page past its heap limit (the worker alone runs out of memory), and reads the next page', async () => {
    const p = pool({ heapMb: 48, cpuSeconds: 600 });
    const err = await readAll(p.readPage('dcat', input('text/turtle'), chunks(turtle(300_000)))).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/RDF from https:\/\/x\.ma\/feed exceeds HASAD_PARSE_HEAP_MB \(48\): parsing the page needed more than 48 MB of memory; it was stopped/);
    expect((await readAll(p.readPage('dcat', input('text/turtle'), chunks(turtle(2))))).records).toHaveLength(2);
  });

  it('passes a body error (size limit) through as it is, and a worker left early is reused', async () => {
    const p = pool();
    const body = (async function* () {
      yield Buffer.from(turtle(3));
      throw new FetchRefusedError('https://x.ma/feed', 'response body exceeds the limit of 10 bytes (maxBytes)');
    })();
    await expect(readAll(p.readPage('dcat', input('text/turtle'), body))).rejects.toThrow(FetchRefusedError);
    const it = p.readPage('dcat', input('text/turtle', 1), chunks(turtle(5)));
    expect((await it.next()).value).toMatchObject({ records: [expect.objectContaining({ identifier: 'd0' })] });
    await it.return(undefined as never);
    expect((await readAll(p.readPage('dcat', input('text/turtle'), chunks(turtle(4))))).records).toHaveLength(4);
  });

  it('ends a page when its signal aborts, and a second page waits for the only worker', async () => {
    const p = pool();
    const ac = new AbortController();
    const stalled = (async function* () {
      yield Buffer.from(turtle(1));
      await new Promise(() => undefined);
    })();
    const first = readAll(p.readPage('dcat', input('text/turtle'), stalled, ac.signal));
    const second = readAll(p.readPage('dcat', input('text/turtle'), chunks(turtle(2))));
    setTimeout(() => ac.abort(new Error('preview deadline')), 200);
    await expect(first).rejects.toThrow('preview deadline');
    expect((await second).records).toHaveLength(2);
  });
  it('pages started together while the worker boots each get a worker of their own, one after the other', async () => {
    // Four harvests of one host at once: the second page asked for the worker still loading its
    // code; it was given the same worker, and one of the pages never ended.
    const p = pool({}, 1);
    const counts = await Promise.all([3, 1, 4, 2].map(async (n) => (await readAll(p.readPage('dcat', input('text/turtle'), chunks(turtle(n))))).records.length));
    expect(counts).toEqual([3, 1, 4, 2]);
    const two = pool({}, 2);
    const more = await Promise.all([5, 6, 7].map(async (n) => (await readAll(two.readPage('dcat', input('text/turtle'), chunks(turtle(n))))).records.length));
    expect(more).toEqual([5, 6, 7]);
  }, 30_000);
});

describe('CSW GetRecords pages in worker threads', () => {
  const cswInput: CswPageInput = { format: 'iso19139', url: 'https://x.ma/csw', status: 200, pageNo: 1, batchSize: 4, maxPageBytes: 64 * 1024 * 1024 };
  const getRecords = (records: string[], matched: number) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<csw:GetRecordsResponse xmlns:csw="${CSW_NS}" xmlns:gmd="${GMD_SCHEMA}" version="2.0.2">` +
    `<csw:SearchStatus timestamp="2026-12-06T10:00:00Z"/><csw:SearchResults numberOfRecordsMatched="${matched}" numberOfRecordsReturned="${records.length}" nextRecord="${records.length + 1}" recordSchema="${GMD_SCHEMA}" elementSet="full">` +
    `${records.join('')}</csw:SearchResults></csw:GetRecordsResponse>`;

  it('reads a page as this thread does, telling SearchResults\' paging values before the first batch', async () => {
    const doc = getRecords(Array.from({ length: 10 }, (_, i) => isoRecord(i + 1)), 25);
    const told: string[] = [];
    const it = pool().readPage('csw', cswInput, chunks(doc, 4096), undefined, (search) => {
      told.push(`hint ${JSON.stringify(search)}`);
      return undefined;
    });
    const isolated: { records: CanonicalDataset[]; outcome?: unknown } = { records: [] };
    for (let r = await it.next(); ; r = await it.next()) {
      if (r.done === true) {
        isolated.outcome = r.value;
        break;
      }
      told.push(`batch of ${r.value.records.length}`);
      isolated.records.push(...r.value.records);
    }
    expect(told).toEqual(['hint {"matched":25,"returned":10,"nextRecord":11}', 'batch of 4', 'batch of 4', 'batch of 2']);
    const local = await readAll(readCswPage(cswInput, chunks(doc, 4096), DEFAULT_PARSE_LIMITS));
    expect(isolated.records.map((r) => r.identifier)).toEqual(Array.from({ length: 10 }, (_, i) => `geo-${String(i + 1).padStart(5, '0')}`));
    expect(isolated.records).toEqual(local.records);
    expect(isolated.outcome).toEqual(local.outcome);
    expect(isolated.outcome).toMatchObject({ search: { count: 10, matched: 25, returned: 10, nextRecord: 11 } });
  });

  it('stops a page past its heap limit, named as a CSW answer, within the CSW element limit', async () => {
    // 800,000 elements in one record: under HASAD_CSW_MAX_ELEMENTS (1,000,000), some 120 MB of tree.
    const doc = getRecords([`<gmd:MD_Metadata>${'<a/>'.repeat(800_000)}</gmd:MD_Metadata>`], 1);
    const p = pool({ heapMb: 48, cpuSeconds: 600 });
    const err = await readAll(p.readPage('csw', cswInput, chunks(doc))).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/CSW GetRecords response from https:\/\/x\.ma\/csw exceeds HASAD_PARSE_HEAP_MB \(48\): parsing the page needed more than 48 MB of memory; it was stopped/);
    expect((await readAll(p.readPage('csw', cswInput, chunks(getRecords([isoRecord(1)], 1))))).records).toHaveLength(1);
  });
});

import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, FetchRefusedError, PagingError, ParseError } from '@hasad/core';
import { datasetIdentifier, datasetTitle, generatePage, organisationName } from '@hasad/testkit';
import { loopbackHttp, routes, startLoopback } from '@hasad/sources/testing';
import type { Handler, Loopback } from '@hasad/sources/testing';
import { getAdapter, harvestWithConfig } from '../index.ts';
import { previewSource } from '../../preview.ts';
import type { BatchEvent, ConfiguredHarvestOptions, HarvestEvent, HarvestOptions, PageEvent, PageValidators } from '../../types.ts';
import { dcatAdapter } from './index.ts';
import { DCAT_ACCEPT } from './parse.ts';
import type { DcatPageInput } from './read-page.ts';
import { ParsePool } from '../../isolation/parse-pool.ts';
import type { PageReaderInputs, PageReaderKind } from '../../isolation/page-readers.ts';

let server: Loopback | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(handler: Handler): Promise<Loopback> {
  server = await startLoopback(handler);
  return server;
}

async function collect(opts: Partial<ConfiguredHarvestOptions> & { url: string }): Promise<HarvestEvent[]> {
  const events: HarvestEvent[] = [];
  for await (const ev of harvestWithConfig(dcatAdapter, { config: {}, http: loopbackHttp, ...opts })) events.push(ev);
  return events;
}

async function collectUntilError(opts: Partial<ConfiguredHarvestOptions> & { url: string }): Promise<{ events: HarvestEvent[]; error: unknown }> {
  const events: HarvestEvent[] = [];
  try {
    for await (const ev of harvestWithConfig(dcatAdapter, { config: {}, http: loopbackHttp, ...opts })) events.push(ev);
  } catch (error) {
    return { events, error };
  }
  return { events, error: undefined };
}

const pages = (events: HarvestEvent[]) => events.filter((e): e is PageEvent => e.type === 'page');
const batches = (events: HarvestEvent[]) => events.filter((e): e is BatchEvent => e.type === 'batch');
const identifiers = (events: HarvestEvent[]) => batches(events).flatMap((b) => b.records.map((r) => r.identifier));

const TTL_PREFIXES = `@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
`;

function datasetsTtl(from: number, count: number): string {
  return Array.from({ length: count }, (_, i) => `<https://x.ma/d/${from + i}> a dcat:Dataset ; dct:identifier "d${from + i}" ; dct:title "Jeu ${from + i}"@fr .`).join('\n');
}

/** A 3-page Turtle feed, 2 datasets a page, paged with Hydra `next` (IRI) or `nextPage` (literal). */
function hydraFeed(vocab: 'next' | 'nextPage', opts: { relative?: boolean; loopTo?: number; pageCount?: number } = {}): Handler {
  const count = opts.pageCount ?? 3;
  return (req, res, base) => {
    const m = /^\/feed\?page=(\d+)$/.exec(req.url ?? '');
    if (m === null) {
      res.writeHead(404);
      res.end();
      return;
    }
    const n = Number(m[1]);
    const target = n < count ? n + 1 : opts.loopTo;
    const nextRef = target === undefined ? undefined : opts.relative ? `?page=${target}` : `${base}/feed?page=${target}`;
    let view = '';
    if (vocab === 'next') {
      view = `<${base}/feed?page=${n}> a hydra:PartialCollectionView${nextRef === undefined ? '' : ` ; hydra:next <${nextRef}>`} .`;
    } else if (nextRef !== undefined) {
      view = `<${base}/feed> a hydra:PagedCollection ; hydra:nextPage "${nextRef}" .`;
    }
    res.writeHead(200, { 'content-type': 'text/turtle', etag: `"p${n}"`, 'last-modified': 'Wed, 01 May 2024 10:00:00 GMT' });
    res.end(`${TTL_PREFIXES}${datasetsTtl(n * 2 - 1, 2)}\n${view}\n`);
  };
}

describe('DCAT harvest: Hydra paging', () => {
  it('follows hydra:next on a PartialCollectionView through 3 pages', async () => {
    const s = await serve(hydraFeed('next'));
    const events = await collect({ url: `${s.base}/feed?page=1` });
    expect(events.map((e) => `${e.type}:${e.pageNo}`)).toEqual(['batch:1', 'page:1', 'batch:2', 'page:2', 'batch:3', 'page:3']);
    expect(identifiers(events)).toEqual(['d1', 'd2', 'd3', 'd4', 'd5', 'd6']);
    expect(pages(events).map((p) => p.nextUrl)).toEqual([`${s.base}/feed?page=2`, `${s.base}/feed?page=3`, undefined]);
    expect(pages(events)[0]).toMatchObject({
      url: `${s.base}/feed?page=1`,
      notModified: false,
      etag: '"p1"',
      lastModified: 'Wed, 01 May 2024 10:00:00 GMT',
      batchCount: 1,
      recordCount: 2,
      format: 'turtle',
    });
    expect(s.requests[0]?.headers['accept']).toBe(DCAT_ACCEPT);
  });

  it('follows the older hydra:nextPage given as a literal', async () => {
    const s = await serve(hydraFeed('nextPage'));
    const events = await collect({ url: `${s.base}/feed?page=1` });
    expect(pages(events)).toHaveLength(3);
    expect(identifiers(events)).toEqual(['d1', 'd2', 'd3', 'd4', 'd5', 'd6']);
  });

  it('resolves relative next links against the page URL, in both vocabularies', async () => {
    for (const vocab of ['next', 'nextPage'] as const) {
      const s = await serve(hydraFeed(vocab, { relative: true }));
      const events = await collect({ url: `${s.base}/feed?page=1` });
      expect(pages(events).map((p) => p.nextUrl)).toEqual([`${s.base}/feed?page=2`, `${s.base}/feed?page=3`, undefined]);
      await s.close();
      server = undefined;
    }
  });

  it('stops at a paging loop with a paging_loop warning, keeping what it read', async () => {
    const s = await serve(hydraFeed('next', { loopTo: 1 }));
    const events = await collect({ url: `${s.base}/feed?page=1` });
    expect(identifiers(events)).toHaveLength(6);
    const last = pages(events)[2];
    expect(last?.nextUrl).toBeUndefined();
    expect(last?.problems).toEqual([expect.objectContaining({ severity: 'warning', code: 'paging_loop' })]);
    expect(s.requests).toHaveLength(3);
  });

  it('counts pages done before a resume (opts.visited) in the loop guard', async () => {
    const s = await serve(hydraFeed('next', { loopTo: 1 }));
    const events = await collect({
      url: `${s.base}/feed?page=1`,
      start: { pageNo: 3, url: `${s.base}/feed?page=3` },
      visited: [`${s.base}/feed?page=1`, `${s.base}/feed?page=2`],
    });
    expect(events.map((e) => `${e.type}:${e.pageNo}`)).toEqual(['batch:3', 'page:3']);
    expect(pages(events)[0]?.problems?.[0]?.code).toBe('paging_loop');
    expect(s.requests.map((r) => r.path)).toEqual(['/feed?page=3']);
  });

  it('fails with PagingError past maxPages, after emitting the pages it read', async () => {
    const s = await serve(hydraFeed('next'));
    const { events, error } = await collectUntilError({ url: `${s.base}/feed?page=1`, maxPages: 2 });
    expect(error).toBeInstanceOf(PagingError);
    expect((error as Error).message).toMatch(/more than 2 pages/);
    expect(pages(events).map((p) => p.pageNo)).toEqual([1, 2]);
    expect(s.requests).toHaveLength(2);
  });

  it('splits a big page into batches of batchSize', async () => {
    const s = await serve(routes({ '/all.ttl': { headers: { 'content-type': 'text/turtle' }, body: TTL_PREFIXES + datasetsTtl(1, 5) } }));
    const events = await collect({ url: `${s.base}/all.ttl`, batchSize: 2 });
    expect(batches(events).map((b) => [b.batchNo, b.records.length])).toEqual([
      [0, 2],
      [1, 2],
      [2, 1],
    ]);
    expect(pages(events)[0]).toMatchObject({ batchCount: 3, recordCount: 5 });
    expect(pages(events)[0]?.nextUrl).toBeUndefined();
  });

  it('harvests a realistic 2 500-dataset page in batches of 1 000 with every field mapped', async () => {
    const page = generatePage({ datasets: 2500, pageSize: 0, baseUrl: 'https://data.example.ma', everyField: true }, 1, 'turtle');
    const s = await serve(routes({ '/catalog.ttl': { headers: { 'content-type': 'text/turtle' }, body: page } }));
    const events = await collect({ url: `${s.base}/catalog.ttl` });
    expect(batches(events).map((b) => b.records.length)).toEqual([1000, 1000, 500]);
    expect(batches(events).flatMap((b) => b.problems)).toEqual([]);
    const r = batches(events)[2]?.records.find((x) => x.identifier === datasetIdentifier(2499));
    expect(r?.title).toEqual(datasetTitle(2499));
    expect(r?.distributions).toHaveLength(2);
    expect(r?.distributions?.[0]?.title).toEqual({ fr: expect.stringMatching(/^Fichier (CSV|JSON)$/) });
    expect(r?.publisher?.name).toEqual(organisationName(2499 % 7));
    expect(r?.temporal).toEqual([{ start: '2020-01-01', end: '2020-12-31' }]);
    expect(r?.contactPoint).toMatchObject({ email: 'donnees@example.ma' });
    expect(r?.landingPage).toBe('https://data.example.ma/fr/dataset/2499');
    expect(r?.language?.length).toBe(2);
  });

  it('warns when a page has no datasets', async () => {
    const s = await serve(routes({ '/empty.ttl': { headers: { 'content-type': 'text/turtle' }, body: `${TTL_PREFIXES}<https://x.ma/c> a dcat:Catalog .` } }));
    const events = await collect({ url: `${s.base}/empty.ttl` });
    expect(events).toHaveLength(1);
    expect(pages(events)[0]?.problems?.[0]?.code).toBe('no_datasets');
  });
});

describe('DCAT harvest: conditional requests', () => {
  it('sends stored validators and, on 304, emits a notModified page and goes on with the stored nextUrl', async () => {
    const s = await serve((req, res, base) => {
      const n = Number(/page=(\d+)/.exec(req.url ?? '')?.[1]);
      // Page 2 changed since the last run; pages 1 and 3 did not.
      const etag = n === 2 ? '"p2-v2"' : `"p${n}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag });
        res.end();
        return;
      }
      const next = n < 3 ? ` ; hydra:next <${base}/feed?page=${n + 1}>` : '';
      res.writeHead(200, { 'content-type': 'text/turtle', etag });
      res.end(`${TTL_PREFIXES}${datasetsTtl(n * 2 - 1, 2)}\n<${base}/feed?page=${n}> a hydra:PartialCollectionView${next} .`);
    });
    const stored = new Map<string, PageValidators>([
      [`${s.base}/feed?page=1`, { etag: '"p1"', lastModified: null, nextUrl: `${s.base}/feed?page=2` }],
      [`${s.base}/feed?page=2`, { etag: '"p2"', nextUrl: `${s.base}/feed?page=3` }],
      [`${s.base}/feed?page=3`, { etag: '"p3"', nextUrl: null }],
    ]);
    const events = await collect({ url: `${s.base}/feed?page=1`, validators: async (url) => stored.get(url) });
    expect(events.map((e) => `${e.type}:${e.pageNo}`)).toEqual(['page:1', 'batch:2', 'page:2', 'page:3']);
    expect(pages(events)[0]).toMatchObject({ notModified: true, nextUrl: `${s.base}/feed?page=2`, batchCount: 0, recordCount: 0 });
    expect(pages(events)[1]).toMatchObject({ notModified: false, etag: '"p2-v2"', recordCount: 2 });
    expect(pages(events)[2]).toMatchObject({ notModified: true, nextUrl: undefined });
    expect(identifiers(events)).toEqual(['d3', 'd4']);
    expect(s.requests.map((r) => r.headers['if-none-match'])).toEqual(['"p1"', '"p2"', '"p3"']);
  });

  it('a page of other bytes whose tokens or triples are those of the last run is not mapped; any other triple, or order, maps it', async () => {
    // What the service says each page holds: its datasets (a title may change), a comment, the order of its lines.
    const state = { comment: '', retitled: 0, reversed: 0 };
    const s = await serve((req, res, base) => {
      const n = Number(/page=(\d+)/.exec(req.url ?? '')?.[1]);
      const next = n < 3 ? `<${base}/feed?page=${n}> a hydra:PartialCollectionView ; hydra:next <${base}/feed?page=${n + 1}> .` : '';
      let lines = [...datasetsTtl(n * 2 - 1, 2).split('\n'), next];
      if (state.retitled === n) lines = lines.map((l) => l.replace(/"Jeu (\d+)"@fr/, '"Jeu $1 (révisé)"@fr'));
      if (state.reversed === n) lines.reverse();
      res.writeHead(200, { 'content-type': 'text/turtle' });
      res.end(`${TTL_PREFIXES}${state.comment}${lines.join('\n')}\n`);
    });
    const stored = new Map<string, PageValidators>();
    const run = async () => {
      const events = await collect({ url: `${s.base}/feed?page=1`, validators: async (url) => stored.get(url) });
      for (const pg of pages(events)) stored.set(pg.url, { nextUrl: pg.nextUrl ?? null, bodyHash: pg.bodyHash ?? null });
      return { notModified: pages(events).map((pg) => pg.notModified), ids: identifiers(events), hashes: pages(events).map((pg) => pg.bodyHash) };
    };
    const first = await run();
    expect(first).toMatchObject({ notModified: [false, false, false], ids: ['d1', 'd2', 'd3', 'd4', 'd5', 'd6'] });
    // Stored: the bytes' hash, the tokens' hash and the triples' hash.
    for (const h of first.hashes) expect(h).toMatch(/^[\w-]+\+L[\w-]+~t[\w-]+$/);
    // The same bytes: not parsed (the bytes' hash); a comment added: not parsed either (the tokens' hash).
    expect(await run()).toMatchObject({ notModified: [true, true, true], ids: [] });
    state.comment = '# régénéré le 7 décembre\n';
    expect(await run()).toMatchObject({ notModified: [true, true, true], ids: [] });
    // One title changed on page 2: that page mapped, its datasets handed on.
    state.retitled = 2;
    expect(await run()).toMatchObject({ notModified: [true, false, true], ids: ['d3', 'd4'] });
    // Page 3's lines in another order: the same datasets, but mapped (an order is not proven the same content).
    state.reversed = 3;
    expect(await run()).toMatchObject({ notModified: [true, true, false], ids: ['d6', 'd5'] });
    // A hash stored before pages' triples were hashed (the bytes' alone): mapped, never taken as unchanged.
    for (const [url, v] of stored) stored.set(url, { ...v, bodyHash: 'c29tZS1vbGQtYnl0ZXMtaGFzaA' });
    state.comment = '# encore\n';
    expect(await run()).toMatchObject({ notModified: [false, false, false], ids: ['d1', 'd2', 'd3', 'd4', 'd6', 'd5'] });
  });

  it('a page that differs only in comments or spaces is not parsed; one written with other prefixes is parsed, hashed before its graph while the run\'s pages prove unchanged', async () => {
    // What each run serves: a comment, the prefix the terms are written with, a retitled page.
    const state = { comment: '', dct: 'dct', retitled: 0 };
    const s = await serve((req, res, base) => {
      const n = Number(/page=(\d+)/.exec(req.url ?? '')?.[1]);
      const next = n < 3 ? `<${base}/feed?page=${n}> a hydra:PartialCollectionView ; hydra:next <${base}/feed?page=${n + 1}> .` : '';
      let body = `${TTL_PREFIXES.replace('@prefix dct:', `@prefix ${state.dct}:`)}${state.comment}${datasetsTtl(n * 2 - 1, 2).replaceAll('dct:', `${state.dct}:`)}\n${next}\n`;
      if (state.retitled === n) body = body.replace(/"Jeu (\d+)"@fr/, '"Jeu $1 (révisé)"@fr');
      res.writeHead(200, { 'content-type': 'text/turtle' });
      res.end(body);
    });
    // A real parsing pool that notes what each page was read with.
    class RecordingPool extends ParsePool {
      readonly inputs: DcatPageInput[] = [];
      override readPage<K extends PageReaderKind>(kind: K, input: PageReaderInputs[K], body: AsyncIterable<Buffer | Uint8Array>, signal?: AbortSignal) {
        this.inputs.push(input as DcatPageInput);
        return super.readPage(kind, input, body, signal);
      }
    }
    const pool = new RecordingPool({ size: 1 });
    try {
      const stored = new Map<string, PageValidators>();
      const run = async () => {
        pool.inputs.length = 0;
        const events = await collect({ url: `${s.base}/feed?page=1`, validators: async (url) => stored.get(url), parsePool: pool });
        for (const pg of pages(events)) stored.set(pg.url, { nextUrl: pg.nextUrl ?? null, bodyHash: pg.bodyHash ?? null });
        return { notModified: pages(events).map((pg) => pg.notModified), ids: identifiers(events), parsed: pool.inputs.map((i) => i.pageNo), deferred: pool.inputs.map((i) => i.deferGraph === true) };
      };
      expect(await run()).toEqual({ notModified: [false, false, false], ids: ['d1', 'd2', 'd3', 'd4', 'd5', 'd6'], parsed: [1, 2, 3], deferred: [false, false, false] });
      // Stored: the bytes' hash, the tokens' hash (L…) and the triples' hash (t…).
      for (const v of stored.values()) expect(v.bodyHash).toMatch(/^[\w-]+\+L[\w-]+~t[\w-]+$/);
      const firstHashes = [...stored.values()].map((v) => v.bodyHash);
      // A comment and other line ends: no page parsed.
      state.comment = '# régénéré le 7 décembre\n\n';
      expect(await run()).toEqual({ notModified: [true, true, true], ids: [], parsed: [], deferred: [] });
      // Stored with the new bytes' hash (the same bytes next time cost no tokens' hash), the rest kept.
      [...stored.values()].forEach((v, i) => {
        expect(v.bodyHash).not.toBe(firstHashes[i]);
        expect(v.bodyHash?.slice(v.bodyHash.indexOf('+'))).toBe(firstHashes[i]?.slice(firstHashes[i]!.indexOf('+')));
      });
      expect(await run()).toEqual({ notModified: [true, true, true], ids: [], parsed: [], deferred: [] });
      // Other prefixes (other tokens, the same triples) and page 2 retitled: every page parsed; page
      // 1 and, after it proved unchanged, page 2 hashed before their graphs; page 3, after a
      // changed page, read the ordinary way.
      state.dct = 'dcterms';
      state.retitled = 2;
      expect(await run()).toEqual({ notModified: [true, false, true], ids: ['d3', 'd4'], parsed: [1, 2, 3], deferred: [true, true, false] });
    } finally {
      await pool.close();
    }
  });

  it('a page whose tokens hash was stored is never taken as unchanged once it comes back empty, truncated, as HTML or with NUL bytes', async () => {
    const good = `${TTL_PREFIXES}# généré\n${datasetsTtl(1, 2)}\n`;
    const state = { body: good, type: 'text/turtle' };
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': state.type });
      res.end(state.body);
    });
    const stored = new Map<string, PageValidators>();
    const run = async () => {
      const { events, error } = await collectUntilError({ url: `${s.base}/feed`, validators: async (url) => stored.get(url) });
      for (const pg of pages(events)) stored.set(pg.url, { nextUrl: pg.nextUrl ?? null, bodyHash: pg.bodyHash ?? null });
      return { notModified: pages(events).map((pg) => pg.notModified), ids: identifiers(events), problems: pages(events).flatMap((pg) => (pg.problems ?? []).map((p) => p.code)), error: error instanceof Error ? error.name : undefined };
    };
    expect(await run()).toMatchObject({ notModified: [false], ids: ['d1', 'd2'], error: undefined });
    const hashes = new Map(stored);
    const again = async (body: string, type = 'text/turtle') => {
      for (const [k, v] of hashes) stored.set(k, v);
      state.body = body;
      state.type = type;
      return run();
    };
    // Only the comment changed: not parsed, unchanged.
    expect(await again(good.replace('# généré', '# régénéré'))).toMatchObject({ notModified: [true], error: undefined });
    // Empty: read, no dataset (a warning), not unchanged.
    expect(await again('')).toMatchObject({ notModified: [false], ids: [], problems: ['no_datasets'], error: undefined });
    // Truncated inside a literal, HTML with status 200: read, and refused.
    expect(await again(good.slice(0, good.indexOf('"Jeu 2') + 4))).toMatchObject({ notModified: [], error: 'ParseError' });
    expect(await again('<html><body>Maintenance</body></html>', 'text/html')).toMatchObject({ notModified: [], error: 'ParseError' });
    // A NUL byte in an IRI (read leniently, as the IRI rules say): parsed and mapped again, not unchanged.
    expect(await again(good.replace('<https://x.ma/d/2>', '<https://x.ma/d/\u00002>'))).toMatchObject({ notModified: [false], ids: ['d1', 'd2'], error: undefined });
  });

  it('blank nodes are told by their place, not the parser\'s labels: a page of anonymous contact points read again is not mapped; a changed one is', async () => {
    const state = { comment: '', email: 'eau@x.ma' };
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/turtle' });
      res.end(
        `${TTL_PREFIXES}@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .\n${state.comment}` +
          [1, 2].map((i) => `<https://x.ma/d/${i}> a dcat:Dataset ; dct:identifier "d${i}" ; dct:title "Jeu ${i}"@fr ; dcat:contactPoint [ a vcard:Kind ; vcard:fn "Service ${i}" ; vcard:hasEmail <mailto:${state.email}> ] .`).join('\n'),
      );
    });
    const stored = new Map<string, PageValidators>();
    const run = async () => {
      const events = await collect({ url: `${s.base}/feed`, validators: async (url) => stored.get(url) });
      for (const pg of pages(events)) stored.set(pg.url, { nextUrl: pg.nextUrl ?? null, bodyHash: pg.bodyHash ?? null });
      return { notModified: pages(events).map((pg) => pg.notModified), ids: identifiers(events) };
    };
    expect(await run()).toEqual({ notModified: [false], ids: ['d1', 'd2'] });
    // Parsed again in this process (the parser's blank node counters have moved on), a comment added.
    state.comment = '# régénéré\n';
    expect(await run()).toEqual({ notModified: [true], ids: [] });
    // A blank node's triple changed.
    state.comment = '# encore\n';
    state.email = 'contact@x.ma';
    expect(await run()).toEqual({ notModified: [false], ids: ['d1', 'd2'] });
  });
});

describe('DCAT harvest: syntax negotiation', () => {
  const RDFXML = `<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dcat="http://www.w3.org/ns/dcat#" xmlns:dct="http://purl.org/dc/terms/">
  <dcat:Dataset rdf:about="https://x.ma/d/xml"><dct:title xml:lang="ar">جودة المياه</dct:title></dcat:Dataset>
</rdf:RDF>`;
  const JSONLD = JSON.stringify({
    '@context': { dcat: 'http://www.w3.org/ns/dcat#', dct: 'http://purl.org/dc/terms/' },
    '@id': 'https://x.ma/d/json',
    '@type': 'dcat:Dataset',
    'dct:title': { '@value': "Qualité de l'eau", '@language': 'fr' },
  });
  const TURTLE = `${TTL_PREFIXES}<https://x.ma/d/ttl> a dcat:Dataset ; dct:title "Turtle" .`;

  it('chooses the parser from Content-Type, then the extension, then the first bytes', async () => {
    const s = await serve(
      routes({
        // Content-Type wins over a misleading extension.
        '/looks-like.rdf': { headers: { 'content-type': 'text/turtle' }, body: TURTLE },
        // A useless Content-Type: the extension decides.
        '/catalog.rdf': { headers: { 'content-type': 'application/octet-stream' }, body: RDFXML },
        '/catalog.jsonld': { headers: { 'content-type': 'text/plain' }, body: JSONLD },
        // Neither helps: sniffed (a BOM and a stray newline before `<?xml` are tolerated).
        '/sniff-xml': { headers: { 'content-type': 'text/plain' }, body: `\uFEFF\n${RDFXML}` },
        '/sniff-json': { body: `\n${JSONLD}` },
        '/sniff-ttl': { body: TURTLE },
      }),
    );
    const cases: [string, string, string][] = [
      ['/looks-like.rdf', 'turtle', 'https://x.ma/d/ttl'],
      ['/catalog.rdf', 'rdfxml', 'https://x.ma/d/xml'],
      ['/catalog.jsonld', 'jsonld', 'https://x.ma/d/json'],
      ['/sniff-xml', 'rdfxml', 'https://x.ma/d/xml'],
      ['/sniff-json', 'jsonld', 'https://x.ma/d/json'],
      ['/sniff-ttl', 'turtle', 'https://x.ma/d/ttl'],
    ];
    for (const [path, format, id] of cases) {
      const events = await collect({ url: `${s.base}${path}` });
      expect([path, pages(events)[0]?.format, identifiers(events)]).toEqual([path, format, [id]]);
    }
  });

  it('uses the forced format from the source config', async () => {
    const s = await serve(routes({ '/feed': { headers: { 'content-type': 'text/html' }, body: RDFXML } }));
    const events = await collect({ url: `${s.base}/feed`, config: { format: 'rdfxml' } });
    expect(identifiers(events)).toEqual(['https://x.ma/d/xml']);
  });

  it('keeps multi-byte characters split across network chunks intact (RDF/XML)', async () => {
    const bytes = Buffer.from(RDFXML, 'utf8');
    const s = await serve(async (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/rdf+xml' });
      // Cut every few bytes so that Arabic characters (2 bytes each) straddle chunks.
      for (let i = 0; i < bytes.length; i += 7) {
        res.write(bytes.subarray(i, i + 7));
        if (i % 70 === 0) await sleep(1);
      }
      res.end();
    });
    const events = await collect({ url: `${s.base}/feed` });
    expect(batches(events)[0]?.records[0]?.title).toEqual({ ar: 'جودة المياه' });
  });

  it('decodes the charset the Content-Type or the XML declaration names', async () => {
    const latin1Xml = Buffer.from(RDFXML.replace('utf-8', 'ISO-8859-1').replace('xml:lang="ar">جودة المياه', 'xml:lang="fr">Qualité'), 'latin1');
    const latin1Ttl = Buffer.from(`${TTL_PREFIXES}<https://x.ma/d/1> a dcat:Dataset ; dct:title "Qualité"@fr .`, 'latin1');
    const s = await serve(
      routes({
        '/decl.rdf': { headers: { 'content-type': 'application/rdf+xml' }, body: latin1Xml },
        '/param.ttl': { headers: { 'content-type': 'text/turtle; charset=ISO-8859-1' }, body: latin1Ttl },
      }),
    );
    for (const path of ['/decl.rdf', '/param.ttl']) {
      const events = await collect({ url: `${s.base}${path}` });
      expect(batches(events)[0]?.records[0]?.title).toEqual({ fr: 'Qualité' });
    }
  });
});

describe('DCAT harvest: failures', () => {
  it('reports invalid Turtle as a ParseError naming the URL, syntax and line', async () => {
    const s = await serve(routes({ '/bad.ttl': { headers: { 'content-type': 'text/turtle' }, body: `${TTL_PREFIXES}<https://x.ma/c> a dcat:Catalog ;\n<https://x.ma/d> a dcat:Dataset .` } }));
    const { error } = await collectUntilError({ url: `${s.base}/bad.ttl` });
    expect(error).toBeInstanceOf(ParseError);
    expect((error as ParseError).permanent).toBe(true);
    expect((error as Error).message).toMatch(new RegExp(`could not parse Turtle from ${s.base}/bad.ttl at line 5`));
  });

  it('refuses remote JSON-LD contexts with a ParseError instead of fetching them', async () => {
    const doc = JSON.stringify({ '@context': `${'http://127.0.0.1:1'}/context.jsonld`, '@id': 'https://x.ma/d', '@type': 'Dataset' });
    const s = await serve(routes({ '/d.jsonld': { headers: { 'content-type': 'application/ld+json' }, body: doc } }));
    const { error } = await collectUntilError({ url: `${s.base}/d.jsonld` });
    expect(error).toBeInstanceOf(ParseError);
    expect((error as Error).message).toMatch(/JSON-LD.*remote @context http:\/\/127\.0\.0\.1:1\/context\.jsonld is not fetched/);
  });

  it('lets a body-size refusal through as FetchRefusedError, not a parse error', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/turtle' });
      res.end(TTL_PREFIXES + datasetsTtl(1, 200));
    });
    const { error } = await collectUntilError({ url: `${s.base}/big.ttl`, http: { ...loopbackHttp, maxBytes: 2048 } });
    expect(error).toBeInstanceOf(FetchRefusedError);
    expect((error as Error).message).toMatch(/limit of 2048 bytes \(maxBytes\)/);
  });

  it('rejects unknown config keys naming them, before any request', async () => {
    const s = await serve(routes({}));
    expect(() => dcatAdapter.parseConfig({ format: 'turtle', pageSise: 10, extra: true })).toThrow(/unknown key\(s\): pageSise, extra/);
    expect(() => dcatAdapter.parseConfig({ format: 'csv' })).toThrow(ConfigError);
    expect(dcatAdapter.parseConfig(undefined)).toEqual({});
    const { error } = await collectUntilError({ url: `${s.base}/x`, config: { nope: 1 } });
    expect(error).toBeInstanceOf(ConfigError);
    expect(s.requests).toHaveLength(0);
  });

  it('getAdapter names the known kinds for an unknown kind', () => {
    expect(getAdapter('dcat').kind).toBe(dcatAdapter.kind);
    expect(() => getAdapter('sparql')).toThrow(/unknown source kind "sparql"; known kinds: .*dcat/);
  });
});

describe('previewSource', () => {
  it('returns the first N records across pages, with problems and the page count', async () => {
    const s = await serve(hydraFeed('next'));
    const preview = await previewSource('dcat', `${s.base}/feed?page=1`, {}, { limit: 3, http: { allowPrivateHosts: true } });
    expect(preview.records.map((r) => r.identifier)).toEqual(['d1', 'd2', 'd3']);
    expect(preview.pages).toBe(2);
    expect(preview.problems).toEqual([]);
    // It stopped without reading page 3.
    expect(s.requests).toHaveLength(2);
  });

  it('refuses private hosts by default', async () => {
    const s = await serve(hydraFeed('next'));
    await expect(previewSource('dcat', `${s.base}/feed?page=1`, {})).rejects.toThrow(/loopback/);
  });
});

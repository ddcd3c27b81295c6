import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, FetchStatusError, LimitExceededError, PagingError, ParseError, isPermanent } from '@hasad/core';
import { loopbackHttp, startLoopback } from '@hasad/sources/testing';
import type { Handler, Loopback } from '@hasad/sources/testing';
import { getAdapter, harvestWithConfig } from '../index.ts';
import { previewSource } from '../../preview.ts';
import type { BatchEvent, ConfiguredHarvestOptions, HarvestEvent, HarvestOptions, PageValidators } from '../../types.ts';
import { ckanAdapter } from './index.ts';
import { CkanApiError } from './parse.ts';
import type { CkanHarvestOptions, CkanPageEvent } from './client.ts';
import { fullRunDue, INCREMENTAL_OVERLAP_MS, nextStart, portalBase } from './client.ts';
import { parseCkanConfig } from './config.ts';

const repoRoot = fileURLToPath(new URL('../../../../../', import.meta.url));
const conformance = path.resolve(repoRoot, '..', 'shared', 'conformance');
const haveConformance = existsSync(conformance);
if (!haveConformance) console.warn(`SKIPPED CKAN client conformance tests: ${conformance} not found`);

let server: Loopback | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(handler: Handler): Promise<Loopback> {
  server = await startLoopback(handler);
  return server;
}

const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** A CKAN package as package_search returns it, with French and Arabic titles. */
function ckanPackage(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: uuid(i),
    name: `jeu-${i}`,
    title: `Jeu de données ${i}`,
    title_translated: { fr: `Jeu de données ${i}`, ar: `مجموعة البيانات ${i}` },
    notes: `Description du jeu ${i}`,
    state: 'active',
    private: false,
    type: 'dataset',
    metadata_created: '2024-01-02T03:04:05.678901',
    metadata_modified: '2024-05-06T07:08:09.123456',
    organization: { name: 'ministere', title: 'Ministère' },
    tags: [{ name: 'eau', vocabulary_id: null }],
    resources: [{ id: `r-${i}`, url: `https://data.example.ma/files/${i}.csv`, format: 'CSV', mimetype: 'text/csv', size: 100 + i }],
    ...extra,
  };
}

interface PortalOptions {
  packages: Record<string, unknown>[];
  /** Answer `result: [...]` as DKAN does, without count. */
  listShaped?: boolean;
  /** Serve the first page whatever `start` says (a broken portal). */
  ignoreStart?: boolean;
  /** The portal's ckan.search.rows_max. */
  rowsMax?: number;
  /** Send an ETag and answer If-None-Match with 304. */
  etags?: boolean;
  /** Override the answer for a given start. */
  answer?: (start: number) => { status: number; body: unknown } | undefined;
}

/** A CKAN Action API on loopback under `/data`: package_search sorted by id, paged by rows/start. */
function ckanPortal(o: PortalOptions): Handler {
  return (req, res) => {
    const u = new URL(req.url ?? '/', 'http://loopback');
    if (u.pathname !== '/data/api/3/action/package_search') {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html>not here</html>');
      return;
    }
    const rows = Number(u.searchParams.get('rows') ?? 10);
    const start = Number(u.searchParams.get('start') ?? 0);
    const special = o.answer?.(start);
    if (special !== undefined) {
      res.writeHead(special.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(special.body));
      return;
    }
    const sorted = [...o.packages].sort((a, b) => String(a['id']).localeCompare(String(b['id'])));
    const from = o.ignoreStart === true ? 0 : start;
    const results = sorted.slice(from, from + Math.min(rows, o.rowsMax ?? 1000));
    const body = JSON.stringify(
      o.listShaped === true
        ? { help: 'dkan', success: true, result: results }
        : { help: 'https://ckan.example/api/3/action/help_show?name=package_search', success: true, result: { count: sorted.length, sort: u.searchParams.get('sort'), results } },
    );
    const etag = `"p${start}-${sorted.length}"`;
    if (o.etags === true && req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag });
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json;charset=utf-8', ...(o.etags === true && { etag }) });
    res.end(body);
  };
}

async function collect(opts: Partial<CkanHarvestOptions & ConfiguredHarvestOptions> & { url: string }): Promise<HarvestEvent[]> {
  const events: HarvestEvent[] = [];
  for await (const ev of harvestWithConfig(ckanAdapter, { config: {}, http: loopbackHttp, ...opts } as ConfiguredHarvestOptions)) events.push(ev);
  return events;
}

async function collectError(opts: Partial<CkanHarvestOptions & ConfiguredHarvestOptions> & { url: string }): Promise<{ events: HarvestEvent[]; error: unknown }> {
  const events: HarvestEvent[] = [];
  try {
    for await (const ev of harvestWithConfig(ckanAdapter, { config: {}, http: loopbackHttp, ...opts } as ConfiguredHarvestOptions)) events.push(ev);
  } catch (error) {
    return { events, error };
  }
  return { events, error: undefined };
}

const pages = (events: HarvestEvent[]) => events.filter((e): e is CkanPageEvent => e.type === 'page');
const batches = (events: HarvestEvent[]) => events.filter((e): e is BatchEvent => e.type === 'batch');
const ids = (events: HarvestEvent[]) => batches(events).flatMap((b) => b.records.map((r) => r.identifier));
const query = (s: Loopback) => s.requests.map((r) => Object.fromEntries(new URL(r.path, 'http://x').searchParams));

describe('CKAN harvest: paging package_search', () => {
  it('reads 250 packages in pages of 100 with rows/start/sort, French and Arabic titles intact', async () => {
    const s = await serve(ckanPortal({ packages: Array.from({ length: 250 }, (_, i) => ckanPackage(i + 1)) }));
    const events = await collect({ url: `${s.base}/data`, config: { rows: 100 } });

    expect(query(s)).toEqual([
      { q: '*:*', rows: '100', start: '0', sort: 'id asc' },
      { q: '*:*', rows: '100', start: '100', sort: 'id asc' },
      { q: '*:*', rows: '100', start: '200', sort: 'id asc' },
    ]);
    expect(s.requests[0]?.headers['accept']).toBe('application/json');
    const api = `${s.base}/data/api/3/action/package_search?q=*%3A*&rows=100`;
    expect(pages(events).map((p) => [p.pageNo, p.url, p.nextUrl])).toEqual([
      [1, `${api}&start=0&sort=id+asc`, `${api}&start=100&sort=id+asc`],
      [2, `${api}&start=100&sort=id+asc`, `${api}&start=200&sort=id+asc`],
      [3, `${api}&start=200&sort=id+asc`, undefined],
    ]);
    expect(pages(events).map((p) => [p.recordCount, p.notModified, p.format, p.problems])).toEqual([
      [100, false, 'ckan', undefined],
      [100, false, 'ckan', undefined],
      [50, false, 'ckan', undefined],
    ]);
    const all = batches(events).flatMap((b) => b.records);
    expect(all.map((r) => r.identifier)).toEqual(Array.from({ length: 250 }, (_, i) => uuid(i + 1)));
    expect(all[41]).toMatchObject({
      identifier: uuid(42),
      uri: `${s.base}/data/dataset/jeu-42`,
      title: { ar: 'مجموعة البيانات 42', fr: 'Jeu de données 42' },
      publisher: { name: { fr: 'Ministère' }, uri: `${s.base}/data/organization/ministere` },
      modified: '2024-05-06T07:08:09.123456Z',
      distributions: [{ accessUrl: 'https://data.example.ma/files/42.csv', format: 'CSV', mediaType: 'text/csv', byteSize: 142 }],
    });
  });

  it('does not ask for a page past the count', async () => {
    const s = await serve(ckanPortal({ packages: Array.from({ length: 200 }, (_, i) => ckanPackage(i)) }));
    const events = await collect({ url: `${s.base}/data`, config: { rows: 100 } });
    expect(query(s).map((q) => q['start'])).toEqual(['0', '100']);
    expect(ids(events)).toHaveLength(200);
    expect(pages(events).at(-1)?.nextUrl).toBeUndefined();
  });

  it('accepts the API URL as source URL; its query is ignored with a warning; batches split big pages', async () => {
    const s = await serve(ckanPortal({ packages: Array.from({ length: 5 }, (_, i) => ckanPackage(i)) }));
    const events = await collect({ url: `${s.base}/data/api/3/action/package_search?fq=tags:eau`, config: { rows: 10, fq: 'organization:ministere', sort: 'name asc' }, batchSize: 2 });
    expect(query(s)).toEqual([{ q: '*:*', rows: '10', start: '0', sort: 'name asc', fq: 'organization:ministere' }]);
    expect(batches(events).map((b) => [b.batchNo, b.records.length])).toEqual([
      [0, 2],
      [1, 2],
      [2, 1],
    ]);
    expect(pages(events)[0]).toMatchObject({ batchCount: 3, recordCount: 5 });
    expect(pages(events)[0]?.problems).toEqual([expect.objectContaining({ severity: 'warning', code: 'source_url_query_ignored' })]);
    // Record URIs are built from the portal, not from the API URL.
    expect(batches(events)[0]?.records[0]?.uri).toBe(`${s.base}/data/dataset/jeu-0`);
  });

  it('skips private and deleted packages with info problems; a package without title is invalid but seen', async () => {
    const packages = [ckanPackage(1), ckanPackage(2, { private: true }), ckanPackage(3, { state: 'deleted' }), ckanPackage(4, { title: '', title_translated: {} }), ckanPackage(5)];
    const s = await serve(ckanPortal({ packages }));
    const events = await collect({ url: `${s.base}/data` });
    expect(ids(events)).toEqual([uuid(1), uuid(5)]);
    const problems = batches(events).flatMap((b) => b.problems);
    expect(problems.map((p) => `${p.severity}:${p.code}:${p.identifier}`)).toEqual([`info:private_package:${uuid(2)}`, `info:package_not_active:${uuid(3)}`, `error:missing_title:${uuid(4)}`]);
    expect(batches(events).flatMap((b) => b.invalidIdentifiers)).toEqual([uuid(4)]);
  });

  it('stops at a repeated page (a portal ignoring start) with a paging_loop warning', async () => {
    const s = await serve(ckanPortal({ packages: Array.from({ length: 30 }, (_, i) => ckanPackage(i)), ignoreStart: true }));
    const events = await collect({ url: `${s.base}/data`, config: { rows: 10 } });
    expect(query(s).map((q) => q['start'])).toEqual(['0', '10']);
    expect(ids(events)).toHaveLength(10);
    const [first, second] = pages(events);
    expect(first?.nextUrl).toContain('start=10');
    expect(second).toMatchObject({ pageNo: 2, batchCount: 0, recordCount: 0 });
    expect(second?.nextUrl).toBeUndefined();
    expect(second?.problems).toEqual([expect.objectContaining({ severity: 'warning', code: 'paging_loop' })]);
    // 20 packages were never listed: this run must not withdraw them.
    expect(pages(events).map((p) => p.listing)).toEqual([undefined, 'partial']);
  });

  it('goes on past short pages when the count says there is more (rows capped by the portal)', async () => {
    const s = await serve(ckanPortal({ packages: Array.from({ length: 25 }, (_, i) => ckanPackage(i)), rowsMax: 10 }));
    const events = await collect({ url: `${s.base}/data`, config: { rows: 20 } });
    expect(query(s).map((q) => q['start'])).toEqual(['0', '10', '20']);
    expect(ids(events)).toHaveLength(25);
    expect(pages(events)[0]?.problems).toEqual([expect.objectContaining({ code: 'short_page' })]);
  });

  it('warns when the count changes while paging; a fall marks the listing partial', async () => {
    const packages = Array.from({ length: 20 }, (_, i) => ckanPackage(i));
    const s = await serve((req, res, base) => {
      const handler = ckanPortal({ packages });
      if ((req.url ?? '').includes('start=10')) packages.push(ckanPackage(99));
      return handler(req, res, base);
    });
    const events = await collect({ url: `${s.base}/data`, config: { rows: 10 } });
    expect(pages(events).flatMap((p) => p.problems ?? []).map((p) => p.code)).toEqual(['count_changed']);
    // An addition can only make a package read twice: the listing is still complete.
    expect(pages(events).map((p) => p.listing)).toEqual([undefined, undefined, undefined]);

    await s.close();
    const shrinking = Array.from({ length: 20 }, (_, i) => ckanPackage(i));
    const t = await serve((req, res, base) => {
      // Package 0 is deleted after page 1 was read: package 10 moves to page 1 and is never listed.
      if ((req.url ?? '').includes('start=10')) shrinking.splice(0, 1);
      return ckanPortal({ packages: shrinking })(req, res, base);
    });
    const after = await collect({ url: `${t.base}/data`, config: { rows: 10 } });
    expect(ids(after)).not.toContain(uuid(10));
    expect(pages(after).map((p) => p.listing)).toEqual([undefined, 'partial']);
  });

  it('reads DKAN list-shaped results (no count): stops at the first short page', async () => {
    const s = await serve(ckanPortal({ packages: Array.from({ length: 7 }, (_, i) => ckanPackage(i, { state: 'Active' })), listShaped: true }));
    const events = await collect({ url: `${s.base}/data`, config: { rows: 3 } });
    expect(query(s).map((q) => q['start'])).toEqual(['0', '3', '6']);
    expect(ids(events)).toHaveLength(7);
    expect(pages(events).map((p) => p.format)).toEqual(['ckan-list', 'ckan-list', 'ckan-list']);
  });

  it.skipIf(!haveConformance)('reads the real DKAN answer (list result, French dates, private package skipped)', async () => {
    const body = readFileSync(path.join(conformance, 'ckan-api/dkan-french-w-license.json'), 'utf8');
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
    const events = await collect({ url: `${s.base}/data`, config: { rows: 100 } });
    expect(pages(events)).toHaveLength(1);
    expect(pages(events)[0]).toMatchObject({ format: 'ckan-list', recordCount: 0 });
    expect(pages(events)[0]?.nextUrl).toBeUndefined();
    expect(batches(events).flatMap((b) => b.problems)).toEqual([expect.objectContaining({ severity: 'info', code: 'private_package', identifier: '04be6288-696d-4331-850d-a144871a7e3a' })]);
  });
});

describe('CKAN harvest: errors', () => {
  it('a success:false envelope is a permanent CkanApiError carrying CKAN\'s message', async () => {
    const s = await serve(
      ckanPortal({
        packages: Array.from({ length: 30 }, (_, i) => ckanPackage(i)),
        answer: (start) => (start === 10 ? { status: 200, body: { help: 'h', success: false, error: { __type: 'Search Query Error', message: 'Search Query is invalid: "Invalid sort field"' } } } : undefined),
      }),
    );
    const { events, error } = await collectError({ url: `${s.base}/data`, config: { rows: 10 } });
    expect(ids(events)).toHaveLength(10);
    expect(error).toBeInstanceOf(CkanApiError);
    expect(isPermanent(error)).toBe(true);
    expect((error as CkanApiError).code).toBe('ckan_api_error');
    expect((error as Error).message).toContain('Search Query Error: Search Query is invalid: "Invalid sort field"');
  });

  it('a 409 with a CKAN envelope names CKAN\'s message; a 500 stays a transient fetch error', async () => {
    const s = await serve(
      ckanPortal({
        packages: [],
        answer: (start) =>
          start === 0
            ? { status: 409, body: { success: false, error: { __type: 'Validation Error', message: 'rows: Must be less than or equal to 100' } } }
            : { status: 500, body: { success: false, error: { message: 'Internal' } } },
      }),
    );
    const conflict = await collectError({ url: `${s.base}/data` });
    expect(conflict.error).toBeInstanceOf(CkanApiError);
    expect((conflict.error as Error).message).toContain('HTTP 409: rows: Must be less than or equal to 100');

    const failing = await collectError({ url: `${s.base}/data`, start: { pageNo: 2, url: `${s.base}/data/api/3/action/package_search?q=*%3A*&rows=100&start=100&sort=id+asc` } });
    expect(failing.error).toBeInstanceOf(FetchStatusError);
    expect(isPermanent(failing.error)).toBe(false);
  });

  it('an HTML answer (wrong base URL) is a ParseError that says so', async () => {
    const s = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><html><body>Portail</body></html>');
    });
    const { error } = await collectError({ url: `${s.base}/data` });
    expect(error).toBeInstanceOf(ParseError);
    expect((error as Error).message).toContain('looks like HTML');
  });

  it('refuses a bad config before any request, naming every bad key', async () => {
    const s = await serve(ckanPortal({ packages: [] }));
    expect(() => harvestWithConfig(ckanAdapter, { url: `${s.base}/data`, config: { rows: 5000, colour: 'blue', incremental: { enabled: true, sinse: 'x' } }, http: loopbackHttp })).toThrow(ConfigError);
    let err: unknown;
    try {
      ckanAdapter.parseConfig({ rows: 5000, colour: 'blue', sort: 'id; drop', incremental: { enabled: true, sinse: 'x' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('unknown key(s): colour');
    expect((err as Error).message).toContain('unknown key(s): incremental.sinse');
    expect((err as Error).message).toMatch(/rows: .*1000/);
    expect((err as Error).message).toContain('sort: must be Solr sort clauses');
    expect(() => harvestWithConfig(ckanAdapter, { url: 'ftp://portal.ma/data', config: {}, http: loopbackHttp })).toThrow(ConfigError);
    expect(s.requests).toHaveLength(0);
    expect(ckanAdapter.parseConfig(undefined)).toEqual({ rows: 100, sort: 'id asc', language: 'fr' });
    expect(ckanAdapter.parseConfig({ language: 'AR', incremental: { enabled: true, since: '2024-01-01' } })).toEqual({
      rows: 100,
      sort: 'id asc',
      language: 'ar',
      incremental: { enabled: true, since: '2024-01-01' },
    });
  });
});

describe('CKAN harvest: pages under the parsing limits', () => {
  /** A portal whose page at `start` (default 10) is `raw` (already JSON text); the other pages are healthy. */
  function rawAt(raw: string, start = 10): Handler {
    const healthy = ckanPortal({ packages: Array.from({ length: 30 }, (_, i) => ckanPackage(i)) });
    return (req, res, base) => {
      if (new URL(req.url ?? '/', 'http://x').searchParams.get('start') !== String(start)) return healthy(req, res, base);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(raw);
    };
  }
  const envelope = (results: string) => `{"help": "h", "success": true, "result": {"count": 30, "results": ${results}}}`;

  it('a page nested deeper than maxDepth fails with limit_exceeded naming HASAD_PARSE_MAX_DEPTH, after the pages before', async () => {
    const s = await serve(rawAt(envelope(`[{"id": "x", "extras": ${'['.repeat(5000)}${']'.repeat(5000)}}]`)));
    const { events, error } = await collectError({ url: `${s.base}/data`, config: { rows: 10 } });
    expect(ids(events)).toHaveLength(10);
    expect(error).toBeInstanceOf(LimitExceededError);
    expect(isPermanent(error)).toBe(true);
    expect((error as Error).message).toMatch(/^CKAN JSON from \S+start=10\S* exceeds HASAD_PARSE_MAX_DEPTH \(100\): JSON arrays and objects nested more than 100 deep at line 1, column \d+$/);
    expect((error as LimitExceededError).context).toMatchObject({ limit: 'HASAD_PARSE_MAX_DEPTH', max: 100, parseLimit: 'maxDepth' });
  });

  it('a string longer than maxTokenBytes fails with limit_exceeded naming HASAD_PARSE_MAX_TOKEN_BYTES', async () => {
    const s = await serve(rawAt(envelope(`[{"id": "x", "notes": "${'a'.repeat(5000)}"}]`)));
    const { error } = await collectError({ url: `${s.base}/data`, config: { rows: 10 }, limits: { maxTokenBytes: 4096 } });
    expect(error).toBeInstanceOf(LimitExceededError);
    expect((error as Error).message).toMatch(/exceeds HASAD_PARSE_MAX_TOKEN_BYTES \(4096\): a JSON string longer than 4096 characters at line 1, column \d+$/);
  });

  it('a page listing more than maxRecordsPerPage fails whole, before any of its packages is handed on', async () => {
    const s = await serve(ckanPortal({ packages: Array.from({ length: 30 }, (_, i) => ckanPackage(i)) }));
    const { events, error } = await collectError({ url: `${s.base}/data`, config: { rows: 20 }, batchSize: 5, limits: { maxRecordsPerPage: 12 } });
    expect(events).toEqual([]);
    expect(error).toBeInstanceOf(LimitExceededError);
    expect((error as Error).message).toMatch(/^page 1 from \S+ exceeds HASAD_PARSE_MAX_RECORDS_PER_PAGE \(12\): it lists more than 12 records \(20\)$/);
  });

  it('a preview of such a portal fails with the limit', async () => {
    const s = await serve(rawAt(envelope(`[${'['.repeat(200)}${']'.repeat(200)}]`), 0));
    const error = await previewSource('ckan', `${s.base}/data`, { rows: 10 }, { limit: 50, http: { allowPrivateHosts: true } }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(LimitExceededError);
    expect((error as Error).message).toMatch(/^CKAN JSON from \S+ exceeds HASAD_PARSE_MAX_DEPTH \(100\): JSON arrays and objects nested more than 100 deep/);
  });
});

describe('CKAN harvest: resume, conditional requests, incremental', () => {
  it('resumes at the checkpointed next page with its page number', async () => {
    const s = await serve(ckanPortal({ packages: Array.from({ length: 250 }, (_, i) => ckanPackage(i + 1)) }));
    const full = await collect({ url: `${s.base}/data`, config: { rows: 100 } });
    const checkpoint = pages(full)[0] as CkanPageEvent;
    s.requests.length = 0;

    // Config changed since the run began: the resumed run keeps its own rows.
    const events = await collect({ url: `${s.base}/data`, config: { rows: 50 }, start: { pageNo: 2, url: checkpoint.nextUrl as string }, visited: [checkpoint.url] });
    expect(query(s).map((q) => [q['start'], q['rows']])).toEqual([
      ['100', '100'],
      ['200', '100'],
    ]);
    expect(pages(events).map((p) => p.pageNo)).toEqual([2, 3]);
    expect(ids(events)).toEqual(Array.from({ length: 150 }, (_, i) => uuid(i + 101)));
  });

  it('more pages than maxPages is a PagingError after the last allowed page', async () => {
    const s = await serve(ckanPortal({ packages: Array.from({ length: 25 }, (_, i) => ckanPackage(i)) }));
    const { events, error } = await collectError({ url: `${s.base}/data`, config: { rows: 10 }, maxPages: 2 });
    expect(error).toBeInstanceOf(PagingError);
    expect(pages(events)).toHaveLength(2);
  });

  it('a fresh run is given the source URL as start: it builds page 1 from the config', async () => {
    const s = await serve(ckanPortal({ packages: [ckanPackage(1)] }));
    const events = await collect({ url: `${s.base}/data`, start: { pageNo: 1, url: `${s.base}/data` } });
    expect(ids(events)).toEqual([uuid(1)]);
  });

  it('sends validators and reports 304 pages as not modified, going on with the stored next page', async () => {
    const s = await serve(ckanPortal({ packages: Array.from({ length: 15 }, (_, i) => ckanPackage(i)), etags: true }));
    const firstRun = await collect({ url: `${s.base}/data`, config: { rows: 10 } });
    const stored = new Map<string, PageValidators>(pages(firstRun).map((p) => [p.url, { etag: p.etag ?? null, nextUrl: p.nextUrl ?? null }]));
    expect(stored.size).toBe(2);
    s.requests.length = 0;
    const events = await collect({ url: `${s.base}/data`, config: { rows: 10 }, validators: async (url) => stored.get(url) });
    expect(s.requests.map((r) => r.headers['if-none-match'])).toEqual(['"p0-15"', '"p10-15"']);
    expect(pages(events).map((p) => [p.notModified, p.recordCount])).toEqual([
      [true, 0],
      [true, 0],
    ]);
    expect(pages(events)[0]?.nextUrl).toBe(pages(firstRun)[0]?.nextUrl);
    expect(batches(events)).toEqual([]);
  });

  it('a stored next page that points back to a page already read stops paging and marks the listing partial', async () => {
    const s = await serve(ckanPortal({ packages: Array.from({ length: 15 }, (_, i) => ckanPackage(i)), etags: true }));
    const firstRun = await collect({ url: `${s.base}/data`, config: { rows: 10 } });
    const [p1] = pages(firstRun);
    // Page 1 answers 304 and its stored next page is page 1 itself: what lies after it is unknown.
    const stored = new Map<string, PageValidators>([[p1!.url, { etag: p1!.etag ?? null, nextUrl: p1!.url }]]);
    const events = await collect({ url: `${s.base}/data`, config: { rows: 10 }, validators: async (url) => stored.get(url) });
    expect(pages(events).map((p) => [p.notModified, p.listing, p.problems?.map((x) => x.code)])).toEqual([[true, 'partial', ['paging_loop']]]);
  });

  it('incremental: lists packages modified since the last complete run (less the overlap), marked partial', async () => {
    const s = await serve(ckanPortal({ packages: [ckanPackage(1)] }));
    const last = '2024-06-01T12:00:00.000Z';
    const events = await collect({ url: `${s.base}/data`, config: { fq: 'organization:ministere', incremental: { enabled: true, since: '2024-01-01' } }, lastCompleteRunAt: last });
    const since = new Date(Date.parse(last) - INCREMENTAL_OVERLAP_MS).toISOString();
    expect(query(s)[0]?.['fq']).toBe(`+(organization:ministere) +metadata_modified:[${since} TO *]`);
    expect(pages(events)[0]?.listing).toBe('partial');
    expect(pages(events)[0]?.problems).toEqual([expect.objectContaining({ severity: 'info', code: 'incremental_listing' })]);

    // A resumed incremental run is still partial: the URL carries the filter.
    s.requests.length = 0;
    const resumed = await collect({ url: `${s.base}/data`, config: {}, start: { pageNo: 2, url: pages(events)[0]?.url as string } });
    expect(pages(resumed)[0]?.listing).toBe('partial');
  });

  it('incremental with nothing modified is not an empty portal', async () => {
    const s = await serve(ckanPortal({ packages: [] }));
    const events = await collect({ url: `${s.base}/data`, config: { incremental: { enabled: true } }, lastCompleteRunAt: '2024-06-01T12:00:00Z' });
    expect(pages(events)[0]?.problems?.map((p) => `${p.severity}:${p.code}`)).toEqual(['info:incremental_listing', 'info:no_changes']);
    const full = await collect({ url: `${s.base}/data` });
    expect(pages(full)[0]?.problems?.map((p) => `${p.severity}:${p.code}`)).toEqual(['warning:no_datasets']);
  });

  it('incremental without a previous run or since lists everything, and says so', async () => {
    const s = await serve(ckanPortal({ packages: [ckanPackage(1)] }));
    const events = await collect({ url: `${s.base}/data`, config: { incremental: { enabled: true } } });
    expect(query(s)[0]?.['fq']).toBeUndefined();
    expect(pages(events)[0]?.listing).toBeUndefined();
    expect(pages(events)[0]?.problems).toEqual([expect.objectContaining({ severity: 'info', code: 'incremental_full_run' })]);
    // config.since alone is used as given.
    s.requests.length = 0;
    await collect({ url: `${s.base}/data`, config: { incremental: { enabled: true, since: '2024-03-01T10:00:00+01:00' } } });
    expect(query(s)[0]?.['fq']).toBe('metadata_modified:[2024-03-01T09:00:00.000Z TO *]');
  });
});

describe('CKAN scheduled full listing (incremental.fullEveryHours / fullEveryRuns)', () => {
  const last = '2024-06-01T12:00:00.000Z';
  const hour = 3_600_000;
  const cfg = (incremental: Record<string, unknown>) => parseCkanConfig({ incremental: { enabled: true, ...incremental } });

  it('is due after fullEveryHours since the last complete run, or on the fullEveryRuns-th run, whichever first', () => {
    const weekly = cfg({ fullEveryHours: 168 });
    expect(fullRunDue(weekly, { lastCompleteRunAt: last, now: Date.parse(last) + 167 * hour })).toBeUndefined();
    expect(fullRunDue(weekly, { lastCompleteRunAt: last, now: Date.parse(last) + 168 * hour })).toContain('fullEveryHours');
    const oneInThree = cfg({ fullEveryRuns: 3 });
    const now = Date.parse(last) + hour;
    expect(fullRunDue(oneInThree, { lastCompleteRunAt: last, runsSinceLastCompleteRun: 1, now })).toBeUndefined();
    expect(fullRunDue(oneInThree, { lastCompleteRunAt: last, runsSinceLastCompleteRun: 2, now })).toContain('one run in 3 is full');
    const both = cfg({ fullEveryHours: 24, fullEveryRuns: 10 });
    expect(fullRunDue(both, { lastCompleteRunAt: last, runsSinceLastCompleteRun: 0, now: Date.parse(last) + 25 * hour })).toContain('fullEveryHours');
    expect(fullRunDue(both, { lastCompleteRunAt: last, runsSinceLastCompleteRun: 9, now })).toContain('fullEveryRuns');
    // With a schedule, a source that never had a complete run starts with a full one, whatever `since` says.
    expect(fullRunDue(cfg({ fullEveryHours: 24, since: '2024-01-01' }), { now })).toBe('the source has no complete run yet');
    // Without a schedule, or not incremental: never forced.
    expect(fullRunDue(cfg({}), { lastCompleteRunAt: last, runsSinceLastCompleteRun: 100, now: now + 1000 * hour })).toBeUndefined();
    expect(fullRunDue(parseCkanConfig({ incremental: { enabled: false, fullEveryRuns: 1 } }), { lastCompleteRunAt: last, now })).toBeUndefined();
  });

  it('refuses a schedule that is not a positive number, naming the field', () => {
    expect(() => parseCkanConfig({ incremental: { enabled: true, fullEveryHours: 0 } })).toThrow(/incremental\.fullEveryHours: must be a number of hours above 0/);
    expect(() => parseCkanConfig({ incremental: { enabled: true, fullEveryRuns: 2.5 } })).toThrow(/incremental\.fullEveryRuns: must be a whole number/);
    expect(() => parseCkanConfig({ incremental: { enabled: true, fullEvery: 7 } })).toThrow(/unknown key\(s\): incremental\.fullEvery/);
  });

  it('a due run lists the whole portal, unfiltered and complete, and says why', async () => {
    const s = await serve(ckanPortal({ packages: [ckanPackage(1)] }));
    const config = { incremental: { enabled: true, fullEveryHours: 168 } };
    const events = await collect({ url: `${s.base}/data`, config, lastCompleteRunAt: last, now: Date.parse(last) + 200 * hour });
    expect(query(s)[0]?.['fq']).toBeUndefined();
    expect(pages(events)[0]?.listing).toBeUndefined();
    expect(pages(events)[0]?.problems).toEqual([expect.objectContaining({ severity: 'info', code: 'incremental_full_run', message: expect.stringContaining('scheduled full listing') })]);
    s.requests.length = 0;
    const soon = await collect({ url: `${s.base}/data`, config, lastCompleteRunAt: last, now: Date.parse(last) + 2 * hour });
    expect(query(s)[0]?.['fq']).toMatch(/^metadata_modified:\[/);
    expect(pages(soon)[0]?.listing).toBe('partial');
  });
});

describe('CKAN adapter wiring', () => {
  it('is the adapter of kind ckan, and previewSource works with it', async () => {
    expect(getAdapter('ckan').kind).toBe(ckanAdapter.kind);
    const s = await serve(ckanPortal({ packages: Array.from({ length: 30 }, (_, i) => ckanPackage(i)) }));
    const preview = await previewSource('ckan', `${s.base}/data`, { rows: 10 }, { limit: 12, http: { allowPrivateHosts: true } });
    expect(preview.records).toHaveLength(12);
    expect(preview.pages).toBe(2);
  });

  it('normalises portal URLs', () => {
    expect(portalBase('https://data.gov.ma/data').portal).toBe('https://data.gov.ma/data');
    expect(portalBase('https://data.gov.ma/data/').portal).toBe('https://data.gov.ma/data');
    expect(portalBase('https://data.gov.ma/data/api/3/action/package_search?q=x')).toEqual({ portal: 'https://data.gov.ma/data', droppedQuery: true });
    expect(portalBase('https://user:secret@ckan.example/api/action/package_list').portal).toBe('https://ckan.example');
    expect(portalBase('https://ckan.example/api/3').portal).toBe('https://ckan.example');
  });

  it('paging rules', () => {
    expect(nextStart({ start: 0, rows: 100, returned: 100, count: 250 })).toEqual({ next: 100 });
    expect(nextStart({ start: 200, rows: 100, returned: 50, count: 250 })).toEqual({});
    expect(nextStart({ start: 100, rows: 100, returned: 100, count: 200 })).toEqual({});
    expect(nextStart({ start: 0, rows: 100, returned: 0, count: 0 })).toEqual({});
    expect(nextStart({ start: 0, rows: 3, returned: 3 })).toEqual({ next: 3 });
    expect(nextStart({ start: 3, rows: 3, returned: 2 })).toEqual({});
    expect(nextStart({ start: 300, rows: 100, returned: 0, count: 400 }).problem?.code).toBe('short_page');
  });
});

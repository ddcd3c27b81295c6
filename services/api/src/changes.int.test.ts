import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization, createRun, createSource, finaliseRun, loadBatch, markFetchDone, pruneChanges, recordPage, type LoadRecord } from '@hasad/db';
import { prepareRecord } from '@hasad/pipeline';
import { startApiHarness, type ApiHarness } from './test-harness.ts';

// The change feed (GET /api/v1/changes) and conditional requests (ETag, Last-Modified, 304)
// on datasets, listings and the feed, over changes made by the loader and finalise.

let h: ApiHarness;
let sourceId: string;

const rec = (i: number, v = 1): LoadRecord => ({
  identifier: `id-${i}`,
  uri: `https://example.ma/d/${i}`,
  hash: `h-${i}-${v}`,
  modifiedAt: '2026-11-01T00:00:00Z',
  record: { identifier: `id-${i}`, title: { fr: `Jeu ${i} v${v}` }, description: {}, keywords: {}, themes: [], spatial: [], temporal: [], language: [], distributions: [] },
});

/** One complete run of the source listing exactly `records` (so finalise withdraws the rest). */
async function harvest(records: LoadRecord[]) {
  const run = await createRun(h.deps.db, sourceId, 'manual');
  await loadBatch(h.db, { runId: run.id, sourceId, pageNo: 1, batchNo: 0, records, problems: [], invalidIdentifiers: [] }, prepareRecord);
  await recordPage(h.deps.db, run.id, sourceId, { pageNo: 1, url: 'https://example.ma/feed', notModified: false, batchCount: 1, recordCount: records.length, bytes: 0 });
  await markFetchDone(h.deps.db, run.id);
  return finaliseRun(h.db, run.id, { withdrawThreshold: 1 });
}

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await h.app.inject({ method: 'GET', url, headers });
  return { status: res.statusCode, headers: res.headers, body: res.body ? res.json() : undefined, raw: res.body };
}

interface Change {
  seq: number;
  kind: string;
  datasetId: string;
  sourceId: string;
  at: string;
}

/** Reads the feed from `since` in pages of `limit` until it has nothing new. */
async function readFeed(since: string | undefined, limit: number): Promise<{ items: Change[]; cursor: string }> {
  const items: Change[] = [];
  let cursor = since;
  for (;;) {
    const { status, body } = await get(`/api/v1/changes?limit=${limit}${cursor ? `&since=${cursor}` : ''}`);
    expect(status).toBe(200);
    items.push(...body.items);
    const done = body.items.length < limit;
    cursor = body.nextCursor;
    if (done) return { items, cursor: cursor! };
  }
}

/**
 * Reads until `n` changes arrived. A change shows once every older transaction of the
 * PostgreSQL server has ended; other test files share the server, so this may take a moment.
 */
async function readAtLeast(since: string | undefined, n: number, limit = 2): Promise<{ items: Change[]; cursor: string }> {
  const items: Change[] = [];
  let cursor = since;
  for (let attempt = 0; attempt < 200; attempt++) {
    const page = await readFeed(cursor, limit);
    items.push(...page.items);
    cursor = page.cursor;
    if (items.length >= n) return { items, cursor };
    await new Promise((r) => setTimeout(r, 50));
  }
  return { items, cursor: cursor! };
}

const identifierOf = async (datasetId: string) => (await h.pool.query('SELECT source_identifier FROM datasets WHERE id = $1', [datasetId])).rows[0].source_identifier as string;

beforeAll(async () => {
  h = await startApiHarness();
  const org = await createOrganization(h.deps.db, { slug: 'org-changes', name: 'Org' });
  sourceId = (await createSource(h.deps.db, { organizationId: org.id, kind: 'dcat', url: 'https://example.ma/feed' })).id;
});

afterAll(async () => {
  await h?.close();
});

describe('GET /api/v1/changes', () => {
  let afterFirst: string;

  it('lists every create, update, withdrawal and restoration once, in order; unchanged records none', async () => {
    await harvest([rec(1), rec(2), rec(3)]);
    const first = await readAtLeast(undefined, 3);
    expect(first.items.map((c) => c.kind)).toEqual(['created', 'created', 'created']);
    afterFirst = first.cursor;

    // id-1 unchanged, id-2 changed, id-3 gone, id-4 new.
    await harvest([rec(1), rec(2, 2), rec(4)]);
    // id-3 back, id-4 unchanged.
    await harvest([rec(1), rec(2, 2), rec(3), rec(4)]);

    const { items } = await readAtLeast(afterFirst, 4);
    const described = await Promise.all(items.map(async (c) => `${c.kind} ${await identifierOf(c.datasetId)}`));
    expect(described).toEqual(['updated id-2', 'created id-4', 'withdrawn id-3', 'restored id-3']);
    expect(items.every((c) => c.sourceId === sourceId)).toBe(true);
    const seqs = items.map((c) => c.seq);
    expect(new Set(seqs).size).toBe(seqs.length);

    // The same feed read in one go or in pages of one gives the same changes.
    const whole = await readFeed(undefined, 1000);
    const paged = await readFeed(undefined, 1);
    expect(paged.items).toEqual(whole.items);
    expect(whole.items).toHaveLength(7);
  });

  it('resumes from a cursor without gaps or repeats, and says where to poll from when nothing is new', async () => {
    const before = await readFeed(undefined, 1000);
    const idle = await get(`/api/v1/changes?since=${before.cursor}`);
    expect(idle.body).toEqual({ items: [], nextCursor: before.cursor });

    await harvest([rec(1, 3), rec(2, 2), rec(3), rec(4)]);
    const next = await readAtLeast(before.cursor, 1);
    expect(next.items.map((c) => c.kind)).toEqual(['updated']);
    expect(await identifierOf(next.items[0]!.datasetId)).toBe('id-1');
    expect(next.items[0]!.seq).toBeGreaterThan(Math.max(...before.items.map((c) => c.seq)));
  });

  it('never shows a change behind one a reader has passed: a transaction still running holds back later ones', async () => {
    const start = (await readFeed(undefined, 1000)).cursor;
    const ds = (await h.pool.query<{ id: string }>(`SELECT id FROM datasets WHERE source_identifier = 'id-4'`)).rows[0]!.id;

    // A writer takes its sequence number and stays open...
    const slow = new pg.Client({ connectionString: h.config.DATABASE_URL });
    await slow.connect();
    try {
      await slow.query('BEGIN');
      await slow.query(`INSERT INTO dataset_changes (dataset_id, source_id, kind) VALUES ($1, $2, 'updated')`, [ds, sourceId]);
      // ...while a later one commits (a higher seq, a later transaction).
      await harvest([rec(1, 3), rec(2, 3), rec(3), rec(4)]);

      const meanwhile = await get(`/api/v1/changes?since=${start}`);
      expect(meanwhile.body.items).toEqual([]);
      expect(meanwhile.body.nextCursor).toBe(start);

      await slow.query('COMMIT');
    } finally {
      await slow.end();
    }
    const { items } = await readAtLeast(start, 2);
    expect(items.map((c) => c.kind)).toEqual(['updated', 'updated']);
    expect(items[0]!.datasetId).toBe(ds);
    // The held-back writer's change first: the feed follows the writing transactions' order.
    expect(await identifierOf(items[1]!.datasetId)).toBe('id-2');
  });

  it('starts at the end of the feed with since=now', async () => {
    const now = await get('/api/v1/changes?since=now');
    expect(now.body.items).toEqual([]);
    const all = await readFeed(undefined, 1000);
    expect(now.body.nextCursor).toBe(all.cursor);
  });

  it('answers 400 for a cursor it did not give out', async () => {
    const { status, body } = await get('/api/v1/changes?since=bm9wZQ');
    expect(status).toBe(400);
    expect(body.error).toEqual({ code: 'invalid_parameter', message: 'querystring parameter "since": since is not a cursor this feed gave out' });
  });
});

describe('conditional requests', () => {
  it('answers 304 to a listing whose ETag still matches, 200 with a new ETag once the catalogue changed', async () => {
    const first = await get('/api/v1/datasets?sort=title&limit=2');
    expect(first.status).toBe(200);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^W\/".+"$/);
    expect(first.headers['last-modified']).toBeDefined();
    expect(first.headers['cache-control']).toBe('public, no-cache');

    const again = await get('/api/v1/datasets?sort=title&limit=2', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.raw).toBe('');
    expect(again.headers.etag).toBe(etag);
    // Same query, parameters in another order: same representation, same ETag.
    expect((await get('/api/v1/datasets?limit=2&sort=title', { 'if-none-match': `"x", ${etag}` })).status).toBe(304);
    // Another query is another representation.
    expect((await get('/api/v1/datasets?sort=title&limit=3', { 'if-none-match': etag })).status).toBe(200);

    await harvest([rec(1, 4), rec(2, 3), rec(3), rec(4)]);
    const changed = await get('/api/v1/datasets?sort=title&limit=2', { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
  });

  it('answers 304 to If-Modified-Since at or after Last-Modified', async () => {
    const first = await get('/api/v1/datasets');
    const lastModified = first.headers['last-modified'] as string;
    expect((await get('/api/v1/datasets', { 'if-modified-since': lastModified })).status).toBe(304);
    const earlier = new Date(Date.parse(lastModified) - 1000).toUTCString();
    expect((await get('/api/v1/datasets', { 'if-modified-since': earlier })).status).toBe(200);
    // If-None-Match decides when both are sent.
    expect((await get('/api/v1/datasets', { 'if-modified-since': lastModified, 'if-none-match': '"other"' })).status).toBe(200);
  });

  it('validates a dataset page by its ETag and Last-Modified', async () => {
    const id = (await h.pool.query<{ id: string }>(`SELECT id FROM datasets WHERE source_identifier = 'id-3'`)).rows[0]!.id;
    const first = await get(`/api/v1/datasets/${id}`);
    expect(first.status).toBe(200);
    const etag = first.headers.etag as string;
    expect(first.headers['last-modified']).toBe(new Date(Math.floor(Date.parse(first.body.updatedAt) / 1000) * 1000).toUTCString());
    expect((await get(`/api/v1/datasets/${id}`, { 'if-none-match': etag })).status).toBe(304);
    expect((await get(`/api/v1/datasets/${id}`, { 'if-modified-since': first.headers['last-modified'] as string })).status).toBe(304);

    await harvest([rec(1, 4), rec(2, 3), rec(3, 2), rec(4)]);
    const changed = await get(`/api/v1/datasets/${id}`, { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.body.title).toEqual({ fr: 'Jeu 3 v2' });
  });

  it('validates a page of the change feed', async () => {
    const first = await get('/api/v1/changes?limit=3');
    expect((await get('/api/v1/changes?limit=3', { 'if-none-match': first.headers.etag as string })).status).toBe(304);
  });
});

describe('retention (HASAD_CHANGES_RETENTION_DAYS)', () => {
  it('prunes changes older than the retention; a cursor from before them gets 410, a reader from the start begins after them', async () => {
    // Every change made so far must be visible first: a change shows only once older
    // transactions of the shared server have ended, so an early read could miss the last.
    const total = Number((await h.pool.query<{ n: string }>('SELECT count(*) AS n FROM dataset_changes')).rows[0]!.n);
    const all = await readAtLeast(undefined, total, 1000);
    expect(all.items.length).toBe(total);
    expect(all.items.length).toBeGreaterThan(4);
    const first = await get('/api/v1/changes?limit=1');
    const early = first.body.nextCursor as string; // after the first change
    const three = await get('/api/v1/changes?limit=3');
    const atHorizon = three.body.nextCursor as string; // after the third change

    // Nothing is old enough yet; 0 days keeps everything whatever its age.
    expect(await pruneChanges(h.deps.db, 90)).toBe(0);
    const firstThree = all.items.slice(0, 3).map((c) => c.seq);
    await h.pool.query(`UPDATE dataset_changes SET at = now() - interval '100 days' WHERE seq = ANY($1::bigint[])`, [firstThree]);
    expect(await pruneChanges(h.deps.db, 0)).toBe(0);
    expect(await pruneChanges(h.deps.db, 90)).toBe(3);
    expect(await pruneChanges(h.deps.db, 90)).toBe(0);

    const expired = await get(`/api/v1/changes?since=${early}`);
    expect(expired.status).toBe(410);
    expect(expired.body.error).toMatchObject({ code: 'cursor_expired', message: expect.stringContaining('since=now') });
    // From the beginning: the feed now begins after what was pruned.
    const fromStart = await readFeed(undefined, 1000);
    expect(fromStart.items.map((c) => c.seq)).toEqual(all.items.slice(3).map((c) => c.seq));
    // A reader that had passed the pruned changes goes on as before.
    const after = await readFeed(atHorizon, 1000);
    expect(after.items.map((c) => c.seq)).toEqual(all.items.slice(3).map((c) => c.seq));
  });
});

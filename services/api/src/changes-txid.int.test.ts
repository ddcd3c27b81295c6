import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization, createRun, createSource, loadBatch, type LoadRecord } from '@hasad/db';
import { prepareRecord } from '@hasad/pipeline';
import { canRunPrivatePostgres, PrivatePostgres } from '@hasad/testkit';
import { startApiHarness, type ApiHarness } from './test-harness.ts';

// The change feed across a power of ten of transaction ids, for real: a private PostgreSQL
// cluster (the shared server is untouched) whose next transaction id is set just below
// 1,000,000 with pg_resetwal. Changes are written one transaction each until their txids pass
// 1,000,000; the feed, read in pages of 3, and since=now must follow numeric order. Sorted as
// text ('1000001' < '999990') the feed skipped changes for good and since=now pointed before
// the newest one.
const RUN = canRunPrivatePostgres();
if (!RUN) console.warn('SKIPPED the txid crossing case: no PostgreSQL binaries (or no postgres user) to start a private cluster');

let server: PrivatePostgres | undefined;
let h: ApiHarness;
let sourceId: string;

const rec = (i: number): LoadRecord => ({
  identifier: `id-${i}`,
  uri: `https://example.ma/d/${i}`,
  hash: `h-${i}`,
  modifiedAt: '2026-11-01T00:00:00Z',
  record: { identifier: `id-${i}`, title: { fr: `Jeu ${i}` }, description: {}, keywords: {}, themes: [], spatial: [], temporal: [], language: [], distributions: [] },
});

async function get(url: string) {
  const res = await h.app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() };
}

async function readAll(since: string | undefined, limit: number): Promise<{ seqs: number[]; cursor: string }> {
  const seqs: number[] = [];
  let cursor = since;
  for (;;) {
    const { status, body } = await get(`/api/v1/changes?limit=${limit}${cursor ? `&since=${cursor}` : ''}`);
    expect(status).toBe(200);
    seqs.push(...body.items.map((c: { seq: number }) => c.seq));
    cursor = body.nextCursor;
    if (body.items.length < limit) return { seqs, cursor: cursor! };
  }
}

const currentTxid = async () => BigInt((await h.pool.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x')).rows[0]!.x);

beforeAll(async () => {
  if (!RUN) return;
  // Migrations use a few hundred transactions; the changes start after them, still below 10^6.
  server = await PrivatePostgres.create({ nextXid: 999_000 });
  h = await startApiHarness({ adminDatabaseUrl: server.url });
  const org = await createOrganization(h.deps.db, { slug: 'org-txid', name: 'Org' });
  sourceId = (await createSource(h.deps.db, { organizationId: org.id, kind: 'dcat', url: 'https://example.ma/feed' })).id;
}, 120_000);

afterAll(async () => {
  await h?.close();
  server?.destroy();
});

describe.skipIf(!RUN)('change feed across a power of ten of transaction ids', () => {
  it('lists, resumes and answers since=now in numeric txid order', async () => {
    const start = await currentTxid();
    expect(start).toBeLessThan(1_000_000n);
    // Burn ids up to a few below 10^6 (each pg_current_xact_id() in autocommit takes one).
    while ((await currentTxid()) < 999_990n);
    const run = await createRun(h.deps.db, sourceId, 'manual');
    const written: number[] = [];
    let i = 0;
    let lastTxid = 0n;
    // One loadBatch = one transaction = one change; go until 10 changes are past 10^6.
    while (lastTxid < 1_000_010n) {
      await loadBatch(h.db, { runId: run.id, sourceId, pageNo: 1, batchNo: i, records: [rec(i)], problems: [], invalidIdentifiers: [] }, prepareRecord);
      const r = await h.pool.query<{ seq: string; txid: string }>(
        `SELECT c.seq::text AS seq, c.txid::text AS txid FROM dataset_changes c JOIN datasets d ON d.id = c.dataset_id WHERE d.source_identifier = $1`,
        [`id-${i}`],
      );
      written.push(Number(r.rows[0]!.seq));
      lastTxid = BigInt(r.rows[0]!.txid);
      i++;
    }
    const txids = (await h.pool.query<{ t: string }>('SELECT txid::text AS t FROM dataset_changes')).rows.map((r) => BigInt(r.t));
    expect(txids.some((t) => t < 1_000_000n)).toBe(true);
    expect(txids.some((t) => t >= 1_000_000n)).toBe(true);

    // The whole feed, in pages of 3 (every page boundary is a cursor): every change once, in order.
    const all = await readAll(undefined, 3);
    expect(all.seqs).toEqual(written);

    // since=now is the newest change: nothing after it; a change written later is the only one.
    const now = await get('/api/v1/changes?since=now');
    expect(now.status).toBe(200);
    const afterNow = await readAll(now.body.nextCursor, 3);
    expect(afterNow.seqs).toEqual([]);
    await loadBatch(h.db, { runId: run.id, sourceId, pageNo: 1, batchNo: i, records: [rec(i)], problems: [], invalidIdentifiers: [] }, prepareRecord);
    const next = await readAll(now.body.nextCursor, 3);
    expect(next.seqs).toHaveLength(1);
    expect(next.seqs[0]).toBeGreaterThan(written[written.length - 1]!);
  }, 120_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DbHandle } from '../client.ts';
import { createTestDatabase } from '../testing.ts';
import { createOrganization } from './organizations.repository.ts';
import { createSource } from './sources.repository.ts';
import { pruneRunHistory } from './retention.repository.ts';

// Run history retention against a fresh database: what an operator sees in the runs table
// (and how big run_pages, run_batches and run_problems grow) after many scheduled harvests.

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
let h: DbHandle;
let orgId: string;

beforeAll(async () => {
  testDb = await createTestDatabase();
  h = createDb(testDb.url, { max: 2 });
  orgId = (await createOrganization(h, { slug: 'hcp', name: 'Haut-Commissariat au Plan' })).id;
});

afterAll(async () => {
  await h?.close();
  await testDb?.drop();
});

/** Inserts one run `minutesAgo` old with a page, a batch and a problem; returns its id. */
async function addRun(sourceId: string, status: string, minutesAgo: number): Promise<string> {
  const finished = status === 'queued' || status === 'running' ? null : new Date(Date.now() - minutesAgo * 60_000 + 1000);
  const r = await h.pool.query<{ id: string }>(
    `INSERT INTO runs (source_id, status, trigger, created_at, finished_at) VALUES ($1, $2, 'schedule', now() - make_interval(mins => $3), $4) RETURNING id`,
    [sourceId, status, minutesAgo, finished],
  );
  const id = r.rows[0]!.id;
  await h.pool.query(`INSERT INTO run_pages (run_id, page_no, url, not_modified, batch_count, record_count) VALUES ($1, 1, 'https://x.ma/p1', false, 1, 1)`, [id]);
  await h.pool.query(`INSERT INTO run_batches (run_id, page_no, batch_no, identifiers, record_count) VALUES ($1, 1, 0, '{a}', 1)`, [id]);
  await h.pool.query(`INSERT INTO run_problems (run_id, page_no, batch_no, severity, code, message) VALUES ($1, 1, 0, 'warning', 'x', 'y')`, [id]);
  return id;
}

const remaining = async (sourceId: string) =>
  (await h.pool.query<{ id: string }>('SELECT id FROM runs WHERE source_id = $1 ORDER BY created_at DESC', [sourceId])).rows.map((r) => r.id);
const count = async (table: string) => (await h.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;

describe('pruneRunHistory', () => {
  it('keeps the newest runs of each source, its last success and its live run, and deletes the rest with their pages, batches and problems', async () => {
    const a = await createSource(h, { organizationId: orgId, kind: 'dcat', url: 'https://a.example.ma/catalog.ttl' });
    const b = await createSource(h, { organizationId: orgId, kind: 'csv', url: 'https://b.example.ma/inventaire.csv' });
    // Source a, newest first: running, failed, failed, failed, succeeded (last success), unchanged, succeeded.
    const live = await addRun(a.id, 'running', 1);
    const f1 = await addRun(a.id, 'failed', 10);
    const f2 = await addRun(a.id, 'failed', 20);
    await addRun(a.id, 'failed', 30);
    const lastOk = await addRun(a.id, 'succeeded', 40);
    await addRun(a.id, 'unchanged', 50);
    await addRun(a.id, 'succeeded', 60);
    // Source b: two runs, within the limit.
    const b1 = await addRun(b.id, 'succeeded', 5);
    const b2 = await addRun(b.id, 'failed', 15);

    expect(await pruneRunHistory(h, 2)).toBe(3);
    expect(await remaining(a.id)).toEqual([live, f1, f2, lastOk]);
    expect(await remaining(b.id)).toEqual([b1, b2]);
    // Six runs left, each with its own page, batch and problem: the deleted runs' rows went with them.
    expect([await count('run_pages'), await count('run_batches'), await count('run_problems')]).toEqual([6, 6, 6]);

    // A second prune finds nothing more to do; 0 keeps everything.
    expect(await pruneRunHistory(h, 2)).toBe(0);
    expect(await pruneRunHistory(h, 0)).toBe(0);
    expect(await count('runs')).toBe(6);
  });

  it('deletes at most `limit` runs per call, and the next call goes on', async () => {
    const c = await createSource(h, { organizationId: orgId, kind: 'dcat', url: 'https://c.example.ma/catalog.ttl' });
    for (let i = 1; i <= 6; i++) await addRun(c.id, 'succeeded', i);
    expect(await pruneRunHistory(h, 2, 3)).toBe(3);
    expect(await pruneRunHistory(h, 2, 3)).toBe(1);
    expect((await remaining(c.id)).length).toBe(2);
  });
});

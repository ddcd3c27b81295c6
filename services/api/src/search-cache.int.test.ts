import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness, seedCatalogue, type ApiHarness, type Seeded } from './test-harness.ts';

// The search cache as a portal sees it: a repeated search gives the same answer, and any
// change to the catalogue shows in the next answer (no stale results), on /api/v1 and CKAN.

let h: ApiHarness;
let seeded: Seeded;

beforeAll(async () => {
  h = await startApiHarness({ env: { HASAD_SEARCH_CACHE_ENTRIES: '100' } });
  seeded = await seedCatalogue(h.db, 3);
});
afterAll(async () => {
  await h?.close();
});

type Body = { total: number; items: Array<{ id: string; title: Record<string, string> }>; facets: Record<string, Array<{ value: string; count: number }>> };
const search = async (query: string): Promise<Body> => {
  const res = await h.app.inject({ method: 'GET', url: `/api/v1/datasets?${query}` });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Body;
};

describe('search cache', () => {
  it('gives the same answer to a repeated search and a fresh one after any catalogue change', async () => {
    const first = await search('organization=hcp&facets=organization,keyword');
    expect(first.total).toBe(5);
    expect(await search('facets=organization,keyword&organization=hcp')).toEqual(first);

    // A withdrawal (the loader's finalise step writes the same columns).
    await h.pool.query(`UPDATE datasets SET status = 'withdrawn', withdrawn_at = now(), updated_at = now() WHERE id = $1`, [seeded.dataset.air]);
    const afterWithdrawal = await search('organization=hcp&facets=organization,keyword');
    expect(afterWithdrawal.total).toBe(4);
    expect(afterWithdrawal.items.map((i) => i.id)).not.toContain(seeded.dataset.air);
    expect(afterWithdrawal.facets['organization']).toEqual([expect.objectContaining({ value: 'hcp', count: 4 })]);

    // A changed title, written as the loader writes it (updated_at moves with the record).
    await h.pool.query(`UPDATE datasets SET status = 'active', withdrawn_at = NULL, record = jsonb_set(record, '{title}', '{"fr": "Qualité de l’air renommée"}'), title = '{"fr": "Qualité de l’air renommée"}', updated_at = now() WHERE id = $1`, [seeded.dataset.air]);
    const renamed = await search('organization=hcp&facets=organization,keyword');
    expect(renamed.total).toBe(5);
    expect(renamed.items.find((i) => i.id === seeded.dataset.air)?.title).toEqual({ fr: 'Qualité de l’air renommée' });
    expect((await search('q=renommee')).items.map((i) => i.id)).toEqual([seeded.dataset.air]);

    // CKAN's package_search keeps its own cache, under the same rule.
    const ckan = async () => ((await h.app.inject({ method: 'GET', url: '/api/3/action/package_search?q=renommee' })).json() as { result: { count: number } }).result.count;
    expect(await ckan()).toBe(1);
    await h.pool.query(`UPDATE datasets SET status = 'withdrawn', withdrawn_at = now(), updated_at = now() WHERE id = $1`, [seeded.dataset.air]);
    expect(await ckan()).toBe(0);
  });
});

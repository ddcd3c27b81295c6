import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization, createRun, createSource, loadBatch, type LoadRecord } from '@hasad/db';
import { prepareRecord } from '@hasad/pipeline';
import { startApiHarness, type ApiHarness } from './test-harness.ts';

// Issue 11, "addresses that belong to one record": organisation B publishes organisation A's
// identifier and URI. Before, /api/v1/datasets/:key and CKAN package_show?id= matched across
// organisations and answered the most recently updated, so B answered for A's dataset.

let h: ApiHarness;
const ids: Record<string, string> = {};

const rec = (identifier: string, uri: string, title: string): LoadRecord => ({
  identifier,
  uri,
  hash: `h-${identifier}-${title}`,
  modifiedAt: '2026-11-01T00:00:00Z',
  record: { identifier, title: { fr: title }, description: {}, keywords: {}, themes: [], spatial: [], temporal: [], language: [], distributions: [] },
});

async function publish(slug: string, records: LoadRecord[]) {
  const org = await createOrganization(h.deps.db, { slug, name: slug });
  const sourceId = (await createSource(h.deps.db, { organizationId: org.id, kind: 'dcat', url: `https://${slug}.example.ma/feed` })).id;
  const run = await createRun(h.deps.db, sourceId, 'manual');
  await loadBatch(h.db, { runId: run.id, sourceId, pageNo: 1, batchNo: 0, records, problems: [], invalidIdentifiers: [] }, prepareRecord);
  const res = await h.pool.query<{ id: string; source_identifier: string }>('SELECT id, source_identifier FROM datasets WHERE source_id = $1', [sourceId]);
  for (const r of res.rows) ids[`${slug}/${r.source_identifier}`] = r.id;
}

async function get(url: string) {
  const res = await h.app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() };
}

const URI = 'https://data.a.example.ma/dataset/budget';

beforeAll(async () => {
  h = await startApiHarness();
  await publish('org-a', [rec('budget', URI, 'Budget (A)'), rec('only-a', 'https://data.a.example.ma/dataset/only', 'Seul A')]);
  // B, later (so "most recently updated"), with A's identifier and A's URI.
  await publish('org-b', [rec('budget', URI, 'Budget (B, usurpé)')]);
});
afterAll(async () => {
  await h?.close();
});

describe('addresses that belong to one record', () => {
  it('a Hasad id names exactly its dataset', async () => {
    const a = await get(`/api/v1/datasets/${ids['org-a/budget']}`);
    expect(a.status).toBe(200);
    expect(a.body.id).toBe(ids['org-a/budget']);
    expect(a.body.title.fr).toBe('Budget (A)');
  });

  it('an identifier or URI two organisations publish answers 300 ambiguous_key listing both, picking none', async () => {
    for (const key of ['budget', URI]) {
      const res = await get(`/api/v1/datasets/${encodeURIComponent(key)}`);
      expect(res.status, JSON.stringify(res.body)).toBe(300);
      expect(res.body.error.code).toBe('ambiguous_key');
      expect(res.body.error.matches.map((m: { id: string }) => m.id).sort()).toEqual([ids['org-a/budget'], ids['org-b/budget']].sort());
      expect(res.body.error.matches.map((m: { organization: string }) => m.organization).sort()).toEqual(['org-a', 'org-b']);
    }
  });

  it('?organization= scopes the look-up to one organisation', async () => {
    const a = await get(`/api/v1/datasets/${encodeURIComponent(URI)}?organization=org-a`);
    expect(a.status).toBe(200);
    expect(a.body.id).toBe(ids['org-a/budget']);
    const b = await get(`/api/v1/datasets/budget?organization=org-b`);
    expect(b.body.id).toBe(ids['org-b/budget']);
    expect((await get(`/api/v1/datasets/only-a?organization=org-b`)).status).toBe(404);
  });

  it('an identifier only one organisation publishes still answers directly', async () => {
    const res = await get('/api/v1/datasets/only-a');
    expect(res.status).toBe(200);
    expect(res.body.id).toBe(ids['org-a/only-a']);
  });

  it('CKAN package_show never answers one of two datasets sharing an identifier; the id does', async () => {
    const amb = await get('/api/3/action/package_show?id=budget');
    expect(amb.body.success).toBe(false);
    const byId = await get(`/api/3/action/package_show?id=${ids['org-a/budget']}`);
    expect(byId.body.success).toBe(true);
    expect(byId.body.result.id).toBe(ids['org-a/budget']);
  });
});

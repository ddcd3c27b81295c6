import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ckanPackage, ckanPackageId, startCkanPortal, type CkanPortal } from '@hasad/testkit';
import { startTestPipeline, type TestPipeline } from './helpers/pipeline.ts';

// The whole pipeline (fetcher and loader workers, real Redis, real PostgreSQL) against a CKAN
// Action API served by a real HTTP server on loopback, shaped like a national portal under /data.

const uuid = ckanPackageId;

describe('CKAN harvest end to end', () => {
  let p: TestPipeline;
  let portal: CkanPortal;
  let sourceId: string;

  beforeAll(async () => {
    p = await startTestPipeline(['fetcher', 'loader'], { HASAD_HARVEST_ATTEMPTS: '2', HASAD_HARVEST_BACKOFF_MS: '200' });
    portal = await startCkanPortal(250);
    // One private package: the portal would not list it to an anonymous client, but if it does, it is not published.
    portal.packages.set(251, { ...ckanPackage(251), private: true });
    sourceId = await p.addSource(portal.url, { kind: 'ckan', config: { rows: 100, language: 'fr' } });
  });
  afterAll(async () => {
    await p?.close();
    await portal?.close();
  });

  it('harvests every public package, French and Arabic titles intact', async () => {
    const run = await p.harvest(sourceId);
    expect(run, JSON.stringify(await p.problems(run.id))).toMatchObject({ status: 'succeeded', seen: 250, created: 250, updated: 0, withdrawn: 0, invalid: 0, pagesFetched: 3 });
    expect(portal.requests.map((r) => [r.start, r.rows, r.sort])).toEqual([
      [0, 100, 'id asc'],
      [100, 100, 'id asc'],
      [200, 100, 'id asc'],
    ]);
    const rows = await p.datasets(sourceId);
    expect(rows.size).toBe(250);
    expect(rows.has(uuid(251))).toBe(false);
    const row = rows.get(uuid(42))!;
    expect(row.title).toEqual({ ar: 'مجموعة البيانات 42', fr: 'Jeu de données 42' });
    expect(row.record).toMatchObject({
      uri: `${portal.url}/dataset/jeu-de-donnees-42`,
      publisher: { name: { fr: 'Haut-Commissariat au Plan' }, uri: `${portal.url}/organization/hcp` },
      themes: ['Démographie'],
      keywords: { fr: ['population'] },
      license: 'http://www.opendefinition.org/licenses/odc-odbl',
      accrualPeriodicity: 'annuel',
      modified: '2024-05-06T07:08:09.123456Z',
    });
    const problems = await p.problems(run.id);
    expect(problems).toEqual([expect.objectContaining({ severity: 'info', code: 'private_package', identifier: uuid(251) })]);
  });

  it('a re-harvest of an unchanged portal is unchanged and rewrites no row', async () => {
    const before = await p.datasets(sourceId);
    const run = await p.harvest(sourceId);
    expect(run).toMatchObject({ status: 'unchanged', seen: 250, unchanged: 250, created: 0, updated: 0, withdrawn: 0 });
    const after = await p.datasets(sourceId);
    for (const [id, row] of before) expect(after.get(id)!.updatedAt).toEqual(row.updatedAt);
    const changed = await p.rt.db.pool.query('SELECT count(*)::int AS n FROM datasets WHERE source_id = $1 AND changed_run = $2', [sourceId, run.id]);
    expect(changed.rows[0].n).toBe(0);
  });

  it('withdraws a package deleted from the portal after a complete run', async () => {
    portal.packages.delete(7);
    const run = await p.harvest(sourceId);
    expect(run).toMatchObject({ status: 'succeeded', seen: 249, withdrawn: 1 });
    const all = await p.datasets(sourceId, 'all');
    expect(all.get(uuid(7))!.status).toBe('withdrawn');
    expect((await p.datasets(sourceId)).size).toBe(249);
  });

  it('a portal failing on page 2 fails the run and withdraws nothing', async () => {
    portal.packages.delete(3);
    portal.packages.delete(180);
    portal.failStarts.set(100, 500);
    const served = portal.requests.length;
    const run = await p.harvest(sourceId);
    portal.failStarts.clear();
    expect(run.status).toBe('failed');
    expect(run.errorCode).toBe('fetch_status');
    expect(run.error).toContain('HTTP 500');
    expect(run.withdrawn).toBe(0);
    // Two attempts, each resuming at the checkpoint (page 2), never re-reading page 1.
    expect(portal.requests.slice(served).map((r) => [r.start, r.status])).toEqual([
      [0, 200],
      [100, 500],
      [100, 500],
    ]);
    const active = await p.datasets(sourceId);
    expect(active.size).toBe(249);
    expect(active.has(uuid(3))).toBe(true);
    expect(active.has(uuid(180))).toBe(true);
  });
});

describe('CKAN incremental harvest with a scheduled full listing, end to end', () => {
  let p: TestPipeline;
  let portal: CkanPortal;
  let sourceId: string;
  /** CKAN's form of "now": UTC without an offset. */
  const ckanNow = () => new Date().toISOString().replace('Z', '');

  beforeAll(async () => {
    p = await startTestPipeline(['fetcher', 'loader']);
    portal = await startCkanPortal(120);
    // One run in two is full; and a week after the last complete run, whatever the count.
    sourceId = await p.addSource(portal.url, { kind: 'ckan', config: { rows: 50, incremental: { enabled: true, fullEveryRuns: 2, fullEveryHours: 168 } } });
  });
  afterAll(async () => {
    await p?.close();
    await portal?.close();
  });

  const listing = async (runId: string) => ((await p.rt.db.pool.query(`SELECT details->>'listing' AS listing FROM runs WHERE id = $1`, [runId])).rows[0] as { listing: string | null }).listing;

  it('the first run lists the whole portal', async () => {
    const run = await p.harvest(sourceId);
    expect(run, JSON.stringify(await p.problems(run.id))).toMatchObject({ status: 'succeeded', seen: 120, created: 120, withdrawn: 0 });
    expect(portal.requests.every((r) => r.fq === null)).toBe(true);
    expect((await p.problems(run.id)).map((x) => x.code)).toContain('incremental_full_run');
  });

  it('an incremental run reads only the changed package and withdraws nothing, though one was deleted', async () => {
    portal.packages.set(5, { ...ckanPackage(5), title: 'Jeu de données 5 (révisé)', title_translated: { fr: 'Jeu de données 5 (révisé)' }, metadata_modified: ckanNow() });
    portal.packages.delete(7);
    const served = portal.requests.length;
    const run = await p.harvest(sourceId);
    expect(run, JSON.stringify(await p.problems(run.id))).toMatchObject({ status: 'succeeded', seen: 1, updated: 1, created: 0, withdrawn: 0 });
    const asked = portal.requests.slice(served);
    expect(asked).toHaveLength(1);
    expect(asked[0]!.fq).toMatch(/^metadata_modified:\[\S+ TO \*\]$/);
    expect(await listing(run.id)).toBe('partial');
    const active = await p.datasets(sourceId);
    expect(active.size).toBe(120);
    expect(active.get(uuid(5))!.title).toEqual({ fr: 'Jeu de données 5 (révisé)' });
    expect(active.get(uuid(7))!.status).toBe('active');
    expect((await p.problems(run.id)).map((x) => x.code)).toContain('incremental_listing');
  });

  it('the scheduled full run (one in two) lists everything and withdraws the deleted package', async () => {
    const served = portal.requests.length;
    const run = await p.harvest(sourceId);
    expect(run, JSON.stringify(await p.problems(run.id))).toMatchObject({ status: 'succeeded', seen: 119, withdrawn: 1, created: 0, updated: 0 });
    expect(portal.requests.slice(served).map((r) => [r.start, r.fq])).toEqual([
      [0, null],
      [50, null],
      [100, null],
    ]);
    expect(await listing(run.id)).toBeNull();
    expect((await p.problems(run.id)).find((x) => x.code === 'incremental_full_run')?.message).toContain('one run in 2 is full');
    expect((await p.datasets(sourceId, 'all')).get(uuid(7))!.status).toBe('withdrawn');
    expect((await p.datasets(sourceId)).size).toBe(119);
  });

  it('after the full run, incremental again; a week after the last complete run, full again with the withdrawal threshold', async () => {
    portal.packages.delete(9);
    const incremental = await p.harvest(sourceId);
    expect(incremental).toMatchObject({ status: 'unchanged', withdrawn: 0 });
    expect(await listing(incremental.id)).toBe('partial');
    expect((await p.datasets(sourceId)).has(uuid(9))).toBe(true);

    // Eight days pass (the runs are moved back): fullEveryHours (168) makes the next run full,
    // although the run count alone would allow an incremental one.
    await p.rt.db.pool.query(`UPDATE runs SET started_at = started_at - interval '8 days' WHERE source_id = $1`, [sourceId]);
    const weekly = await p.harvest(sourceId);
    expect(weekly, JSON.stringify(await p.problems(weekly.id))).toMatchObject({ status: 'succeeded', seen: 118, withdrawn: 1 });
    expect((await p.problems(weekly.id)).find((x) => x.code === 'incremental_full_run')?.message).toContain('fullEveryHours');
    expect((await p.datasets(sourceId, 'all')).get(uuid(9))!.status).toBe('withdrawn');

    // A full run that would withdraw too much stops for review, as any full run does.
    for (let i = 20; i <= 118; i++) portal.packages.delete(i);
    await p.rt.db.pool.query(`UPDATE runs SET started_at = started_at - interval '8 days' WHERE source_id = $1`, [sourceId]);
    const risky = await p.harvest(sourceId);
    expect(risky).toMatchObject({ status: 'needs_review', withdrawn: 0 });
    expect((await p.datasets(sourceId)).size).toBe(118);
  });
});

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPipeline, type TestPipeline } from './helpers/pipeline.ts';

// The whole pipeline (fetcher and loader workers, real Redis, real PostgreSQL) against a CKAN
// Action API served by a real HTTP server on loopback, shaped like a national portal under /data.

const uuid = (i: number) => `6f1c0a52-0000-4000-8000-${String(i).padStart(12, '0')}`;

function ckanPackage(i: number): Record<string, unknown> {
  return {
    id: uuid(i),
    name: `jeu-de-donnees-${i}`,
    title: `Jeu de données ${i}`,
    title_translated: { fr: `Jeu de données ${i}`, ar: `مجموعة البيانات ${i}` },
    notes: `Statistiques régionales, série ${i}.`,
    state: 'active',
    private: false,
    type: 'dataset',
    license_id: 'odc-odbl',
    license_title: 'Open Data Commons Open Database License (ODbL)',
    license_url: 'http://www.opendefinition.org/licenses/odc-odbl',
    metadata_created: '2023-11-02T09:15:00.000000',
    metadata_modified: '2024-05-06T07:08:09.123456',
    organization: { name: 'hcp', title: 'Haut-Commissariat au Plan' },
    groups: [{ name: 'demographie', title: 'Démographie' }],
    tags: [{ name: 'population', vocabulary_id: null }],
    extras: [{ key: 'frequency', value: 'annuel' }],
    resources: [{ id: `res-${i}`, url: `https://portail.example.ma/files/${i}.csv`, format: 'CSV', mimetype: 'text/csv', size: 2048, url_type: 'upload', created: '2023-11-02T09:16:00.000000' }],
  };
}

/** A CKAN portal: package_search over `packages`, sorted by id, paged by rows/start. */
class CkanPortal {
  packages = new Map<number, Record<string, unknown>>();
  /** HTTP status to answer for a given `start`, instead of the page. */
  failStarts = new Map<number, number>();
  requests: Array<{ start: number; rows: number; sort: string | null; status: number }> = [];
  url = '';
  private server: Server;

  constructor(count: number) {
    for (let i = 1; i <= count; i++) this.packages.set(i, ckanPackage(i));
    this.server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://loopback');
      if (u.pathname !== '/data/api/3/action/package_search') {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('not found');
        return;
      }
      const rows = Number(u.searchParams.get('rows'));
      const start = Number(u.searchParams.get('start'));
      const fail = this.failStarts.get(start);
      this.requests.push({ start, rows, sort: u.searchParams.get('sort'), status: fail ?? 200 });
      if (fail !== undefined) {
        res.writeHead(fail, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ success: false, error: { message: 'Internal Server Error' } }));
        return;
      }
      const sorted = [...this.packages.values()].sort((a, b) => String(a['id']).localeCompare(String(b['id'])));
      const body = { help: 'help_show?name=package_search', success: true, result: { count: sorted.length, sort: 'id asc', results: sorted.slice(start, start + rows) } };
      res.writeHead(200, { 'content-type': 'application/json;charset=utf-8' });
      res.end(JSON.stringify(body));
    });
    this.server.keepAliveTimeout = 1000;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/data`;
    return this;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('CKAN harvest end to end', () => {
  let p: TestPipeline;
  let portal: CkanPortal;
  let sourceId: string;

  beforeAll(async () => {
    p = await startTestPipeline(['fetcher', 'loader'], { HASAD_HARVEST_ATTEMPTS: '2', HASAD_HARVEST_BACKOFF_MS: '200' });
    portal = await new CkanPortal(250).start();
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

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmWithdrawals } from '@hasad/db';
import { datasetIdentifier, datasetTitle, FeedServer, generatePage, mountCatalog, type FeedFormat } from '@hasad/testkit';
import { startTestPipeline, type TestPipeline } from './helpers/pipeline.ts';

// The whole pipeline (fetcher and loader workers, real Redis, real PostgreSQL) against
// paged DCAT feeds served by a real HTTP server on loopback.
describe('DCAT harvest end to end', () => {
  let p: TestPipeline;
  let server: FeedServer;

  beforeAll(async () => {
    p = await startTestPipeline(['fetcher', 'loader'], { HASAD_HARVEST_ATTEMPTS: '2', HASAD_HARVEST_BACKOFF_MS: '200' });
    server = await FeedServer.start();
  });
  afterAll(async () => {
    await p?.close();
    await server?.close();
  });

  it('a paged catalogue in Turtle, RDF/XML and JSON-LD yields the same rows, French and Arabic intact', async () => {
    const byFormat = new Map<FeedFormat, Map<string, string>>();
    for (const format of ['turtle', 'rdfxml', 'jsonld'] as const) {
      // One URI base for every format, so the three feeds describe the same datasets.
      const ctl = mountCatalog(server, `/same-${format}`, { datasets: 25, pageSize: 10, uriBase: 'https://data.example.ma/same' }, format);
      const sourceId = await p.addSource(ctl.url);
      const run = await p.harvest(sourceId);
      expect(run, JSON.stringify(await p.problems(run.id))).toMatchObject({ status: 'succeeded', seen: 25, created: 25, updated: 0, withdrawn: 0, invalid: 0, pagesFetched: 3 });
      const rows = await p.datasets(sourceId);
      expect(rows.size).toBe(25);
      // Every dataset's French and Arabic title, character for character, in every format.
      for (let i = 0; i < 25; i++) expect(rows.get(datasetIdentifier(i))?.title, `${format} ${datasetIdentifier(i)}`).toEqual(datasetTitle(i));
      byFormat.set(format, new Map([...rows].map(([id, r]) => [id, r.contentHash])));
    }
    expect(byFormat.get('rdfxml')).toEqual(byFormat.get('turtle'));
    expect(byFormat.get('jsonld')).toEqual(byFormat.get('turtle'));
  });

  describe('one source harvested repeatedly', () => {
    let sourceId: string;
    let ctl: ReturnType<typeof mountCatalog>;
    /**
     * Each row's xmin (the id of the transaction that last wrote it), by identifier: a row that
     * no statement rewrote keeps it, even an UPDATE that sets the same values changes it.
     */
    const rowVersions = async () => {
      const res = await p.rt.db.pool.query<{ source_identifier: string; xmin: string }>('SELECT source_identifier, xmin::text AS xmin FROM datasets WHERE source_id = $1', [sourceId]);
      return new Map(res.rows.map((r) => [r.source_identifier, r.xmin]));
    };
    beforeAll(async () => {
      ctl = mountCatalog(server, '/ministere', { datasets: 40, pageSize: 15 });
      sourceId = await p.addSource(ctl.url);
      const first = await p.harvest(sourceId);
      expect(first).toMatchObject({ status: 'succeeded', created: 40 });
    });

    it('an unchanged feed (status 200, other bytes, the same triples) is parsed but not mapped: every page not modified, every dataset seen, no row rewritten', async () => {
      const before = await p.datasets(sourceId);
      const versions = await rowVersions();
      expect(versions.size).toBe(40);
      ctl.conditional = false;
      ctl.comment = 'same triples, other bytes';
      const run = await p.harvest(sourceId);
      ctl.conditional = true;
      expect(run).toMatchObject({ status: 'unchanged', seen: 40, unchanged: 40, created: 0, updated: 0, withdrawn: 0, pagesFetched: 3, pagesNotModified: 3 });
      const after = await p.datasets(sourceId);
      for (const [id, row] of before) expect(after.get(id)!.updatedAt).toEqual(row.updatedAt);
      expect(await rowVersions()).toEqual(versions);
      const changed = await p.rt.db.pool.query(`SELECT count(*)::int AS n FROM datasets WHERE source_id = $1 AND changed_run = $2`, [sourceId, run.id]);
      expect(changed.rows[0].n).toBe(0);
    });

    it('other bytes everywhere and one dataset revised: its page alone is mapped, that dataset alone updated', async () => {
      const versions = await rowVersions();
      ctl.conditional = false;
      ctl.comment = 'other bytes again';
      // Dataset 20 is on page 2 (datasets 15-29).
      ctl.options.revised = new Set([20]);
      try {
        const run = await p.harvest(sourceId);
        expect(run).toMatchObject({ status: 'succeeded', seen: 40, unchanged: 39, updated: 1, created: 0, withdrawn: 0, pagesFetched: 3, pagesNotModified: 2 });
        expect((await p.datasets(sourceId)).get(datasetIdentifier(20))!.title).toEqual(datasetTitle(20, true));
        const after = await rowVersions();
        expect([...after].filter(([id, v]) => versions.get(id) !== v).map(([id]) => id)).toEqual([datasetIdentifier(20)]);
      } finally {
        ctl.options.revised = new Set();
      }
      // Back as it was: page 2's triples are those of the run before last, not of the last run: mapped again.
      const back = await p.harvest(sourceId);
      ctl.conditional = true;
      expect(back).toMatchObject({ status: 'succeeded', seen: 40, unchanged: 39, updated: 1, withdrawn: 0, pagesNotModified: 2 });
      expect((await p.datasets(sourceId)).get(datasetIdentifier(20))!.title).toEqual(datasetTitle(20));
    });

    it('the same bytes again (status 200, no ETag match) are not parsed: the run ends unchanged', async () => {
      ctl.conditional = false;
      const versions = await rowVersions();
      const served = server.requests.length;
      const run = await p.harvest(sourceId);
      ctl.conditional = true;
      expect(server.requests.slice(served).map((r) => r.status)).toEqual([200, 200, 200]);
      expect(run).toMatchObject({ status: 'unchanged', seen: 40, unchanged: 40, withdrawn: 0, pagesFetched: 3, pagesNotModified: 3 });
      expect(await rowVersions()).toEqual(versions);
    });

    it('honours 304: every page not modified, the run ends unchanged, nothing is withdrawn and no row rewritten', async () => {
      const versions = await rowVersions();
      const served = server.requests.length;
      const run = await p.harvest(sourceId);
      expect(run).toMatchObject({ status: 'unchanged', seen: 40, withdrawn: 0, pagesFetched: 3, pagesNotModified: 3 });
      const asked = server.requests.slice(served);
      expect(asked.map((r) => r.status)).toEqual([304, 304, 304]);
      expect(asked.every((r) => r.ifNoneMatch)).toBe(true);
      expect((await p.datasets(sourceId)).size).toBe(40);
      expect(await rowVersions()).toEqual(versions);
      // A 304 answer without an ETag must not lose the validators: the next run is conditional too.
      const again = await p.harvest(sourceId);
      expect(again).toMatchObject({ status: 'unchanged', pagesNotModified: 3 });
      expect(server.requests.slice(served + 3).map((r) => r.status)).toEqual([304, 304, 304]);
    });

    it('withdraws a dataset the feed no longer lists, and restores it when it comes back', async () => {
      // Dataset 5 is on page 1 (datasets 0-14): page 1 changes, pages 2 and 3 answer 304, and
      // their 25 datasets count as seen: only dataset 5 is withdrawn.
      ctl.options.omit = new Set([5]);
      let served = server.requests.length;
      const run = await p.harvest(sourceId);
      expect(server.requests.slice(served).map((r) => [r.path.replace(/^.*\?/, ''), r.status])).toEqual([
        ['page=1', 200],
        ['page=2', 304],
        ['page=3', 304],
      ]);
      expect(run).toMatchObject({ status: 'succeeded', seen: 39, withdrawn: 1, pagesFetched: 3, pagesNotModified: 2 });
      const all = await p.datasets(sourceId, 'all');
      expect(all.get(datasetIdentifier(5))!.status).toBe('withdrawn');
      expect((await p.datasets(sourceId)).size).toBe(39);

      ctl.options.omit = new Set();
      served = server.requests.length;
      const back = await p.harvest(sourceId);
      expect(server.requests.slice(served).map((r) => r.status)).toEqual([200, 304, 304]);
      expect(back).toMatchObject({ status: 'succeeded', seen: 40, updated: 1, withdrawn: 0, pagesNotModified: 2 });
      expect((await p.datasets(sourceId)).get(datasetIdentifier(5))!.status).toBe('active');
    });

    it('a feed that fails on page 2 withdraws nothing and the run says why', async () => {
      ctl.options.omit = new Set([1, 2, 3, 30, 31]);
      ctl.failPages.set(2, 500);
      const run = await p.harvest(sourceId);
      ctl.failPages.clear();
      expect(run.status).toBe('failed');
      expect(run.errorCode).toBe('fetch_status');
      expect(run.error).toContain('HTTP 500');
      expect(run.withdrawn).toBe(0);
      expect((await p.datasets(sourceId)).size).toBe(40);
      ctl.options.omit = new Set();
    });

    it('a feed that shrinks beyond the threshold ends needs_review; an operator confirms the withdrawal', async () => {
      ctl.options.omit = new Set(Array.from({ length: 12 }, (_, i) => i + 20)); // 12 of 40 = 30 % > 20 %
      const run = await p.harvest(sourceId);
      expect(run).toMatchObject({ status: 'needs_review', seen: 28, withdrawn: 0, pendingWithdrawals: 12 });
      expect((run.details as { review: { reason: string } }).review.reason).toBe('threshold');
      expect((await p.datasets(sourceId)).size).toBe(40);
      const res = await confirmWithdrawals(p.rt.db, run.id);
      expect(res.withdrawn).toBe(12);
      expect((await p.datasets(sourceId)).size).toBe(28);
      ctl.options.omit = new Set();
      const back = await p.harvest(sourceId);
      expect(back).toMatchObject({ status: 'succeeded', updated: 12 });
    });

    it('a feed that suddenly lists nothing fails no_datasets and withdraws nothing', async () => {
      // Issue 12: a run that loads nothing is not a review of 40 withdrawals but a failure that
      // says the documents held no dataset; every dataset stays as it was.
      ctl.options.omit = new Set(Array.from({ length: 40 }, (_, i) => i));
      const run = await p.harvest(sourceId);
      ctl.options.omit = new Set();
      expect(run).toMatchObject({ status: 'failed', errorCode: 'no_datasets', seen: 0, withdrawn: 0 });
      const datasets = await p.datasets(sourceId);
      expect(datasets.size).toBe(40);
      expect([...datasets.values()].every((d) => d.status === 'active')).toBe(true);
    });
  });

  it('a paging loop stops the run without withdrawing what lies beyond it', async () => {
    const base = `${server.url}/loop`;
    const opts = { datasets: 30, pageSize: 10, baseUrl: base };
    const pages = [1, 2, 3].map((n) => generatePage(opts, n, 'turtle'));
    const serve = (bodies: string[]) => bodies.forEach((body, i) => server.route(`/loop/catalog?page=${i + 1}`, { body, contentType: 'text/turtle' }));
    serve(pages);
    const sourceId = await p.addSource(`${base}/catalog?page=1`);
    expect(await p.harvest(sourceId)).toMatchObject({ status: 'succeeded', created: 30 });
    // Page 2 now links back to page 1: page 3 is never reached.
    serve([pages[0]!, pages[1]!.replaceAll(`${base}/catalog?page=3`, `${base}/catalog?page=1`), pages[2]!]);
    const run = await p.harvest(sourceId);
    expect(run).toMatchObject({ status: 'unchanged', seen: 20, withdrawn: 0 });
    expect((run.details as { listing?: string }).listing).toBe('partial');
    expect((await p.problems(run.id)).map((x) => x.code)).toContain('paging_loop');
    expect((await p.datasets(sourceId)).size).toBe(30);
  });

  it('a queued harvest of a source rejected or deleted meanwhile is cancelled, touching nothing', async () => {
    const ctl = mountCatalog(server, '/rejected', { datasets: 5, pageSize: 0 });
    const sourceId = await p.addSource(ctl.url);
    expect(await p.harvest(sourceId)).toMatchObject({ status: 'succeeded', created: 5 });
    await p.rt.db.pool.query(`UPDATE sources SET approval_status = 'rejected' WHERE id = $1`, [sourceId]);
    const served = server.requests.length;
    const run = await p.harvest(sourceId);
    expect(run).toMatchObject({ status: 'cancelled', errorCode: 'source_rejected', withdrawn: 0 });
    expect(server.requests.length).toBe(served);
    await p.rt.db.pool.query(`UPDATE sources SET approval_status = 'approved', deleted_at = now() WHERE id = $1`, [sourceId]);
    expect(await p.harvest(sourceId)).toMatchObject({ status: 'cancelled', errorCode: 'source_deleted' });
    expect((await p.datasets(sourceId)).size).toBe(5);
  });

  it('follows the older hydra:nextPage paging', async () => {
    const ctl = mountCatalog(server, '/legacy', { datasets: 12, pageSize: 5, legacyPaging: true });
    const sourceId = await p.addSource(ctl.url);
    const run = await p.harvest(sourceId);
    expect(run).toMatchObject({ status: 'succeeded', seen: 12, pagesFetched: 3 });
  });
});

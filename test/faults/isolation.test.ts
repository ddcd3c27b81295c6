import { describe, expect, it } from 'vitest';
import { createOrganization, createSource, type Run } from '@hasad/db';
import { triggerHarvest, waitForRun } from '@hasad/cli';
import { datasetIdentifier, FeedServer, generatePage, MEDIA_TYPES, pageCount, type FeedResponse, type GenerateOptions } from '@hasad/testkit';
import { recordFault } from './report.ts';
import { expectExact, useFaultHarness, workloadCase } from './harness.ts';

// Several sources harvested at once by the same fetcher and loader processes. Four of them go
// wrong on page 3 (a server that never answers, an HTTP 500, a TCP reset mid-body, a 429 with
// Retry-After: 2) while the whole multi-kind workload (every source kind, 20 000 datasets) is
// harvested beside them and must come out exact. Each failing source was harvested
// successfully once before: its failed run must withdraw nothing.
const FAILING = 1_000;
const PAGE_SIZE = 200;
const FAULT_PAGE = 3;
const FETCH_TIMEOUT_MS = 1_500;

type Fault = 'hang' | 'http500' | 'reset' | 'retry429';

interface HostileFeed {
  url: string;
  /** The fault page 3 shows; undefined = a healthy feed. */
  fault: Fault | undefined;
  requestsFor(n: number): number;
}

/** A generated Turtle catalogue whose page FAULT_PAGE misbehaves as `fault` says (a 429 only once). */
function mountHostileFeed(server: FeedServer, prefix: string, datasets: number): HostileFeed {
  const opts: GenerateOptions = { datasets, pageSize: PAGE_SIZE, baseUrl: `${server.url}${prefix}` };
  const path = (n: number) => `${prefix}/catalog?page=${n}`;
  let answered429 = false;
  const feed: HostileFeed = {
    url: `${server.url}${path(1)}`,
    fault: undefined,
    requestsFor: (n) => server.requests.filter((r) => r.path === path(n)).length,
  };
  for (let n = 1; n <= pageCount(opts); n++) {
    server.route(path(n), (): FeedResponse | Promise<FeedResponse> => {
      const body = generatePage(opts, n, 'turtle');
      const ok: FeedResponse = { status: 200, body, contentType: MEDIA_TYPES.turtle };
      if (n !== FAULT_PAGE || feed.fault === undefined) return ok;
      switch (feed.fault) {
        case 'hang':
          // Never answers; FeedServer.close() drops the connection.
          return new Promise<FeedResponse>(() => {});
        case 'http500':
          return { status: 500, body: '<html><body>Internal Server Error</body></html>', contentType: 'text/html' };
        case 'reset':
          return { ...ok, resetAfterBytes: Math.floor(body.length / 3) };
        case 'retry429':
          if (answered429) return ok;
          answered429 = true;
          return { status: 429, body: 'slow down', contentType: 'text/plain', headers: { 'retry-after': '2' } };
      }
    });
  }
  return feed;
}

const f = useFaultHarness('fault suite: concurrency isolation');

describe('concurrency isolation', () => {
  it('a timeout, a 500, a reset mid-body and a 429 on four sources leave the multi-kind workload unaffected; the failed runs withdraw nothing', async (ctx) => {
    const c = await workloadCase(f, ctx, {
      HASAD_FETCH_TIMEOUT_MS: String(FETCH_TIMEOUT_MS),
      HASAD_HARVEST_ATTEMPTS: '1',
      // The four failing sources and the workload's five, all at once.
      HASAD_FETCHER_CONCURRENCY: '10',
    });
    const { e, db, w, logs } = c;
    for (const role of ['fetcher', 'loader']) c.start(role);

    const addSource = async (slug: string, feed: HostileFeed) => {
      const org = await createOrganization(db, { slug, name: `Institution ${slug}` });
      return (await createSource(db, { organizationId: org.id, kind: 'dcat', url: feed.url, config: {} })).id;
    };
    const catalogue = async (sourceId: string) => {
      const r = await db.pool.query(
        `SELECT count(*)::int AS n, count(DISTINCT source_identifier)::int AS d, count(*) FILTER (WHERE status = 'active')::int AS a, count(*) FILTER (WHERE status = 'withdrawn')::int AS w FROM datasets WHERE source_id = $1`,
        [sourceId],
      );
      return r.rows[0] as { n: number; d: number; a: number; w: number };
    };
    const identifiers = async (sourceId: string) =>
      (await db.pool.query(`SELECT source_identifier FROM datasets WHERE source_id = $1 AND status = 'active' ORDER BY source_identifier`, [sourceId])).rows.map((r) => r.source_identifier as string);
    const expectedIds = (n: number) => Array.from({ length: n }, (_, i) => datasetIdentifier(i)).sort();

    const faults: Fault[] = ['hang', 'http500', 'reset', 'retry429'];
    const failing = await Promise.all(
      faults.map(async (fault) => {
        const feed = mountHostileFeed(f.server, `/iso-${fault}`, FAILING);
        return { fault, feed, sourceId: await addSource(`iso-${fault}`, feed) };
      }),
    );
    // First, every failing source harvests cleanly once.
    const firstRuns = await Promise.all(failing.map((f) => triggerHarvest(db, e.config, f.sourceId, 'manual')));
    for (const r of await Promise.all(firstRuns.map((r) => waitForRun(db, r.id, 90_000)))) {
      expect(r, logs()).toMatchObject({ status: 'succeeded', created: FAILING, withdrawn: 0 });
    }

    // Then the faults, with the whole workload (every source kind, 20 000 datasets) harvested alongside.
    for (const f of failing) f.feed.fault = f.fault;
    w.pace('fast');
    const faultAt = Date.now();
    const runs = await Promise.all(failing.map((s) => triggerHarvest(db, e.config, s.sourceId, 'manual')));
    await w.triggerAll(db, e.config);
    const finished = new Map<string, { run: Run; ms: number }>();
    const healthyDone = c.waitFinal().then(() => Date.now() - faultAt);
    await Promise.all(
      runs.map(async (r, i) => {
        const run = await waitForRun(db, r.id, 180_000);
        finished.set(failing[i]!.sourceId, { run, ms: Date.now() - faultAt });
      }),
    );

    const check = await w.checkCatalogue(db, e.config, 'multi-kind workload beside the four failing sources', await healthyDone);
    expectExact(check, w, logs());
    for (const f of failing) {
      const { run, ms } = finished.get(f.sourceId)!;
      if (f.fault === 'retry429') {
        // Put off for 2 s without spending an attempt, then finished.
        // The feed did not change since the first harvest: `unchanged` is a success too.
        expect(['succeeded', 'unchanged'], `${f.fault}: ${JSON.stringify(run)}\n${logs()}`).toContain(run.status);
        expect(run).toMatchObject({ seen: FAILING, withdrawn: 0, errorCode: null });
        expect(ms).toBeGreaterThanOrEqual(2_000);
        expect(f.feed.requestsFor(FAULT_PAGE)).toBe(3); // first harvest, the 429, the retry
      } else {
        expect(run.status, `${f.fault}: ${JSON.stringify(run)}\n${logs()}`).toBe('failed');
        expect(run.withdrawn).toBe(0);
        expect(run.errorCode).not.toBeNull();
        // A silent server is given up on after the fetch timeout, not before and not much later.
        if (f.fault === 'hang') expect(ms).toBeGreaterThanOrEqual(FETCH_TIMEOUT_MS);
        if (f.fault === 'hang') expect(ms).toBeLessThan(FETCH_TIMEOUT_MS * 20);
      }
      const cat = await catalogue(f.sourceId);
      expect(cat, f.fault).toEqual({ n: FAILING, d: FAILING, a: FAILING, w: 0 });
      expect(await identifiers(f.sourceId)).toEqual(expectedIds(FAILING));
      recordFault({ case: `${f.fault} on page ${FAULT_PAGE} → run ${run.status}${run.errorCode ? ` (${run.errorCode})` : ''}`, expected: FAILING, found: cat.a, duplicates: cat.n - cat.d, wronglyWithdrawn: cat.w, recoveryMs: ms });
    }
    // No job stuck: every run of every source is final.
    const live = await db.pool.query('SELECT count(*)::int AS n FROM runs WHERE finished_at IS NULL');
    expect(live.rows[0].n).toBe(0);
  });
});

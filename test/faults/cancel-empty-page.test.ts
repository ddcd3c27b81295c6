import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { triggerHarvest, waitForRun } from '@hasad/cli';
import { getRun } from '@hasad/db';
import { cancelHarvestRun } from '@hasad/pipeline';
import { generatePage, MEDIA_TYPES } from '@hasad/testkit';
import { startTestPipeline, type TestPipeline } from '../helpers/pipeline.ts';
import { startHostileServer, type HostileServer } from '../hostile/support.ts';
import { recordFault } from './report.ts';

/**
 * Two faults of a publisher's server, through the fetcher and loader against real Redis and
 * PostgreSQL: a page of a paged feed answering empty for a moment withdraws nothing, and a run
 * cancelled mid-harvest stops at a page boundary, withdraws nothing, and the next run works.
 */

let server: HostileServer;
let p: TestPipeline;

/** A Hydra feed of 2 datasets a page: `state.pages` pages, `state.delayMs` a page, `state.empty` pages answering prefixes only. */
function feed(prefix: string, state: { pages: number; delayMs: number; empty: Set<number> }): string {
  return server.route(`${prefix}/catalog`, async (req, res) => {
    const page = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('page') ?? '1');
    if (state.delayMs > 0) await new Promise((r) => setTimeout(r, state.delayMs));
    res.writeHead(200, { 'content-type': MEDIA_TYPES.turtle });
    if (state.empty.has(page)) return void res.end('@prefix dcat: <http://www.w3.org/ns/dcat#> .\n');
    res.end(generatePage({ datasets: state.pages * 2, pageSize: 2, baseUrl: `${server.url}${prefix}` }, page, 'turtle'));
  }) + '?page=1';
}

beforeAll(async () => {
  server = await startHostileServer();
  p = await startTestPipeline(['fetcher', 'loader'], { HASAD_FETCHER_CONCURRENCY: '2' });
});
afterAll(async () => {
  await p?.close();
  await server?.close();
});

describe('publisher faults that must cost no dataset', () => {
  it('a page answering empty for a moment marks the listing partial and withdraws nothing', async () => {
    const state = { pages: 3, delayMs: 0, empty: new Set<number>() };
    const id = await p.addSource(feed('/flaky', state));
    expect(await p.harvest(id)).toMatchObject({ status: 'succeeded', created: 6 });
    const started = Date.now();
    state.empty.add(2);
    const run = await p.harvest(id);
    expect(run, run.error ?? '').toMatchObject({ status: 'unchanged', withdrawn: 0 });
    expect((run.details as { listing?: string }).listing).toBe('partial');
    const problems = await p.problems(run.id);
    expect(problems.find((x) => x.code === 'empty_page')?.message).toMatch(/^page 2 \(.*page=2\) gave no dataset/);
    expect((await p.datasets(id)).size).toBe(6);
    state.empty.clear();
    recordFault({ case: 'page 2 of 3 answers empty', expected: 6, found: (await p.datasets(id)).size, duplicates: 0, wronglyWithdrawn: (await p.datasets(id, 'withdrawn')).size, recoveryMs: Date.now() - started });
  });

  it('a run cancelled mid-harvest stops at a page boundary, withdraws nothing, and the next run works', async () => {
    const state = { pages: 3, delayMs: 0, empty: new Set<number>() };
    const id = await p.addSource(feed('/cancelled', state));
    expect(await p.harvest(id)).toMatchObject({ status: 'succeeded', created: 6 });
    // Now a long, slow listing: 200 pages, 300 ms each.
    Object.assign(state, { pages: 200, delayMs: 300 });
    const started = Date.now();
    const queued = await triggerHarvest(p.rt.db, p.config, id, 'manual');
    for (let i = 0; i < 600 && ((await getRun(p.rt.db, queued.id))?.pagesFetched ?? 0) < 3; i++) await new Promise((r) => setTimeout(r, 100));
    const res = await cancelHarvestRun(p.rt, queued.id, 'the fault suite');
    expect(res.outcome).toBe('cancelled');
    const run = await waitForRun(p.rt.db, queued.id, 60_000);
    expect(run).toMatchObject({ status: 'cancelled', errorCode: 'cancelled', withdrawn: 0 });
    expect(run.pagesFetched).toBeGreaterThanOrEqual(3);
    expect(run.pagesFetched).toBeLessThan(20);
    // The first harvest's 6 datasets (pages 1-3, unchanged) are all still active.
    const active = await p.datasets(id);
    expect(active.size).toBeGreaterThanOrEqual(6);
    expect([...(await p.datasets(id, 'withdrawn')).keys()]).toEqual([]);
    // The slot is free and the source harvests again.
    Object.assign(state, { pages: 3, delayMs: 0 });
    const next = await p.harvest(id);
    expect(next, next.error ?? '').toMatchObject({ status: expect.stringMatching(/^(succeeded|unchanged|needs_review)$/) });
    recordFault({ case: `run cancelled mid-harvest (stopped after ${run.pagesFetched} of 200 pages)`, expected: Math.max(6, run.pagesFetched * 2), found: (await p.datasets(id)).size, duplicates: 0, wronglyWithdrawn: (await p.datasets(id, 'withdrawn')).size, recoveryMs: Date.now() - started });
  });
});

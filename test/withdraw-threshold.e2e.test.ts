import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetIdentifier, FeedServer, mountCatalog } from '@hasad/testkit';
import { startTestPipeline, type TestPipeline } from './helpers/pipeline.ts';

// The share of a source's datasets one complete run may withdraw before it stops for review:
// the source's own withdraw threshold when it has one, else HASAD_WITHDRAW_THRESHOLD (default
// 0.2). Each case harvests 40 datasets, then a feed 12 shorter (30 %).
const DATASETS = 40;
const GONE = Array.from({ length: 12 }, (_, i) => i + 20);

/** Harvests a 40-dataset feed, then the same feed without 12 of them; returns the second run and the source's active identifiers after it. */
async function shrinkBy30Percent(p: TestPipeline, server: FeedServer, prefix: string, withdrawThreshold?: number) {
  const ctl = mountCatalog(server, prefix, { datasets: DATASETS, pageSize: 15 });
  const sourceId = await p.addSource(ctl.url, withdrawThreshold === undefined ? {} : { withdrawThreshold });
  expect(await p.harvest(sourceId)).toMatchObject({ status: 'succeeded', created: DATASETS });
  ctl.options.omit = new Set(GONE);
  const run = await p.harvest(sourceId);
  const active = [...(await p.datasets(sourceId)).keys()].sort();
  const withdrawn = [...(await p.datasets(sourceId, 'withdrawn')).keys()].sort();
  return { run, active, withdrawn };
}

const kept = Array.from({ length: DATASETS }, (_, i) => i)
  .filter((i) => !GONE.includes(i))
  .map(datasetIdentifier)
  .sort();
const gone = GONE.map(datasetIdentifier).sort();

describe('withdraw threshold', () => {
  let server: FeedServer;
  beforeAll(async () => {
    server = await FeedServer.start();
  });
  afterAll(async () => {
    await server?.close();
  });

  describe('with the default global threshold (20 %)', () => {
    let p: TestPipeline;
    beforeAll(async () => {
      p = await startTestPipeline(['fetcher', 'loader']);
    });
    afterAll(async () => {
      await p?.close();
    });

    it("a source's own threshold of 0.5 lets a 30 % shrink withdraw", async () => {
      const { run, active, withdrawn } = await shrinkBy30Percent(p, server, '/own-half', 0.5);
      expect(run).toMatchObject({ status: 'succeeded', seen: 28, withdrawn: 12, pendingWithdrawals: null });
      expect(active).toEqual(kept);
      expect(withdrawn).toEqual(gone);
    });

    it('a source without its own threshold stops the same shrink for review', async () => {
      const { run, active, withdrawn } = await shrinkBy30Percent(p, server, '/own-none');
      expect(run).toMatchObject({ status: 'needs_review', seen: 28, withdrawn: 0, pendingWithdrawals: 12 });
      expect((run.details as { review: { reason: string; message: string } }).review).toMatchObject({ reason: 'threshold', message: expect.stringContaining('above the 20 % threshold') });
      expect(active).toHaveLength(DATASETS);
      expect(withdrawn).toEqual([]);
    });
  });

  describe('with HASAD_WITHDRAW_THRESHOLD=0.5', () => {
    let p: TestPipeline;
    beforeAll(async () => {
      p = await startTestPipeline(['fetcher', 'loader'], { HASAD_WITHDRAW_THRESHOLD: '0.5' });
    });
    afterAll(async () => {
      await p?.close();
    });

    it('a source without its own threshold withdraws after a 30 % shrink', async () => {
      const { run, active, withdrawn } = await shrinkBy30Percent(p, server, '/global-half');
      expect(run).toMatchObject({ status: 'succeeded', seen: 28, withdrawn: 12, pendingWithdrawals: null });
      expect(active).toEqual(kept);
      expect(withdrawn).toEqual(gone);
    });

    it("a source's own stricter threshold (0.1) still stops it for review", async () => {
      const { run, active } = await shrinkBy30Percent(p, server, '/own-strict', 0.1);
      expect(run).toMatchObject({ status: 'needs_review', withdrawn: 0, pendingWithdrawals: 12 });
      expect((run.details as { review: { message: string } }).review.message).toContain('above the 10 % threshold');
      expect(active).toHaveLength(DATASETS);
    });
  });
});

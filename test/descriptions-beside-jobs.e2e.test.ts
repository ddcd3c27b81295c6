import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from 'bullmq';
import { FeedServer, generatePage, MEDIA_TYPES } from '@hasad/testkit';
import { decompressDescription, type LoadBatchPayload } from '@hasad/core';
import { getRun } from '@hasad/db';
import { startRoles, triggerHarvest, waitForRun, type Runtime } from '@hasad/cli';
import { startTestPipeline, type TestPipeline } from './helpers/pipeline.ts';
import { waitUntil } from './helpers/wait.ts';

// A batch's kept descriptions travel beside its load job, as one binary Redis value, not inside
// the job's JSON (issue 12's cost, issue 17). Real fetcher and loader, real Redis and PostgreSQL:
// the fetcher runs alone first, so the queued job and its value can be looked at before a loader
// takes them.

const feed = (n: number, tag: string) => {
  let body = '@prefix dcat: <http://www.w3.org/ns/dcat#> .\n@prefix dct: <http://purl.org/dc/terms/> .\n';
  for (let i = 0; i < n; i++) {
    body += `<https://data.example.ma/${tag}/${i}> a dcat:Dataset ; dct:title "Jeu ${tag} ${i}"@fr , "مجموعة ${i}"@ar ; dct:identifier "${tag}-${i}" ;
  <http://example.org/ext#note> "extension ${i}" .\n`;
  }
  return body;
};

let p: TestPipeline;
let server: FeedServer;
let loader: Runtime | undefined;

beforeAll(async () => {
  // The fetcher only: batches wait in the load queue until a test starts a loader.
  [server, p] = await Promise.all([FeedServer.start(), startTestPipeline(['fetcher'], { HASAD_HARVEST_ATTEMPTS: '1' })]);
});
afterAll(async () => {
  await loader?.stop();
  await Promise.all([p?.close(), server?.close()]);
});

/** Harvests `path` with no loader running and returns the run and its queued batch jobs once fetching is done. */
async function fetchOnly(path: string, body: string): Promise<{ runId: string; sourceId: string; jobs: Job[] }> {
  server.route(path, { body, contentType: 'text/turtle; charset=utf-8' });
  const sourceId = await p.addSource(`${server.url}${path}`);
  const run = await triggerHarvest(p.rt.db, p.config, sourceId, 'manual');
  await waitUntil('the fetcher to finish the feed', () => getRun(p.rt.db, run.id), (r) => r?.fetchDone === true);
  const jobs = (await p.rt.queues.load.getJobs(['waiting', 'prioritized', 'delayed'])).filter((j) => j.name === 'load.batch' && (j.data as LoadBatchPayload).runId === run.id);
  return { runId: run.id, sourceId, jobs };
}

async function startLoader(): Promise<Runtime> {
  loader ??= await startRoles(['loader'], p.config);
  return loader;
}

describe('kept descriptions beside the load job', () => {
  it('are one binary value per batch, the job pointing into it; loaded whole, then deleted', async () => {
    const { runId, sourceId, jobs } = await fetchOnly('/beside.ttl', feed(5, 'beside'));
    expect(jobs).toHaveLength(1);
    const data = jobs[0]!.data as LoadBatchPayload;
    // No description bytes in the job's JSON: each record says where its bytes lie.
    expect(JSON.stringify(data)).not.toContain('deflated');
    expect(data.records).toHaveLength(5);
    for (const r of data.records) expect(r.description).toMatchObject({ format: 'application/n-triples', at: [expect.any(Number), expect.any(Number)] });
    const key = data.descriptions!.key;
    expect(key.startsWith(`${p.config.HASAD_QUEUE_PREFIX}:descriptions:`)).toBe(true);
    const parked = await p.rt.queues.getDescriptions(key);
    expect(parked?.length).toBe(data.descriptions!.bytes);
    const first = data.records.find((r) => r.identifier === 'beside-3')!.description as { at: [number, number] };
    expect(decompressDescription(parked!.subarray(first.at[0], first.at[0] + first.at[1]))).toContain('"extension 3"');

    await startLoader();
    const run = await waitForRun(p.rt.db, runId, 60_000);
    expect(run.status).toBe('succeeded');
    // Every dataset's own description, the extension included, reached its row.
    const rows = await p.rt.db.pool.query<{ source_identifier: string; d: Buffer }>('SELECT source_identifier, source_description_deflated AS d FROM datasets WHERE source_id = $1', [sourceId]);
    expect(rows.rows).toHaveLength(5);
    for (const r of rows.rows) expect(decompressDescription(r.d)).toContain(`"extension ${r.source_identifier.split('-')[1]}"`);
    // The value is deleted once its job has completed.
    await waitUntil("the loaded batch's descriptions to be deleted", () => p.rt.queues.getDescriptions(key), (v) => v === null, { timeoutMs: 10_000 });
  });

  it('a batch whose descriptions are gone loads nothing: its run fails with descriptions_lost, is finished, withdraws nothing', async () => {
    await loader?.stop();
    loader = undefined;
    const { runId, sourceId, jobs } = await fetchOnly('/gone.ttl', feed(3, 'gone'));
    expect(jobs).toHaveLength(1);
    const data = jobs[0]!.data as LoadBatchPayload;
    // As Redis would after the value expired, or under an eviction policy other than noeviction.
    await p.rt.queues.dropDescriptions(data.descriptions!.key);

    await startLoader();
    const run = await waitForRun(p.rt.db, runId, 60_000);
    expect(run.status).toBe('failed');
    expect(run.errorCode).toBe('descriptions_lost');
    expect(run.error).toMatch(/kept source descriptions of batch 0 of page 1 .* are no longer in Redis \(key .*:descriptions:.*\).*nothing of the batch was loaded/);
    expect(run.finishedAt).not.toBeNull();
    expect((await p.datasets(sourceId, 'all')).size).toBe(0);
    // The job failed at once (retrying cannot bring the bytes back), with the same reason.
    const job = await p.rt.queues.load.getJob(jobs[0]!.id!);
    await waitUntil('the batch job to be failed', async () => job?.getState(), (st) => st === 'failed', { timeoutMs: 10_000 });
    const failed = await p.rt.queues.load.getJob(jobs[0]!.id!);
    expect(failed?.attemptsMade).toBe(1);
    expect(failed?.failedReason).toMatch(/no longer in Redis/);
  });

  it('a run failed that way stops its fetcher at the next page boundary: nothing more is fetched', async () => {
    await loader?.stop();
    loader = undefined;
    // Four pages; page 2 is answered only once the run has failed, so the fetcher's check at the
    // end of page 2 is sure to see it.
    const prefix = '/stop';
    const opts = { datasets: 40, pageSize: 10, baseUrl: `${server.url}${prefix}` };
    let open: () => void = () => undefined;
    const gate = new Promise<void>((r) => (open = r));
    for (let n = 1; n <= 4; n++) {
      server.route(`${prefix}/catalog?page=${n}`, async () => {
        if (n === 2) await gate;
        return { status: 200, body: generatePage(opts, n, 'turtle'), contentType: MEDIA_TYPES.turtle };
      });
    }
    const asked = (n: number) => server.requests.filter((r) => r.path === `${prefix}/catalog?page=${n}`).length;
    const sourceId = await p.addSource(`${server.url}${prefix}/catalog?page=1`);
    const queued = await triggerHarvest(p.rt.db, p.config, sourceId, 'manual');
    const job = await waitUntil('page 1\'s batch job', async () => (await p.rt.queues.load.getJobs(['waiting'])).find((j) => (j.data as LoadBatchPayload).runId === queued.id), (j) => j !== undefined);
    await p.rt.queues.dropDescriptions((job!.data as LoadBatchPayload).descriptions!.key);
    await startLoader();
    await waitUntil('the run to fail', () => getRun(p.rt.db, queued.id), (r) => r?.status === 'failed');
    open();
    const run = await waitForRun(p.rt.db, queued.id, 60_000);
    expect(run.status).toBe('failed');
    expect(run.errorCode).toBe('descriptions_lost');
    // Page 2 was being fetched when the run failed: it is read and loaded, as a cancelled run's
    // pages are; pages 3 and 4 were never asked for.
    await waitUntil('the fetcher to let the run go', async () => (await p.rt.queues.harvest.getActiveCount()) + (await p.rt.queues.harvest.getWaitingCount()), (n) => n === 0);
    expect(asked(2)).toBe(1);
    expect(asked(3)).toBe(0);
    expect(asked(4)).toBe(0);
    // Nothing withdrawn, nothing of page 1's lost batch loaded, page 2's ten datasets in.
    await waitUntil('the load queue to drain', async () => (await p.rt.queues.load.getActiveCount()) + (await p.rt.queues.load.getWaitingCount()), (n) => n === 0);
    const rows = await p.datasets(sourceId, 'all');
    expect([...rows.values()].every((d) => d.status === 'active')).toBe(true);
    expect(rows.size).toBe(10);
  });
});

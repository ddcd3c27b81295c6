import { describe, expect, it } from 'vitest';
import { createDb, createOrganization, createSource } from '@hasad/db';
import { triggerHarvest, waitForRun } from '@hasad/cli';
import { datasetIdentifier } from '@hasad/testkit';
import { testEnv } from '../helpers/pipeline.ts';
import { describeProcesses, startRoleProcess } from '../helpers/processes.ts';
import { mountSlowCatalog } from '../helpers/slow-feed.ts';
import { waitUntil } from '../helpers/wait.ts';
import { recordFault } from './report.ts';
import { useFaultHarness } from './harness.ts';

// SIGTERM to a fetcher process in the middle of a paged harvest: the fetcher finishes the page
// it is on, checkpoints it, hands the job back (moveToDelayed + DelayedError, no attempt spent)
// and exits within HASAD_SHUTDOWN_GRACE_MS. A new fetcher resumes at the checkpoint.
const DATASETS = 6_000;
const PAGE_SIZE = 200;
const PAGES = DATASETS / PAGE_SIZE;
const SLOW_MS = 150;
const GRACE_MS = 5_000;

const f = useFaultHarness('fault suite: graceful shutdown');

describe('graceful shutdown', () => {
  it('SIGTERM to a fetcher mid-run: exits within the grace period, hands the job back at its checkpoint, the run completes after restart', async (ctx) => {
    f.env = await testEnv({ HASAD_SHUTDOWN_GRACE_MS: String(GRACE_MS), HASAD_FETCHER_CONCURRENCY: '1', LOG_LEVEL: 'info' });
    const e = f.env;
    const db = (f.h = createDb(e.config.DATABASE_URL, { max: 4, applicationName: 'hasad-test' }));
    const logs = () => describeProcesses(f.procs);
    ctx.onTestFailed(() => {
      process.stderr.write(`\nworker output for ${ctx.task.name}:\n${logs()}\n`);
    });
    const start = (role: string) => {
      const p = startRoleProcess(role, e.env);
      f.procs.push(p);
      return p;
    };
    const feed = mountSlowCatalog(f.server, '/graceful', { datasets: DATASETS, pageSize: PAGE_SIZE }, SLOW_MS);
    const org = await createOrganization(db.db, { slug: 'graceful', name: 'Office national de test' });
    const sourceId = (await createSource(db.db, { organizationId: org.id, kind: 'dcat', url: feed.url, config: {} })).id;
    const pagesFetched = async (runId: string) => {
      const r = await db.pool.query('SELECT pages_fetched, fetch_done FROM runs WHERE id = $1', [runId]);
      return { pages: r.rows[0].pages_fetched as number, done: r.rows[0].fetch_done as boolean };
    };

    const fetcher = start('fetcher');
    start('loader');
    const run = await triggerHarvest(db, e.config, sourceId, 'manual');
    await waitUntil('a few checkpointed pages', () => pagesFetched(run.id), (s) => s.pages >= 4, { timeoutMs: 90_000, context: logs });

    const termAt = Date.now();
    process.kill(fetcher.pid, 'SIGTERM');
    const code = await fetcher.exited;
    const exitMs = Date.now() - termAt;
    expect(code, logs()).toBe(0);
    expect(exitMs, 'exit time after SIGTERM').toBeLessThanOrEqual(GRACE_MS + 2_000);
    expect(fetcher.output()).toContain('handed back at its checkpoint');

    const atStop = await pagesFetched(run.id);
    expect(atStop.done, 'the SIGTERM must land before the last page').toBe(false);
    expect(atStop.pages).toBeLessThan(PAGES);
    // Handed back, not failed: the run is still open and no page past the checkpoint was asked for twice.
    const open = await db.pool.query('SELECT status, finished_at FROM runs WHERE id = $1', [run.id]);
    expect(open.rows[0].finished_at).toBeNull();
    const requestsAtStop = Array.from({ length: atStop.pages }, (_, i) => feed.requestsFor(i + 1));

    feed.delayMs = 5;
    start('fetcher');
    const done = await waitForRun(db, run.id, 90_000);
    const recoveryMs = Date.now() - termAt;
    expect(done, logs()).toMatchObject({ status: 'succeeded', seen: DATASETS, created: DATASETS, updated: 0, withdrawn: 0, invalid: 0, pagesFetched: PAGES, errorCode: null });
    // The hand-back did not spend an attempt... or at most the new pickup counted as one.
    expect(done.attempts).toBeLessThanOrEqual(2);

    const active = await db.pool.query(`SELECT source_identifier FROM datasets WHERE source_id = $1 AND status = 'active' ORDER BY source_identifier`, [sourceId]);
    const all = await db.pool.query(`SELECT count(*)::int AS n, count(DISTINCT source_identifier)::int AS d, count(*) FILTER (WHERE status = 'withdrawn')::int AS w FROM datasets WHERE source_id = $1`, [sourceId]);
    const expected = Array.from({ length: DATASETS }, (_, i) => datasetIdentifier(i)).sort();
    expect(active.rows.map((r) => r.source_identifier)).toEqual(expected);
    expect(all.rows[0].n).toBe(DATASETS);
    // Pages checkpointed before the SIGTERM were not fetched again by the new fetcher.
    for (let n = 1; n <= atStop.pages; n++) expect(feed.requestsFor(n), `page ${n}`).toBe(requestsAtStop[n - 1]);
    for (let n = 1; n <= atStop.pages; n++) expect(feed.requestsFor(n), `page ${n}`).toBe(1);
    const runs = await db.pool.query('SELECT count(*)::int AS n FROM runs WHERE source_id = $1', [sourceId]);
    expect(runs.rows[0].n).toBe(1);

    recordFault({ case: `SIGTERM fetcher (exit ${(exitMs / 1000).toFixed(1)} s, grace ${GRACE_MS / 1000} s)`, expected: DATASETS, found: active.rows.length, duplicates: all.rows[0].n - all.rows[0].d, wronglyWithdrawn: all.rows[0].w, recoveryMs });
  });
});

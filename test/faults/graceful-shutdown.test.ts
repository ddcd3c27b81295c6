import { describe, expect, it } from 'vitest';
import { expectExact, useFaultHarness, workloadCase } from './harness.ts';
import { WORKLOAD } from './workload.ts';

// SIGTERM to the fetcher process in the middle of the multi-kind workload: for each job in hand
// it finishes the page it is on, checkpoints it, hands the job back (moveToDelayed +
// DelayedError, no attempt spent) and exits within HASAD_SHUTDOWN_GRACE_MS; a job that cannot
// stop at a page (the CSV file is one page) is left to its lock and taken over. A new fetcher
// resumes every run at its checkpoint. (This case caught a fetcher that waited for the CSV file
// to end, three times its grace period: see closeWorker in packages/queues.)
const GRACE_MS = 5_000;

const f = useFaultHarness('fault suite: graceful shutdown');

describe('graceful shutdown', () => {
  it('SIGTERM to the fetcher mid-run: exits within the grace period, hands the jobs back at their checkpoints, every run completes after restart', async (ctx) => {
    const c = await workloadCase(f, ctx, { HASAD_SHUTDOWN_GRACE_MS: String(GRACE_MS), LOG_LEVEL: 'info' });
    c.start('scheduler');
    c.start('loader');
    const fetcher = c.start('fetcher');
    await c.startMidRun();

    const termAt = Date.now();
    process.kill(fetcher.pid, 'SIGTERM');
    const code = await fetcher.exited;
    const exitMs = Date.now() - termAt;
    expect(code, c.logs()).toBe(0);
    expect(exitMs, 'exit time after SIGTERM').toBeLessThanOrEqual(GRACE_MS + 2_000);
    expect(fetcher.output()).toContain('handed back at its checkpoint');

    // Handed back, not failed: every run is still open, none fetched to the end. The CSV file
    // (one page, trickling for about 34 s) was still downloading when the grace period ended:
    // the fetcher exited all the same and left that job to its lock.
    const atStop = await c.w.progress(c.db);
    expect(atStop.filter((p) => p.finished || p.fetchDone), JSON.stringify(atStop)).toEqual([]);
    const turtle = atStop.find((p) => p.slug === 'dcat-turtle')!;
    const turtlePath = (n: number) => `/dcat-turtle/catalog?page=${n}`;

    c.w.pace('fast');
    c.start('fetcher');
    await c.waitFinal();
    const recoveryMs = Date.now() - termAt;
    const check = await c.w.checkCatalogue(c.db, c.e.config, `SIGTERM fetcher mid-run (exit ${(exitMs / 1000).toFixed(1)} s, grace ${GRACE_MS / 1000} s)`, recoveryMs);
    expectExact(check, c.w, c.logs());
    // Pages checkpointed before the SIGTERM were not fetched again by the new fetcher.
    expect(turtle.pagesFetched).toBeGreaterThanOrEqual(1);
    for (let n = 1; n <= turtle.pagesFetched; n++) expect(c.w.server.requests.filter((r) => r.path === turtlePath(n)).length, `dcat-turtle page ${n}`).toBe(1);
    // The hand-back did not spend an attempt... or at most the new pickup counted as one.
    const attempts = await c.db.pool.query('SELECT attempts FROM runs WHERE id = $1', [turtle.runId]);
    expect(attempts.rows[0].attempts).toBeLessThanOrEqual(2);
    expect(WORKLOAD.dcatTurtle / WORKLOAD.dcatPageSize).toBeGreaterThan(turtle.pagesFetched);
  });
});

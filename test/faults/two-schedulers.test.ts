import { describe, expect, it } from 'vitest';
import { createDb, createOrganization, createSource } from '@hasad/db';
import { mountCatalog } from '@hasad/testkit';
import { testEnv } from '../helpers/pipeline.ts';
import { describeProcesses, startRoleProcess } from '../helpers/processes.ts';
import { waitUntil } from '../helpers/wait.ts';
import { recordFault } from './report.ts';
import { useFaultHarness } from './harness.ts';

// Two scheduler processes against the same queue prefix and database. The source's schedule is
// a 6-field cron firing every 5 seconds, written straight into the sources table as an operator
// could (the API and CLI refuse anything under HASAD_MIN_SCHEDULE_INTERVAL_MS): each tick must
// still give exactly one harvest, and two runs of the source never overlap.
const DATASETS = 200;
const TICK_MS = 5_000;
const WINDOW_MS = 17_000;

const f = useFaultHarness('fault suite: two schedulers');

describe('two scheduler processes at once', () => {
  it('a source on a 5-second cron is harvested exactly once per tick, never by two overlapping runs', async (ctx) => {
    f.env = await testEnv({ LOG_LEVEL: 'info' });
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
    const feed = mountCatalog(f.server, '/two-schedulers', { datasets: DATASETS, pageSize: 200 });
    const org = await createOrganization(db, { slug: 'two-schedulers', name: 'Agence de test' });
    const sourceId = (await createSource(db, { organizationId: org.id, kind: 'dcat', url: feed.url, config: {}, schedule: '*/5 * * * * *' })).id;

    start('fetcher');
    start('loader');
    const s1 = start('scheduler');
    const s2 = start('scheduler');
    const runsOf = async () =>
      (
        await db.pool.query<{ id: string; status: string; trigger: string; job_id: string; started_at: Date | null; finished_at: Date | null; seen: number }>(
          'SELECT id, status, trigger, job_id, started_at, finished_at, seen FROM runs WHERE source_id = $1 ORDER BY created_at',
          [sourceId],
        )
      ).rows;
    const first = await waitUntil('the first scheduled run', runsOf, (r) => r.length >= 1, { timeoutMs: 60_000, context: logs });
    const firstAt = Date.now();
    void first;
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    // Stop the ticks: disable the source (the schedulers drop its job scheduler; a job already queued is skipped).
    await db.pool.query('UPDATE sources SET enabled = false WHERE id = $1', [sourceId]);
    const stoppedAt = Date.now();
    await waitUntil('no live run', runsOf, (r) => r.every((x) => x.finished_at !== null), { timeoutMs: 60_000, context: logs });
    // Both schedulers ran the whole time.
    expect(s1.output()).not.toContain('"level":50');
    expect(s2.output()).not.toContain('"level":50');

    const runs = await runsOf();
    expect(runs.every((r) => r.trigger === 'schedule')).toBe(true);
    expect(runs.every((r) => ['succeeded', 'unchanged'].includes(r.status)), JSON.stringify(runs.map((r) => r.status))).toBe(true);
    // One job per tick: BullMQ names a scheduled job after its scheduler and its tick time.
    const ticks = runs.map((r) => {
      const m = /^repeat:.*:(\d+)$/.exec(r.job_id);
      expect(m, `job id ${r.job_id}`).not.toBeNull();
      return Number(m![1]);
    });
    expect(new Set(runs.map((r) => r.job_id)).size).toBe(runs.length);
    expect(new Set(ticks).size).toBe(ticks.length);
    for (const t of ticks) expect(t % TICK_MS).toBe(0);
    const sorted = [...ticks].sort((a, b) => a - b);
    // Never two runs of the source at once.
    const spans = runs.map((r) => [r.started_at!.getTime(), r.finished_at!.getTime()] as const).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);
    // No tick lost between the first and the last: a tick without a run is only allowed when the
    // previous run was still going at that tick (its job was then skipped as `run_active`, as it should).
    const have = new Set(sorted);
    const skipped: number[] = [];
    for (let t = sorted[0]!; t <= sorted.at(-1)!; t += TICK_MS) {
      if (have.has(t)) continue;
      skipped.push(t);
      expect(spans.some(([s, f]) => s <= t + TICK_MS && f >= t), `tick ${new Date(t).toISOString()} has no run and no run was live then`).toBe(true);
    }
    // Enough ticks to prove it, and never more runs than ticks.
    expect(runs.length).toBeGreaterThanOrEqual(3);
    expect(runs.length).toBeLessThanOrEqual(Math.ceil((stoppedAt - firstAt) / TICK_MS) + 2);
    // And the BullMQ side agrees: the job scheduler was registered once (one key), not once per scheduler process.
    const cat = await db.pool.query(`SELECT count(*)::int AS n, count(DISTINCT source_identifier)::int AS d, count(*) FILTER (WHERE status = 'active')::int AS a, count(*) FILTER (WHERE status = 'withdrawn')::int AS w FROM datasets WHERE source_id = $1`, [sourceId]);
    expect(cat.rows[0]).toEqual({ n: DATASETS, d: DATASETS, a: DATASETS, w: 0 });
    recordFault({ case: `2 schedulers, */5 s cron: ${runs.length + skipped.length} ticks → ${runs.length} runs, ${skipped.length} skipped (run live)`, expected: DATASETS, found: cat.rows[0].a, duplicates: cat.rows[0].n - cat.rows[0].d, wronglyWithdrawn: cat.rows[0].w, recoveryMs: null });
  });
});

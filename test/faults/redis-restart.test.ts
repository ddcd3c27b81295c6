import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectExact, useFaultHarness, workloadCase } from './harness.ts';
import { HAVE_REDIS_SERVER, PrivateRedis } from './private-redis.ts';

// Redis killed with SIGKILL in the middle of the multi-kind workload and started again empty
// (no persistence): every harvest job, lock and queued batch is gone, while PostgreSQL still
// says the runs are live. The services reconnect on their own; the scheduler's reconciler
// (repairOrphanRuns) finds the runs no job holds once their heartbeat is older than
// HASAD_ORPHAN_GRACE_MS, rewinds each to its first page not fully loaded and queues it again;
// two schedulers run, as with a standby, and each run must still be queued again only once.
// The suite's own redis-server, on a port from the OS: the shared Redis is never touched.
const DOWN_MS = 1_000;

if (!HAVE_REDIS_SERVER) console.warn('SKIPPED the Redis restart case: no redis-server on the PATH');

const f = useFaultHarness('fault suite: Redis restart');
let redis: PrivateRedis | undefined;

beforeAll(async () => {
  if (HAVE_REDIS_SERVER) redis = await PrivateRedis.create();
});
afterAll(async () => {
  await redis?.destroy();
});

describe.skipIf(!HAVE_REDIS_SERVER)('Redis restarted without persistence', () => {
  it('mid-run: queues lost, the reconciler finishes every orphaned run from its PostgreSQL checkpoint', async (ctx) => {
    const r = redis!;
    const c = await workloadCase(f, ctx, { REDIS_URL: r.url });
    expect(c.e.config.REDIS_URL).toBe(r.url);
    // Two schedulers, as a deployment with a standby runs: both reconcile the same orphaned runs.
    for (const role of ['scheduler', 'scheduler', 'fetcher', 'loader']) c.start(role);
    await c.startMidRun();

    const crashedAt = Date.now();
    await r.crash();
    await new Promise((res) => setTimeout(res, DOWN_MS));
    c.w.pace('fast');
    await r.start();
    await c.waitFinal();
    const recoveryMs = Date.now() - crashedAt;
    // No role process died of the outage: they reconnected.
    for (const p of f.procs) expect(await Promise.race([p.exited, new Promise((res) => setTimeout(() => res('running'), 10))]), `${p.roles} still running\n${c.logs()}`).toBe('running');
    const check = await c.w.checkCatalogue(c.db, c.e.config, `Redis SIGKILLed, restarted empty after ${DOWN_MS / 1000} s`, recoveryMs);
    expectExact(check, c.w, c.logs());
    // The runs were finished by the repair, not by chance: the scheduler says it re-enqueued them.
    // Both schedulers found the orphans, but each run was taken by one of them and queued once
    // (a second job walking the same run is the double harvest this case once caught).
    const repairs = f.procs
      .filter((p) => p.roles === 'scheduler')
      .flatMap((p) => p.output().split('\n'))
      .filter((l) => l.includes('orphaned run re-enqueued'))
      .map((l) => (JSON.parse(l) as { runId: string }).runId);
    expect(repairs.length, c.logs()).toBeGreaterThanOrEqual(1);
    const perRun = new Map<string, number>();
    for (const id of repairs) perRun.set(id, (perRun.get(id) ?? 0) + 1);
    expect([...perRun].filter(([, n]) => n > 1), 'runs re-enqueued more than once').toEqual([]);
    expect([...perRun.keys()].every((id) => [...c.w.runs.values()].includes(id))).toBe(true);
  });
});

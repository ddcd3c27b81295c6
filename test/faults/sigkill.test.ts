import { describe, it, type TestContext } from 'vitest';
import { useFaultHarness, workloadCase, expectExact } from './harness.ts';

// SIGKILL (no shutdown hook runs, as when a container is OOM-killed or a node dies) of one
// role process, then of all three at once, while the whole multi-kind workload is being
// harvested; the orchestrator starts a replacement straight away. BullMQ hands the dead
// worker's jobs to the replacement after about one lock period; every run must converge on
// exactly what the institutions publish.
const f = useFaultHarness('fault suite: SIGKILL');

type Role = 'fetcher' | 'loader' | 'scheduler';

async function killMidRun(ctx: TestContext, victims: Role[]) {
  const c = await workloadCase(f, ctx);
  const procs = new Map((['scheduler', 'fetcher', 'loader'] as Role[]).map((r) => [r, c.start(r)]));
  await c.startMidRun();
  const killedAt = Date.now();
  await Promise.all(victims.map((r) => procs.get(r)!.kill()));
  c.w.pace('fast');
  for (const r of victims) c.start(r);
  await c.waitFinal();
  const recoveryMs = Date.now() - killedAt;
  const check = await c.w.checkCatalogue(c.db, c.e.config, `SIGKILL ${victims.join(' + ')} mid-run`, recoveryMs);
  expectExact(check, c.w, c.logs());
}

describe('SIGKILL of a role process in the middle of the multi-kind workload', () => {
  it('the fetcher: its replacement takes the runs over from their checkpoints', (ctx) => killMidRun(ctx, ['fetcher']));
  it('the loader: batches in flight are rolled back, re-delivered and loaded once', (ctx) => killMidRun(ctx, ['loader']));
  it('the scheduler: the runs finish, the replacement repairs nothing that is not broken', (ctx) => killMidRun(ctx, ['scheduler']));
  it('all three at once: the replacements finish the same runs', (ctx) => killMidRun(ctx, ['scheduler', 'fetcher', 'loader']));
});

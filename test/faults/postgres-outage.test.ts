import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canRunPrivatePostgres, PrivatePostgres } from '@hasad/testkit';
import { expectExact, useFaultHarness, workloadCase } from './harness.ts';

// PostgreSQL stopped for 20 s in the middle of the multi-kind workload, then started again:
// the fetcher and the loaders retry with backoff, nothing is lost, and no run is marked
// succeeded with rows missing. The shared PostgreSQL on 5432 is never touched: this file
// starts a private instance (initdb into a temp directory, as the postgres user when run as
// root) on a port from the OS and stops that one.
const OUTAGE_MS = 20_000;

let pgServer: PrivatePostgres | undefined;
/**
 * Runs unless HASAD_FAULTS_PG_OUTAGE=0, and only where a private cluster can be made (Debian's
 * PostgreSQL binaries; as root, the `postgres` user to run them). Skipped loudly otherwise.
 */
const CAN = canRunPrivatePostgres();
const RUN = process.env.HASAD_FAULTS_PG_OUTAGE !== '0' && CAN;
if (!RUN) console.warn(`SKIPPED the PostgreSQL outage case: ${CAN ? 'HASAD_FAULTS_PG_OUTAGE=0' : 'no PostgreSQL binaries (or no postgres user) to start a private cluster'}`);

const f = useFaultHarness('fault suite: PostgreSQL outage');
beforeAll(async () => {
  if (RUN) pgServer = await PrivatePostgres.create();
});
// After the harness's afterEach (which drops the case's database on this cluster).
afterAll(() => {
  pgServer?.destroy();
});

describe.skipIf(!RUN)('PostgreSQL outage', () => {
  it(`PostgreSQL stopped for ${OUTAGE_MS / 1000} s mid-run: workers retry with backoff, every run completes with every dataset exactly once`, async (ctx) => {
    const pgs = pgServer!;
    const c = await workloadCase(f, ctx, { HASAD_HARVEST_BACKOFF_MS: '2000' }, { adminDatabaseUrl: pgs.url });
    expect(c.e.config.DATABASE_URL).toContain(`:${pgs.port}/`);
    // The scheduler's reconciler is part of recovery (runs whose jobs gave up are repaired).
    for (const role of ['scheduler', 'fetcher', 'loader']) c.start(role);
    await c.startMidRun();

    const downAt = Date.now();
    pgs.stop();
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    c.w.pace('fast');
    pgs.start();
    await c.waitFinal();
    const recoveryMs = Date.now() - downAt;
    // No worker died of the outage.
    for (const p of f.procs) expect(await Promise.race([p.exited, new Promise((r) => setTimeout(() => r('running'), 10))]), `${p.roles} still running\n${c.logs()}`).toBe('running');
    const check = await c.w.checkCatalogue(c.db, c.e.config, `PostgreSQL stopped ${OUTAGE_MS / 1000} s mid-run`, recoveryMs);
    expectExact(check, c.w, c.logs());
  }, 240_000);
});

import { afterAll, afterEach, beforeAll, expect, type TestContext } from 'vitest';
import { createDb, type DbHandle } from '@hasad/db';
import { FeedServer } from '@hasad/testkit';
import { testEnv } from '../helpers/pipeline.ts';
import { describeProcesses, killAllRoles, startRoleProcess, type RoleProcess } from '../helpers/processes.ts';
import { waitUntil } from '../helpers/wait.ts';
import { printFaultTable, recordFault } from './report.ts';
import { Workload, WORKLOAD_ENV, type CatalogueCheck, type RunProgress, type WorkloadKind } from './workload.ts';

/** What one fault case sets up; the hooks below tear it down whatever happened. */
export interface FaultCase {
  /** The loopback server standing in for the institutions (one per file). */
  server: FeedServer;
  /** Role processes started by the case (their output is shown when it fails). */
  procs: RoleProcess[];
  /** The case's database and queue prefix, removed after it. */
  env?: Awaited<ReturnType<typeof testEnv>>;
  /** The case's own pool on that database, closed after it. */
  h?: DbHandle;
  /** The case's multi-kind workload (its servers are closed after it). */
  workload?: Workload;
}

/**
 * Registers the hooks every fault file shares: a feed server for the file; after each case
 * every role process killed, the workload's servers closed, the pool closed, the database and
 * queue keys removed; at the end the file's rows of the fault table printed under `title`.
 */
export function useFaultHarness(title: string): FaultCase {
  const c = { procs: [] as RoleProcess[] } as FaultCase;
  beforeAll(async () => {
    c.server = await FeedServer.start();
  });
  afterEach(async () => {
    // The processes stay listed: a failed case prints their output after this hook.
    await killAllRoles();
    await c.workload?.close();
    await c.h?.close().catch(() => {});
    await c.env?.cleanup().catch(() => {});
    c.workload = undefined;
    c.h = undefined;
    c.env = undefined;
  });
  afterAll(async () => {
    await killAllRoles();
    await c.server?.close();
    printFaultTable(title);
  });
  return c;
}

/** One case over the shared workload: its environment, pool, workload and role processes. */
export interface WorkloadCase {
  e: Awaited<ReturnType<typeof testEnv>>;
  db: DbHandle;
  w: Workload;
  /** Starts `hasad start --role ROLES` with the case's environment (optionally changed). */
  start(roles: string, env?: Record<string, string>): RoleProcess;
  logs(): string;
  /** Triggers every source of the workload and waits until every run is under way (the moment to inject a fault). */
  startMidRun(): Promise<RunProgress[]>;
  /** Waits until every triggered run is final; returns their progress. */
  waitFinal(timeoutMs?: number): Promise<RunProgress[]>;
}

/**
 * Sets up a case over the shared multi-kind workload: a fresh database and queue prefix
 * (testEnv, with the workload's settings and `extraEnv`), the institutions' servers started
 * slow, one source per institution registered (`adminDatabaseUrl`: the database is made on
 * that server instead). Prints the workers' output if the case fails.
 */
export async function workloadCase(f: FaultCase, ctx: TestContext, extraEnv: Record<string, string> = {}, opts: { adminDatabaseUrl?: string } = {}): Promise<WorkloadCase> {
  // testEnv makes its database on the server DATABASE_URL names: point it elsewhere for a while if asked.
  f.procs.length = 0;
  const shared = process.env.DATABASE_URL;
  if (opts.adminDatabaseUrl) process.env.DATABASE_URL = opts.adminDatabaseUrl;
  try {
      f.env = await testEnv({ ...WORKLOAD_ENV, LOG_LEVEL: 'warn', ...extraEnv });
  } finally {
    if (shared === undefined) delete process.env.DATABASE_URL;
    else process.env.DATABASE_URL = shared;
  }
  const e = f.env;
  const db = (f.h = createDb(e.config.DATABASE_URL, { max: 4, applicationName: 'hasad-test' }));
  db.pool.on('error', () => {});
  const w = (f.workload = await Workload.start());
  await w.register(db);
  const logs = () => describeProcesses(f.procs);
  ctx.onTestFailed(() => {
    process.stderr.write(`\nworker output for ${ctx.task.name}:\n${logs()}\n`);
  });
  const progress = () => w.progress(db);
  return {
    e,
    db,
    w,
    logs,
    start(roles, env = e.env) {
      const p = startRoleProcess(roles, env);
      f.procs.push(p);
      return p;
    },
    async startMidRun() {
      await w.triggerAll(db, e.config);
      return waitUntil('every run under way', progress, Workload.midRun, { timeoutMs: 120_000, intervalMs: 100, context: logs });
    },
    waitFinal: (timeoutMs = 180_000) =>
      waitUntil(
        'every run final',
        // Through an outage our own pool fails too: read again on the next poll.
        () => progress().catch(() => []),
        (p) => p.length > 0 && Workload.allFinal(p),
        { timeoutMs, intervalMs: 200, context: logs },
      ),
  };
}

/**
 * Records the case's row in the fault table, then checks what a user would: every expected
 * dataset active exactly once, none unexpected, none withdrawn; every run of the workload
 * final, the triggered ones with the status `statuses` allows (default `succeeded`) having
 * created every dataset; no job of the prefix waiting, active or delayed.
 */
export function expectExact(check: CatalogueCheck, w: Workload, context: string, statuses: Partial<Record<WorkloadKind, string[]>> = {}): void {
  recordFault(check.row);
  for (const [slug, s] of Object.entries(check.sources)) {
    const head = (l: string[]) => `${l.length} (${l.slice(0, 5).join(', ')}${l.length > 5 ? ', …' : ''})`;
    expect({ slug, missing: head(s.missing), unexpected: head(s.unexpected), duplicates: s.duplicates, wronglyWithdrawn: s.wronglyWithdrawn }, context).toEqual({ slug, missing: head([]), unexpected: head([]), duplicates: 0, wronglyWithdrawn: 0 });
  }
  expect(
    check.runs.filter((r) => !r.finished),
    `runs not final\n${context}`,
  ).toEqual([]);
  for (const [slug, runId] of w.runs) {
    const run = check.runs.find((r) => r.id === runId);
    const allowed = statuses[slug] ?? ['succeeded'];
    expect(allowed, `${slug}: ${JSON.stringify(run)}\n${context}`).toContain(run?.status);
    if (run?.status === 'succeeded') expect(run.created, `${slug} created`).toBe(w.source(slug).expected.length);
    expect(run?.withdrawn, `${slug} withdrawn`).toBe(0);
  }
  expect(check.stuckJobs, `jobs stuck in the queues\n${context}`).toEqual({});
  expect(check.row).toMatchObject({ found: check.row.expected, duplicates: 0, wronglyWithdrawn: 0 });
}

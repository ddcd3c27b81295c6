import { afterAll, afterEach, beforeAll } from 'vitest';
import type { DbHandle } from '@hasad/db';
import { FeedServer } from '@hasad/testkit';
import type { testEnv } from '../helpers/pipeline.ts';
import { killAllRoles, type RoleProcess } from '../helpers/processes.ts';
import { printFaultTable } from './report.ts';

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
}

/**
 * Registers the hooks every fault file shares: a feed server for the file; after each case
 * every role process killed, the pool closed, the database and queue keys removed; at the end
 * the file's rows of the fault table printed under `title`.
 */
export function useFaultHarness(title: string): FaultCase {
  const c = { procs: [] as RoleProcess[] } as FaultCase;
  beforeAll(async () => {
    c.server = await FeedServer.start();
  });
  afterEach(async () => {
    await killAllRoles();
    await c.h?.close();
    await c.env?.cleanup();
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

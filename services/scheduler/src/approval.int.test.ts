import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig, queueSettings } from '@hasad/core';
import { createDb, createOrganization, createSource, deleteSourceWithdrawingDatasets, reviewSource, updateSource, type DbHandle } from '@hasad/db';
import { createTestDatabase } from '@hasad/db/testing';
import { Queues } from '@hasad/queues';
import { reconcileSchedules, type SchedulerDeps } from './reconcile.ts';

// Only approved sources are scheduled: a source an institution registered waits for an
// operator, a rejected one never runs, a deleted one stops. Real Redis, fresh database.

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
let h: DbHandle;
let queues: Queues;
let deps: SchedulerDeps;
let orgId: string;

beforeAll(async () => {
  testDb = await createTestDatabase();
  const config = loadConfig({ DATABASE_URL: testDb.url, REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', HASAD_QUEUE_PREFIX: `hasad-test-${randomBytes(4).toString('hex')}` });
  h = createDb(config.DATABASE_URL, { max: 2 });
  queues = new Queues(queueSettings(config));
  deps = { db: h, queues, config, log: createLogger('scheduler-test', 'silent') };
  orgId = (await createOrganization(h, { slug: 'anrt', name: 'Agence nationale de réglementation des télécommunications' })).id;
});

afterAll(async () => {
  await queues?.harvest.obliterate({ force: true }).catch(() => {});
  await queues?.deleteAllKeys().catch(() => 0);
  await queues?.close();
  await h?.close();
  await testDb?.drop();
});

async function scheduled(): Promise<string[]> {
  await reconcileSchedules(deps);
  return (await queues.harvest.getJobSchedulers(0, -1)).map((s) => s.key.replace(/^source-/, '')).sort();
}

describe('reconcileSchedules and the review workflow', () => {
  it('schedules approved sources only, and follows approval, rejection, a return to pending and deletion', async () => {
    const add = (name: string, approvalStatus: 'pending' | 'approved' | 'rejected') =>
      createSource(h, { organizationId: orgId, kind: 'dcat', url: `https://data.anrt.ma/${name}.ttl`, schedule: 'daily', timezone: 'UTC', approvalStatus });
    const approved = await add('approved', 'approved');
    const pending = await add('pending', 'pending');
    const rejected = await add('rejected', 'rejected');
    expect(await scheduled()).toEqual([approved.id]);

    await reviewSource(h, pending.id, { status: 'approved', by: 'ops', comment: null });
    expect(await scheduled()).toEqual([approved.id, pending.id].sort());

    await updateSource(h, approved.id, { approvalStatus: 'pending' });
    expect(await scheduled()).toEqual([pending.id]);

    await deleteSourceWithdrawingDatasets(h, pending.id);
    expect(await scheduled()).toEqual([]);
    expect(rejected.approvalStatus).toBe('rejected');
  });
});

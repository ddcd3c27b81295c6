import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig, queueSettings } from '@hasad/core';
import { createDb, createOrganization, createSource, updateSource, type DbHandle } from '@hasad/db';
import { createTestDatabase } from '@hasad/db/testing';
import { Queues } from '@hasad/queues';
import { startScheduler } from './main.ts';

// The running scheduler follows the sources table as it changes (PostgreSQL NOTIFY on every
// source write), not only on its reconcile interval: here the interval is ten minutes, far
// beyond the test, so only the notification can explain a job scheduler appearing or going.
describe('scheduler reconciles when a source changes', () => {
  let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
  let h: DbHandle;
  let queues: Queues;
  let scheduler: Awaited<ReturnType<typeof startScheduler>>;
  let orgId: string;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    const config = loadConfig({
      DATABASE_URL: testDb.url,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      HASAD_QUEUE_PREFIX: `hasad-test-${randomBytes(4).toString('hex')}`,
      HASAD_RECONCILE_INTERVAL_MS: String(10 * 60_000),
    });
    h = createDb(config.DATABASE_URL, { max: 2 });
    queues = new Queues(queueSettings(config));
    orgId = (await createOrganization(h, { slug: 'hcp', name: 'Haut-Commissariat au Plan' })).id;
    scheduler = await startScheduler({ db: h, queues, config, log: createLogger('scheduler-listen-test', 'silent') });
  });

  afterAll(async () => {
    await scheduler?.close();
    await queues?.deleteAllKeys().catch(() => 0);
    await queues?.close();
    await h?.close();
    await testDb?.drop();
  });

  const schedulerKeys = async () => (await queues.harvest.getJobSchedulers(0, -1, true)).map((s) => s.key).sort();

  async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
    const until = Date.now() + 15_000;
    while (!(await check())) {
      if (Date.now() > until) throw new Error(`not within 15 s (the reconcile interval is 10 min): ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('a new scheduled source gets its job scheduler, a changed schedule is rewritten, a disabled one is removed', async () => {
    expect(await schedulerKeys()).toEqual([]);
    const s = await createSource(h, { organizationId: orgId, kind: 'dcat', url: 'https://data.hcp.ma/catalog.ttl', schedule: 'daily', timezone: 'UTC', enabled: true });
    await eventually(async () => (await schedulerKeys()).includes(`source-${s.id}`), 'the new source scheduled');
    const before = (await queues.harvest.getJobSchedulers(0, -1, true)).find((x) => x.key === `source-${s.id}`);

    await updateSource(h, s.id, { schedule: '0 3 * * *' });
    await eventually(async () => {
      const now = (await queues.harvest.getJobSchedulers(0, -1, true)).find((x) => x.key === `source-${s.id}`);
      return now !== undefined && JSON.stringify(now) !== JSON.stringify(before);
    }, 'the schedule rewritten');
    const rewritten = (await queues.harvest.getJobSchedulers(0, -1, true)).find((x) => x.key === `source-${s.id}`);
    expect(rewritten?.pattern ?? '').toContain('3 * * *');

    await updateSource(h, s.id, { enabled: false });
    await eventually(async () => !(await schedulerKeys()).includes(`source-${s.id}`), 'the disabled source unscheduled');
  });
});

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig, queueSettings } from '@hasad/core';
import { createDb, createOrganization, createSource, updateSource, type DbHandle, type Source } from '@hasad/db';
import { createTestDatabase } from '@hasad/db/testing';
import { toRepeat } from '@hasad/pipeline';
import { jobIds, Queues } from '@hasad/queues';
import { reconcileSchedules, type SchedulerDeps } from './reconcile.ts';

// reconcileSchedules against the real Redis (a unique queue prefix) and a fresh database:
// what BullMQ ends up holding is what decides when each institution's feed is harvested.
const DAY = 86_400_000;

let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
let h: DbHandle;
let queues: Queues;
let deps: SchedulerDeps;
let orgId: string;

beforeAll(async () => {
  testDb = await createTestDatabase();
  const config = loadConfig({
    DATABASE_URL: testDb.url,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    HASAD_QUEUE_PREFIX: `hasad-test-${randomBytes(4).toString('hex')}`,
  });
  h = createDb(config.DATABASE_URL, { max: 2 });
  queues = new Queues(queueSettings(config));
  deps = { db: h, queues, config, log: createLogger('scheduler-test', 'silent') };
  orgId = (await createOrganization(h, { slug: 'ancfcc', name: 'Agence nationale de la conservation foncière' })).id;
});

afterAll(async () => {
  await queues?.harvest.obliterate({ force: true }).catch(() => {});
  await queues?.load.obliterate({ force: true }).catch(() => {});
  await queues?.deleteAllKeys().catch(() => 0);
  await queues?.close();
  await h?.close();
  await testDb?.drop();
});

const addSource = (name: string, schedule: string | null, extra: Partial<Pick<Source, 'enabled' | 'timezone'>> = {}) =>
  createSource(h, { organizationId: orgId, kind: 'dcat', url: `https://data.example.ma/${name}/catalog.ttl`, schedule, timezone: extra.timezone ?? 'UTC', enabled: extra.enabled ?? true });

/** The job schedulers BullMQ holds, keyed by source id. */
async function schedulers() {
  const list = await queues.harvest.getJobSchedulers(0, -1, true);
  return new Map(list.map((s) => [s.key.replace(/^source-/, ''), s]));
}

/** The source ids of the harvest jobs waiting for their time (each scheduler's next tick). */
async function nextTicks(): Promise<string[]> {
  const jobs = await queues.harvest.getDelayed();
  return jobs.map((j) => j.data.sourceId as string).sort();
}

describe('reconcileSchedules', () => {
  let daily: Source;
  let nightly: Source;
  let manual: Source;
  let disabled: Source;

  beforeAll(async () => {
    daily = await addSource('daily', 'daily');
    nightly = await addSource('nightly', '0 3 * * *');
    manual = await addSource('manual', null);
    disabled = await addSource('disabled', '6h', { enabled: false });
  });

  it('creates one job scheduler per enabled source with a schedule, and nothing for the others', async () => {
    const before = Date.now();
    expect(await reconcileSchedules(deps)).toEqual({ upserted: 2, removed: 0, invalid: 0 });
    const s = await schedulers();
    expect([...s.keys()].sort()).toEqual([daily.id, nightly.id].sort());
    expect(s.has(manual.id)).toBe(false);
    expect(s.has(disabled.id)).toBe(false);

    const d = s.get(daily.id)!;
    const wanted = toRepeat('daily', daily.id, 'UTC', deps.config.HASAD_SCHEDULE_SPREAD_MS) as { every: number; offset: number };
    expect(d).toMatchObject({ key: jobIds.scheduler(daily.id), name: 'harvest.source', every: DAY });
    expect(d.offset ?? 0).toBe(wanted.offset);
    expect(d.template?.data).toEqual({ sourceId: daily.id, trigger: 'schedule' });

    // The nightly harvest fires at 03:00 (UTC, the source's zone) plus the source's own second.
    const n = s.get(nightly.id)!;
    const second = Number(n.pattern!.split(' ')[0]);
    expect(n).toMatchObject({ pattern: `${second} 0 3 * * *`, tz: 'UTC' });
    const today = new Date(before);
    let at = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate(), 3, 0, second);
    if (at <= before) at += DAY;
    expect(n.next).toBe(at);
    expect(n.template?.data).toEqual({ sourceId: nightly.id, trigger: 'schedule' });

    // Each scheduler has its next harvest waiting in the queue.
    expect(await nextTicks()).toEqual([daily.id, nightly.id].sort());
  });

  it('a second call rewrites nothing: every next run time stays where it was', async () => {
    const before = await schedulers();
    expect(await reconcileSchedules(deps)).toEqual({ upserted: 0, removed: 0, invalid: 0 });
    const after = await schedulers();
    expect([...after.values()].map((s) => [s.key, s.next])).toEqual([...before.values()].map((s) => [s.key, s.next]));
    expect(after).toEqual(before);
    expect(await nextTicks()).toEqual([daily.id, nightly.id].sort());
  });

  it('a changed schedule or time zone is rewritten; the other scheduler keeps its next run', async () => {
    const nightlyBefore = (await schedulers()).get(nightly.id)!;
    await updateSource(h, daily.id, { schedule: '6h' });
    expect(await reconcileSchedules(deps)).toEqual({ upserted: 1, removed: 0, invalid: 0 });
    let s = await schedulers();
    expect(s.get(daily.id)).toMatchObject({ every: 6 * 3_600_000 });
    expect(s.get(nightly.id)).toEqual(nightlyBefore);

    await updateSource(h, nightly.id, { timezone: 'Africa/Casablanca' });
    expect(await reconcileSchedules(deps)).toEqual({ upserted: 1, removed: 0, invalid: 0 });
    s = await schedulers();
    expect(s.get(nightly.id)).toMatchObject({ pattern: nightlyBefore.pattern, tz: 'Africa/Casablanca' });
    expect(await nextTicks()).toEqual([daily.id, nightly.id].sort());
  });

  it('disabling a source removes its scheduler and its pending tick; enabling it again brings them back', async () => {
    await updateSource(h, nightly.id, { enabled: false });
    expect(await reconcileSchedules(deps)).toEqual({ upserted: 0, removed: 1, invalid: 0 });
    expect([...(await schedulers()).keys()]).toEqual([daily.id]);
    expect(await nextTicks()).toEqual([daily.id]);

    await updateSource(h, nightly.id, { enabled: true });
    expect(await reconcileSchedules(deps)).toEqual({ upserted: 1, removed: 0, invalid: 0 });
    expect([...(await schedulers()).keys()].sort()).toEqual([daily.id, nightly.id].sort());
    expect(await nextTicks()).toEqual([daily.id, nightly.id].sort());
  });

  it('a source whose schedule is cleared, or that is deleted, loses its scheduler', async () => {
    await updateSource(h, daily.id, { schedule: null });
    await h.pool.query('DELETE FROM sources WHERE id = $1', [nightly.id]);
    expect(await reconcileSchedules(deps)).toEqual({ upserted: 0, removed: 2, invalid: 0 });
    expect((await schedulers()).size).toBe(0);
    expect(await nextTicks()).toEqual([]);
  });

  it('a source with an invalid schedule is counted and left out; the others are still scheduled', async () => {
    const bad = await addSource('bad', 'fortnightly');
    const good = await addSource('good', '30m');
    try {
      expect(await reconcileSchedules(deps)).toEqual({ upserted: 1, removed: 0, invalid: 1 });
      expect([...(await schedulers()).keys()]).toEqual([good.id]);
    } finally {
      await updateSource(h, bad.id, { enabled: false });
    }
  });

  // Five words that are not a cron expression must not stop the reconcile: before the fix,
  // BullMQ's cron parser threw inside upsertJobScheduler and no later source was scheduled.
  it('a schedule BullMQ cannot parse does not stop the other sources being scheduled', async () => {
    const bad = await addSource('bad-cron', 'tous les jours à 3h');
    const later = await addSource('after-bad-cron', 'hourly');
    try {
      const res = await reconcileSchedules(deps);
      expect(res.invalid).toBe(1);
      expect((await schedulers()).has(later.id)).toBe(true);
    } finally {
      await updateSource(h, bad.id, { enabled: false });
    }
  });
});

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, loadConfig, queueSettings } from '@hasad/core';
import { createDb, createOrganization, createSource, type DbHandle } from '@hasad/db';
import { getOrganizationScoreboard } from '@hasad/pipeline';
import { createTestDatabase } from '@hasad/db/testing';
import { Queues } from '@hasad/queues';
import { startScheduler } from './main.ts';

// The running scheduler keeps the publishers' scoreboard: it computes every organisation's
// figures when it starts, and an organisation's again once one of its runs has ended, without
// waiting for the periodic refresh (a day here, and a reconcile interval of ten minutes: only
// the explicit ticks below can explain a change).
describe('scheduler refreshes the scoreboard', () => {
  let testDb: Awaited<ReturnType<typeof createTestDatabase>>;
  let h: DbHandle;
  let queues: Queues;
  let scheduler: Awaited<ReturnType<typeof startScheduler>>;
  let sourceId: string;
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    env = {
      DATABASE_URL: testDb.url,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      HASAD_QUEUE_PREFIX: `hasad-test-${randomBytes(4).toString('hex')}`,
      HASAD_RECONCILE_INTERVAL_MS: String(10 * 60_000),
      HASAD_SCOREBOARD_REFRESH_MINUTES: String(24 * 60),
      HASAD_SEARCH_VOCABULARY_MIN_INTERVAL_MS: '0',
    };
    const config = loadConfig(env);
    h = createDb(config.DATABASE_URL, { max: 2 });
    queues = new Queues(queueSettings(config));
    const org = await createOrganization(h, { slug: 'hcp', name: 'Haut-Commissariat au Plan' });
    // Manual only: no job scheduler, so no run starts by itself.
    sourceId = (await createSource(h, { organizationId: org.id, kind: 'dcat', url: 'https://data.hcp.ma/catalog.ttl' })).id;
    await h.pool.query(
      `INSERT INTO datasets (source_id, organization_id, source_identifier, title, record, content_hash, status, created_run, changed_run, quality_score)
       VALUES ($1, $2, 'a', '{"fr":"A"}', '{"identifier":"a","title":{"fr":"A"},"distributions":[{"format":"CSV"}]}', 'x', 'active', gen_random_uuid(), gen_random_uuid(), 250)`,
      [sourceId, org.id],
    );
    scheduler = await startScheduler({ db: h, queues, config, log: createLogger('scheduler-scoreboard-test', 'silent') });
  });

  afterAll(async () => {
    await scheduler?.close();
    await queues?.deleteAllKeys().catch(() => 0);
    await queues?.close();
    await h?.close();
    await testDb?.drop();
  });

  it('computes the figures at start, and again after a run of the organisation ends', async () => {
    await scheduler.scoreboardTick();
    const first = await getOrganizationScoreboard(h, 'hcp');
    expect(first).toMatchObject({ datasets: 1, quality: { score: 250 }, openFormats: { share: 1 }, harvestHealth: { runs: 0, share: null } });

    // Nothing ended: the next tick leaves the figures as they are.
    await scheduler.scoreboardTick();
    expect((await getOrganizationScoreboard(h, 'hcp'))?.computedAt).toBe(first?.computedAt);

    await h.pool.query(`INSERT INTO runs (source_id, status, trigger, finished_at) VALUES ($1, 'failed', 'manual', now())`, [sourceId]);
    await scheduler.scoreboardTick();
    const after = await getOrganizationScoreboard(h, 'hcp');
    expect(after).toMatchObject({ harvestHealth: { runs: 1, succeeded: 0, share: 0 } });
    expect(after!.computedAt! > first!.computedAt!).toBe(true);
  });

  it('computes the search vocabulary at start, and again only once the catalogue changed', async () => {
    await scheduler.vocabularyTick();
    const state = async () => (await h.pool.query<{ at: Date }>('SELECT refreshed_at AS at FROM search_vocabulary_state')).rows[0]?.at;
    const first = await state();
    expect(first).toBeInstanceOf(Date);
    await scheduler.vocabularyTick();
    expect(await state()).toEqual(first);

    await h.pool.query(
      `INSERT INTO datasets (source_id, organization_id, source_identifier, title, record, content_hash, status, created_run, changed_run)
       SELECT $1, organization_id, 'b', '{"fr":"Taux de remplissage des barrages"}', '{"identifier":"b","title":{"fr":"Taux de remplissage des barrages"},"keywords":{"fr":["barrages"]}}', 'y', 'active', gen_random_uuid(), gen_random_uuid()
       FROM sources WHERE id = $1`,
      [sourceId],
    );
    await scheduler.vocabularyTick();
    expect((await state())! > first!).toBe(true);
    expect((await h.pool.query('SELECT datasets FROM search_words WHERE word = $1', ['barrages'])).rows).toEqual([{ datasets: 1 }]);
    expect((await h.pool.query('SELECT keyword, datasets FROM search_keywords')).rows).toEqual([{ keyword: 'barrages', datasets: 1 }]);
  });

  it('computes the vocabulary again no sooner than HASAD_SEARCH_VOCABULARY_MIN_INTERVAL_MS after its last computation', async () => {
    // A second scheduler on the same catalogue, with the default interval (5 minutes).
    const other = await startScheduler({ db: h, queues, config: loadConfig({ ...env, HASAD_SEARCH_VOCABULARY_MIN_INTERVAL_MS: undefined }), log: createLogger('scheduler-vocabulary-test', 'silent') });
    try {
      const state = async () => (await h.pool.query<{ at: Date }>('SELECT refreshed_at AS at FROM search_vocabulary_state')).rows[0]?.at;
      await other.vocabularyTick();
      const first = await state();
      await h.pool.query(
        `INSERT INTO datasets (source_id, organization_id, source_identifier, title, record, content_hash, status, created_run, changed_run)
         SELECT $1, organization_id, 'c', '{"fr":"Volume des retenues"}', '{"identifier":"c","title":{"fr":"Volume des retenues"}}', 'z', 'active', gen_random_uuid(), gen_random_uuid()
         FROM sources WHERE id = $1`,
        [sourceId],
      );
      // The catalogue changed, but this scheduler computed the vocabulary moments ago: held back.
      await other.vocabularyTick();
      expect(await state()).toEqual(first);
      expect((await h.pool.query('SELECT 1 FROM search_words WHERE word = $1', ['retenues'])).rows).toEqual([]);
      // The first scheduler, with no minimum interval, takes the change.
      await scheduler.vocabularyTick();
      expect((await state())! > first!).toBe(true);
      expect((await h.pool.query('SELECT datasets FROM search_words WHERE word = $1', ['retenues'])).rows).toEqual([{ datasets: 1 }]);
    } finally {
      await other.close();
    }
  });
});

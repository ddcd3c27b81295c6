import { listenForSourceChanges, pruneChanges, pruneRunHistory, refreshSearchVocabularyIfChanged } from '@hasad/db';
import { refreshDueScoreboards } from '@hasad/pipeline';
import { repairOrphanRuns, reconcileSchedules, type SchedulerDeps } from './reconcile.ts';

/**
 * Runs the scheduler: reconciles job schedulers with the sources table at start, whenever a
 * source changes (PostgreSQL NOTIFY), and every reconcile interval; repairs orphaned runs on
 * the same interval, and on it deletes runs beyond HASAD_RUN_RETENTION_COUNT per source. Several
 * schedulers may run at once: BullMQ's job schedulers are keyed by source, so each tick still
 * enqueues one job, and repairs and prunes are idempotent. On the same interval, but in a loop of
 * its own so that a long refresh never holds up a reconcile, it refreshes the publishers'
 * scoreboard of each organisation whose figures are due (a run ended, a new day,
 * HASAD_SCOREBOARD_REFRESH_MINUTES passed); refreshing is idempotent too. In a third loop on the
 * same interval it recomputes the search vocabulary (suggestions, typo retries) when the catalogue
 * changed since it was last computed, at most once per HASAD_SEARCH_VOCABULARY_MIN_INTERVAL_MS.
 */
export async function startScheduler(deps: SchedulerDeps): Promise<{ close(): Promise<void>; tick(): Promise<void>; scoreboardTick(): Promise<void>; vocabularyTick(): Promise<void> }> {
  const log = deps.log.child({ role: 'scheduler' });
  let running: Promise<void> | undefined;
  let again = false;
  const tick = async () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          const s = await reconcileSchedules(deps);
          if (s.upserted || s.removed) log.info(s, 'schedules reconciled');
          const r = await repairOrphanRuns(deps);
          if (r.repaired.length) log.info(r, 'orphaned runs repaired');
          const pruned = await pruneRunHistory(deps.db, deps.config.HASAD_RUN_RETENTION_COUNT);
          if (pruned) log.info({ pruned, keep: deps.config.HASAD_RUN_RETENTION_COUNT }, 'old runs deleted');
          const changes = await pruneChanges(deps.db, deps.config.HASAD_CHANGES_RETENTION_DAYS);
          if (changes) log.info({ changes, days: deps.config.HASAD_CHANGES_RETENTION_DAYS }, 'old change-feed entries deleted');
        } catch (err) {
          log.warn({ err }, 'reconcile failed; will retry next interval');
        }
      } while (again);
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  let scoring: Promise<void> | undefined;
  const scoreboardTick = () => {
    scoring ??= (async () => {
      try {
        const refreshed = await refreshDueScoreboards(deps.db, deps.config.HASAD_SCOREBOARD_REFRESH_MINUTES);
        if (refreshed) log.debug({ organizations: refreshed }, 'scoreboard figures refreshed');
      } catch (err) {
        log.warn({ err }, 'scoreboard refresh failed; will retry next interval');
      }
    })().finally(() => {
      scoring = undefined;
    });
    return scoring;
  };

  let vocabulary: Promise<void> | undefined;
  const vocabularyTick = () => {
    vocabulary ??= (async () => {
      try {
        const t0 = performance.now();
        // At most one computation per HASAD_SEARCH_VOCABULARY_MIN_INTERVAL_MS (by any scheduler):
        // a busy catalogue changes on every tick, and one computation costs seconds of PostgreSQL
        // CPU on a large catalogue.
        const r = await refreshSearchVocabularyIfChanged(deps.db, { minIntervalMs: deps.config.HASAD_SEARCH_VOCABULARY_MIN_INTERVAL_MS });
        if (r?.refreshed) log.debug({ words: r.words, keywords: r.keywords, ms: Math.round(performance.now() - t0) }, 'search vocabulary refreshed');
      } catch (err) {
        log.warn({ err }, 'search vocabulary refresh failed; will retry next interval');
      }
    })().finally(() => {
      vocabulary = undefined;
    });
    return vocabulary;
  };

  // A lost LISTEN connection is opened again on the reconcile interval, which meanwhile still ticks.
  const stopListening = await listenForSourceChanges(deps.config.DATABASE_URL, () => void tick(), {
    retryMs: deps.config.HASAD_RECONCILE_INTERVAL_MS,
    applicationName: 'hasad-scheduler-listen',
    onError: (err) => log.debug({ err }, 'LISTEN failed; relying on the interval'),
  });
  await tick();
  void scoreboardTick();
  void vocabularyTick();
  const timer = setInterval(() => {
    void tick();
    void scoreboardTick();
    void vocabularyTick();
  }, deps.config.HASAD_RECONCILE_INTERVAL_MS);
  return {
    tick,
    scoreboardTick,
    vocabularyTick,
    async close() {
      clearInterval(timer);
      await running;
      await scoring;
      await vocabulary;
      await stopListening();
    },
  };
}

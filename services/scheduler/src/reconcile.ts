import type { HasadConfig, Logger } from '@hasad/core';
import {
  failRun,
  firstIncompletePage,
  isBatchLoaded,
  isRunComplete,
  listLiveRuns,
  listSources,
  rewindRun,
  takeOrphanRun,
  touchRun,
  unloadedBatches,
  type DbHandle,
  type Run,
} from '@hasad/db';
import { enqueueFinaliseIfComplete, toRepeat } from '@hasad/pipeline';
import { jobIds, type Queues } from '@hasad/queues';

export interface SchedulerDeps {
  db: DbHandle;
  queues: Queues;
  config: HasadConfig;
  log: Logger;
}

/**
 * Makes BullMQ's job schedulers match the sources table: one scheduler per enabled, approved
 * source with a schedule, none for the others (a source an institution registered stays
 * unscheduled while it is pending review or after it was rejected). Only differences are written, so calling it often
 * does not move anyone's next run.
 */
export async function reconcileSchedules(deps: SchedulerDeps): Promise<{ upserted: number; removed: number; invalid: number }> {
  const sources = await listSources(deps.db, { enabledOnly: true, approvedOnly: true });
  const existing = new Map((await deps.queues.harvest.getJobSchedulers(0, -1)).map((s) => [s.key, s]));
  const wanted = new Set<string>();
  let upserted = 0;
  let invalid = 0;
  for (const src of sources) {
    if (!src.schedule) continue;
    const id = jobIds.scheduler(src.id);
    let repeat;
    try {
      repeat = toRepeat(src.schedule, src.id, src.timezone, deps.config.HASAD_SCHEDULE_SPREAD_MS);
    } catch (err) {
      invalid++;
      deps.log.warn({ sourceId: src.id, schedule: src.schedule, err }, 'source has an invalid schedule; not scheduled');
      continue;
    }
    const cur = existing.get(id);
    const same =
      cur &&
      ('pattern' in repeat ? cur.pattern === repeat.pattern && cur.tz === repeat.tz : Number(cur.every) === repeat.every && Number(cur.offset ?? 0) === repeat.offset);
    if (same) {
      wanted.add(id);
      continue;
    }
    try {
      await deps.queues.harvest.upsertJobScheduler(id, repeat, {
        name: 'harvest.source',
        data: { sourceId: src.id, trigger: 'schedule' },
        opts: deps.queues.optsFor('harvest.source'),
      });
    } catch (err) {
      // One source BullMQ rejects must not stop the others being scheduled.
      invalid++;
      deps.log.warn({ sourceId: src.id, schedule: src.schedule, err }, 'job scheduler rejected the schedule; not scheduled');
      continue;
    }
    wanted.add(id);
    upserted++;
  }
  let removed = 0;
  for (const key of existing.keys()) {
    if (!wanted.has(key)) {
      await deps.queues.harvest.removeJobScheduler(key);
      removed++;
    }
  }
  return { upserted, removed, invalid };
}

const LIVE_JOB_STATES = new Set(['active', 'waiting', 'delayed', 'prioritized', 'waiting-children']);

/**
 * Repairs runs that PostgreSQL says are live but that no job in Redis holds (a Redis loss, a
 * crash between two writes): finalises runs that are in fact complete, rewinds runs whose
 * load jobs were lost to the first page not fully loaded, and re-enqueues a harvest job that
 * resumes from the checkpoint. Runs younger than the grace period are left alone.
 */
export async function repairOrphanRuns(deps: SchedulerDeps): Promise<{ repaired: string[] }> {
  const repaired: string[] = [];
  const live = await listLiveRuns(deps.db);
  const grace = deps.config.HASAD_ORPHAN_GRACE_MS;
  for (const run of live) {
    if (Date.now() - run.heartbeatAt.getTime() < grace) continue;
    const log = deps.log.child({ runId: run.id, sourceId: run.sourceId });
    try {
      if (await repairOne(deps, run, log)) repaired.push(run.id);
    } catch (err) {
      log.warn({ err }, 'could not repair run');
    }
  }
  return { repaired };
}

async function repairOne(deps: SchedulerDeps, run: Run, log: Logger): Promise<boolean> {
  if (run.fetchDone) {
    if (await isRunComplete(deps.db, run.id)) {
      const finalise = await deps.queues.load.getJob(jobIds.finalise(run.id));
      if (finalise && LIVE_JOB_STATES.has(await finalise.getState())) return false;
      await enqueueFinaliseIfComplete(deps, run.id);
      log.info('repair: complete run was not finalised; finalise enqueued');
      return true;
    }
    if (!(await lostLoadJobs(deps, run.id))) return false;
  } else {
    const job = await deps.queues.harvest.getJob(run.jobId ?? jobIds.run(run.id));
    const state = job ? await job.getState() : 'missing';
    if (LIVE_JOB_STATES.has(state)) return false;
    if (state === 'failed' && run.attempts >= deps.config.HASAD_HARVEST_ATTEMPTS + 3) {
      await failRun(deps.db, run.id, 'repair_gave_up', `the run's job failed ${run.attempts} times; giving up`);
      await enqueueFinaliseIfComplete(deps, run.id);
      log.warn('repair: run failed too often; marked failed');
      return true;
    }
  }
  // Two schedulers may both find the run orphaned: only the one that takes it goes on.
  if (!(await takeOrphanRun(deps.db, run.id, deps.config.HASAD_ORPHAN_GRACE_MS))) return false;
  // Batches handed to the loader but never loaded are gone with Redis: fetch those pages again.
  const incomplete = await firstIncompletePage(deps.db, run.id);
  if (incomplete) await rewindRun(deps.db, run.id, incomplete.pageNo, incomplete.url);
  const jobId = `${jobIds.run(run.id)}-r${Date.now().toString(36)}`;
  await touchRun(deps.db, run.id, jobId);
  await deps.queues.add('harvest.source', { sourceId: run.sourceId, runId: run.id, trigger: 'repair' }, { jobId });
  log.warn({ rewoundTo: incomplete?.pageNo, resumeAt: incomplete?.pageNo ?? run.nextPageNo }, 'repair: orphaned run re-enqueued from its checkpoint');
  return true;
}

/** True when some batch of the run is neither loaded nor held by a job in Redis. */
async function lostLoadJobs(deps: SchedulerDeps, runId: string): Promise<boolean> {
  for (const { pageNo, batchNo } of await unloadedBatches(deps.db, runId, 50)) {
    const job = await deps.queues.load.getJob(jobIds.batch(runId, pageNo, batchNo));
    if (!job) {
      // Re-check: the job may have completed (and been removed) between the two reads.
      if (!(await isBatchLoaded(deps.db, runId, pageNo, batchNo))) return true;
    }
  }
  return false;
}

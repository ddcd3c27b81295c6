import { randomUUID } from 'node:crypto';
import { createRun, getRun, RunActiveError, type DbHandle, type Run } from '@hasad/db';
import { jobIds, type Queues } from '@hasad/queues';

/**
 * Creates a run of a source and enqueues its harvest job. A source that already has a live
 * run is not queued twice: that run is returned with `created: false`. The caller checks
 * that the source exists and may be harvested.
 */
export async function enqueueHarvestRun(deps: { db: DbHandle; queues: Queues }, sourceId: string, trigger: 'manual' | 'demo'): Promise<{ run: Run; created: boolean }> {
  let run: Run;
  try {
    // The id is chosen here so the run row names its job from the start: the reconciler
    // must never take a queued manual run for an orphan.
    const id = randomUUID();
    run = await createRun(deps.db, sourceId, trigger, jobIds.run(id), id);
  } catch (err) {
    if (!(err instanceof RunActiveError)) throw err;
    const live = await getRun(deps.db, err.activeRunId);
    if (live) return { run: live, created: false };
    throw err;
  }
  await deps.queues.add('harvest.source', { sourceId, runId: run.id, trigger }, { jobId: run.jobId! });
  return { run, created: true };
}

import { cancelRunningRun, cancelWithdrawals, getRun, markFetchDone, type DbHandle, type Run } from '@hasad/db';
import { jobIds, type Queues } from '@hasad/queues';
import { enqueueFinaliseIfComplete } from './finalise.ts';

/** What {@link cancelHarvestRun} did to the run. */
export type CancelResult =
  /** A live run was cancelled: it stops at its next page boundary (or at once when no fetcher holds it). */
  | { outcome: 'cancelled'; run: Run }
  /** A run waiting for review: the withdrawals it held back are dropped, the datasets kept. */
  | { outcome: 'withdrawals_cancelled'; run: Run }
  /** The run is final (or no longer waiting for review): nothing to cancel. */
  | { outcome: 'final'; run: Run }
  | { outcome: 'not_found' };

/**
 * Cancels a run, whatever stage it is at: a queued or running run is stopped (`cancelled`,
 * nothing withdrawn); a run waiting for review keeps every dataset it would have withdrawn (as
 * `hasad run cancel` always did). When no fetcher is working on the cancelled run (its job is
 * waiting, delayed for a Retry-After, or gone), the job is dropped and the run finalised as soon
 * as the batches already handed to the loader are in; a fetcher working on it stops at its next
 * page boundary and does that itself.
 */
export async function cancelHarvestRun(deps: { db: DbHandle; queues: Queues }, runId: string, by: string): Promise<CancelResult> {
  const res = await cancelRunningRun(deps.db, runId, by);
  if (res.outcome === 'not_found') return res;
  if (res.outcome === 'not_live') {
    if (res.run.status !== 'needs_review') return { outcome: 'final', run: res.run };
    try {
      await cancelWithdrawals(deps.db, runId);
    } catch {
      // Decided meanwhile (confirmed or cancelled by someone else).
      return { outcome: 'final', run: (await getRun(deps.db, runId)) ?? res.run };
    }
    return { outcome: 'withdrawals_cancelled', run: (await getRun(deps.db, runId)) ?? res.run };
  }
  const run = res.run;
  if (run.finishedAt === null) {
    const job = await deps.queues.harvest.getJob(run.jobId ?? jobIds.run(run.id));
    const state = job ? await job.getState() : 'missing';
    if (state !== 'active') {
      // No fetcher holds the run, and none can claim it now that it is cancelled.
      await job?.remove().catch(() => undefined);
      await markFetchDone(deps.db, run.id);
      await enqueueFinaliseIfComplete(deps, run.id);
    }
  }
  return { outcome: 'cancelled', run: (await getRun(deps.db, runId)) ?? run };
}

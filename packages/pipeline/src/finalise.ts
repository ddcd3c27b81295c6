import { isRunComplete, type DbHandle } from '@hasad/db';
import { jobIds, type Queues } from '@hasad/queues';

/**
 * Enqueues a run's finalise job once fetching is done and every batch is loaded. Both the
 * fetcher (after its last page) and the loader (after each batch) call it after their own
 * commit, so at least one of them sees the run complete; the deterministic job id makes the
 * second call a no-op while the first job is queued, and finalise itself is idempotent.
 */
export async function enqueueFinaliseIfComplete(deps: { db: DbHandle; queues: Queues }, runId: string): Promise<boolean> {
  if (!(await isRunComplete(deps.db, runId))) return false;
  await deps.queues.add('load.finalise', { runId }, { jobId: jobIds.finalise(runId) });
  return true;
}

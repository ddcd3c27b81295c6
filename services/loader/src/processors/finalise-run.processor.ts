import type { Job } from 'bullmq';
import { finaliseRun, isRunComplete } from '@hasad/db';
import { parsePayload } from '@hasad/queues';
import type { LoaderDeps } from './load-batch.processor.ts';

/** Closes a run whose batches are all loaded: counts, withdrawals or needs_review, validators. */
export async function finaliseRunProcessor(job: Job, deps: LoaderDeps) {
  const { runId } = parsePayload('load.finalise', job.data);
  const log = deps.log.child({ queue: 'load', jobId: job.id, runId });
  if (!(await isRunComplete(deps.db.db, runId))) {
    log.debug('finalise called before the run was complete; the last batch will call it again');
    return { finalised: false };
  }
  const res = await finaliseRun(deps.db.pool, runId, { withdrawThreshold: deps.config.HASAD_WITHDRAW_THRESHOLD });
  if (res && !res.alreadyFinal) {
    log.info({ status: res.status, seen: res.seen, created: res.created, updated: res.updated, unchanged: res.unchanged, withdrawn: res.withdrawn, invalid: res.invalid, pendingWithdrawals: res.pendingWithdrawals }, 'run finished');
  }
  return { finalised: true, status: res?.status };
}

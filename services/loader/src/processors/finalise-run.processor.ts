import type { Job } from 'bullmq';
import { finaliseRun, getRun, isRunComplete, runSummary } from '@hasad/db';
import { runDuration, runLastSuccess, runsTotal, sourceConsecutiveFailures } from '@hasad/metrics';
import { notifyRunEnded } from '@hasad/pipeline';
import { jobIds, parsePayload } from '@hasad/queues';
import type { LoaderDeps } from './load-batch.processor.ts';

/** Runs after which a sample of the source's distribution URLs is checked (`links.check`): those that read the whole feed. */
const LINK_CHECKED = new Set(['succeeded', 'unchanged', 'needs_review']);

/** Closes a run whose batches are all loaded: counts, withdrawals or needs_review, validators. */
export async function finaliseRunProcessor(job: Job, deps: LoaderDeps) {
  const { runId } = parsePayload('load.finalise', job.data);
  const log = deps.log.child({ queue: 'load', jobId: job.id, runId });
  if (!(await isRunComplete(deps.db, runId))) {
    log.debug('finalise called before the run was complete; the last batch will call it again');
    return { finalised: false };
  }
  const res = await finaliseRun(deps.db, runId, { withdrawThreshold: deps.config.HASAD_WITHDRAW_THRESHOLD });
  if (res && LINK_CHECKED.has(res.status) && deps.config.HASAD_LINK_CHECK_SAMPLE > 0) {
    // On every delivery (a crash after the commit above must not lose the check); the fixed job id queues it once.
    const run = await getRun(deps.db, runId);
    if (run) await deps.queues.add('links.check', { sourceId: run.sourceId, runId, sample: deps.config.HASAD_LINK_CHECK_SAMPLE }, { jobId: jobIds.links(runId) });
  }
  if (res && !res.alreadyFinal) {
    // Only the delivery that closed the run reports it: a re-delivered finalise job neither
    // logs a second end line nor counts the run twice.
    const s = await runSummary(deps.db, runId);
    if (s) {
      runsTotal.inc({ kind: s.kind, status: s.status });
      runDuration.observe({ kind: s.kind, status: s.status }, s.durationMs / 1000);
      sourceConsecutiveFailures.set({ source_id: s.sourceId }, s.consecutiveFailures);
      if (s.lastSuccessAt) runLastSuccess.set(s.lastSuccessAt.getTime() / 1000);
      // The run's one end line: every count, so a log search answers "what happened to source X".
      const { runId: _runId, lastSuccessAt: _last, ...fields } = s;
      log.info(fields, 'run finished');
    } else {
      log.info({ status: res.status, seen: res.seen, created: res.created, updated: res.updated, unchanged: res.unchanged, withdrawn: res.withdrawn, invalid: res.invalid, pendingWithdrawals: res.pendingWithdrawals }, 'run finished');
    }
  }
  if (res) {
    // On every delivery, not only the one that closed the run: a crash between the commit above
    // and this line is made good by the re-delivery, and the notify jobs' fixed ids make a
    // second call queue nothing.
    const queued = await notifyRunEnded(deps, runId);
    if (queued.length) log.info({ notifications: queued }, 'notifications queued');
  }
  return { finalised: true, status: res?.status };
}

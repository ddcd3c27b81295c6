import { UnrecoverableError, type Job } from 'bullmq';
import { resolveDescriptions, type HasadConfig, type Logger, type ResolvedLoadBatch } from '@hasad/core';
import { failRun, loadBatch, markBatchUnloadable, type DbHandle } from '@hasad/db';
import { loaderBatchRecords, loaderBatchTransactionDuration, recordsTotal } from '@hasad/metrics';
import { enqueueFinaliseIfComplete, prepareRecord } from '@hasad/pipeline';
import { parsePayload, type Queues } from '@hasad/queues';

export interface LoaderDeps {
  db: DbHandle;
  queues: Queues;
  config: HasadConfig;
  log: Logger;
}

/**
 * Upserts one batch in one transaction (see `loadBatch`), then checks whether the run can be
 * finalised. A database outage throws; BullMQ retries with capped backoff, and the repeated
 * transaction yields the same rows.
 */
export async function loadBatchProcessor(job: Job, deps: LoaderDeps) {
  const sent = parsePayload('load.batch', job.data);
  const blob = sent.descriptions === undefined ? null : await deps.queues.getDescriptions(sent.descriptions.key);
  let p: ResolvedLoadBatch;
  try {
    p = resolveDescriptions(sent, blob);
  } catch (err) {
    // Retrying cannot bring the bytes back, and loading the records without them would lose what
    // the source said: nothing of the batch is loaded, the run fails with the reason (so nothing
    // is withdrawn) and is finalised, and the job fails at once, keeping the reason too.
    const message = (err as Error).message;
    await failRun(deps.db, sent.runId, 'descriptions_lost', message, { page: sent.pageNo, batch: sent.batchNo });
    await markBatchUnloadable(deps.db, sent.runId, sent.pageNo, sent.batchNo);
    await enqueueFinaliseIfComplete(deps, sent.runId);
    throw new UnrecoverableError(message);
  }
  // The search columns and the quality score are built here (prepareRecord), for the records the
  // repository will write.
  const res = await loadBatch(deps.db, p, prepareRecord);
  // Counted once the transaction committed: a batch retried after a failure counts when it lands.
  recordsTotal.inc({ stage: 'loaded' }, p.records.length);
  loaderBatchRecords.observe(p.records.length);
  loaderBatchTransactionDuration.observe(res.ms / 1000);
  deps.log.debug({ queue: 'load', jobId: job.id, runId: p.runId, sourceId: p.sourceId, page: p.pageNo, batch: p.batchNo, records: p.records.length, written: res.written, ms: Math.round(res.ms) }, 'batch loaded');
  await enqueueFinaliseIfComplete(deps, p.runId);
  return { records: p.records.length, written: res.written };
}

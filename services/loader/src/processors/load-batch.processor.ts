import type { Job } from 'bullmq';
import type { HasadConfig, Logger } from '@hasad/core';
import { loadBatch, type DbHandle } from '@hasad/db';
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
  const p = parsePayload('load.batch', job.data);
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

import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { describeError, fetchSettings, HasadError, parseLimits, isPermanent, redactUrl, retryAfterMsOf, type CanonicalDataset, type HasadConfig, type LoadBatchPayload, type Logger, type RecordProblem } from '@hasad/core';
import {
  cancelRun,
  claimRun,
  createRun,
  failRun,
  findLiveRun,
  getRun,
  getSource,
  lastCompleteRunStart,
  markRunPartial,
  markFetchDone,
  pageValidators,
  partialRunsSince,
  recordPage,
  recordPageProblems,
  RunActiveError,
  runStoppedAs,
  visitedPages,
  type DbHandle,
} from '@hasad/db';
import { jobIds, parsePayload, type HarvestSourcePayload, type Queues } from '@hasad/queues';
import { fetchBytesTotal, fetchPageDuration, hostOf, recordsTotal } from '@hasad/metrics';
import { enqueueFinaliseIfComplete } from '@hasad/pipeline';
import { getAdapter, packRecord, type PackedRecord, type ParsePool } from '@hasad/sources';

export interface HarvestDeps {
  db: DbHandle;
  queues: Queues;
  config: HasadConfig;
  log: Logger;
  /** Aborted on shutdown: the processor stops after the current page and hands the job back. */
  shutdown: AbortSignal;
  /** Worker threads pages are parsed in; without one, pages are parsed in this thread under the streaming guards only. */
  parsePool?: ParsePool;
}

export type HarvestResult =
  | { outcome: 'skipped'; reason: string; runId?: string }
  | { outcome: 'fetched' | 'failed' | 'handed_back' | 'cancelled'; runId: string; pages: number; batches: number };

/**
 * Fetches one source: creates or resumes its run, walks the pages through the source kind's
 * adapter, hands each batch to the loader (`load.batch`) and checkpoints each page in
 * PostgreSQL. Idempotent: a retried or stalled job resumes the run where its checkpoint says.
 */
export async function harvestSource(job: Job, token: string | undefined, deps: HarvestDeps): Promise<HarvestResult> {
  const payload = parsePayload('harvest.source', job.data);
  const source = await getSource(deps.db, payload.sourceId);
  if (!source) throw new UnrecoverableError(`source ${payload.sourceId} does not exist`);
  const jobId = job.id!;

  // Checked again here: the source may have been deleted, disabled or rejected since the job was queued.
  const refusal = source.deletedAt ? 'source_deleted' : !source.enabled ? 'source_disabled' : source.approvalStatus !== 'approved' ? `source_${source.approvalStatus}` : undefined;
  let runId = payload.runId;
  if (refusal) {
    if (runId) await cancelRun(deps.db, runId, refusal, `the source is ${refusal.replace('source_', '')}; the harvest was not started`);
    return { outcome: 'skipped', reason: refusal, ...(runId ? { runId } : {}) };
  }
  if (!runId) {
    try {
      runId = (await createRun(deps.db, source.id, payload.trigger, jobId)).id;
    } catch (err) {
      if (!(err instanceof RunActiveError)) throw err;
      const live = await findLiveRun(deps.db, source.id);
      // The same job re-delivered after a crash owns the live run: resume it. Anything else is a second trigger: dedupe.
      if (live?.jobId !== jobId) return { outcome: 'skipped', reason: 'run_active', runId: err.activeRunId };
      runId = live.id;
    }
    await job.updateData({ ...payload, runId });
  }

  const run = await claimRun(deps.db, runId, jobId);
  if (!run) {
    // Cancelled while its job waited (or while a fetcher that died held it): nobody fetches it
    // any more, so close it here once its loaded batches are in.
    const gone = await getRun(deps.db, runId);
    if (gone?.status === 'cancelled' && gone.finishedAt === null) {
      await markFetchDone(deps.db, runId);
      await enqueueFinaliseIfComplete(deps, runId);
    }
    return { outcome: 'skipped', reason: 'run_not_live', runId };
  }
  const log = deps.log.child({ queue: 'harvest', jobId, sourceId: source.id, runId });
  log.info({ kind: source.kind, url: source.url, trigger: payload.trigger, attempt: run.attempts, resumeAt: run.nextPageNo }, 'harvest started');

  let pages = 0;
  let batches = 0;
  try {
    const adapter = getAdapter(source.kind);
    const config = adapter.parseConfig(source.config);
    // A previous attempt fetched the last page but died before saying so.
    if (run.nextPageNo > 1 && !run.nextUrl) {
      await markFetchDone(deps.db, runId);
      await enqueueFinaliseIfComplete(deps, runId);
      return { outcome: 'fetched', runId, pages, batches };
    }
    const visited = await visitedPages(deps.db, runId);
    const lastComplete = await lastCompleteRunStart(deps.db, source.id);
    const runsSinceLastComplete = await partialRunsSince(deps.db, source.id, lastComplete);
    const events = adapter.harvest({
      url: source.url,
      start: { pageNo: run.nextPageNo, url: run.nextUrl ?? source.url },
      visited,
      validators: (url) => pageValidators(deps.db, source.id, url),
      ...(lastComplete && { lastCompleteRunAt: lastComplete.toISOString() }),
      runsSinceLastCompleteRun: runsSinceLastComplete,
      batchSize: deps.config.HASAD_BATCH_SIZE,
      // The source's config may lower both (limits.maxPages, limits.runBudgetSeconds).
      maxPages: deps.config.HASAD_MAX_PAGES,
      limits: parseLimits(deps.config),
      ...(deps.parsePool !== undefined && { parsePool: deps.parsePool }),
      runBudgetMs: deps.config.HASAD_RUN_BUDGET_MS,
      ...(deps.config.HASAD_BENCH_SKIP_SOURCE_DESCRIPTION && { keepSourceDescription: false }),
      http: {
        ...fetchSettings(deps.config),
        // Shared through Redis: the per-host limits hold across every fetcher process.
        hostLimiter: deps.queues.hostLimiter({ maxConcurrent: deps.config.HASAD_HOST_CONCURRENCY, perSecond: deps.config.HASAD_HOST_RATE_PER_SECOND }),
      },
    }, config);
    // Time spent inside the adapter (request, download, parse) since the last page event: the
    // page's fetch time, without the time this loop spends handing batches to the loader.
    let adapterMs = 0;
    for await (const { ev, ms } of timed(events)) {
      adapterMs += ms;
      if (ev.type === 'batch') {
        await waitForLoaderCapacity(deps);
        const data: LoadBatchPayload = {
          runId,
          sourceId: source.id,
          pageNo: ev.pageNo,
          batchNo: ev.batchNo,
          records: ev.records.map((r, i) => toLoadRecord(r, ev.packed?.[i])),
          problems: ev.problems,
          invalidIdentifiers: ev.invalidIdentifiers,
        };
        const jobId = jobIds.batch(runId, ev.pageNo, ev.batchNo);
        await parkDescriptions(deps.queues, jobId, data);
        await deps.queues.add('load.batch', data, { jobId });
        batches++;
        recordsTotal.inc({ stage: 'fetched' }, ev.records.length);
        continue;
      }
      const host = hostOf(ev.url);
      fetchPageDuration.observe({ host, not_modified: String(ev.notModified) }, adapterMs / 1000);
      fetchBytesTotal.inc({ host }, ev.bytes);
      adapterMs = 0;
      if (ev.listing === 'partial') await markRunPartial(deps.db, runId);
      // Page problems are rewritten as a whole: keep the notes of the waits this page caused.
      const pageProblems = [...(ev.problems ?? []), ...waitNotes(payload, ev.pageNo)];
      if (pageProblems.length) await recordPageProblems(deps.db, runId, ev.pageNo, pageProblems);
      await recordPage(deps.db, runId, source.id, {
        pageNo: ev.pageNo,
        url: ev.url,
        notModified: ev.notModified,
        etag: ev.etag ?? null,
        lastModified: ev.lastModified ?? null,
        nextUrl: ev.nextUrl ?? null,
        bodyHash: ev.bodyHash ?? null,
        batchCount: ev.batchCount,
        recordCount: ev.recordCount,
        bytes: ev.bytes,
      });
      pages++;
      await job.updateProgress({ page: ev.pageNo, records: ev.recordCount, notModified: ev.notModified });
      log.debug({ page: ev.pageNo, records: ev.recordCount, notModified: ev.notModified, format: ev.format }, 'page done');
      const stopped = await runStoppedAs(deps.db, runId);
      if (stopped === 'failed') {
        // Failed meanwhile by the loader (a batch it could not load): nothing more is fetched;
        // the run keeps its error and is finalised once the batches handed over are in.
        log.warn({ page: ev.pageNo, pages, batches }, 'run failed by the loader: harvest stopped at a page boundary');
        await enqueueFinaliseIfComplete(deps, runId);
        return { outcome: 'failed', runId, pages, batches };
      }
      if (stopped === 'cancelled') {
        // Cancelled by an operator or the organisation: stop at this page boundary. The pages
        // read stay loaded; finalise withdraws nothing from a cancelled run.
        await markFetchDone(deps.db, runId);
        log.info({ page: ev.pageNo, pages, batches }, 'run cancelled: harvest stopped at a page boundary');
        await enqueueFinaliseIfComplete(deps, runId);
        return { outcome: 'cancelled', runId, pages, batches };
      }
      if (deps.shutdown.aborted && ev.nextUrl) {
        // Graceful shutdown: the page is checkpointed; give the job back without spending an attempt.
        await job.moveToDelayed(Date.now() + 1000, token);
        log.info({ page: ev.pageNo }, 'shutting down: run handed back at its checkpoint');
        throw new DelayedError();
      }
    }
    await markFetchDone(deps.db, runId);
    log.info({ pages, batches }, 'harvest fetched');
    await enqueueFinaliseIfComplete(deps, runId);
    return { outcome: 'fetched', runId, pages, batches };
  } catch (err) {
    if (err instanceof DelayedError) throw err;
    const waitMs = retryAfterMsOf(err);
    if (waitMs !== undefined) {
      const pageNo = run.nextPageNo + pages;
      const deferred = await putOff(job, token, deps, { ...payload, runId }, runId, pageNo, waitMs, err);
      if (deferred) {
        log.info({ page: pageNo, waitMs, err }, 'host asked to wait (Retry-After): harvest put off without spending an attempt');
        throw new DelayedError();
      }
    }
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    const { code, message } = describeError(err);
    if (isPermanent(err) || lastAttempt) {
      log.warn({ err, code }, 'harvest failed');
      await failRun(deps.db, runId, code, message, failedPageDetails(err));
      await enqueueFinaliseIfComplete(deps, runId);
      throw new UnrecoverableError(message);
    }
    log.warn({ err, code, attempt: job.attemptsMade + 1 }, 'harvest attempt failed; will retry from checkpoint');
    throw err;
  }
}

/**
 * What the failed page answered, for the operator's run page: its URL, status and the start of
 * its body (the HTTP client keeps at most 4 KiB of an error body), when the error carries them.
 */
function failedPageDetails(err: unknown): Record<string, unknown> {
  const ctx = err instanceof HasadError ? err.context : {};
  // The URL without user:password: the run's details are served by the API.
  const pick = Object.fromEntries(['url', 'status', 'bodyExcerpt'].filter((k) => ctx[k] !== undefined).map((k) => [k, k === 'url' ? redactUrl(String(ctx[k])) : ctx[k]]));
  return Object.keys(pick).length ? { failedPage: pick } : {};
}

/** Yields each event with the milliseconds the iterator took to produce it. */
async function* timed<T>(events: AsyncIterable<T>): AsyncGenerator<{ ev: T; ms: number }> {
  const it = events[Symbol.asyncIterator]();
  try {
    for (;;) {
      const t0 = performance.now();
      const r = await it.next();
      if (r.done) return;
      yield { ev: r.value, ms: performance.now() - t0 };
    }
  } finally {
    // The consumer stopped early (shutdown hand-back, an error): let the adapter close its response.
    await it.return?.();
  }
}

/** The notes of the Retry-After waits page `pageNo` caused, as run problems. */
function waitNotes(payload: HarvestSourcePayload, pageNo: number): RecordProblem[] {
  return (payload.retryAfter?.notes ?? []).filter((n) => n.pageNo === pageNo).map((n) => ({ severity: 'info', code: 'retry_after', message: n.message }));
}

/**
 * Honours a Retry-After (429/503, or a host another worker was told to leave alone): the job is
 * moved to the delayed set until then, keeping its checkpoint and its attempts, and the wait is
 * noted on the run. A wait beyond HASAD_RETRY_AFTER_MAX_MS, alone or added to the run's earlier
 * waits, is not honoured this way: the error then takes the ordinary retry path.
 *
 * @returns false when the wait is too long to honour.
 */
async function putOff(job: Job, token: string | undefined, deps: HarvestDeps, payload: HarvestSourcePayload, runId: string, pageNo: number, waitMs: number, err: unknown): Promise<boolean> {
  const cap = deps.config.HASAD_RETRY_AFTER_MAX_MS;
  // At least a second: "Retry-After: 0" must not turn into a tight loop against the host.
  const delay = Math.max(1000, waitMs);
  const before = payload.retryAfter ?? { totalMs: 0, notes: [] };
  if (delay > cap || before.totalMs + delay > cap) return false;
  const until = new Date(Date.now() + delay);
  const message = `${describeError(err).message}; harvest put off for ${Math.ceil(delay / 1000)} s, until ${until.toISOString()}, to resume at page ${pageNo} (no attempt spent)`;
  // Notes of pages already checkpointed are in the run's problems: only this page's stay in the job.
  const notes = [...before.notes.filter((n) => n.pageNo >= pageNo), { pageNo, message }].slice(-20);
  const retryAfter = { totalMs: before.totalMs + delay, notes };
  await recordPageProblems(deps.db, runId, pageNo, waitNotes({ ...payload, retryAfter }, pageNo));
  await job.updateData({ ...payload, retryAfter });
  await job.moveToDelayed(until.getTime(), token);
  return true;
}

/** Bounds the data parked in Redis: a fast fetcher waits for the loaders instead of filling memory. */
async function waitForLoaderCapacity(deps: HarvestDeps): Promise<void> {
  const max = deps.config.HASAD_MAX_INFLIGHT_BATCHES;
  for (let waited = 0; ; waited++) {
    const pending = await deps.queues.load.count();
    if (pending < max) return;
    await new Promise((r) => setTimeout(r, Math.min(200, 10 * (waited + 1))));
  }
}

/**
 * Moves the batch's compressed descriptions out of its job into one binary Redis value beside it
 * (loadBatchPayload.descriptions): each record keeps where its bytes lie. Nothing is parked for a
 * batch without descriptions (CSV, SOAP, CKAN).
 */
async function parkDescriptions(queues: Queues, jobId: string, data: LoadBatchPayload): Promise<void> {
  const parts: Buffer[] = [];
  let bytes = 0;
  for (const r of data.records) {
    const d = r.description;
    if (d === undefined || !('deflated' in d)) continue;
    const b = Buffer.from(d.deflated, 'base64');
    r.description = { format: d.format, at: [bytes, b.length] };
    parts.push(b);
    bytes += b.length;
  }
  if (parts.length === 0) return;
  data.descriptions = { key: await queues.putDescriptions(jobId, Buffer.concat(parts, bytes)), bytes };
}

/**
 * A record as the loader takes it: packed (hash, description compressed) by the parsing worker, or
 * here for a batch read without one.
 */
function toLoadRecord(r: CanonicalDataset, packed: PackedRecord | undefined): LoadBatchPayload['records'][number] {
  const t = r.modified ? Date.parse(r.modified) : Number.NaN;
  const p = packed === undefined ? packRecord(r) : { record: r, packed };
  return {
    identifier: r.identifier,
    uri: r.uri ?? null,
    hash: p.packed.hash,
    modifiedAt: Number.isNaN(t) ? null : new Date(t).toISOString(),
    record: p.record,
    ...(p.packed.description !== undefined && { description: p.packed.description }),
  };
}

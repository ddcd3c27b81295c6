import type { Job } from 'bullmq';
import { FetchBackoffError, FetchStatusError, fetchSettings, type HasadConfig, type Logger } from '@hasad/core';
import { notifyQualityDrop, refreshSourceQuality, rescoreDatasetIds } from '@hasad/pipeline';
import { CRITERION_NAMES } from '@hasad/quality';
import { getSource, pickLinksToCheck, recordLinkChecks, recordRunQuality, type DbHandle, type LinkCheckResult, type LinkToCheck } from '@hasad/db';
import { parsePayload, type Queues } from '@hasad/queues';
import { fetchPage, type FetchRequest } from '@hasad/sources';

export interface LinkCheckDeps {
  db: DbHandle;
  queues: Queues;
  config: HasadConfig;
  log: Logger;
}

/** URLs checked per source and run unless the job says otherwise. */
export const DEFAULT_LINK_SAMPLE = 20;
/** URLs of one source checked at once (the host limiter still caps each host). */
const CONCURRENCY = 4;
/** A link check waits this long at most for an answer: it asks for headers, not data. */
const LINK_TIMEOUT_MS = 15_000;

/**
 * Checks a sample of a source's distribution URLs (`links.check`): for each, HEAD, then a
 * one-byte ranged GET when HEAD is refused, through the same safe client and per-host limits as
 * the harvest. Stores the results, re-scores the datasets they came from, and stores the
 * source's quality aggregate (`source_quality`), which the run's new scores changed too.
 * Idempotent: a repeated job checks again and overwrites the latest results.
 */
export async function checkLinksProcessor(job: Job, deps: LinkCheckDeps) {
  const p = parsePayload('links.check', job.data);
  const log = deps.log.child({ queue: 'links', jobId: job.id, sourceId: p.sourceId, runId: p.runId });
  const source = await getSource(deps.db, p.sourceId);
  if (!source || source.deletedAt) return { checked: 0, skipped: 'source_deleted' };
  const links = await pickLinksToCheck(deps.db, p.sourceId, p.sample ?? DEFAULT_LINK_SAMPLE, p.runId ?? job.id ?? p.sourceId, {
    // Datasets not yet assessed on this criterion are checked first.
    linkCriterion: CRITERION_NAMES.indexOf('accessUrlAnswers'),
  });
  const http: FetchRequest['http'] = {
    ...fetchSettings(deps.config),
    timeoutMs: Math.min(deps.config.HASAD_FETCH_TIMEOUT_MS, LINK_TIMEOUT_MS),
    headersTimeoutMs: Math.min(deps.config.HASAD_FETCH_HEADERS_TIMEOUT_MS ?? deps.config.HASAD_FETCH_TIMEOUT_MS, LINK_TIMEOUT_MS),
    deadlineMs: Math.min(deps.config.HASAD_FETCH_DEADLINE_MS, 2 * LINK_TIMEOUT_MS),
    hostLimiter: deps.queues.hostLimiter({ maxConcurrent: deps.config.HASAD_HOST_CONCURRENCY, perSecond: deps.config.HASAD_HOST_RATE_PER_SECOND }),
  };
  const results: LinkCheckResult[] = [];
  let next = 0;
  const worker = async () => {
    while (next < links.length) {
      const link = links[next++]!;
      const res = await checkLink(link, http);
      // A host that asked to be left alone (Retry-After) was not asked: no result rather than a false "broken".
      if (res) results.push(res);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, links.length) }, worker));
  await recordLinkChecks(deps.db, p.sourceId, p.runId ?? null, results);
  // The datasets the URLs came from are scored again, now with their link criteria.
  const rescored = await rescoreDatasetIds(deps.db, [...new Set(results.map((r) => r.datasetId))]);
  const quality = await refreshSourceQuality(deps.db, p.sourceId, p.runId ?? null);
  if (p.runId) {
    // Kept with the run, and compared with the previous run's: a drop is told to the institution.
    const { previous } = await recordRunQuality(deps.db, p.runId, quality.score, quality.max);
    const told = await notifyQualityDrop(deps, p.runId, quality.score, previous);
    if (told.length) log.info({ score: quality.score, previous, channels: told }, 'quality dropped: notification queued');
  }
  const broken = results.filter((r) => !r.ok).length;
  log.info({ checked: results.length, broken, rescored, score: quality.score, max: quality.max }, 'links checked');
  return { checked: results.length, broken, rescored, score: quality.score };
}

/**
 * One URL: HEAD, then `GET` with `Range: bytes=0-0` when HEAD got an error status (many
 * servers refuse or mishandle HEAD: 405, 501, even 403 or 404). The GET's body is dropped
 * unread. Undefined when the host is backing off (not asked).
 */
export async function checkLink(link: LinkToCheck, http: FetchRequest['http']): Promise<LinkCheckResult | undefined> {
  const started = performance.now();
  const done = (r: Pick<LinkCheckResult, 'ok' | 'httpStatus' | 'method' | 'error'>): LinkCheckResult => ({ ...link, ...r, durationMs: performance.now() - started });
  const head = await attempt(link.url, 'HEAD', http);
  if (head === 'backoff') return undefined;
  if (head.ok || head.status === undefined || head.status === 429) return done({ ok: head.ok, httpStatus: head.status ?? null, method: 'HEAD', error: head.error });
  const get = await attempt(link.url, 'GET', http);
  if (get === 'backoff') return undefined;
  return done({ ok: get.ok, httpStatus: get.status ?? null, method: 'GET', error: get.error });
}

async function attempt(url: string, method: 'HEAD' | 'GET', http: FetchRequest['http']): Promise<{ ok: boolean; status?: number; error: string | null } | 'backoff'> {
  try {
    const res = await fetchPage({ url, http, method, ...(method === 'GET' && { headers: { range: 'bytes=0-0' } }) });
    res.body.on('error', () => undefined);
    res.body.destroy();
    return { ok: true, status: res.status, error: null };
  } catch (err) {
    if (err instanceof FetchBackoffError) return 'backoff';
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof FetchStatusError) return { ok: false, status: err.context['status'] as number, error: message };
    return { ok: false, error: message };
  }
}

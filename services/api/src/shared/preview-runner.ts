import { ConfigError, fetchSettings, HasadError, parseLimits } from '@hasad/core';
import { getAdapter, ParsePool, previewSource, type PreviewResult } from '@hasad/sources';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { checkFeedUrl } from '../source-input.ts';

/**
 * Runs previews with the fetcher's own settings: the same address rules, allow-list, timeouts
 * and limits, and the fetchers' shared per-host limiter (Redis), so previews count against a
 * host's concurrency and request rate together with the harvests of every worker, across every
 * API process. Errors come back as the API's: 400 for a bad config, 422 for what a harvest
 * would fail with, 422 `preview_timeout` past HASAD_PREVIEW_TIMEOUT_MS. Used by the API and the
 * institutions' space.
 */
export function previewRunner(deps: ApiDeps): (kind: string, url: string, config: Record<string, unknown>, limit: number) => Promise<PreviewResult> {
  const c = deps.config;
  const http = {
    ...fetchSettings(c),
    hostLimiter: deps.queues.hostLimiter({ maxConcurrent: c.HASAD_HOST_CONCURRENCY, perSecond: c.HASAD_HOST_RATE_PER_SECOND }),
  };
  const limits = parseLimits(c);
  const parsePool = previewParsePool(deps);
  return async (kind, url, config, limit) => {
    checkFeedUrl(url);
    try {
      getAdapter(kind).parseConfig(config);
    } catch (err) {
      if (err instanceof HasadError) throw new ApiError(400, 'invalid_config', `body parameter "config": ${err.message}`, { field: 'config' });
      throw err;
    }
    const signal = AbortSignal.timeout(c.HASAD_PREVIEW_TIMEOUT_MS);
    try {
      return await previewSource(kind, url, config, { limit, http, signal, limits, parsePool });
    } catch (err) {
      if (signal.aborted) {
        throw new ApiError(422, 'preview_timeout', `the preview did not finish within ${c.HASAD_PREVIEW_TIMEOUT_MS / 1000} s; the feed is too slow or too large to preview`);
      }
      if (err instanceof ConfigError) throw new ApiError(400, 'invalid_parameter', err.message);
      // Fetch, refusal, parse and paging errors: what a harvest of this feed would fail with.
      if (err instanceof HasadError) throw new ApiError(422, err.code, err.message);
      throw err;
    }
  };
}

/** One parsing pool per API (keyed by its queues, which every route of one app shares). */
const parsePools = new WeakMap<ApiDeps['queues'], ParsePool>();

/**
 * The worker threads previews parse in, under the parsing limits (docs/limits.md), so that no
 * feed can stall the API's thread (and /healthz with it): two at once; more wait for a worker
 * within their deadline. Workers start when first needed.
 */
function previewParsePool(deps: ApiDeps): ParsePool {
  let pool = parsePools.get(deps.queues);
  if (pool === undefined) {
    pool = new ParsePool({ size: 2, limits: parseLimits(deps.config), ...(deps.config.HASAD_PARSE_YOUNG_MB > 0 && { youngGenerationMb: deps.config.HASAD_PARSE_YOUNG_MB }), onWorkerExit: (reason) => deps.log.warn({ reason }, 'preview parsing worker stopped') });
    parsePools.set(deps.queues, pool);
  }
  return pool;
}

/** Stops the API's preview parsing workers (when the app closes). */
export async function closePreviewParsePool(deps: ApiDeps): Promise<void> {
  const pool = parsePools.get(deps.queues);
  parsePools.delete(deps.queues);
  await pool?.close();
}

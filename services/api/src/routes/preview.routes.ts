import type { FastifyInstance } from 'fastify';
import { ConfigError, fetchSettings, HasadError, parseLimits } from '@hasad/core';
import { adapterKinds, getAdapter, ParsePool, previewSource, type PreviewResult } from '@hasad/sources';
import { bearerSecurity, principalOf } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { datasetItem, errorResponses } from '../schemas.ts';
import { checkFeedUrl, knownBodyKeys } from '../source-input.ts';

interface PreviewBody {
  kind: string;
  url: string;
  config?: Record<string, unknown>;
  limit?: number;
}

/** A canonical record as the preview returns it: the record's fields only (no Hasad ids yet). */
const previewRecord = { type: 'object', additionalProperties: true, properties: datasetItem.properties } as const;

const previewResponse = {
  type: 'object',
  required: ['records', 'problems', 'pages', 'invalidIdentifiers'],
  properties: {
    records: { type: 'array', items: previewRecord, description: 'the first `limit` valid records, normalised as they would be stored' },
    problems: {
      type: 'array',
      description: 'every record and page problem met until the preview stopped',
      items: {
        type: 'object',
        required: ['severity', 'code', 'message'],
        properties: {
          severity: { type: 'string', enum: ['error', 'warning'] },
          code: { type: 'string' },
          message: { type: 'string' },
          identifier: { type: 'string' },
          field: { type: 'string' },
        },
      },
    },
    invalidIdentifiers: { type: 'array', items: { type: 'string' }, description: 'records left out because of an error problem' },
    pages: { type: 'integer', description: 'pages read' },
    error: {
      type: 'object',
      required: ['code', 'message', 'pageNo'],
      description: 'the fetch, parse or paging error of a page after the first: records and problems are what the pages before it gave (a harvest would fail the run with it)',
      properties: { code: { type: 'string' }, message: { type: 'string' }, pageNo: { type: 'integer' } },
    },
  },
} as const;

/**
 * `POST /api/v1/preview`: fetches, parses and normalises the first records of a feed without
 * writing anything, with the fetcher's HTTP settings (address policy, size and time limits,
 * per-host politeness shared with the workers) and an overall deadline
 * (HASAD_PREVIEW_TIMEOUT_MS). It needs a token because it makes outgoing requests; any source
 * kind, URL and config may be previewed, registered or not.
 */
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
    pool = new ParsePool({ size: 2, limits: parseLimits(deps.config), onWorkerExit: (reason) => deps.log.warn({ reason }, 'preview parsing worker stopped') });
    parsePools.set(deps.queues, pool);
  }
  return pool;
}

export function previewRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const preview = previewRunner(deps);
  app.addHook('onClose', async () => {
    const pool = parsePools.get(deps.queues);
    parsePools.delete(deps.queues);
    await pool?.close();
  });

  app.post<{ Body: PreviewBody }>(
    '/api/v1/preview',
    {
      config: { access: 'token' },
      preValidation: knownBodyKeys(['kind', 'url', 'config', 'limit']),
      schema: {
        tags: ['sources'],
        summary: 'Try a feed: fetch and normalise its first records, writing nothing',
        description:
          '400 names a bad parameter or config field; 422 carries the fetch or parse error (code and message) of the first page that a harvest would have failed with. When a later page fails, 200 with what the pages before it gave and the error in `error`.',
        security: bearerSecurity,
        body: {
          type: 'object',
          required: ['kind', 'url'],
          properties: {
            kind: { type: 'string', enum: adapterKinds() },
            url: { type: 'string', minLength: 1, maxLength: 4096 },
            config: { type: 'object', additionalProperties: true },
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
          },
        },
        response: { 200: previewResponse, ...errorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const { kind, url, config = {}, limit = 20 } = req.body;
      const started = Date.now();
      const res = await preview(kind, url.trim(), config, limit);
      req.log.info({ kind, records: res.records.length, problems: res.problems.length, pages: res.pages, error: res.error?.code, ms: Date.now() - started, tokenId: p.tokenId }, 'preview');
      return res;
    },
  );
}

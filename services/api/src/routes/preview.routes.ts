import type { FastifyInstance } from 'fastify';
import { ConfigError, fetchSettings, HasadError } from '@hasad/core';
import { adapterKinds, getAdapter, previewSource } from '@hasad/sources';
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
  },
} as const;

/**
 * `POST /api/v1/preview`: fetches, parses and normalises the first records of a feed without
 * writing anything, with the fetcher's HTTP settings (address policy, size and time limits,
 * per-host politeness shared with the workers) and an overall deadline
 * (HASAD_PREVIEW_TIMEOUT_MS). It needs a token because it makes outgoing requests; any source
 * kind, URL and config may be previewed, registered or not.
 */
export function previewRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const c = deps.config;
  // The fetcher's own settings: the same address rules, allow-list, timeouts and limits, and
  // the fetchers' shared per-host limiter (Redis): previews count against a host's concurrency
  // and request rate together with the harvests of every worker, across every API process.
  const http = {
    ...fetchSettings(c),
    hostLimiter: deps.queues.hostLimiter({ maxConcurrent: c.HASAD_HOST_CONCURRENCY, perSecond: c.HASAD_HOST_RATE_PER_SECOND }),
  };

  app.post<{ Body: PreviewBody }>(
    '/api/v1/preview',
    {
      config: { access: 'token' },
      preValidation: knownBodyKeys(['kind', 'url', 'config', 'limit']),
      schema: {
        tags: ['sources'],
        summary: 'Try a feed: fetch and normalise its first records, writing nothing',
        description: '400 names a bad parameter or config field; 422 carries the fetch or parse error (code and message) that a harvest would have failed with.',
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
      checkFeedUrl(url.trim());
      try {
        getAdapter(kind).parseConfig(config);
      } catch (err) {
        if (err instanceof HasadError) throw new ApiError(400, 'invalid_config', `body parameter "config": ${err.message}`, { field: 'config' });
        throw err;
      }
      const started = Date.now();
      const signal = AbortSignal.timeout(c.HASAD_PREVIEW_TIMEOUT_MS);
      try {
        const res = await previewSource(kind, url.trim(), config, { limit, http, signal });
        req.log.info({ kind, records: res.records.length, problems: res.problems.length, pages: res.pages, ms: Date.now() - started, tokenId: p.tokenId }, 'preview');
        return res;
      } catch (err) {
        if (signal.aborted) {
          throw new ApiError(422, 'preview_timeout', `the preview did not finish within ${c.HASAD_PREVIEW_TIMEOUT_MS / 1000} s; the feed is too slow or too large to preview`);
        }
        if (err instanceof ConfigError) throw new ApiError(400, 'invalid_parameter', err.message);
        // Fetch, refusal, parse and paging errors: what a harvest of this feed would fail with.
        if (err instanceof HasadError) throw new ApiError(422, err.code, err.message);
        throw err;
      }
    },
  );
}

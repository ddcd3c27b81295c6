import type { FastifyInstance } from 'fastify';
import { adapterKinds } from '@hasad/sources';
import { bearerSecurity, principalOf } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { datasetItem, errorResponses } from '../schemas.ts';
import { knownBodyKeys } from '../source-input.ts';
import { closePreviewParsePool, previewRunner } from '../shared/preview-runner.ts';

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
export function previewRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const preview = previewRunner(deps);
  app.addHook('onClose', () => closePreviewParsePool(deps));

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

import type { FastifyInstance } from 'fastify';
import { ExpiredChangeCursorError, InvalidChangeCursorError, listChanges } from '@hasad/db';
import { checkNotModified, sendNotModified, weakEtag } from '../conditional.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { errorResponses } from '../schemas.ts';
import { toIso } from '../timestamps.ts';

const changeItem = {
  type: 'object',
  required: ['seq', 'kind', 'datasetId', 'sourceId', 'at'],
  properties: {
    seq: { type: 'integer', description: 'unique; increasing within one transaction' },
    kind: { type: 'string', enum: ['created', 'updated', 'withdrawn', 'restored'] },
    datasetId: { type: 'string', format: 'uuid' },
    sourceId: { type: 'string', format: 'uuid' },
    at: { type: 'string', format: 'date-time' },
  },
} as const;

/**
 * The change feed: every create, update, withdrawal and restoration, in order, from a cursor.
 * A mirror reads `/api/v1/datasets` once (or starts with `since=now`), then polls
 * `/changes?since=<nextCursor>` and fetches `/datasets/:id` for each change.
 */
export function changeRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Querystring: { since?: string; limit: number } }>(
    '/api/v1/changes',
    {
      schema: {
        tags: ['changes'],
        summary: 'Changes to the catalogue (created, updated, withdrawn) since a cursor, in order',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            since: { type: 'string', maxLength: 100, description: 'nextCursor of the previous answer; absent: from the oldest change kept; now: only changes from now on. A cursor older than the changes kept (HASAD_CHANGES_RETENTION_DAYS) is answered 410 cursor_expired.' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['items', 'nextCursor'],
            properties: { items: { type: 'array', items: changeItem }, nextCursor: { type: 'string', description: 'pass as since= to resume; given even when nothing is new' } },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      let page;
      try {
        page = await listChanges(deps.db, { since: req.query.since, limit: req.query.limit });
      } catch (err) {
        if (err instanceof InvalidChangeCursorError) throw new ApiError(400, 'invalid_parameter', `querystring parameter "since": ${err.message}`);
        if (err instanceof ExpiredChangeCursorError) throw new ApiError(410, 'cursor_expired', `querystring parameter "since": ${err.message}`);
        throw err;
      }
      const body = { items: page.items.map((c) => ({ ...c, at: toIso(c.at) })), nextCursor: page.nextCursor };
      const last = body.items[body.items.length - 1];
      if (checkNotModified(req, reply, { etag: weakEtag('changes', body), lastModified: last ? new Date(last.at) : null })) return sendNotModified(reply);
      return body;
    },
  );
}

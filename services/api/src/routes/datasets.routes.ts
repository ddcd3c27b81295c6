import type { FastifyInstance } from 'fastify';
import { getDataset, listDatasets, type DatasetRow } from '@hasad/db';
import type { ApiDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { datasetItem, errorResponses } from '../schemas.ts';
import { toIso } from '../timestamps.ts';

interface ListQuery {
  q?: string;
  organization?: string;
  source?: string;
  status: 'active' | 'withdrawn' | 'all';
  page: number;
  limit: number;
}

const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    q: { type: 'string', maxLength: 200, description: 'text searched in every language of title, description and keywords' },
    organization: { type: 'string', minLength: 1, description: 'organisation slug or id' },
    source: { type: 'string', format: 'uuid', description: 'source id' },
    status: { type: 'string', enum: ['active', 'withdrawn', 'all'], default: 'active' },
    page: { type: 'integer', minimum: 1, default: 1 },
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 20 },
  },
} as const;

/**
 * The catalogue's view of a dataset: the canonical record's fields, then Hasad's own, so
 * that a record field can never hide the id or status the catalogue decided.
 */
export function toDatasetItem(row: DatasetRow): Record<string, unknown> {
  return {
    ...row.record,
    id: row.id,
    organization: row.organization,
    sourceId: row.sourceId,
    sourceIdentifier: row.sourceIdentifier,
    uri: row.uri,
    status: row.status,
    createdAt: toIso(row.createdAt),
    updatedAt: toIso(row.updatedAt),
    withdrawnAt: toIso(row.withdrawnAt),
  };
}

export function datasetRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Querystring: ListQuery }>(
    '/api/v1/datasets',
    {
      schema: {
        querystring: listQuery,
        response: {
          200: {
            type: 'object',
            required: ['total', 'page', 'limit', 'items'],
            properties: { total: { type: 'integer' }, page: { type: 'integer' }, limit: { type: 'integer' }, items: { type: 'array', items: datasetItem } },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const { q, organization, source, status, page, limit } = req.query;
      const res = await listDatasets(deps.db, { q, organization, source, status, page, limit });
      return { total: res.total, page, limit, items: res.items.map(toDatasetItem) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/datasets/:id',
    {
      schema: {
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', minLength: 1, maxLength: 2048, description: 'Hasad id, or the source’s URI or identifier (URL-encoded)' } },
        },
        response: { 200: datasetItem, ...errorResponses },
      },
    },
    async (req) => {
      const row = await getDataset(deps.db, req.params.id);
      if (!row) throw notFound('dataset', req.params.id);
      return toDatasetItem(row);
    },
  );
}

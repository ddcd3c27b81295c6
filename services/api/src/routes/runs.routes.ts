import type { FastifyInstance } from 'fastify';
import { countProblems, getRun, listProblems, listRuns, type Run } from '@hasad/db';
import type { ApiDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { errorResponses, problemItem, runItem } from '../schemas.ts';
import { toIso } from '../timestamps.ts';

/** A run as operators read it; the resume checkpoint and job id stay internal. */
export function toRunItem(run: Run) {
  return {
    id: run.id,
    sourceId: run.sourceId,
    status: run.status,
    trigger: run.trigger,
    attempts: run.attempts,
    seen: run.seen,
    created: run.created,
    updated: run.updated,
    unchanged: run.unchanged,
    withdrawn: run.withdrawn,
    invalid: run.invalid,
    pendingWithdrawals: run.pendingWithdrawals,
    error: run.error,
    errorCode: run.errorCode,
    pagesTotal: run.pagesTotal,
    pagesFetched: run.pagesFetched,
    pagesNotModified: run.pagesNotModified,
    bytes: run.bytes,
    details: run.details,
    createdAt: toIso(run.createdAt),
    startedAt: toIso(run.startedAt),
    finishedAt: toIso(run.finishedAt),
    heartbeatAt: toIso(run.heartbeatAt),
    durationMs: run.startedAt && run.finishedAt ? run.finishedAt.getTime() - run.startedAt.getTime() : null,
  };
}

const runsListResponse = {
  type: 'object',
  required: ['items'],
  properties: { limit: { type: 'integer' }, offset: { type: 'integer' }, items: { type: 'array', items: runItem } },
} as const;

const runDetailResponse = {
  ...runItem,
  required: [...runItem.required, 'problems'],
  properties: {
    ...runItem.properties,
    problems: {
      type: 'object',
      required: ['total', 'limit', 'offset', 'items'],
      properties: { total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' }, items: { type: 'array', items: problemItem } },
    },
  },
} as const;

export function runRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Querystring: { source?: string; limit: number; offset: number } }>(
    '/api/v1/runs',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            source: { type: 'string', format: 'uuid', description: 'only this source’s runs' },
            limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
            offset: { type: 'integer', minimum: 0, default: 0 },
          },
        },
        response: { 200: runsListResponse, ...errorResponses },
      },
    },
    async (req) => {
      const { source, limit, offset } = req.query;
      const runs = await listRuns(deps.db, { sourceId: source, limit, offset });
      return { limit, offset, items: runs.map(toRunItem) };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { problemsLimit: number; problemsOffset: number } }>(
    '/api/v1/runs/:id',
    {
      schema: {
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            problemsLimit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            problemsOffset: { type: 'integer', minimum: 0, default: 0 },
          },
        },
        response: { 200: runDetailResponse, ...errorResponses },
      },
    },
    async (req) => {
      const run = await getRun(deps.db, req.params.id);
      if (!run) throw notFound('run', req.params.id);
      const { problemsLimit: limit, problemsOffset: offset } = req.query;
      const [total, items] = await Promise.all([countProblems(deps.db, run.id), listProblems(deps.db, run.id, { limit, offset })]);
      return { ...toRunItem(run), problems: { total, limit, offset, items } };
    },
  );
}

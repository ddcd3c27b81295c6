import type { FastifyInstance } from 'fastify';
import { countProblems, getRunWithOwner, listProblems, listRuns, listRunsOfOrganization, type Run, type TokenPrincipal } from '@hasad/db';
import { bearerSecurity, canActOn, principalOf } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { errorResponses, problemItem, runItem } from '../schemas.ts';
import { toIso } from '../timestamps.ts';
import { visibleSource } from './sources.routes.ts';

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

export const runsListResponse = {
  type: 'object',
  required: ['items'],
  properties: { limit: { type: 'integer' }, offset: { type: 'integer' }, items: { type: 'array', items: runItem } },
} as const;

export const runDetailResponse = {
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

/**
 * Runs `p` may see, newest first: of one source (404 when the source is not visible to `p`,
 * the same answer as for a source that does not exist), else of the token's organisation,
 * or every run for an operator.
 */
export async function visibleRuns(deps: ApiDeps, p: TokenPrincipal, q: { source?: string; limit: number; offset: number }): Promise<Run[]> {
  if (q.source !== undefined) {
    await visibleSource(deps, p, q.source);
    return listRuns(deps.db, { sourceId: q.source, limit: q.limit, offset: q.offset });
  }
  if (p.role === 'operator') return listRuns(deps.db, { limit: q.limit, offset: q.offset });
  return listRunsOfOrganization(deps.db, p.organizationId!, { limit: q.limit, offset: q.offset });
}

/** Paging of run listings. */
export const runsPaging = {
  limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
  offset: { type: 'integer', minimum: 0, default: 0 },
} as const;

export function runRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get<{ Querystring: { source?: string; limit: number; offset: number } }>(
    '/api/v1/runs',
    {
      config: { access: 'token' },
      schema: {
        tags: ['runs'],
        summary: "Runs of the token's organisation's sources (operators: all), newest first",
        security: bearerSecurity,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            source: { type: 'string', format: 'uuid', description: 'only this source’s runs' },
            ...runsPaging,
          },
        },
        response: { 200: runsListResponse, ...errorResponses },
      },
    },
    async (req) => {
      const { limit, offset } = req.query;
      const runs = await visibleRuns(deps, principalOf(req), req.query);
      return { limit, offset, items: runs.map(toRunItem) };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { problemsLimit: number; problemsOffset: number } }>(
    '/api/v1/runs/:id',
    {
      config: { access: 'token' },
      schema: {
        tags: ['runs'],
        summary: 'One run with its counts and its per-record problems (paged)',
        security: bearerSecurity,
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
      const found = await getRunWithOwner(deps.db, req.params.id);
      // A run of another organisation's source answers like a run that does not exist.
      if (!found || !canActOn(principalOf(req), found.organizationId)) throw notFound('run', req.params.id);
      const { run } = found;
      const { problemsLimit: limit, problemsOffset: offset } = req.query;
      const [total, items] = await Promise.all([countProblems(deps.db, run.id), listProblems(deps.db, run.id, { limit, offset })]);
      return { ...toRunItem(run), problems: { total, limit, offset, items } };
    },
  );
}

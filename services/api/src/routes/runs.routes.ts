import type { FastifyInstance } from 'fastify';
import { cancelWithdrawals, confirmWithdrawals, countProblems, getRunWithOwner, listPendingWithdrawals, listProblems, type Run, type TokenPrincipal } from '@hasad/db';
import { problemText } from '@hasad/i18n';
import { cancelHarvestRun } from '@hasad/pipeline';
import { bearerSecurity, canActOn, principalOf } from '../auth.ts';
import { answerLang } from '../lang.ts';
import type { ApiDeps } from '../deps.ts';
import { ApiError, notFound } from '../errors.ts';
import { errorResponses, problemItem, runItem } from '../schemas.ts';
import { toIso } from '../timestamps.ts';
import { runReviewText, runsListResponse, runsPaging, toRunItem, visibleRuns } from '../shared/runs.ts';

export const runDetailResponse = {
  ...runItem,
  required: [...runItem.required, 'problems'],
  properties: {
    ...runItem.properties,
    reviewText: { type: ['string', 'null'], description: 'why a needs_review run waits, in the language of Accept-Language' },
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
    async (req, reply) => {
      const lang = answerLang(req, reply);
      const found = await getRunWithOwner(deps.db, req.params.id);
      // A run of another organisation's source answers like a run that does not exist.
      if (!found || !canActOn(principalOf(req), found.organizationId)) throw notFound('run', req.params.id);
      const { run } = found;
      const { problemsLimit: limit, problemsOffset: offset } = req.query;
      const [total, items] = await Promise.all([countProblems(deps.db, run.id), listProblems(deps.db, run.id, { limit, offset })]);
      return {
        ...toRunItem(run),
        reviewText: run.status === 'needs_review' ? runReviewText(lang, run) : null,
        problems: { total, limit, offset, items: items.map((p) => ({ ...p, text: problemText(lang, p.code) })) },
      };
    },
  );

  const runParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;

  /** The run when `req`'s token may see it (its organisation's or an operator's); else 404, as for a run that does not exist. */
  const visibleRun = async (p: TokenPrincipal, id: string) => {
    const found = await getRunWithOwner(deps.db, id);
    if (!found || !canActOn(p, found.organizationId)) throw notFound('run', id);
    return found.run;
  };

  app.get<{ Params: { id: string }; Querystring: { limit: number; offset: number } }>(
    '/api/v1/runs/:id/pending-withdrawals',
    {
      config: { access: 'token' },
      schema: {
        tags: ['runs'],
        summary: 'The datasets a needs_review run would withdraw (paged), before confirming or cancelling',
        description:
          'The source’s active datasets the run did not list, by identifier: exactly those `POST …/confirm` withdraws. The owning organisation or an operator; 404 for anyone else. 409 `not_waiting_for_review` for a run that is not (or no longer) `needs_review`.',
        security: bearerSecurity,
        params: runParams,
        querystring: { type: 'object', additionalProperties: false, properties: { ...runsPaging } },
        response: { 200: pendingWithdrawalsResponse, ...errorResponses },
      },
    },
    async (req) => {
      const run = await visibleRun(principalOf(req), req.params.id);
      const { limit, offset } = req.query;
      const list = await listPendingWithdrawals(deps.db, run.id, { limit, offset });
      if (!list) throw notWaiting(run);
      return { runId: run.id, total: list.total, limit, offset, items: list.items.map((i) => ({ ...i, lastSeenAt: toIso(i.lastSeenAt) })) };
    },
  );

  /** The two decisions on a needs_review run: what each does, and how it is carried out. */
  const decisions = {
    confirm: {
      summary: 'Confirm the withdrawals a needs_review run held back',
      description:
        'Withdraws the datasets `GET …/pending-withdrawals` lists; the run ends `succeeded`. The owning organisation or an operator. 409 `not_waiting_for_review` when the run is not `needs_review`, or is not its source’s latest finished run (harvest again instead).',
      act: async (runId: string) => (await confirmWithdrawals(deps.db, runId)).withdrawn,
    },
    cancel: {
      summary: 'Cancel a queued or running run, or the withdrawals a needs_review run held back (withdraw nothing)',
      description:
        'A queued or running run ends `cancelled` at once (errorCode `cancelled`; answer status `cancelled`): its fetcher stops at its next page boundary, the pages already read stay loaded, nothing is withdrawn, and the source may be harvested again straight away. For a needs_review run: Keeps every dataset the run would have withdrawn; the run ends `succeeded`, withdrawing nothing. The owning organisation or an operator. 409 `not_waiting_for_review` for a run that is not `needs_review`.',
      act: async (runId: string) => (await cancelWithdrawals(deps.db, runId), 0),
    },
  } as const;

  for (const [action, d] of Object.entries(decisions)) {
    app.post<{ Params: { id: string } }>(
      `/api/v1/runs/:id/${action}`,
      {
        config: { access: 'token' },
        schema: { tags: ['runs'], summary: d.summary, description: d.description, security: bearerSecurity, params: runParams, response: { 200: reviewDecisionResponse, ...errorResponses } },
      },
      async (req) => {
        const p = principalOf(req);
        const run = await visibleRun(p, req.params.id);
        if (action === 'cancel' && (run.status === 'queued' || run.status === 'running')) {
          // A live run: stopped at its fetcher's next page boundary, withdrawing nothing.
          const by = p.role === 'operator' ? `operator ${p.operatorName ?? p.prefix}` : `organisation ${p.organizationSlug ?? p.organizationId ?? p.prefix}`;
          const res = await cancelHarvestRun(deps, run.id, by);
          if (res.outcome === 'cancelled') {
            req.log.info({ runId: run.id, tokenId: p.tokenId, role: p.role }, 'run cancelled');
            return { runId: run.id, status: 'cancelled', withdrawn: 0 };
          }
          // It ended meanwhile: answered as for a run that is over.
          if (res.outcome !== 'not_found') throw notWaiting(res.run);
        }
        if (run.status !== 'needs_review') throw notWaiting(run);
        // The repository re-checks under a row lock (a decision racing another, or a newer run).
        const withdrawn = await d.act(run.id).catch((err: Error) => {
          throw new ApiError(409, 'not_waiting_for_review', err.message, { runId: run.id });
        });
        req.log.info({ runId: run.id, tokenId: p.tokenId, role: p.role, withdrawn }, `withdrawals: ${action}`);
        return { runId: run.id, status: 'succeeded', withdrawn };
      },
    );
  }
}

function notWaiting(run: Run): ApiError {
  return new ApiError(409, 'not_waiting_for_review', `run ${run.id} is ${run.status}, not needs_review: it holds no withdrawal to confirm or cancel`, { runId: run.id, status: run.status });
}

const pendingWithdrawalsResponse = {
  type: 'object',
  required: ['runId', 'total', 'limit', 'offset', 'items'],
  properties: {
    runId: { type: 'string', format: 'uuid' },
    total: { type: 'integer', description: 'datasets the run would withdraw' },
    limit: { type: 'integer' },
    offset: { type: 'integer' },
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['datasetId', 'identifier', 'uri', 'title', 'lastSeenAt'],
        properties: {
          datasetId: { type: 'string', format: 'uuid' },
          identifier: { type: 'string', description: 'the identifier the source gives it' },
          uri: { type: ['string', 'null'] },
          title: { type: 'object', additionalProperties: { type: 'string' }, description: 'by language' },
          lastSeenAt: { type: ['string', 'null'], format: 'date-time', description: 'when a finished run of the source last listed it' },
        },
      },
    },
  },
} as const;

const reviewDecisionResponse = {
  type: 'object',
  required: ['runId', 'status', 'withdrawn'],
  properties: { runId: { type: 'string', format: 'uuid' }, status: { type: 'string' }, withdrawn: { type: 'integer', description: 'datasets withdrawn' } },
} as const;

import type { FastifyInstance } from 'fastify';
import { redactConfig, redactUrl } from '@hasad/core';
import { isUuid, listSourcesWithLastRun, type SourceWithLastRun, type TokenPrincipal } from '@hasad/db';
import { getSourceQuality } from '@hasad/pipeline';
import { bearerSecurity, principalOf } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { errorResponses, sourceItem } from '../schemas.ts';
import { improvementText } from '@hasad/i18n';
import { answerLang } from '../lang.ts';
import { sourceQualityResponse } from './quality.schemas.ts';
import { toIso } from '../timestamps.ts';

/**
 * One source as `p` may see it. A source of another organisation answers exactly like a
 * source that does not exist (same 404 body), so a token learns nothing about other
 * organisations' sources.
 */
export async function visibleSource(deps: ApiDeps, p: TokenPrincipal, id: string): Promise<SourceWithLastRun> {
  const [row] = isUuid(id) ? await listSourcesWithLastRun(deps.pool, { id, organizationId: p.role === 'operator' ? null : p.organizationId }) : [];
  if (!row) throw notFound('source', id);
  return row;
}

export function toSourceItem(row: SourceWithLastRun) {
  return {
    id: row.id,
    organization: row.organization,
    kind: row.kind,
    url: redactUrl(row.url),
    title: row.title,
    schedule: row.schedule,
    timezone: row.timezone,
    enabled: row.enabled,
    approvalStatus: row.approvalStatus,
    reviewedBy: row.reviewedBy,
    reviewedAt: toIso(row.reviewedAt),
    reviewComment: row.reviewComment,
    // The whole config, so a reviewer sees every address it makes Hasad connect to.
    config: redactConfig(row.config ?? {}),
    createdAt: toIso(row.createdAt),
    updatedAt: toIso(row.updatedAt),
    lastRun: row.runId
      ? {
          id: row.runId,
          status: row.runStatus,
          createdAt: toIso(row.runCreatedAt),
          finishedAt: toIso(row.runFinishedAt),
          errorCode: row.runErrorCode,
          seen: row.seen,
          created: row.created,
          updated: row.updated,
          unchanged: row.unchanged,
          withdrawn: row.withdrawn,
          invalid: row.invalid,
        }
      : null,
  };
}

export function sourceRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    '/api/v1/sources',
    {
      config: { access: 'token' },
      schema: {
        tags: ['sources'],
        summary: "The token's organisation's sources (operators: every source), each with its latest run",
        security: bearerSecurity,
        response: {
          200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: sourceItem } } },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const rows = await listSourcesWithLastRun(deps.pool, { organizationId: p.role === 'operator' ? null : p.organizationId });
      return { items: rows.map(toSourceItem) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/sources/:id',
    {
      config: { access: 'token' },
      schema: {
        tags: ['sources'],
        summary: 'One source with its review status and latest run',
        security: bearerSecurity,
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } },
        response: { 200: sourceItem, ...errorResponses },
      },
    },
    async (req) => toSourceItem(await visibleSource(deps, principalOf(req), req.params.id)),
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/sources/:id/quality',
    {
      config: { access: 'token' },
      schema: {
        tags: ['sources'],
        summary: "The source's metadata quality: score, averages per dimension, the most common improvements",
        description:
          'Computed on read from the scores of its active datasets (data.europa.eu MQA dimensions and weights) and from the sampled link check of its distribution URLs. The owning organisation or an operator; 404 for anyone else.',
        security: bearerSecurity,
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } },
        response: { 200: sourceQualityResponse, ...errorResponses },
      },
    },
    async (req, reply) => {
      const lang = answerLang(req, reply);
      const source = await visibleSource(deps, principalOf(req), req.params.id);
      const q = await getSourceQuality(deps.db, source.id);
      return { ...q, improvements: q.improvements.map((i) => ({ ...i, message: improvementText(lang, i.code) })) };
    },
  );
}

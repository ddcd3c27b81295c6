import type { FastifyInstance } from 'fastify';
import { listSourcesWithLastRun } from '@hasad/db';
import { getSourceQuality } from '@hasad/pipeline';
import { bearerSecurity, principalOf } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { errorResponses, sourceItem } from '../schemas.ts';
import { improvementText } from '@hasad/i18n';
import { answerLang } from '../lang.ts';
import { sourceQualityResponse } from './quality.schemas.ts';
import { toSourceItem, visibleSource } from '../shared/sources.ts';

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
      const rows = await listSourcesWithLastRun(deps.db, { organizationId: p.role === 'operator' ? null : p.organizationId });
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

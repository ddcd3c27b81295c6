import type { FastifyInstance } from 'fastify';
import { catalogueVersion, listOrganizationsWithCounts, setOrganizationTrusted } from '@hasad/db';
import { bearerSecurity, principalOf } from '../auth.ts';
import { checkNotModified, sendNotModified, weakEtag } from '../conditional.ts';
import type { ApiDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { errorResponses, organizationItem } from '../schemas.ts';

const organizationSettings = {
  type: 'object',
  required: ['id', 'slug', 'name', 'trusted'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    slug: { type: 'string' },
    name: { type: 'string' },
    trusted: { type: 'boolean', description: 'sources this organisation registers are approved without review' },
  },
} as const;

export function organizationRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    '/api/v1/organizations',
    {
      schema: {
        tags: ['catalogue'],
        summary: 'Organisations with their number of active datasets',
        response: {
          200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: organizationItem } } },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const version = await catalogueVersion(deps.db);
      if (checkNotModified(req, reply, { etag: weakEtag('organizations', version.token), lastModified: version.lastModified })) return sendNotModified(reply);
      return { items: (await listOrganizationsWithCounts(deps.db)).map(({ id, slug, name, datasetCount }) => ({ id, slug, name, datasetCount })) };
    },
  );

  app.patch<{ Params: { slug: string }; Body: { trusted: boolean } }>(
    '/api/v1/organizations/:slug',
    {
      config: { access: 'operator' },
      schema: {
        tags: ['operators'],
        summary: 'Trust an organisation (its new sources are approved automatically) or stop trusting it',
        security: bearerSecurity,
        params: { type: 'object', required: ['slug'], properties: { slug: { type: 'string' } } },
        body: { type: 'object', required: ['trusted'], additionalProperties: false, properties: { trusted: { type: 'boolean' } } },
        response: { 200: organizationSettings, ...errorResponses },
      },
    },
    async (req) => {
      const org = await setOrganizationTrusted(deps.db, req.params.slug, req.body.trusted);
      if (!org) throw notFound('organisation', req.params.slug);
      req.log.info({ organization: org.slug, trusted: org.trusted, operator: principalOf(req).operatorName }, 'organisation trust changed');
      return { id: org.id, slug: org.slug, name: org.name, trusted: org.trusted };
    },
  );
}

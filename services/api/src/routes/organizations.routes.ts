import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.ts';
import { errorResponses, organizationItem } from '../schemas.ts';

/**
 * Organisations with their count of active datasets. Local query: `listOrganizations` in
 * @hasad/db returns the organisations without counts.
 */
async function listOrganizationsWithCounts(deps: ApiDeps) {
  const res = await deps.pool.query<{ id: string; slug: string; name: string; datasetCount: number }>(
    `SELECT o.id, o.slug, o.name,
       (SELECT count(*) FROM datasets d WHERE d.organization_id = o.id AND d.status = 'active')::int AS "datasetCount"
     FROM organizations o ORDER BY o.slug`,
  );
  return res.rows;
}

export function organizationRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    '/api/v1/organizations',
    {
      schema: {
        response: {
          200: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: organizationItem } } },
          ...errorResponses,
        },
      },
    },
    async () => ({ items: await listOrganizationsWithCounts(deps) }),
  );
}

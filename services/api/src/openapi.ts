import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/**
 * The tags of /openapi.json, one per kind of reader: every operation carries one (its route's
 * `schema.tags`, or the tag of the first path prefix below), and a summary; openapi.int.test.ts
 * fails on an operation without them.
 */
export const API_TAGS = {
  catalogue: 'public reads of the catalogue: one dataset, organisations, themes, licences, quality',
  search: 'full-text search, facets and suggestions over the active datasets',
  changes: 'the change feed a mirror follows (cursor, 410 once pruned)',
  export: 'the catalogue as DCAT-AP (Turtle, RDF/XML, JSON-LD, N-Triples), paged with Hydra',
  CKAN: "CKAN's read Action API, for CKAN front ends and clients",
  institutions: "an organisation's feeds and runs: register, preview, harvest, follow (organisation or operator token)",
  operations: 'operators, health, readiness and metrics',
} as const;
export type ApiTag = keyof typeof API_TAGS;

/** The tag of an operation whose route names none, by the first matching path prefix. */
const TAG_BY_PREFIX: Array<[string, ApiTag]> = [
  ['/api/3/action', 'CKAN'],
  ['/api/action', 'CKAN'],
  ['/catalog', 'export'],
  ['/api/v1/changes', 'changes'],
  ['/api/v1/datasets/suggest', 'search'],
  ['/api/v1/sources', 'institutions'],
  ['/api/v1/runs', 'institutions'],
  ['/api/v1/preview', 'institutions'],
  ['/api/v1/organizations/{slug}/notifications', 'institutions'],
  ['/api/v1/organizations/:slug/notifications', 'institutions'],
  ['/api/v1', 'catalogue'],
  ['/', 'operations'],
];

/** Route tags of earlier names, kept in the route files, filed under today's tags. */
const RENAMED: Record<string, ApiTag> = { sources: 'institutions', runs: 'institutions', operators: 'operations', health: 'operations', ckan: 'CKAN' };

function tagsFor(url: string, given: unknown): ApiTag[] {
  const list = Array.isArray(given) ? (given as string[]) : [];
  if (list.length > 0) return [...new Set(list.map((t) => RENAMED[t] ?? (t as ApiTag)))];
  return [TAG_BY_PREFIX.find(([prefix]) => url.startsWith(prefix))![1]];
}

/**
 * The OpenAPI 3 document, generated from the routes' JSON schemas, at `/openapi.json`, and a
 * browsable reference at `/docs`. Registered before the routes (it collects them as they are added).
 */
export async function installOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Hasad API',
        description:
          'The national open-data catalogue (public reads) and the registration of institutions’ feeds (bearer tokens `hsd_…`). Errors are `{"error": {"code", "message"}}`.',
        version: '1',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'an API token `hsd_…` (hasad token create)' } } },
      tags: Object.entries(API_TAGS).map(([name, description]) => ({ name, description })),
    },
    // Bull Board's pages are not part of the API.
    transform: ({ schema, url }) => {
      if (url.startsWith('/admin/')) return { schema: { ...(schema ?? {}), hide: true }, url };
      const s = (schema ?? {}) as Record<string, unknown>;
      return { schema: { ...s, tags: tagsFor(url, s['tags']) } as typeof schema, url };
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

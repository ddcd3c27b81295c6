import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

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
      tags: [
        { name: 'catalogue', description: 'public reads, no token' },
        { name: 'sources', description: 'an organisation’s feeds: register, preview, harvest, review' },
        { name: 'runs', description: 'harvest runs and their problems (token: own organisation’s, operators all)' },
        { name: 'operators', description: 'operator tokens only' },
        { name: 'health', description: 'liveness and readiness' },
      ],
    },
    // Bull Board's pages are not part of the API.
    transform: ({ schema, url }) => ({ schema: url.startsWith('/admin/') ? { ...(schema ?? {}), hide: true } : schema, url }),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

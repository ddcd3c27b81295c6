import { randomBytes } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../deps.ts';

/**
 * Prepares an encapsulated scope of HTML pages for people (the dashboard, the institutions'
 * space): its routes are left out of /openapi.json, cookies are signed with
 * HASAD_SESSION_SECRET (a random secret per scope without one: sessions then end with the
 * process), and HTML form posts are parsed.
 */
export async function prepareHtmlScope(scope: FastifyInstance, deps: ApiDeps): Promise<void> {
  scope.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, hide: true };
  });
  await scope.register(fastifyCookie, { secret: deps.config.HASAD_SESSION_SECRET ?? randomBytes(32).toString('hex') });
  // HTML forms post application/x-www-form-urlencoded, which Fastify does not parse itself;
  // URLSearchParams does it in one line, without a plugin.
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
}

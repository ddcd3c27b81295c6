import type { FastifyInstance, FastifyRequest } from 'fastify';
import { getOrganizationNotifications, setOrganizationNotifications, type OrganizationNotifications } from '@hasad/db';
import { ContactChangeError, planContactChange, type ContactChange } from '@hasad/notify';
import { bearerSecurity, canActOn, principalOf } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { notFound } from '../errors.ts';
import { errorResponses } from '../schemas.ts';
import { badParam, knownBodyKeys } from '../source-input.ts';

const settingsSchema = {
  type: 'object',
  required: ['slug', 'name', 'emails', 'webhookUrl', 'webhookSecretSet'],
  properties: {
    slug: { type: 'string' },
    name: { type: 'string' },
    emails: { type: 'array', items: { type: 'string' }, description: 'told when a source fails repeatedly, a run needs review, a source recovers' },
    webhookUrl: { type: ['string', 'null'], description: 'the same events POSTed as JSON, signed (X-Hasad-Signature)' },
    webhookSecretSet: { type: 'boolean' },
    webhookSecret: { type: 'string', description: 'only in the answer that created or rotated it: store it, it is never shown again' },
  },
} as const;

/** The organisation `slug` if the caller may act on it; another organisation's answers 404, exactly as a missing one. */
async function ownOrganization(deps: ApiDeps, req: FastifyRequest, slug: string) {
  const current = await getOrganizationNotifications(deps.db, slug);
  if (!current || !canActOn(principalOf(req), current.organizationId)) throw notFound('organisation', slug);
  return current;
}

function view(s: OrganizationNotifications & { organizationId?: string }): OrganizationNotifications {
  return { slug: s.slug, name: s.name, emails: s.emails, webhookUrl: s.webhookUrl, webhookSecretSet: s.webhookSecretSet };
}

/**
 * Where an organisation is told about its sources: e-mail addresses and a signed webhook. An
 * organisation's token reads and changes its own; an operator's any.
 */
export function organizationNotificationRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const params = { type: 'object', required: ['slug'], properties: { slug: { type: 'string' } } } as const;

  app.get<{ Params: { slug: string } }>(
    '/api/v1/organizations/:slug/notifications',
    {
      config: { access: 'token' },
      schema: {
        tags: ['sources'],
        summary: "An organisation's notification contacts (the webhook secret is never shown)",
        security: bearerSecurity,
        params,
        response: { 200: settingsSchema, ...errorResponses },
      },
    },
    async (req) => view(await ownOrganization(deps, req, req.params.slug)),
  );

  app.patch<{ Params: { slug: string }; Body: ContactChange }>(
    '/api/v1/organizations/:slug/notifications',
    {
      config: { access: 'token' },
      // A mistyped field ("webhook") is refused rather than silently dropped.
      preValidation: knownBodyKeys(['emails', 'webhookUrl', 'webhookSecret', 'rotateWebhookSecret']),
      schema: {
        tags: ['sources'],
        summary: 'Set where an organisation is told about failing sources and runs that need review',
        description:
          'Fields left out keep their value. Setting a webhook without a secret creates one, returned once in `webhookSecret`; `rotateWebhookSecret` replaces it. `webhookUrl: null` removes the webhook and its secret; `emails: []` removes the addresses.',
        security: bearerSecurity,
        params,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            emails: { type: 'array', maxItems: 20, items: { type: 'string', format: 'email', maxLength: 254 } },
            webhookUrl: { type: ['string', 'null'], maxLength: 2048 },
            webhookSecret: { type: 'string', minLength: 16, maxLength: 256 },
            rotateWebhookSecret: { type: 'boolean' },
          },
        },
        response: { 200: settingsSchema, ...errorResponses },
      },
    },
    async (req) => {
      const current = await ownOrganization(deps, req, req.params.slug);
      let plan: Awaited<ReturnType<typeof planContactChange>>;
      try {
        plan = await planContactChange(current, req.body ?? {}, deps.config);
      } catch (err) {
        if (err instanceof ContactChangeError) throw badParam(err.field, err.code, err.message);
        throw err;
      }
      const { patch, createdSecret: created } = plan;
      const saved = await setOrganizationNotifications(deps.db, current.slug, patch);
      if (!saved) throw notFound('organisation', current.slug);
      const p = principalOf(req);
      // Who changed what, never the secret itself.
      req.log.info(
        { organization: saved.slug, emails: saved.emails.length, webhook: saved.webhookUrl !== null, secretChanged: patch.webhookSecret !== undefined, by: p.operatorName ?? p.organizationSlug },
        'organisation notification settings changed',
      );
      return { ...view(saved), ...(created ? { webhookSecret: created } : {}) };
    },
  );
}


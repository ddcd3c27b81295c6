import { parseArgs } from 'node:util';
import { ConfigError, type HasadConfig } from '@hasad/core';
import { getOrganizationNotifications, setOrganizationNotifications, type DbHandle } from '@hasad/db';
import { checkWebhookUrl, newWebhookSecret, WebhookUrlError } from '@hasad/notify';

/**
 * `hasad org notify --slug SLUG …`: sets who is told about an organisation's sources, as
 * `PATCH /api/v1/organizations/SLUG/notifications` does. Options left out keep their value;
 * without any, prints the current settings. A webhook set without a secret gets one, printed once.
 */
export async function orgNotify(h: DbHandle, config: HasadConfig, args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      slug: { type: 'string' },
      email: { type: 'string', multiple: true },
      'no-email': { type: 'boolean', default: false },
      webhook: { type: 'string' },
      'no-webhook': { type: 'boolean', default: false },
      'webhook-secret': { type: 'string' },
      'rotate-secret': { type: 'boolean', default: false },
    },
  });
  if (!values.slug) throw new ConfigError('org notify needs --slug');
  const current = await getOrganizationNotifications(h.db, values.slug);
  if (!current) throw new ConfigError(`no organisation with slug "${values.slug}"`);
  if (values.email?.length && values['no-email']) throw new ConfigError('give --email or --no-email, not both');
  if (values.webhook && values['no-webhook']) throw new ConfigError('give --webhook or --no-webhook, not both');
  const secret = values['webhook-secret'];
  if (secret !== undefined && secret.length < 16) throw new ConfigError('--webhook-secret must be at least 16 characters');
  const emails = values['no-email'] ? [] : values.email?.flatMap((e) => e.split(',')).map((e) => e.trim()).filter((e) => e !== '');
  for (const e of emails ?? []) if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(e)) throw new ConfigError(`--email "${e}" is not an e-mail address`);

  const patch: { emails?: string[]; webhookUrl?: string | null; webhookSecret?: string | null } = {};
  if (emails !== undefined) patch.emails = [...new Set(emails)];
  let created: string | undefined;
  if (values['no-webhook']) {
    patch.webhookUrl = null;
    patch.webhookSecret = null;
  } else {
    if (values.webhook) {
      try {
        patch.webhookUrl = await checkWebhookUrl(values.webhook, config);
      } catch (err) {
        if (err instanceof WebhookUrlError) throw new ConfigError(`--webhook: ${err.message}`);
        throw err;
      }
    }
    const hasUrl = patch.webhookUrl !== undefined || current.webhookUrl !== null;
    if ((secret !== undefined || values['rotate-secret']) && !hasUrl) throw new ConfigError('a webhook secret needs a webhook: give --webhook URL too');
    if (secret !== undefined) patch.webhookSecret = secret;
    else if (values['rotate-secret'] || (patch.webhookUrl !== undefined && !current.webhookSecretSet)) patch.webhookSecret = created = newWebhookSecret();
  }
  const saved = await setOrganizationNotifications(h.db, values.slug, patch);
  process.stdout.write(
    `${JSON.stringify({ ...saved, ...(created ? { webhookSecret: created, note: 'the webhook secret is shown only now: give it to the receiver, which checks X-Hasad-Signature with it' } : {}) }, null, 2)}\n`,
  );
  return 0;
}

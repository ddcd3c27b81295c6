import { parseArgs } from 'node:util';
import { ConfigError, type HasadConfig } from '@hasad/core';
import { getOrganizationNotifications, setOrganizationNotifications, type DbHandle } from '@hasad/db';
import { ContactChangeError, planContactChange, type ContactChange } from '@hasad/notify';

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
  const change: ContactChange = {
    ...(values['no-email'] ? { emails: [] } : values.email ? { emails: values.email.flatMap((e) => e.split(',')) } : {}),
    ...(values['no-webhook'] ? { webhookUrl: null } : values.webhook ? { webhookUrl: values.webhook } : {}),
    ...(values['webhook-secret'] !== undefined ? { webhookSecret: values['webhook-secret'] } : {}),
    ...(values['rotate-secret'] ? { rotateWebhookSecret: true } : {}),
  };
  let plan: Awaited<ReturnType<typeof planContactChange>>;
  try {
    plan = await planContactChange(current, change, config);
  } catch (err) {
    if (!(err instanceof ContactChangeError)) throw err;
    const flag: Record<string, string> = { emails: '--email', webhookUrl: '--webhook', webhookSecret: '--webhook-secret' };
    throw new ConfigError(`${flag[err.field] ?? err.field}: ${err.message}`);
  }
  const { patch, createdSecret: created } = plan;
  const saved = await setOrganizationNotifications(h.db, values.slug, patch);
  process.stdout.write(
    `${JSON.stringify({ ...saved, ...(created ? { webhookSecret: created, note: 'the webhook secret is shown only now: give it to the receiver, which checks X-Hasad-Signature with it' } : {}) }, null, 2)}\n`,
  );
  return 0;
}

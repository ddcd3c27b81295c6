import { ConfigError, type HasadConfig } from '@hasad/core';
import { getOrganizationNotifications, setOrganizationNotifications, type DbHandle } from '@hasad/db';
import { ContactChangeError, planContactChange, type ContactChange } from '@hasad/notify';

/**
 * `hasad org notify --slug SLUG …`: sets who is told about an organisation's sources, as
 * `PATCH /api/v1/organizations/SLUG/notifications` does. Options left out keep their value;
 * without any, prints the current settings. A webhook set without a secret gets one, printed once.
 */
/** `org notify`'s options as commander gives them: `--no-email` / `--no-webhook` make the value `false`. */
export interface OrgNotifyOptions {
  slug: string;
  email?: string[] | false;
  webhook?: string | false;
  webhookSecret?: string;
  rotateSecret?: boolean;
}

export async function orgNotify(h: DbHandle, config: HasadConfig, o: OrgNotifyOptions): Promise<void> {
  const current = await getOrganizationNotifications(h, o.slug);
  if (!current) throw new ConfigError(`no organisation with slug "${o.slug}"`);
  const change: ContactChange = {
    ...(o.email === false ? { emails: [] } : o.email ? { emails: o.email.flatMap((e) => e.split(',')) } : {}),
    ...(o.webhook === false ? { webhookUrl: null } : o.webhook ? { webhookUrl: o.webhook } : {}),
    ...(o.webhookSecret !== undefined ? { webhookSecret: o.webhookSecret } : {}),
    ...(o.rotateSecret ? { rotateWebhookSecret: true } : {}),
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
  const saved = await setOrganizationNotifications(h, o.slug, patch);
  process.stdout.write(
    `${JSON.stringify({ ...saved, ...(created ? { webhookSecret: created, note: 'the webhook secret is shown only now: give it to the receiver, which checks X-Hasad-Signature with it' } : {}) }, null, 2)}\n`,
  );
}

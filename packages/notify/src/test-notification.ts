import { randomBytes } from 'node:crypto';
import { fetchSettings, type HasadConfig } from '@hasad/core';
import { getOrganizationNotifications, organizationWebhookTarget, type DbHandle } from '@hasad/db';
import type { Mailer } from './mail.ts';
import { postWebhook } from './webhook.ts';

/** What became of a test notification on one channel. */
export type TestDelivery = { channel: 'email' | 'webhook'; outcome: 'sent'; to?: string[]; status?: number } | { channel: 'email' | 'webhook'; outcome: 'skipped' | 'failed'; reason: string };

/**
 * Sends a test notification to an organisation's own contacts, at once (not queued): its
 * addresses by e-mail and its webhook, signed with its secret, with `X-Hasad-Event: test`, so
 * that a data officer sees that messages reach them. Operators are not copied. Each channel's
 * outcome is returned, a failure included (the reason is the SMTP or HTTP error's message).
 */
export async function sendTestNotification(deps: { db: DbHandle; config: HasadConfig; mailer: Mailer | undefined }, slug: string, publicUrl: string): Promise<TestDelivery[]> {
  const org = await getOrganizationNotifications(deps.db, slug);
  if (!org) return [];
  const id = `test-${randomBytes(8).toString('hex')}`;
  const space = `${publicUrl.replace(/\/+$/, '')}/espace`;
  const out: TestDelivery[] = [];

  if (!deps.mailer) out.push({ channel: 'email', outcome: 'skipped', reason: 'smtp_not_configured' });
  else if (org.emails.length === 0) out.push({ channel: 'email', outcome: 'skipped', reason: 'no_recipients' });
  else {
    const text = [
      'Bonjour,',
      '',
      `Ceci est une notification de test demandée depuis l’espace de « ${org.name} » : les messages de Hasad vous parviennent.`,
      '',
      'السلام عليكم،',
      '',
      `هذا إشعار تجريبي طلب من فضاء « ${org.name} »: رسائل حصاد تصلكم.`,
      '',
      'Hello,',
      '',
      `This is a test notification asked for from the space of "${org.name}": Hasad's messages reach you.`,
      '',
      space,
      '',
      '-- ',
      `Hasad (${id})`,
    ].join('\n');
    try {
      await deps.mailer.send({ to: org.emails, cc: [], subject: `[Hasad] Notification de test / إشعار تجريبي / Test notification`, text, eventId: id });
      out.push({ channel: 'email', outcome: 'sent', to: org.emails });
    } catch (err) {
      out.push({ channel: 'email', outcome: 'failed', reason: (err as Error).message });
    }
  }

  const target = await organizationWebhookTarget(deps.db, slug);
  if (!target?.url) out.push({ channel: 'webhook', outcome: 'skipped', reason: 'no_webhook' });
  else {
    const event = { id, kind: 'test', occurredAt: new Date().toISOString(), organization: { slug: org.slug, name: org.name }, links: { space } };
    try {
      const res = await postWebhook(target.url, event, JSON.stringify(event), { secret: target.secret ?? deps.config.HASAD_NOTIFY_WEBHOOK_SECRET, http: fetchSettings(deps.config) });
      out.push({ channel: 'webhook', outcome: 'sent', status: res.status });
    } catch (err) {
      out.push({ channel: 'webhook', outcome: 'failed', reason: (err as Error).message });
    }
  }
  return out;
}

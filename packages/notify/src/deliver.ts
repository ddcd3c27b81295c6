import { fetchSettings, type HasadConfig } from '@hasad/core';
import { notificationContext, type DbHandle } from '@hasad/db';
import type { NotifySendPayload } from '@hasad/queues';
import { buildEvent } from './event.ts';
import type { Mailer } from './mail.ts';
import { renderEmail } from './message.ts';
import { postWebhook } from './webhook.ts';

export interface DeliverDeps {
  db: DbHandle;
  config: HasadConfig;
  /** Undefined when no SMTP server is configured. */
  mailer: Mailer | undefined;
}

export type DeliveryResult =
  | { outcome: 'sent'; channel: string; to?: string[]; cc?: string[]; rejected?: string[]; status?: number }
  | { outcome: 'skipped'; channel: string; reason: string };

/** The base of the links in notifications: HASAD_PUBLIC_URL, else the API's own address. */
export function publicUrlOf(config: HasadConfig): string {
  return config.HASAD_PUBLIC_URL ?? `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${config.PORT}`;
}

/**
 * Delivers one `notify.send` job: reads the run, its source and organisation and the current
 * contact settings from PostgreSQL (so a contact removed meanwhile is not written to, and no
 * secret ever sat in Redis), renders the event and sends it on the job's channel. Throws on a
 * failed delivery; the caller decides whether a retry can help (`isPermanent`).
 */
export async function deliverNotification(payload: NotifySendPayload, deps: DeliverDeps): Promise<DeliveryResult> {
  const { channel } = payload;
  const ctx = await notificationContext(deps.db, payload.runId);
  if (!ctx) return { outcome: 'skipped', channel, reason: 'run_not_found' };
  const { config } = deps;
  const event = buildEvent(payload.event, ctx, { publicUrl: publicUrlOf(config), failureStreak: config.HASAD_NOTIFY_FAILURE_STREAK });

  if (channel === 'email') {
    if (!deps.mailer) return { outcome: 'skipped', channel, reason: 'smtp_not_configured' };
    // The institution is addressed; the operators are copied, so both see who was told.
    const orgEmails = ctx.organization.emails;
    const operators = config.HASAD_NOTIFY_OPERATOR_EMAILS.filter((a) => !orgEmails.includes(a));
    const to = orgEmails.length > 0 ? orgEmails : operators;
    const cc = orgEmails.length > 0 ? operators : [];
    if (to.length === 0) return { outcome: 'skipped', channel, reason: 'no_recipients' };
    const content = renderEmail(event);
    const res = await deps.mailer.send({ to, cc, subject: content.subject, text: content.text, eventId: event.id });
    return { outcome: 'sent', channel, to, cc, rejected: res.rejected };
  }

  const target =
    channel === 'webhook-organization'
      ? { url: ctx.organization.webhookUrl, secret: ctx.organization.webhookSecret ?? config.HASAD_NOTIFY_WEBHOOK_SECRET }
      : { url: config.HASAD_NOTIFY_WEBHOOK_URL ?? null, secret: config.HASAD_NOTIFY_WEBHOOK_SECRET };
  if (!target.url) return { outcome: 'skipped', channel, reason: 'no_webhook' };
  const res = await postWebhook(target.url, event, JSON.stringify(event), { secret: target.secret, http: fetchSettings(config) });
  return { outcome: 'sent', channel, status: res.status };
}

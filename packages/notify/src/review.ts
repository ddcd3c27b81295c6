import { fetchSettings, type HasadConfig } from '@hasad/core';
import { getOrganization, getSource, type DbHandle } from '@hasad/db';
import type { NotifyReviewPayload } from '@hasad/queues';
import type { DeliveryResult } from './deliver.ts';
import { publicUrlOf } from './deliver.ts';
import type { Mailer } from './mail.ts';
import { postWebhook } from './webhook.ts';

/**
 * The webhook body of a review request (`X-Hasad-Event: source_pending`). Like the run events,
 * fields are only ever added.
 */
export interface ReviewEvent {
  id: string;
  kind: 'source_pending';
  /** `registered`: a new source; `changed`: its owner changed where Hasad connects. */
  reason: NotifyReviewPayload['reason'];
  occurredAt: string;
  organization: { slug: string; name: string };
  source: { id: string; title: string | null; kind: string; url: string };
  /** What an operator uses to decide: the dashboard's source page (approve, reject, preview) and the API's. */
  links: { dashboardSource: string; source: string; approve: string };
}

/** Builds the review request's event; undefined when the source is gone or no longer waits for review. */
export async function reviewEvent(payload: NotifyReviewPayload, deps: { db: DbHandle; config: HasadConfig }): Promise<ReviewEvent | undefined> {
  const source = await getSource(deps.db, payload.sourceId);
  if (!source || source.deletedAt || source.approvalStatus !== 'pending') return undefined;
  const org = await getOrganization(deps.db, source.organizationId);
  if (!org) return undefined;
  const base = publicUrlOf(deps.config).replace(/\/+$/, '');
  return {
    id: `source_pending-${source.id}-${Date.parse(payload.at)}`,
    kind: 'source_pending',
    reason: payload.reason,
    occurredAt: payload.at,
    organization: { slug: org.slug, name: org.name },
    source: { id: source.id, title: source.title, kind: source.kind, url: source.url },
    links: {
      dashboardSource: `${base}/dashboard/sources/${source.id}`,
      source: `${base}/api/v1/sources/${source.id}`,
      approve: `${base}/api/v1/sources/${source.id}/approve`,
    },
  };
}

/** The operators' e-mail of a review request: French, then English (operators read both; the institution is not written to). */
export function renderReviewEmail(e: ReviewEvent): { subject: string; text: string } {
  const name = e.source.title ?? e.source.url;
  const fr =
    e.reason === 'registered'
      ? `« ${e.organization.name} » a enregistré une nouvelle source, qui attend votre validation avant toute collecte.`
      : `« ${e.organization.name} » a changé l’adresse à laquelle Hasad se connecte pour cette source ; elle attend de nouveau votre validation avant toute collecte.`;
  const en =
    e.reason === 'registered'
      ? `"${e.organization.name}" registered a new source, which waits for your approval before any harvest.`
      : `"${e.organization.name}" changed where Hasad connects for this source; it waits for your approval again before any harvest.`;
  const text = [
    'Bonjour,',
    '',
    fr,
    '',
    `Source : ${name}`,
    `Type : ${e.source.kind}`,
    `Adresse : ${e.source.url}`,
    '',
    `Aperçu, validation ou refus : ${e.links.dashboardSource}`,
    `(ou hasad source approve ${e.source.id} / hasad source reject ${e.source.id})`,
    '',
    'Hello,',
    '',
    en,
    '',
    `Source: ${name}`,
    `Kind: ${e.source.kind}`,
    `Address: ${e.source.url}`,
    '',
    `Preview, approve or reject: ${e.links.dashboardSource}`,
    '',
    '-- ',
    `Hasad (${e.id})`,
  ].join('\n');
  return { subject: `[Hasad] Source à valider / Source to review : « ${name} » (${e.organization.name})`, text };
}

/**
 * Delivers one `notify.review` job to the operators: their addresses by e-mail, their webhook.
 * A source approved, rejected or deleted before the job runs is not told about (skipped).
 */
export async function deliverReviewNotification(payload: NotifyReviewPayload, deps: { db: DbHandle; config: HasadConfig; mailer: Mailer | undefined }): Promise<DeliveryResult> {
  const { channel } = payload;
  const event = await reviewEvent(payload, deps);
  if (!event) return { outcome: 'skipped', channel, reason: 'no_longer_pending' };
  if (channel === 'email') {
    if (!deps.mailer) return { outcome: 'skipped', channel, reason: 'smtp_not_configured' };
    const to = deps.config.HASAD_NOTIFY_OPERATOR_EMAILS;
    if (to.length === 0) return { outcome: 'skipped', channel, reason: 'no_recipients' };
    const content = renderReviewEmail(event);
    const res = await deps.mailer.send({ to, cc: [], subject: content.subject, text: content.text, eventId: event.id });
    return { outcome: 'sent', channel, to, rejected: res.rejected };
  }
  const url = deps.config.HASAD_NOTIFY_WEBHOOK_URL;
  if (!url) return { outcome: 'skipped', channel, reason: 'no_webhook' };
  const res = await postWebhook(url, event, JSON.stringify(event), { secret: deps.config.HASAD_NOTIFY_WEBHOOK_SECRET, http: fetchSettings(deps.config) });
  return { outcome: 'sent', channel, status: res.status };
}

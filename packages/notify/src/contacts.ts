import { HasadError, type HasadConfig } from '@hasad/core';
import { checkWebhookUrl, newWebhookSecret, WebhookUrlError } from './webhook.ts';

/** A change to an organisation's notification contacts, as the API and the CLI take it. Left out: kept. */
export interface ContactChange {
  emails?: string[];
  /** null removes the webhook and its secret. */
  webhookUrl?: string | null;
  webhookSecret?: string;
  rotateWebhookSecret?: boolean;
}

/** A contact change that cannot be made; `field` names the input at fault. */
export class ContactChangeError extends HasadError {
  constructor(
    readonly field: string,
    code: string,
    message: string,
  ) {
    super(code, message, { permanent: true, context: { field } });
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Turns a requested change into the columns to write: addresses trimmed and deduplicated, the
 * webhook URL checked by the address rules, and a secret created when a webhook is set without
 * one (or on rotation), to be shown once by the caller.
 * @throws ContactChangeError naming the field.
 */
export async function planContactChange(
  current: { webhookUrl: string | null; webhookSecretSet: boolean },
  change: ContactChange,
  config: HasadConfig,
): Promise<{ patch: { emails?: string[]; webhookUrl?: string | null; webhookSecret?: string | null }; createdSecret?: string }> {
  const patch: { emails?: string[]; webhookUrl?: string | null; webhookSecret?: string | null } = {};
  if (change.emails !== undefined) {
    const emails = [...new Set(change.emails.map((e) => e.trim()).filter((e) => e !== ''))];
    const bad = emails.find((e) => !EMAIL.test(e));
    if (bad !== undefined) throw new ContactChangeError('emails', 'invalid_parameter', `"${bad}" is not an e-mail address`);
    patch.emails = emails;
  }
  const wantsSecret = change.webhookSecret !== undefined || change.rotateWebhookSecret === true;
  if (change.webhookSecret !== undefined && change.webhookSecret.length < 16) throw new ContactChangeError('webhookSecret', 'invalid_parameter', 'must be at least 16 characters');
  if (change.webhookUrl === null) {
    if (wantsSecret) throw new ContactChangeError('webhookSecret', 'invalid_parameter', 'a secret needs a webhook: set webhookUrl too');
    return { patch: { ...patch, webhookUrl: null, webhookSecret: null } };
  }
  if (change.webhookUrl !== undefined) {
    try {
      patch.webhookUrl = await checkWebhookUrl(change.webhookUrl, config);
    } catch (err) {
      if (err instanceof WebhookUrlError) throw new ContactChangeError('webhookUrl', err.code, err.message);
      throw err;
    }
  }
  if (wantsSecret && patch.webhookUrl === undefined && current.webhookUrl === null) {
    throw new ContactChangeError('webhookSecret', 'invalid_parameter', 'a secret needs a webhook: set webhookUrl too');
  }
  if (change.webhookSecret !== undefined) return { patch: { ...patch, webhookSecret: change.webhookSecret } };
  if (change.rotateWebhookSecret || (patch.webhookUrl !== undefined && !current.webhookSecretSet)) {
    const createdSecret = newWebhookSecret();
    return { patch: { ...patch, webhookSecret: createdSecret }, createdSecret };
  }
  return { patch };
}
